//! Promote a model only when it is better: the challenger is scored against the champion (the
//! version the alias `champion` points at) on the same validation rows, or by their CV
//! estimates; it becomes a new version either way, tagged with the scores and the decision; the
//! alias moves only when it wins (or is forced), and the previous champion keeps an alias of
//! its own, so a rollback is one alias move.

use std::collections::BTreeMap;

use polars::prelude::DataFrame;
use serde::Serialize;

use super::{Registry, Version, CHAMPION, PREVIOUS};
use crate::error::{Error, Result};
use crate::metrics::Metric;
use crate::model::Model;

/// How much better the challenger must be.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Margin {
    /// By at least this much of the metric.
    Absolute(f64),
    /// By at least this share of the champion's score.
    Relative(f64),
}

impl std::str::FromStr for Margin {
    type Err = String;

    /// `0.5` (absolute) or `2%` (relative); not negative.
    fn from_str(s: &str) -> std::result::Result<Margin, String> {
        let bad =
            || format!("'{s}' is not an improvement: give a number (0.5) or a percentage (2%)");
        let (number, relative) = match s.trim().strip_suffix('%') {
            Some(n) => (n, true),
            None => (s.trim(), false),
        };
        let v: f64 = number.trim().parse().map_err(|_| bad())?;
        match (v.is_finite() && v >= 0.0, relative) {
            (false, _) => Err(bad()),
            (true, true) => Ok(Margin::Relative(v / 100.0)),
            (true, false) => Ok(Margin::Absolute(v)),
        }
    }
}

/// The challenger, where it came from, and the decision's settings.
pub struct Request<'a> {
    pub name: &'a str,
    pub model: &'a Model,
    /// What the new version's `source` says: `runs:/RUN/model`, or the model file's path.
    pub source: String,
    pub run_id: Option<String>,
    /// Validation rows with the target, and their SHA-256.
    pub validation: Option<(&'a DataFrame, String)>,
    pub metric: Option<Metric>,
    pub margin: Margin,
    pub force: bool,
}

/// What a promote did.
#[derive(Debug, Clone, Serialize)]
pub struct Promotion {
    pub name: String,
    /// `promoted` or `kept`.
    pub decision: &'static str,
    /// The challenger's new version, the champion's after the decision, and the previous one.
    pub version: u64,
    pub champion_version: u64,
    pub previous_champion: Option<u64>,
    pub metric: Metric,
    pub challenger_score: f64,
    pub champion_score: Option<f64>,
    /// `validation data`, `cross-validation`, or `no champion`.
    pub comparison: &'static str,
    pub validation_rows: Option<usize>,
    pub rule: String,
    pub forced: bool,
    pub registered_model_created: bool,
    pub notes: Vec<String>,
}

impl Promotion {
    /// 0 promoted, 3 champion kept.
    pub fn exit_code(&self) -> u8 {
        if self.decision == "promoted" {
            0
        } else {
            3
        }
    }
}

/// Registers the challenger as a new version of `request.name` and moves `champion` to it when
/// it wins. Reaches the registry before scoring anything, so an unreachable one fails first.
pub fn promote(registry: &Registry, request: &Request) -> Result<Promotion> {
    let (name, challenger) = (request.name, request.model);
    let mut notes = Vec::new();
    let created = !registry.exists(name)?;
    let champion = match created {
        true => None,
        false => current_champion(registry, name, &mut notes)?,
    };
    if let Some((champion, version)) = &champion {
        if champion.target != challenger.target || champion.task() != challenger.task() {
            return Err(Error::InvalidSetting(format!(
                "the challenger is a {} model of '{}', the champion (version {}) a {} model of \
                 '{}': promote it under another name",
                challenger.task(),
                challenger.target,
                version.version,
                champion.task(),
                champion.target
            )));
        }
    }
    let metric = request
        .metric
        .or(challenger.ranked_by)
        .unwrap_or(challenger.task().default_sort());
    if metric.task() != challenger.task() {
        return Err(Error::InvalidSetting(format!(
            "{metric} is a {} metric and the model is a {} model",
            metric.task(),
            challenger.task()
        )));
    }
    let score = |model: &Model| -> Result<f64> {
        match &request.validation {
            Some((frame, _)) => model
                .evaluate(frame)?
                .score(metric)
                .ok_or_else(|| Error::Internal(format!("{metric} was not scored"))),
            None => model
                .cv
                .iter()
                .find(|s| s.metric == metric)
                .map(|s| s.mean)
                .ok_or_else(|| {
                    Error::InvalidSetting(format!(
                        "the model has no cross-validation {metric}; give validation data (--data)"
                    ))
                }),
        }
    };
    let challenger_score = score(challenger)?;
    let champion_score = champion.as_ref().map(|(m, _)| score(m)).transpose()?;
    let comparison = match (&champion, &request.validation) {
        (None, _) => "no champion",
        (Some(_), Some(_)) => "validation data",
        (Some(_), None) => "cross-validation",
    };
    let wins = match champion_score {
        None => true,
        Some(old) => {
            let needed = match request.margin {
                Margin::Absolute(d) => d,
                Margin::Relative(r) => r * old.abs(),
            };
            challenger_score.is_finite()
                && metric.loss(challenger_score) < metric.loss(old) - needed
        }
    };
    let promoted = wins || request.force;
    if request.force && !wins {
        notes.push("forced: promoted although it does not beat the champion".into());
    }
    let decision = if promoted { "promoted" } else { "kept" };
    let rule = match request.margin {
        Margin::Absolute(d) => format!("lower {} by more than {d}", loss_name(metric)),
        Margin::Relative(r) => format!("lower {} by more than {}%", loss_name(metric), r * 100.0),
    };
    let mut tags: BTreeMap<String, String> = BTreeMap::new();
    tags.insert("automl.metric".into(), metric.to_string());
    tags.insert(
        format!("automl.score.{metric}"),
        challenger_score.to_string(),
    );
    if let Some(old) = champion_score {
        tags.insert("automl.champion_score".into(), old.to_string());
    }
    for cv in &challenger.cv {
        tags.insert(format!("automl.cv.{}", cv.metric), cv.mean.to_string());
    }
    tags.insert("automl.comparison".into(), comparison.to_string());
    tags.insert("automl.decision".into(), decision.to_string());
    tags.insert("automl.version".into(), challenger.automl_version.clone());
    tags.insert("automl.algorithm".into(), challenger.algorithm.clone());
    if let Some(sha) = &challenger.data_sha256 {
        tags.insert("automl.data_sha256".into(), sha.clone());
    }
    if let Some((_, sha)) = &request.validation {
        tags.insert("automl.validation_sha256".into(), sha.clone());
    }
    if created {
        // A promote racing this one may have registered the name in between: that is fine.
        if let Err(e) = registry.create(name) {
            if !registry.exists(name)? {
                return Err(e);
            }
        }
        notes.push(format!("registered model '{name}' created"));
    }
    let version = registry.add_version(name, &request.source, request.run_id.as_deref(), &tags)?;
    let previous = champion.as_ref().map(|(_, v)| v.version);
    if promoted {
        if let Some(old) = previous {
            registry.set_alias(name, PREVIOUS, old)?;
        }
        registry.set_alias(name, CHAMPION, version)?;
    }
    Ok(Promotion {
        name: name.to_string(),
        decision,
        version,
        champion_version: if promoted {
            version
        } else {
            previous.unwrap_or(version)
        },
        previous_champion: if promoted { previous } else { None },
        metric,
        challenger_score,
        champion_score,
        comparison,
        validation_rows: request.validation.as_ref().map(|(f, _)| f.height()),
        rule,
        forced: request.force && !wins,
        registered_model_created: created,
        notes,
    })
}

/// The champion's model and version, if the alias points at a version that exists.
fn current_champion(
    registry: &Registry,
    name: &str,
    notes: &mut Vec<String>,
) -> Result<Option<(Model, Version)>> {
    let Some(number) = registry.alias(name, CHAMPION)? else {
        notes.push(format!("'{name}' has no champion yet"));
        return Ok(None);
    };
    let Some(version) = registry.version(name, number)? else {
        notes.push(format!(
            "the alias '{CHAMPION}' points at version {number}, which no longer exists: the \
             challenger is promoted without a comparison"
        ));
        return Ok(None);
    };
    let model = registry.load(&version.source)?;
    Ok(Some((model, version)))
}

fn loss_name(metric: Metric) -> String {
    match metric.higher_is_better() {
        true => format!("-{metric}"),
        false => metric.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn margins_are_absolute_or_relative() {
        assert_eq!("0.5".parse(), Ok(Margin::Absolute(0.5)));
        assert_eq!("2%".parse(), Ok(Margin::Relative(0.02)));
        assert!("-1".parse::<Margin>().is_err() && "x%".parse::<Margin>().is_err());
    }
}
