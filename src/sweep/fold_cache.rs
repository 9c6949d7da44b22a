//! Each fold's preprocessed matrices, built by the first task that needs them (unscaled or
//! standardised) and dropped after the fold's last task, shared by every candidate.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use ndarray::Array2;

use super::isolate::catch_panic;
use crate::folds::Fold;
use crate::preprocess::{EncodingOptions, Pipeline};
use crate::table::Table;

/// The matrices of one fold under one preprocessing variant.
pub(super) struct FoldData {
    pub train: Array2<f64>,
    pub valid: Array2<f64>,
}

/// A fold's matrices, or why preprocessing failed.
pub(super) type Prepared = Arc<Result<FoldData, String>>;

/// A fold's data. Slot 0 holds the unscaled variant, slot 1 the standardised one.
pub(super) struct SharedFold {
    data: [Mutex<Option<Prepared>>; 2],
    remaining: AtomicUsize,
}

impl SharedFold {
    /// A fold whose data `tasks` tasks will use.
    pub fn new(tasks: usize) -> SharedFold {
        SharedFold {
            data: [Mutex::new(None), Mutex::new(None)],
            remaining: AtomicUsize::new(tasks),
        }
    }

    /// The fold's matrices (`scaled` or not), preprocessed now if no task has yet.
    pub fn get(
        &self,
        scaled: bool,
        table: &Table,
        fold: &Fold,
        encoding: &EncodingOptions,
    ) -> Prepared {
        let mut slot = lock(&self.data[usize::from(scaled)]);
        slot.get_or_insert_with(|| {
            let prepared = catch_panic(|| {
                Pipeline::fit(table, &fold.train, encoding, scaled).and_then(|p| {
                    Ok(FoldData {
                        train: p.transform(table, &fold.train)?,
                        valid: p.transform(table, &fold.valid)?,
                    })
                })
            });
            Arc::new(match prepared {
                Ok(result) => result.map_err(|e| format!("preprocessing failed: {e}")),
                Err(panic) => Err(panic),
            })
        })
        .clone()
    }

    /// Marks one of the fold's tasks done; the last one frees the matrices.
    pub fn done(&self) {
        if self.remaining.fetch_sub(1, Ordering::AcqRel) == 1 {
            for slot in &self.data {
                *lock(slot) = None;
            }
        }
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}
