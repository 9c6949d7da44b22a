//! How many threads a fit may expect to take part of its work: a hint for how finely to offer
//! it, never a condition of any result (a fit's pieces merge to the same model however many
//! threads took them).
//!
//! A pool that knows which of its threads are idle (the sweep's fit threads) counts them, and
//! its threads read that count; on any other thread every other thread of the current rayon
//! pool counts as spare. When none is idle, a fit takes the plain one-thread path and offers
//! nothing (offering costs copies and merges no one would use).

use std::cell::RefCell;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

thread_local! {
    static IDLE: RefCell<Option<Arc<AtomicUsize>>> = const { RefCell::new(None) };
}

/// Makes the calling thread read `idle` as its pool's count of idle threads.
pub fn count_idle_in(idle: Arc<AtomicUsize>) {
    IDLE.with(|counted| *counted.borrow_mut() = Some(idle));
}

/// Threads that may take part of a fit running on the calling thread.
pub fn spare_threads() -> usize {
    IDLE.with(|counted| match &*counted.borrow() {
        Some(idle) => idle.load(Ordering::Relaxed),
        None => rayon::current_num_threads().saturating_sub(1),
    })
}

/// An idle thread counted while this lives.
pub struct Idle(Arc<AtomicUsize>);

impl Idle {
    pub fn new(idle: &Arc<AtomicUsize>) -> Idle {
        idle.fetch_add(1, Ordering::Relaxed);
        Idle(Arc::clone(idle))
    }

    /// Runs `work` with the thread not counted (counted again when it ends, panic or not).
    pub fn busy<R>(&self, work: impl FnOnce() -> R) -> R {
        struct Back<'a>(&'a AtomicUsize);
        impl Drop for Back<'_> {
            fn drop(&mut self) {
                self.0.fetch_add(1, Ordering::Relaxed);
            }
        }
        self.0.fetch_sub(1, Ordering::Relaxed);
        let _back = Back(&self.0);
        work()
    }
}

impl Drop for Idle {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::Relaxed);
    }
}
