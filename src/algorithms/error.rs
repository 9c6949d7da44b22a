//! Why a fit or a prediction failed, typed: the sweep turns it into a failed leaderboard row
//! (with its source chain as the message), the model into an error of the library.

use crate::error::BoxError;

use super::ParamError;

#[derive(Debug, thiserror::Error)]
pub enum FitError {
    #[error("no training rows")]
    NoRows,
    /// The training targets are not the class indices `0..k`, each present.
    #[error("{0}")]
    Classes(String),
    /// The backend crate could not fit or predict; its error is the source.
    #[error("{what} failed")]
    Backend {
        what: &'static str,
        #[source]
        source: BoxError,
    },
    /// Rows that do not fit the model (another number of columns, a layout it cannot read).
    #[error("{0}")]
    Shape(String),
    /// Something this kind of model cannot do (class probabilities of a regression model).
    #[error("{0}")]
    Unsupported(String),
    /// The rows could not be preprocessed for the fit; the library's error is the source.
    #[error("preprocessing failed")]
    Preprocessing(#[source] BoxError),
    /// A setting the algorithm refuses (from a one-off [`super::Algorithm::fit`]).
    #[error(transparent)]
    Setting(#[from] ParamError),
    /// The backend panicked; the panic's message.
    #[error("panicked: {0}")]
    Panicked(String),
}

impl FitError {
    /// A backend's error as the source of "`what` failed".
    pub fn backend(what: &'static str, source: impl Into<BoxError>) -> FitError {
        FitError::Backend {
            what,
            source: source.into(),
        }
    }
}

pub type FitResult<T> = Result<T, FitError>;

/// Runs `f`, turning a panic into [`FitError::Panicked`]: a backend that panics fails its fit,
/// not the process. Nothing global is touched; a binary that wants such panics quiet filters
/// them in its own panic hook.
pub fn guard<T>(f: impl FnOnce() -> FitResult<T>) -> FitResult<T> {
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(f))
        .unwrap_or_else(|payload| Err(FitError::Panicked(panic_message(payload.as_ref()))))
}

/// The message a panic was raised with.
pub fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".into())
}
