//! How many threads a fit may expect to take part of its work: a hint for how finely to offer
//! it, never a condition of any result (a fit's pieces merge to the same model however many
//! threads took them).
//!
//! A pool that knows which of its threads are idle (the sweep's fit threads) counts them, and
//! its threads read that count; on another pool's thread every other thread of that pool counts
//! as spare; outside any pool (a fit on a thread of its own) none does. When none is spare, a
//! fit takes the plain one-thread path and offers nothing (offering costs copies and merges no
//! one would use, and from outside a pool each offer would be a hand-over to the global pool and
//! back).

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
        None if rayon::current_thread_index().is_some() => {
            rayon::current_num_threads().saturating_sub(1)
        }
        None => 0,
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_counted_thread_reads_its_pools_idle_count() {
        let idle = Arc::new(AtomicUsize::new(0));
        let read = std::thread::scope(|scope| {
            scope
                .spawn(|| {
                    count_idle_in(Arc::clone(&idle));
                    let waiting = Idle::new(&idle);
                    let other = Idle::new(&idle);
                    let (two, one) = (spare_threads(), waiting.busy(spare_threads));
                    drop(other);
                    (two, one, spare_threads())
                })
                .join()
                .unwrap()
        });
        assert_eq!(read, (2, 1, 1));
        assert_eq!(idle.load(Ordering::Relaxed), 0);
        // A thread of a pool that does not count: the pool's other threads; outside any pool,
        // none.
        assert_eq!(std::thread::spawn(spare_threads).join().unwrap(), 0);
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        assert_eq!(pool.install(spare_threads), 2);
    }
}
