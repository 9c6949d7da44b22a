//! The modelling table: the kept feature columns and the numeric target, rows with a missing
//! target removed.

use crate::column::Values;
use crate::error::{Error, Result};
use crate::profile::{Kind, Profile};

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
    pub target: Vec<f64>,
}

impl Table {
    /// Builds the table from the converted columns (parallel to `names`) and the profile's
    /// decisions: dropped columns are left out and so are rows whose target is missing.
    pub fn new(names: &[String], values: Vec<Values>, profile: &Profile) -> Result<Table> {
        let mut columns: Vec<(String, Values)> = names.iter().cloned().zip(values).collect();
        let target_name = &profile.target.column.name;
        let target_at = columns
            .iter()
            .position(|(n, _)| n == target_name)
            .ok_or_else(|| {
                Error::Internal(format!("target '{target_name}' not among the columns"))
            })?;
        let (_, target) = columns.remove(target_at);
        let Values::Numeric(target) = target else {
            return Err(Error::Internal(format!(
                "target '{target_name}' is not numeric"
            )));
        };
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
        Ok(Table { features, target })
    }

    pub fn rows(&self) -> usize {
        self.target.len()
    }
}
