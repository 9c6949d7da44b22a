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
//!
//! Also here: how an idle thread looks for such parts ([`Looking`]: eagerly just after taking
//! one, else every millisecond), used by the sweep's fit threads and, through [`with_helpers`],
//! by a fit alone on a pool (the refit).

use std::cell::RefCell;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

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

/// How often an idle thread looks for parts of running fits to take.
pub const IDLE_POLL: Duration = Duration::from_millis(1);

/// How long an idle thread that has just taken part of a fit keeps looking for the next part
/// without sleeping: a boosting fit offers pieces of each large node's work, node after node a
/// fraction of a millisecond apart, and most would be done before an [`IDLE_POLL`] sleep ends.
pub const EAGER: Duration = Duration::from_millis(2);

/// An idle thread of a pool looking for parts of its pool's running fits (rayon jobs).
#[derive(Default)]
pub struct Looking {
    helped: Option<Instant>,
}

impl Looking {
    /// How long to wait for other work before the next look: none within [`EAGER`] of the last
    /// part taken, else [`IDLE_POLL`].
    pub fn wait(&self) -> Duration {
        match self.helped.is_some_and(|at| at.elapsed() < EAGER) {
            true => Duration::ZERO,
            false => IDLE_POLL,
        }
    }

    /// Takes every part there is now; where there was none, yields the core if still eager.
    pub fn look(&mut self) {
        let mut took = false;
        while rayon::yield_now() == Some(rayon::Yield::Executed) {
            took = true;
        }
        if took {
            self.helped = Some(Instant::now());
        } else if self.wait().is_zero() {
            std::thread::yield_now();
        }
    }

    /// Looks, and waits between looks, until `done`.
    pub fn until(mut self, done: &AtomicBool) {
        while !done.load(Ordering::Acquire) {
            self.look();
            let wait = self.wait();
            if !wait.is_zero() {
                std::thread::sleep(wait);
            }
        }
    }
}

/// Runs `work` on a thread of the current pool (the global one from outside any pool) while
/// the pool's other threads look for parts of it ([`Looking`]) until it ends, panic or not.
/// Each looks on its own thread (a broadcast): a look queued where `work` waits for a part
/// could be taken by `work`'s own thread, which would then wait for itself.
pub fn with_helpers<R: Send>(work: impl FnOnce() -> R + Send) -> R {
    struct Done<'a>(&'a AtomicBool);
    impl Drop for Done<'_> {
        fn drop(&mut self) {
            self.0.store(true, Ordering::Release);
        }
    }
    let done = AtomicBool::new(false);
    rayon::scope(|scope| {
        let own = rayon::current_thread_index();
        let done = &done;
        scope.spawn_broadcast(move |_, thread| {
            if Some(thread.index()) != own {
                Looking::default().until(done);
            }
        });
        let _done = Done(done);
        work()
    })
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

    #[test]
    fn helpers_take_parts_and_stop_with_the_work_panic_or_not() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for _ in 0..50 {
            // Work that waits for parts of its own, as a fit sharing pieces does.
            let sum = pool.install(|| {
                with_helpers(|| {
                    let parts = AtomicUsize::new(0);
                    rayon::scope(|scope| {
                        for part in 1..=8 {
                            let parts = &parts;
                            scope.spawn(move |_| {
                                parts.fetch_add(part, Ordering::Relaxed);
                            });
                        }
                    });
                    parts.into_inner()
                })
            });
            assert_eq!(sum, 36);
        }
        let failed = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            pool.install(|| with_helpers(|| panic!("no")))
        }));
        assert!(failed.is_err());
        // From outside any pool, on the global one.
        assert_eq!(with_helpers(|| 7), 7);
    }
}
