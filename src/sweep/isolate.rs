//! Fits in isolation: each runs on a thread of its own while the worker that started it waits,
//! so a fit that runs over the time limit, or is running when the sweep is stopped, can be left
//! behind (the backends cannot be interrupted: the abandoned thread computes on until its fit
//! ends, and its result is dropped), and a panic fails the fit, not the sweep. Nothing here is
//! global: a binary that wants those panics quiet filters threads named [`FIT_THREAD`] in its
//! own panic hook.

use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use super::timings::Timings;
use super::TaskError;
use crate::algorithms::panic_message;
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

/// Runs `fit` on a thread of its own named for `algorithm`, waiting for it within the limits of
/// `control`. The sweep's workers already keep every core busy: a fit's own parallel work (a
/// forest's trees) runs on its thread alone.
pub(super) fn run<T: Send + 'static>(
    algorithm: &str,
    control: &Control,
    fit: impl FnOnce() -> Result<T, String> + Send + 'static,
) -> Result<T, TaskError> {
    let started = Instant::now();
    let (send, receive) = mpsc::channel();
    std::thread::Builder::new()
        .name(format!("{FIT_THREAD} {algorithm}"))
        .spawn(move || {
            let fit = || catch_panic(fit).and_then(|r| r);
            let result = match rayon::ThreadPoolBuilder::new()
                .num_threads(1)
                .use_current_thread()
                .build()
            {
                Ok(pool) => pool.install(fit),
                Err(_) => fit(),
            };
            // The receiver is gone when the fit was abandoned.
            let _ = send.send(result);
        })
        .map_err(|e| TaskError::Failed(format!("cannot start a thread: {e}")))?;
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
                if let Some(limit) = control.max_fit.filter(|&l| started.elapsed() > l) {
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
