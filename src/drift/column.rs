//! One column's drift: the new values against the reference, by the test evidently would choose,
//! with the PSI, the change in missing share, unseen levels, and the shares to chart.

use serde::Serialize;

use super::stattest::{self, Test, BIN_BY_VALUE};
use crate::profile::reference::{ColumnReference, Distribution, Numbers};

/// Bars per column in the charts (numbers: equal-width bins; levels: the most frequent).
const CHART_BARS: usize = 20;
/// Unseen levels listed per column.
const UNSEEN_LISTED: usize = 10;

/// How one column moved.
#[derive(Debug, Clone, Serialize)]
pub struct ColumnDrift {
    pub column: String,
    /// `numeric` or `categorical`.
    pub kind: &'static str,
    /// The test run; none when the new data has no value in the column.
    pub test: Option<Test>,
    /// evidently's drift score: the p-value of a test, or the distance.
    pub score: Option<f64>,
    pub threshold: f64,
    pub drifted: bool,
    /// The test's statistic (K-S D, chi-square, z), where it has one besides the score.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub statistic: Option<f64>,
    /// Population stability index on evidently's bins.
    pub psi: Option<f64>,
    /// Values (rows with one) in the reference and in the new data.
    pub reference_values: usize,
    pub current_values: usize,
    /// Share of rows with no value.
    pub missing_reference: f64,
    pub missing_current: f64,
    /// Levels of the new data never seen in training (the first few), and their rows.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub unseen_levels: Vec<String>,
    pub unseen_rows: usize,
    /// What the reference was: every training value, or a quantile sketch of them.
    pub reference_exact: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
    pub chart: Chart,
}

/// Shares of the reference and the new data per bar, for the report.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Chart {
    pub labels: Vec<String>,
    pub reference: Vec<f64>,
    pub current: Vec<f64>,
}

/// The drift of `current` against `reference` (the same column), the threshold as given or
/// the test's default.
pub fn drift(
    reference: &ColumnReference,
    current: &ColumnReference,
    threshold: Option<f64>,
) -> ColumnDrift {
    let share = |c: &ColumnReference| c.missing as f64 / c.rows().max(1) as f64;
    let mut out = ColumnDrift {
        column: reference.name.clone(),
        kind: "numeric",
        test: None,
        score: None,
        threshold: 0.0,
        drifted: false,
        statistic: None,
        psi: None,
        reference_values: reference.rows() - reference.missing,
        current_values: current.rows() - current.missing,
        missing_reference: share(reference),
        missing_current: share(current),
        unseen_levels: Vec::new(),
        unseen_rows: 0,
        reference_exact: true,
        note: None,
        chart: Chart::default(),
    };
    if out.current_values == 0 || out.reference_values == 0 {
        out.drifted = true;
        out.note = Some(format!(
            "no value in the {}: every row is missing",
            if out.current_values == 0 {
                "new data"
            } else {
                "reference"
            }
        ));
        return out;
    }
    let outcome = match (&reference.values, &current.values) {
        (Distribution::Numbers(r), Distribution::Numbers(c)) => {
            out.reference_exact = r.exact();
            numeric(r, c, &mut out.chart)
        }
        (Distribution::Levels { counts: r }, Distribution::Levels { counts: c }) => {
            out.kind = "categorical";
            let known: std::collections::HashSet<&str> =
                r.iter().map(|(l, _)| l.as_str()).collect();
            let unseen: Vec<&(String, usize)> = c
                .iter()
                .filter(|(l, _)| !known.contains(l.as_str()))
                .collect();
            out.unseen_rows = unseen.iter().map(|(_, n)| n).sum();
            out.unseen_levels = unseen
                .iter()
                .take(UNSEEN_LISTED)
                .map(|(l, _)| l.clone())
                .collect();
            categorical(r, c, &mut out.chart)
        }
        _ => {
            out.note = Some("the new values are not of the reference's kind".into());
            return out;
        }
    };
    let threshold = threshold.unwrap_or(outcome.test.threshold());
    out.test = Some(outcome.test);
    out.score = Some(outcome.score);
    out.statistic = outcome.statistic;
    out.threshold = threshold;
    out.drifted = outcome.test.drifted(outcome.score, threshold);
    out.psi = Some(outcome.psi);
    out
}

/// A test's result.
struct Outcome {
    test: Test,
    score: f64,
    statistic: Option<f64>,
    psi: f64,
}

fn numeric(r: &Numbers, c: &Numbers, chart: &mut Chart) -> Outcome {
    let current_counts = runs(&c.sorted);
    let reference_counts = match r.counts.is_empty() {
        true => runs(&r.sorted),
        false => r.counts.clone(),
    };
    let distinct = if r.counts.is_empty() {
        r.distinct.max(c.distinct)
    } else {
        align(&reference_counts, &current_counts, f64::total_cmp)
            .0
            .len()
    };
    let test = Test::default_for(r.count, true, distinct);
    // evidently's bins (Sturges' rule over both samples' values), or a fixed count to chart.
    let binned = |bins: Option<usize>| -> (Vec<String>, Vec<f64>, Vec<f64>) {
        if r.distinct > BIN_BY_VALUE {
            let lo = r.sorted[0].min(c.sorted[0]);
            let hi = r.sorted[r.sorted.len() - 1].max(c.sorted[c.sorted.len() - 1]);
            let edges = match bins {
                Some(bins) => stattest::bin_edges(lo, hi, bins),
                None => stattest::sturges_edges(lo, hi, r.count + c.count),
            };
            let labels = edges[..edges.len() - 1]
                .iter()
                .map(|e| format!("{e:.4}"))
                .collect();
            let counts = |s: &[f64]| stattest::histogram(s, &edges);
            (labels, counts(&r.sorted), counts(&c.sorted))
        } else {
            let (keys, a, b) = align(&reference_counts, &current_counts, f64::total_cmp);
            (keys.iter().map(|k| k.to_string()).collect(), a, b)
        }
    };
    let (_, ref_bins, cur_bins) = binned(None);
    let (p, q) = (stattest::shares(&ref_bins), stattest::shares(&cur_bins));
    let psi = stattest::psi(
        &stattest::filled_shares(&ref_bins),
        &stattest::filled_shares(&cur_bins),
    );
    let (score, statistic) = match test {
        Test::Ks => {
            let (d, p) = stattest::ks(&r.sorted, &c.sorted);
            (p, Some(d))
        }
        Test::Wasserstein => (
            stattest::wasserstein(&r.sorted, &c.sorted) / r.std.max(0.001),
            None,
        ),
        Test::Jensenshannon => (stattest::jensen_shannon(&p, &q), None),
        Test::Chisquare | Test::Z => {
            let (_, a, b) = align(&reference_counts, &current_counts, f64::total_cmp);
            by_counts(test, &a, &b)
        }
    };
    let (labels, a, b) = binned(Some(CHART_BARS));
    *chart = Chart {
        labels,
        reference: stattest::shares(&a),
        current: stattest::shares(&b),
    };
    Outcome {
        test,
        score,
        statistic,
        psi,
    }
}

fn categorical(r: &[(String, usize)], c: &[(String, usize)], chart: &mut Chart) -> Outcome {
    let by_level = |v: &[(String, usize)]| {
        let mut v = v.to_vec();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    };
    let (keys, a, b) = align(&by_level(r), &by_level(c), |x: &String, y| x.cmp(y));
    let test = Test::default_for(a.iter().sum::<f64>() as usize, false, keys.len());
    let (p, q) = (stattest::shares(&a), stattest::shares(&b));
    let (score, statistic) = match test {
        Test::Chisquare | Test::Z => by_counts(test, &a, &b),
        _ => (stattest::jensen_shannon(&p, &q), None),
    };
    let (fa, fb) = (p.clone(), q.clone());
    let mut order: Vec<usize> = (0..keys.len()).collect();
    order.sort_by(|&i, &j| (fb[j] + fa[j]).total_cmp(&(fb[i] + fa[i])).then(i.cmp(&j)));
    order.truncate(CHART_BARS);
    *chart = Chart {
        labels: order.iter().map(|&i| keys[i].clone()).collect(),
        reference: order.iter().map(|&i| fa[i]).collect(),
        current: order.iter().map(|&i| fb[i]).collect(),
    };
    Outcome {
        test,
        score,
        statistic,
        psi: stattest::psi(&stattest::filled_shares(&a), &stattest::filled_shares(&b)),
    }
}

/// The chi-square or z-test p-value and statistic of aligned counts.
fn by_counts(test: Test, a: &[f64], b: &[f64]) -> (f64, Option<f64>) {
    let (statistic, p) = match test {
        Test::Z => stattest::z_test(a, b),
        _ => stattest::chisquare(a, b),
    };
    (p, Some(statistic))
}

/// Each distinct value of a sorted sample with its count.
fn runs(sorted: &[f64]) -> Vec<(f64, usize)> {
    let mut out: Vec<(f64, usize)> = Vec::new();
    for &v in sorted {
        match out.last_mut() {
            Some((last, n)) if *last == v => *n += 1,
            _ => out.push((v, 1)),
        }
    }
    out
}

/// The union of the keys of two key-sorted count lists, with each side's count per key.
fn align<K: Clone>(
    a: &[(K, usize)],
    b: &[(K, usize)],
    cmp: impl Fn(&K, &K) -> std::cmp::Ordering,
) -> (Vec<K>, Vec<f64>, Vec<f64>) {
    let (mut i, mut j) = (0, 0);
    let (mut keys, mut ca, mut cb) = (Vec::new(), Vec::new(), Vec::new());
    while i < a.len() || j < b.len() {
        let order = match (a.get(i), b.get(j)) {
            (Some(x), Some(y)) => cmp(&x.0, &y.0),
            (Some(_), None) => std::cmp::Ordering::Less,
            _ => std::cmp::Ordering::Greater,
        };
        let (key, x, y) = match order {
            std::cmp::Ordering::Less => (&a[i].0, a[i].1, 0),
            std::cmp::Ordering::Greater => (&b[j].0, 0, b[j].1),
            std::cmp::Ordering::Equal => (&a[i].0, a[i].1, b[j].1),
        };
        keys.push(key.clone());
        ca.push(x as f64);
        cb.push(y as f64);
        i += usize::from(order != std::cmp::Ordering::Greater);
        j += usize::from(order != std::cmp::Ordering::Less);
    }
    (keys, ca, cb)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::profile::reference::SAMPLE;

    #[test]
    fn a_shifted_column_drifts_and_an_unchanged_one_does_not() {
        let values: Vec<f64> = (0..500).map(|i| f64::from(i * 37 % 101)).collect();
        let shifted: Vec<f64> = values.iter().map(|v| v + 30.0).collect();
        let reference = ColumnReference::numbers("x", &values, SAMPLE);
        let same = drift(
            &reference,
            &ColumnReference::numbers("x", &values, usize::MAX),
            None,
        );
        assert_eq!((same.test, same.drifted), (Some(Test::Ks), false));
        assert_eq!(same.score, Some(1.0));
        let moved = drift(
            &reference,
            &ColumnReference::numbers("x", &shifted, usize::MAX),
            None,
        );
        assert!(moved.drifted && moved.psi.unwrap() > 0.1, "{moved:?}");
    }

    #[test]
    fn levels_report_unseen_ones_and_missing_shares() {
        let reference = ColumnReference::labels(
            "c",
            ["a", "b", "a", "c"].into_iter().map(Some).chain([None]),
        );
        let current = ColumnReference::labels(
            "c",
            ["a", "z", "z"].into_iter().map(Some).chain([None, None]),
        );
        let d = drift(&reference, &current, None);
        assert_eq!(d.kind, "categorical");
        assert_eq!(d.test, Some(Test::Chisquare));
        assert_eq!(
            (d.unseen_levels.clone(), d.unseen_rows),
            (vec!["z".to_string()], 2)
        );
        assert_eq!((d.missing_reference, d.missing_current), (0.2, 0.4));
        // A level the reference never had: the chi-square statistic is infinite, p = 0.
        assert_eq!(d.score, Some(0.0));
        assert!(d.drifted);
    }

    #[test]
    fn an_empty_new_column_is_flagged() {
        let reference = ColumnReference::numbers("x", &[1.0, 2.0], SAMPLE);
        let d = drift(
            &reference,
            &ColumnReference::numbers("x", &[f64::NAN], usize::MAX),
            None,
        );
        assert!(d.drifted && d.test.is_none() && d.note.is_some());
    }

    #[test]
    fn align_merges_keys() {
        let (k, a, b) = align(&[(1.0, 2), (3.0, 1)], &[(2.0, 5), (3.0, 4)], f64::total_cmp);
        assert_eq!(k, vec![1.0, 2.0, 3.0]);
        assert_eq!((a, b), (vec![2.0, 0.0, 1.0], vec![0.0, 5.0, 4.0]));
    }
}
