//! The modelling table: the kept feature columns and the target as numbers (class indices for
//! classification), rows with a missing target removed.

use polars::prelude::DataFrame;

use crate::error::{Error, Result};
use crate::io::column::Values;
use crate::io::names::column_names;
use crate::profile::{target_values, Profile};
use crate::task::{Kind, Task};

/// A feature column ready for preprocessing.
#[derive(Debug, Clone)]
pub struct Feature {
    pub name: String,
    pub kind: Kind,
    pub values: Values,
}

/// Features and target, one entry per usable row.
#[derive(Debug, Clone)]
pub struct Table {
    pub features: Vec<Feature>,
    /// The target's values, or for classification the index of each row's class in `classes`.
    pub target: Vec<f64>,
    /// Classification: the class labels; empty for regression.
    pub classes: Vec<String>,
}

impl Table {
    /// Builds the table from `frame`'s converted columns (`values`, one per column) and the
    /// profile's decisions: dropped columns are left out and so are rows whose target is
    /// missing.
    pub fn new(frame: &DataFrame, values: Vec<Values>, profile: &Profile) -> Result<Table> {
        let mut columns: Vec<(String, Values)> = column_names(frame)
            .into_iter()
            .map(String::from)
            .zip(values)
            .collect();
        let target_name = &profile.target.column.name;
        let target_at = columns
            .iter()
            .position(|(n, _)| n == target_name)
            .ok_or_else(|| {
                Error::Internal(format!("target '{target_name}' not among the columns"))
            })?;
        let (_, target) = columns.remove(target_at);
        let target = target_values(&target, &profile.target)?;
        let rows: Vec<usize> = (0..target.len()).filter(|&r| !target[r].is_nan()).collect();
        let complete = rows.len() == target.len();
        let features = columns
            .into_iter()
            .zip(&profile.features)
            .filter(|(_, p)| p.dropped.is_none())
            .map(|((name, values), p)| Feature {
                name,
                kind: p.kind,
                values: if complete { values } else { values.take(&rows) },
            })
            .collect();
        let target = rows.iter().map(|&r| target[r]).collect();
        let classes = profile
            .target
            .classes
            .iter()
            .map(|c| c.level.clone())
            .collect();
        Ok(Table {
            features,
            target,
            classes,
        })
    }

    pub fn rows(&self) -> usize {
        self.target.len()
    }

    pub fn task(&self) -> Task {
        if self.classes.is_empty() {
            Task::Regression
        } else {
            Task::Classification
        }
    }

    /// Classification: each row's class index.
    pub fn class_indices(&self) -> Vec<usize> {
        self.target.iter().map(|&c| c as usize).collect()
    }
}
