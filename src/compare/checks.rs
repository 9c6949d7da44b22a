//! Checking a compare's settings before any work: the values that do not depend on the data,
//! the selected algorithms, every hyperparameter setting (into a typed learner), the ranking
//! metric against the task, and the width of the encoded table.

use std::sync::Arc;
use std::time::Duration;

use super::{Compare, MAX_ENCODED_BYTES, MAX_ENCODED_COLUMNS};
use crate::algorithms::{self, format_params, Algorithm, Params};
use crate::error::{Error, Result, Setting};
use crate::metrics::Metric;
use crate::preprocess::{encoded_width_bound, EncodingOptions};
use crate::sweep::{Candidate, Control};
use crate::table::Table;
use crate::task::Task;

impl Compare {
    /// The selected algorithms for `task`, in registry order; an error names any unknown id.
    pub fn algorithms(&self, task: Task) -> Result<Vec<Arc<dyn Algorithm>>> {
        let all: Vec<Arc<dyn Algorithm>> = algorithms::for_task(task)
            .into_iter()
            .map(Arc::from)
            .collect();
        let known = || {
            let ids: Vec<&str> = all.iter().map(|a| a.id()).collect();
            format!("{task}: {}", ids.join(", "))
        };
        for id in self.include.iter().chain(&self.exclude) {
            if !all.iter().any(|a| a.id() == id) {
                return Err(Error::UnknownAlgorithm {
                    id: id.clone(),
                    known: known(),
                });
            }
        }
        let chosen: Vec<Arc<dyn Algorithm>> = all
            .iter()
            .filter(|a| {
                if self.include.is_empty() {
                    a.in_default_sweep()
                } else {
                    self.include.iter().any(|i| i == a.id())
                }
            })
            .filter(|a| !self.exclude.iter().any(|e| e == a.id()))
            .cloned()
            .collect();
        if chosen.is_empty() {
            return Err(Error::InvalidSetting(format!(
                "{} and {} leave no algorithm to run",
                Setting::Include,
                Setting::Exclude
            )));
        }
        Ok(chosen)
    }

    /// The sweep's limits; an error for a time limit that is not a positive number of seconds.
    pub(super) fn control(&self) -> Result<Control> {
        let max_fit = match self.max_fit_seconds {
            None => None,
            Some(s) => Some(
                Duration::try_from_secs_f64(s)
                    .ok()
                    .filter(|d| !d.is_zero())
                    .ok_or_else(|| {
                        Error::InvalidSetting(format!(
                            "{} must be a positive number of seconds, got {s}",
                            Setting::MaxFitSeconds
                        ))
                    })?,
            ),
        };
        if let Some(b) = self.budget {
            if !(b.is_finite() && b > 0.0) {
                return Err(Error::InvalidSetting(format!(
                    "{} must be a positive number of seconds, got {b}",
                    Setting::Budget
                )));
            }
        }
        if self.trials == Some(0) {
            return Err(Error::InvalidSetting(format!(
                "{} must be at least 1 (candidate-folds the search may score)",
                Setting::Trials
            )));
        }
        Ok(Control {
            max_fit,
            stop: self.stop.clone(),
            deadline: None,
            timings: self.timings.clone(),
        })
    }

    /// Checks the settings that do not depend on the data.
    pub(super) fn validate(&self) -> Result<()> {
        if self.folds < 2 {
            return Err(Error::InvalidSetting(format!(
                "{} must be at least 2, got {}",
                Setting::Folds,
                self.folds
            )));
        }
        if self.encoding.max_levels < 1 {
            return Err(Error::InvalidSetting(
                "at least one level must be kept per categorical column".into(),
            ));
        }
        self.control()?;
        if let (Some(task), Some(sort)) = (self.task, self.sort) {
            check_sort(task, sort)?;
        }
        let tasks = self
            .task
            .map_or(vec![Task::Regression, Task::Classification], |t| vec![t]);
        // An id unknown to every task is a typo, whatever the data turns out to be.
        for id in self.include.iter().chain(&self.exclude) {
            if !tasks
                .iter()
                .any(|&t| algorithms::for_task(t).iter().any(|a| a.id() == id))
            {
                let known: Vec<String> = tasks
                    .iter()
                    .map(|&t| {
                        let ids: Vec<&str> =
                            algorithms::for_task(t).iter().map(|a| a.id()).collect();
                        format!("{t}: {}", ids.join(", "))
                    })
                    .collect();
                return Err(Error::UnknownAlgorithm {
                    id: id.clone(),
                    known: known.join("; "),
                });
            }
        }
        Ok(())
    }
}

/// An error when one-hot encoding would make the table too wide or too large, naming the
/// widest inputs.
pub(super) fn check_width(table: &Table, encoding: &EncodingOptions) -> Result<()> {
    let width = encoded_width_bound(table, encoding);
    let bytes = table.rows().saturating_mul(width).saturating_mul(8);
    if width <= MAX_ENCODED_COLUMNS && bytes <= MAX_ENCODED_BYTES {
        return Ok(());
    }
    let mut widest: Vec<(usize, &str)> = table
        .features
        .iter()
        .map(|f| {
            let one = Table {
                features: vec![f.clone()],
                target: Vec::new(),
                classes: Vec::new(),
            };
            (encoded_width_bound(&one, encoding), f.name.as_str())
        })
        .collect();
    widest.sort_by_key(|w| std::cmp::Reverse(w.0));
    let names: Vec<String> = widest
        .iter()
        .take(5)
        .map(|(w, n)| format!("'{n}' ({w})"))
        .collect();
    Err(Error::InvalidSetting(format!(
        "encoding would make up to {width} columns ({:.1} GiB for {} rows), over the limits of \
         {MAX_ENCODED_COLUMNS} columns and {} GiB; the widest inputs (columns each): {}; leave \
         columns out with {}",
        bytes as f64 / f64::from(1u32 << 30),
        table.rows(),
        MAX_ENCODED_BYTES >> 30,
        names.join(", "),
        Setting::Ignore
    )))
}

/// An error unless `sort` scores `task`.
pub(super) fn check_sort(task: Task, sort: Metric) -> Result<()> {
    if sort.task() == task {
        return Ok(());
    }
    let names: Vec<&str> = task.metrics().iter().map(|m| m.name()).collect();
    Err(Error::InvalidSetting(format!(
        "{} {sort} is a {} metric and this is {task}; choose one of {}",
        Setting::Sort,
        sort.task(),
        names.join(", ")
    )))
}

/// Every setting of every selected algorithm, checked: an error names the algorithm and the
/// setting it refuses, before any fit.
pub(super) fn candidates(algorithms: &[Arc<dyn Algorithm>]) -> Result<Vec<Candidate>> {
    let mut candidates = Vec::new();
    for algorithm in algorithms {
        for params in algorithm.grid() {
            candidates.push(candidate(algorithm, params)?);
        }
    }
    Ok(candidates)
}

/// The candidates of `settings` (algorithm id, hyperparameters), each of one of `algorithms`.
pub(super) fn settings(
    algorithms: &[Arc<dyn Algorithm>],
    settings: &[(String, Params)],
) -> Result<Vec<Candidate>> {
    settings
        .iter()
        .map(|(id, params)| {
            let algorithm = algorithms.iter().find(|a| a.id() == id).ok_or_else(|| {
                Error::InvalidSetting(format!("no selected algorithm has the id '{id}'"))
            })?;
            candidate(algorithm, params.clone())
        })
        .collect()
}

fn candidate(algorithm: &Arc<dyn Algorithm>, params: Params) -> Result<Candidate> {
    let learner = algorithm
        .configure(&params)
        .map_err(|e| Error::InvalidParams {
            algorithm: algorithm.id().to_string(),
            problem: format!("{} ({e})", format_params(&params)),
        })?;
    Ok(Candidate {
        algorithm: algorithm.clone(),
        params,
        learner: learner.into(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::algorithms::{Learner, Param, ParamError, Params};
    use polars::prelude::DataFrame;

    /// Ridge, with a grid whose second setting it refuses.
    struct BadGrid;

    impl Algorithm for BadGrid {
        fn id(&self) -> &'static str {
            "ridge"
        }
        fn name(&self) -> &'static str {
            "ridge with a bad grid"
        }
        fn backend(&self) -> &'static str {
            "test"
        }
        fn grid(&self) -> Vec<Params> {
            [1.0, -2.0]
                .map(|a| Params::from([("alpha".to_string(), Param::Float(a))]))
                .into()
        }
        fn configure(&self, params: &Params) -> std::result::Result<Box<dyn Learner>, ParamError> {
            algorithms::for_task(Task::Regression)
                .into_iter()
                .find(|a| a.id() == "ridge")
                .expect("ridge is registered")
                .configure(params)
        }
    }

    #[test]
    fn a_bad_setting_is_refused_before_any_fit_naming_algorithm_and_value() {
        let err = candidates(&[Arc::new(BadGrid)]).err().expect("refused");
        assert!(matches!(err, Error::InvalidParams { .. }));
        assert_eq!(
            err.to_string(),
            "invalid setting of algorithm 'ridge': alpha=-2 (hyperparameter 'alpha' must be \
             non-negative, got -2)"
        );
    }

    #[test]
    fn library_messages_name_settings_not_flags() {
        let err = Compare::new("y")
            .folds(1)
            .run(&DataFrame::empty())
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "invalid setting: `folds` must be at least 2, got 1"
        );
        let err = Compare::new("y")
            .max_fit_seconds(-1.0)
            .run(&DataFrame::empty())
            .unwrap_err();
        assert!(
            err.to_string().contains("`max_fit_seconds` must be"),
            "{err}"
        );
    }
}
