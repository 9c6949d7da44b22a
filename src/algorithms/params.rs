//! Hyperparameters as settings are written (`alpha=0.1 max_depth=none`), the grids they come in,
//! and their checking into typed values: an algorithm's `configure` reads every key once, and a
//! bad value is an error before any fit.

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// One hyperparameter value.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Param {
    Int(i64),
    Float(f64),
    Text(String),
}

impl fmt::Display for Param {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Param::Int(v) => write!(f, "{v}"),
            Param::Float(v) => write!(f, "{v}"),
            Param::Text(v) => f.write_str(v),
        }
    }
}

/// A hyperparameter setting, in a stable (sorted) order.
pub type Params = BTreeMap<String, Param>;

/// Renders a setting as `a=1 b=none`, the form used in tables and CSV files.
pub fn format_params(params: &Params) -> String {
    params
        .iter()
        .map(|(k, v)| format!("{k}={v}"))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Names a setting as `id(a=1 b=none)`: how ensembles list their members and the timings their
/// tasks.
pub fn format_setting(id: &str, params: &Params) -> String {
    format!("{id}({})", format_params(params))
}

/// A hyperparameter value an algorithm refuses.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("hyperparameter '{key}' {problem}")]
pub struct ParamError {
    pub key: String,
    pub problem: String,
}

impl ParamError {
    pub fn new(key: &str, problem: impl Into<String>) -> ParamError {
        ParamError {
            key: key.to_string(),
            problem: problem.into(),
        }
    }
}

/// What a value was, for messages.
fn shown(value: Option<&Param>) -> String {
    match value {
        None => "nothing".into(),
        Some(Param::Text(t)) => format!("'{t}'"),
        Some(v) => v.to_string(),
    }
}

/// Reads `key` as a number.
pub fn float(params: &Params, key: &str) -> Result<f64, ParamError> {
    match params.get(key) {
        Some(Param::Float(v)) => Ok(*v),
        Some(Param::Int(v)) => Ok(*v as f64),
        other => Err(ParamError::new(
            key,
            format!("must be a number, got {}", shown(other)),
        )),
    }
}

/// Reads `key` as a number that `ok` accepts, `expected` saying which.
pub fn float_where(
    params: &Params,
    key: &str,
    expected: &str,
    ok: impl Fn(f64) -> bool,
) -> Result<f64, ParamError> {
    let v = float(params, key)?;
    if ok(v) {
        Ok(v)
    } else {
        Err(ParamError::new(key, format!("must be {expected}, got {v}")))
    }
}

/// Reads `key` as a non-negative integer.
pub fn int(params: &Params, key: &str) -> Result<usize, ParamError> {
    match params.get(key) {
        Some(Param::Int(v)) if *v >= 0 => Ok(*v as usize),
        other => Err(ParamError::new(
            key,
            format!("must be a non-negative integer, got {}", shown(other)),
        )),
    }
}

/// Reads `key` as an integer or `none`.
pub fn optional_int(params: &Params, key: &str) -> Result<Option<usize>, ParamError> {
    match params.get(key) {
        Some(Param::Text(t)) if t == "none" => Ok(None),
        _ => int(params, key).map(Some),
    }
}

/// Reads `key` as one of `choices`, returning its position.
pub fn choice(params: &Params, key: &str, choices: &[&str]) -> Result<usize, ParamError> {
    let value = params.get(key);
    match value {
        Some(Param::Text(t)) => choices.iter().position(|c| c == t),
        _ => None,
    }
    .ok_or_else(|| {
        ParamError::new(
            key,
            format!(
                "must be one of {}, got {}",
                choices.join(", "),
                shown(value)
            ),
        )
    })
}

/// Builds a grid as the cartesian product of named value lists.
pub fn grid(axes: &[(&str, Vec<Param>)]) -> Vec<Params> {
    axes.iter()
        .fold(vec![Params::new()], |settings, (key, values)| {
            settings
                .iter()
                .flat_map(|s| {
                    values.iter().map(move |v| {
                        let mut s = s.clone();
                        s.insert(key.to_string(), v.clone());
                        s
                    })
                })
                .collect()
        })
}

pub fn ints(values: &[i64]) -> Vec<Param> {
    values.iter().map(|&v| Param::Int(v)).collect()
}

pub fn floats(values: &[f64]) -> Vec<Param> {
    values.iter().map(|&v| Param::Float(v)).collect()
}

pub fn texts(values: &[&str]) -> Vec<Param> {
    values.iter().map(|&v| Param::Text(v.to_string())).collect()
}

/// A range the search samples one hyperparameter from.
#[derive(Debug, Clone, PartialEq)]
pub enum Range {
    /// A number, uniform between the bounds.
    Float(f64, f64),
    /// A positive number, uniform in its logarithm (a penalty, a learning rate).
    LogFloat(f64, f64),
    /// An integer, uniform between the bounds (inclusive).
    Int(i64, i64),
    /// A positive integer, uniform in its logarithm (a count of neighbours or of rows).
    LogInt(i64, i64),
    /// One of some values.
    Choice(Vec<Param>),
}

impl Range {
    /// A value drawn from the whole range.
    pub fn sample(&self, rng: &mut impl rand::Rng) -> Param {
        self.at(rng.gen_range(0.0..1.0), rng)
    }

    /// A value near `value` (a tenth of the range's width either way, in its scale), or one
    /// drawn from the whole range when `value` is not in it.
    pub fn near(&self, value: Option<&Param>, rng: &mut impl rand::Rng) -> Param {
        let position = match (self, value) {
            (Range::Choice(_), _) | (_, None) | (_, Some(Param::Text(_))) => None,
            (_, Some(Param::Int(v))) => self.position(*v as f64),
            (_, Some(Param::Float(v))) => self.position(*v),
        };
        match position {
            Some(p) => {
                let step: f64 = rng.gen_range(-0.1..0.1);
                self.at((p + step).clamp(0.0, 1.0), rng)
            }
            None => self.sample(rng),
        }
    }

    /// Where `v` lies in the range, from 0 to 1 in its scale.
    fn position(&self, v: f64) -> Option<f64> {
        let (lo, hi, v) = match *self {
            Range::Float(lo, hi) => (lo, hi, v),
            Range::Int(lo, hi) => (lo as f64, hi as f64, v),
            Range::LogFloat(lo, hi) => (lo.ln(), hi.ln(), v.ln()),
            Range::LogInt(lo, hi) => ((lo as f64).ln(), (hi as f64).ln(), v.ln()),
            Range::Choice(_) => return None,
        };
        (v.is_finite() && hi > lo && (lo..=hi).contains(&v)).then(|| (v - lo) / (hi - lo))
    }

    /// The value at position `p` (0 to 1) of the range, floats to four significant digits.
    fn at(&self, p: f64, rng: &mut impl rand::Rng) -> Param {
        let lerp = |lo: f64, hi: f64| lo + p * (hi - lo);
        match self {
            Range::Float(lo, hi) => Param::Float(significant(lerp(*lo, *hi))),
            Range::LogFloat(lo, hi) => Param::Float(significant(lerp(lo.ln(), hi.ln()).exp())),
            Range::Int(lo, hi) => Param::Int(lerp(*lo as f64, *hi as f64).round() as i64),
            Range::LogInt(lo, hi) => {
                let v = lerp((*lo as f64).ln(), (*hi as f64).ln()).exp().round() as i64;
                Param::Int(v.clamp(*lo, *hi))
            }
            Range::Choice(values) => values[rng.gen_range(0..values.len().max(1))].clone(),
        }
    }
}

/// `x` to four significant digits, so that settings read well.
fn significant(x: f64) -> f64 {
    if x == 0.0 || !x.is_finite() {
        return x;
    }
    let scale = 10f64.powi(3 - x.abs().log10().floor() as i32);
    (x * scale).round() / scale
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grid_is_a_cartesian_product_in_stable_order() {
        let g = grid(&[("b", ints(&[1, 2])), ("a", texts(&["x", "y"]))]);
        let rendered: Vec<String> = g.iter().map(format_params).collect();
        assert_eq!(rendered, ["a=x b=1", "a=y b=1", "a=x b=2", "a=y b=2"]);
    }

    #[test]
    fn ranges_sample_inside_their_bounds_and_near_a_value() {
        use rand::SeedableRng;
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(3);
        for _ in 0..200 {
            let Param::Float(v) = Range::LogFloat(1e-3, 1e3).sample(&mut rng) else {
                panic!()
            };
            assert!((1e-3..=1e3).contains(&v));
            let Param::Int(k) = Range::LogInt(1, 60).near(Some(&Param::Int(10)), &mut rng) else {
                panic!()
            };
            // A tenth of ln(60) either way of 10: 6.6 to 15.
            assert!((6..=15).contains(&k), "{k}");
        }
        assert_eq!(significant(0.012345678), 0.01235);
        assert_eq!(significant(123456.0), 123500.0);
    }

    #[test]
    fn bad_values_are_named() {
        let p = grid(&[("k", texts(&["many"])), ("alpha", floats(&[-1.0]))]).remove(0);
        assert_eq!(
            int(&p, "k").unwrap_err().to_string(),
            "hyperparameter 'k' must be a non-negative integer, got 'many'"
        );
        let e = float_where(&p, "alpha", "non-negative", |a| a >= 0.0).unwrap_err();
        assert_eq!(
            e.to_string(),
            "hyperparameter 'alpha' must be non-negative, got -1"
        );
        assert!(float(&p, "missing").is_err());
        assert!(choice(&p, "k", &["uniform", "distance"]).is_err());
    }
}
