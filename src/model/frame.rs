//! Predictions as a table: the kept input columns, then the prediction (and class
//! probabilities), ready to write as CSV.

use polars::prelude::{Column, DataFrame};

use super::Predictions;
use crate::error::{Error, Result, Setting};
use crate::io::names::{column_names, missing_column};

/// Which input columns go with the predictions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Keep {
    /// The prediction only.
    None,
    /// Every input column, then the prediction.
    All,
    /// One identifying column, then the prediction.
    Id(String),
}

/// The predictions as a table: the kept input columns, then `prediction` (`predicted_<target>`
/// when the input has a `prediction` column): the value, or the class label of a classifier,
/// and with `proba` one `proba_<class>` column per class.
pub fn predictions_frame(
    frame: &DataFrame,
    predictions: &Predictions,
    keep: &Keep,
    target: &str,
    proba: bool,
) -> Result<DataFrame> {
    let mut columns: Vec<Column> = match keep {
        Keep::None => Vec::new(),
        Keep::All => frame.columns().to_vec(),
        Keep::Id(id) => {
            let column = frame.column(id).map_err(|_| {
                let what = format!("{} column", Setting::Id);
                missing_column(&column_names(frame), id, &what, "is not in the data")
            })?;
            vec![column.clone()]
        }
    };
    let name = if columns.iter().any(|c| c.name() == "prediction") {
        format!("predicted_{target}")
    } else {
        "prediction".to_string()
    };
    match predictions.labels() {
        Some(labels) => columns.push(Column::new(name.into(), labels)),
        None => columns.push(Column::new(name.into(), &predictions.values)),
    }
    match (&predictions.proba, proba) {
        (Some(p), true) => {
            for (class, values) in predictions.classes.iter().zip(p.columns()) {
                columns.push(Column::new(
                    format!("proba_{class}").into(),
                    values.to_vec(),
                ));
            }
        }
        (None, true) => {
            return Err(Error::InvalidSetting(format!(
                "{} needs a classifier; this model predicts a number",
                Setting::Proba
            )))
        }
        (_, false) => {}
    }
    DataFrame::new(frame.height(), columns).map_err(|e| Error::Internal(e.to_string()))
}
