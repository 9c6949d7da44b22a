//! Fits in isolation: each runs apart from the worker that started it, which waits, so a fit
//! that runs over the time limit, or is running when the sweep is stopped, can be left behind
//! (the backends cannot be interrupted: the abandoned fit computes on until it ends, and its
//! result is dropped), and a panic fails the fit, not the sweep. Fits run on the sweep's
//! [`FitPool`], whose idle threads take over part of a running fit's own parallel work. Nothing
//! here is global: a binary that wants those panics quiet filters threads named [`FIT_THREAD`]
//! in its own panic hook.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use super::timings::Timings;
use super::TaskError;
use crate::algorithms::{panic_message, spare};
use crate::error::Setting;

/// The name of every fit thread starts with this.
pub const FIT_THREAD: &str = "automl-fit";

/// How often a waiting worker looks at the clock and the stop flag.
const POLL: Duration = Duration::from_millis(50);

/// Limits on a sweep.
#[derive(Debug, Clone, Default)]
pub struct Control {
    /// Longest one fold's fit and prediction may take; a candidate that runs over is timed out
    /// and its remaining folds are not run.
    pub max_fit: Option<Duration>,
    /// When set (by Ctrl-C, or a service shutting down), no fit starts and running fits are
    /// abandoned: the candidates not finished are `Interrupted`.
    pub stop: Option<Arc<AtomicBool>>,
    /// When the time budget ends: no fit starts after it and running fits are abandoned; the
    /// candidates not finished are `OverBudget`.
    pub deadline: Option<Instant>,
    /// Where every fold task's timing goes, when they are wanted (`--timings`).
    pub timings: Option<Arc<Timings>>,
}

impl Control {
    pub fn stopped(&self) -> bool {
        self.stop
            .as_ref()
            .is_some_and(|s| s.load(Ordering::Relaxed))
    }

    pub fn over_budget(&self) -> bool {
        self.deadline.is_some_and(|d| Instant::now() >= d)
    }
}

/// Runs `f`, turning a panic into a message.
pub(super) fn catch_panic<T>(f: impl FnOnce() -> T) -> Result<T, String> {
    panic::catch_unwind(AssertUnwindSafe(f))
        .map_err(|payload| format!("panicked: {}", panic_message(payload.as_ref())))
}

/// A fit, packed to run on a thread of the [`FitPool`].
type Job = Box<dyn FnOnce() + Send>;

/// The threads a sweep's fits run on, one per worker: worker `w` hands its fits to thread `w`.
/// While the queue holds tasks each thread runs its worker's fit; a thread whose worker found
/// the queue empty takes part of a running fit's own parallel work (a forest's trees, pieces of
/// a tree's rows, the binning of a fit's columns, the prediction of its validation rows by
/// blocks: work whose result is the same however it is shared), so the last long fits of
/// a round use the cores that would otherwise idle behind them. A thread waiting inside its fit
/// for such a part only ever takes parts of fits, never a whole new fit (fits are handed over
/// outside rayon). A thread holding an abandoned fit may be held for long: its worker's later
/// fits run on threads of their own, one core each.
pub(super) struct FitPool {
    lanes: Vec<Lane>,
    /// Keeps the threads' pool alive (it ends when the senders are dropped).
    _threads: Option<rayon::ThreadPool>,
}

struct Lane {
    fits: Option<mpsc::Sender<Job>>,
    abandoned: AtomicBool,
}

impl FitPool {
    /// A pool of `workers` threads (none, when they cannot be started: then every fit runs on
    /// a thread of its own).
    pub(super) fn new(workers: usize) -> FitPool {
        let workers = workers.max(1);
        let threads = rayon::ThreadPoolBuilder::new()
            .num_threads(workers)
            .thread_name(|i| format!("{FIT_THREAD} {i}"))
            .build()
            .ok();
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..workers).map(|_| mpsc::channel::<Job>()).unzip();
        let receivers: Arc<Vec<Mutex<Option<mpsc::Receiver<Job>>>>> =
            Arc::new(receivers.into_iter().map(|r| Mutex::new(Some(r))).collect());
        let lanes = senders
            .into_iter()
            .map(|s| Lane {
                fits: threads.as_ref().map(|_| s),
                abandoned: AtomicBool::new(false),
            })
            .collect();
        if let Some(threads) = &threads {
            let idle = Arc::new(AtomicUsize::new(0));
            threads.spawn_broadcast(move |thread| {
                let taken = receivers[thread.index()]
                    .lock()
                    .ok()
                    .and_then(|mut r| r.take());
                if let Some(fits) = taken {
                    serve(&fits, &idle);
                }
            });
        }
        FitPool {
            lanes,
            _threads: threads,
        }
    }
}

/// A thread of the [`FitPool`]: runs the fits it is handed and, between them, parts of others;
/// counted in `idle` between fits, which the pool's fits read (see [`spare`]).
fn serve(fits: &mpsc::Receiver<Job>, idle: &Arc<AtomicUsize>) {
    spare::count_idle_in(Arc::clone(idle));
    let mut looking = spare::Looking::default();
    let counted = spare::Idle::new(idle);
    loop {
        match fits.recv_timeout(looking.wait()) {
            Ok(fit) => {
                counted.busy(fit);
                looking = spare::Looking::default();
            }
            Err(mpsc::RecvTimeoutError::Timeout) => looking.look(),
            Err(mpsc::RecvTimeoutError::Disconnected) => return,
        }
    }
}

/// Runs `fit` for `worker` on its thread of the sweep's `pool` (or on a thread of its own named
/// for `algorithm`), waiting for it within the limits of `control`; the time limit counts from
/// the fit's start.
pub(super) fn run<T: Send + 'static>(
    algorithm: &str,
    control: &Control,
    (pool, worker): (&FitPool, usize),
    fit: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, TaskError> {
    let (send, receive) = mpsc::channel();
    let started = Arc::new(OnceLock::new());
    let job = {
        let started = started.clone();
        move || {
            started.get_or_init(Instant::now);
            let result = catch_panic(fit).and_then(|r| r);
            // The receiver is gone when the fit was abandoned.
            let _ = send.send(result);
        }
    };
    let lane = &pool.lanes[worker % pool.lanes.len()];
    let handed = match &lane.fits {
        Some(fits) if !lane.abandoned.load(Ordering::Relaxed) => {
            fits.send(Box::new(job)).map_err(|e| e.0)
        }
        _ => Err(Box::new(job) as Job),
    };
    if let Err(job) = handed {
        alone(algorithm, job)?;
    }
    loop {
        match receive.recv_timeout(POLL) {
            Ok(result) => return result.map_err(TaskError::Failed),
            Err(mpsc::RecvTimeoutError::Disconnected) => {
                return Err(TaskError::Failed("the fit ended without a result".into()))
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {
                if control.stopped() {
                    return Err(TaskError::Interrupted);
                }
                if control.over_budget() {
                    return Err(TaskError::OverBudget);
                }
                let over = |l: Duration| started.get().is_some_and(|s| s.elapsed() > l);
                if let Some(limit) = control.max_fit.filter(|&l| over(l)) {
                    lane.abandoned.store(true, Ordering::Relaxed);
                    return Err(TaskError::TimedOut(format!(
                        "ran over the limit of {} s ({})",
                        limit.as_secs_f64(),
                        Setting::MaxFitSeconds
                    )));
                }
            }
        }
    }
}

/// Runs `job` on a thread of its own named for `algorithm`, its parallel work on that thread
/// alone.
fn alone(algorithm: &str, job: Job) -> Result<(), TaskError> {
    std::thread::Builder::new()
        .name(format!("{FIT_THREAD} {algorithm}"))
        .spawn(move || {
            match rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .use_current_thread()
                .build()
            {
                Ok(pool) => pool.install(job),
                Err(_) => job(),
            }
        })
        .map(|_| ())
        .map_err(|e| TaskError::Failed(format!("cannot start a thread: {e}")))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Two halves of a fit's parallel work that each wait for the other (up to `patience`): they
    /// meet only if a thread of the pool other than the fit's own takes one.
    fn meet_halfway(patience: Duration) -> Result<bool, String> {
        let (to_b, from_a) = mpsc::channel();
        let (to_a, from_b) = mpsc::channel();
        let meet = |send: mpsc::Sender<()>, receive: mpsc::Receiver<()>| {
            send.send(()).ok();
            receive.recv_timeout(patience).is_ok()
        };
        let (a, b) = rayon::join(|| meet(to_b, from_b), || meet(to_a, from_a));
        Ok(a && b)
    }

    #[test]
    fn an_idle_thread_of_the_pool_takes_part_of_a_running_fit() {
        let pool = FitPool::new(2);
        let met = run("test", &Control::default(), (&pool, 0), || {
            meet_halfway(Duration::from_secs(5))
        });
        assert_eq!(met, Ok(true));
    }

    #[test]
    fn after_a_fit_is_abandoned_the_next_ones_run_on_threads_of_their_own() {
        // One thread, held by a fit that runs over the limit.
        let pool = FitPool::new(1);
        let control = Control {
            max_fit: Some(Duration::from_millis(50)),
            ..Control::default()
        };
        let slow = run("slow", &control, (&pool, 0), || {
            std::thread::sleep(Duration::from_secs(3));
            Ok(())
        });
        assert!(matches!(slow, Err(TaskError::TimedOut(_))), "{slow:?}");
        let started = Instant::now();
        assert_eq!(run("next", &control, (&pool, 0), || Ok(1)), Ok(1));
        assert!(started.elapsed() < Duration::from_secs(2));
        // A fit on a thread of its own has that thread only: its halves take turns.
        let alone = run("alone", &Control::default(), (&pool, 0), || {
            meet_halfway(Duration::from_millis(100))
        });
        assert_eq!(alone, Ok(false));
    }
}
