//! The vocabulary every stage shares: the learning task and what a column holds. A leaf module:
//! it imports nothing of the crate.

use std::fmt;

use serde::{Deserialize, Serialize};

/// The learning task, inferred from the target or given by the caller.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Task {
    #[default]
    Regression,
    Classification,
}

impl fmt::Display for Task {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.pad(match self {
            Task::Regression => "regression",
            Task::Classification => "classification",
        })
    }
}

impl std::str::FromStr for Task {
    type Err = String;

    fn from_str(s: &str) -> Result<Task, String> {
        match s.to_ascii_lowercase().as_str() {
            "regression" => Ok(Task::Regression),
            "classification" => Ok(Task::Classification),
            _ => Err(format!(
                "unknown task '{s}'; choose regression or classification"
            )),
        }
    }
}

/// What a column holds, as inferred from its type and values.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Numeric,
    Categorical,
    Boolean,
    Datetime,
    /// Free text or an identifier: nearly one distinct value per row.
    Text,
    Constant,
    /// Every value missing.
    Empty,
}

impl fmt::Display for Kind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let name = match self {
            Kind::Numeric => "numeric",
            Kind::Categorical => "categorical",
            Kind::Boolean => "boolean",
            Kind::Datetime => "datetime",
            Kind::Text => "text/ID",
            Kind::Constant => "constant",
            Kind::Empty => "empty",
        };
        f.pad(name)
    }
}
