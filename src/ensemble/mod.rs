//! Ensembles built from the candidates' out-of-fold predictions, with no refit while choosing:
//! greedy ensemble selection ([`greedy`]) and a stack with non-negative weights ([`stack`]),
//! over a pool of the best candidates and the best of each algorithm.
//!
//! Weights chosen on the same out-of-fold predictions they are scored on flatter the ensemble.
//! The score of each fold is therefore that of weights chosen on the other folds' out-of-fold
//! predictions (nested: the fold scored took no part in choosing them); the exported ensemble
//! uses the weights chosen on every row, and their flattering in-sample score is kept beside
//! the honest one ([`Blend::in_sample`]) to show the difference.

mod greedy;
mod stack;

use std::time::Instant;

use ndarray::ArrayView2;
use rayon::prelude::*;

use crate::algorithms::{is_baseline, Param, Params};
use crate::folds::Fold;
use crate::leaderboard::{self, Blend, Entry, Member, Status};
use crate::metrics::Metric;
use crate::search::Look;
use crate::sweep::FoldScore;
use crate::task::Task;

pub use greedy::ROUNDS;

/// The best candidates an ensemble may use, besides the best of each algorithm.
pub const POOL: usize = 12;

/// Algorithm ids of the ensembles.
pub const GREEDY: &str = "ensemble";
pub const STACK: &str = "stack";

/// The members' out-of-fold predictions: `width` values per row (1, or one per class).
pub(crate) struct Predictions<'a> {
    pub width: usize,
    pub members: Vec<&'a [f32]>,
}

impl Predictions<'_> {
    /// Adds `weight` times member `m`'s predictions of `rows` to `out` (row after row).
    fn add_to(&self, m: usize, rows: &[usize], weight: f64, out: &mut [f64]) {
        let (w, member) = (self.width, self.members[m]);
        for (i, &r) in rows.iter().enumerate() {
            for c in 0..w {
                out[i * w + c] += weight * f64::from(member[r * w + c]);
            }
        }
    }

    /// The blend of `rows`: the intercept plus the weighted members.
    fn blend(&self, weights: &[f64], intercept: f64, rows: &[usize]) -> Vec<f64> {
        let mut out = vec![intercept; rows.len() * self.width];
        for (m, &w) in weights.iter().enumerate().filter(|(_, &w)| w != 0.0) {
            self.add_to(m, rows, w, &mut out);
        }
        out
    }
}

/// Indices (into ranked `entries`) of the candidates ensembles choose from, best first: the
/// best [`POOL`] scored candidates with out-of-fold predictions, and the best of every other
/// algorithm. Baselines and ensembles are left out.
pub fn pool(entries: &[Entry], sort: Metric) -> Vec<usize> {
    let usable = |e: &Entry| {
        e.status == Status::Ok
            && !e.out_of_fold.is_empty()
            && e.blend.is_none()
            && !is_baseline(&e.model)
            && e.metric(sort).is_some_and(|s| s.mean.is_finite())
    };
    pool_of(
        entries
            .iter()
            .map(|e| usable(e).then_some(e.model.as_str())),
    )
}

/// The pool's rule over candidates best first, given as their algorithm ids (`None`: not
/// usable): the best [`POOL`], and the best of every other algorithm.
fn pool_of<'a>(ids: impl Iterator<Item = Option<&'a str>>) -> Vec<usize> {
    let mut chosen: Vec<usize> = Vec::new();
    let mut algorithms: Vec<&str> = Vec::new();
    for (i, id) in ids.enumerate() {
        let Some(id) = id else { continue };
        let new_algorithm = !algorithms.contains(&id);
        if chosen.len() < POOL || new_algorithm {
            chosen.push(i);
        }
        if new_algorithm {
            algorithms.push(id);
        }
    }
    chosen
}

/// Share of a first-fold stack's weight that keeps a candidate in the race.
pub const RACE_SHARE: f64 = 0.05;

/// The race's rule for the ensembles: of the `looks` (algorithm id and first-fold predictions,
/// best first there), those that a stack of [`build`]'s pool, fitted to the first fold's
/// validation targets `actual`, puts at least [`RACE_SHARE`] of its weight on. A setting far
/// behind the leader can be what a stack needs (a deeper booster beside a shallow one), and a
/// setting pruned after the first fold is no ensemble's member.
pub fn leaned_on(looks: &[Look], actual: &[f64], task: Task) -> Vec<usize> {
    let n = actual.len();
    let usable = |(id, p): &Look| {
        !is_baseline(id) && n > 0 && p.len() % n == 0 && p.iter().all(|v| v.is_finite())
    };
    let chosen = pool_of(looks.iter().map(|l| usable(l).then_some(l.0)));
    let widths: Vec<usize> = chosen.iter().map(|&i| looks[i].1.len() / n).collect();
    if chosen.len() < 2 || widths.iter().any(|&w| w == 0 || w != widths[0]) {
        return Vec::new();
    }
    let pool = Predictions {
        width: widths[0],
        members: chosen.iter().map(|&i| looks[i].1).collect(),
    };
    let rows: Vec<usize> = (0..n).collect();
    let Ok((weights, _)) = stack::fit(&pool, &rows, actual, task == Task::Classification) else {
        return Vec::new();
    };
    let total: f64 = weights.iter().sum();
    chosen
        .into_iter()
        .zip(weights)
        .filter(|&(_, w)| total > 0.0 && w >= RACE_SHARE * total)
        .map(|(i, _)| i)
        .collect()
}

/// The greedy ensemble and the stack of the pool of ranked `entries` (see [`pool`]), as
/// unranked leaderboard entries scored by nested cross-validation on `folds`. `actual` holds
/// every row's target (class index for classification). None when the pool has fewer than two
/// candidates; an ensemble whose weights all go to one candidate is left out.
pub fn build(
    entries: &[Entry],
    folds: &[Fold],
    actual: &[f64],
    task: Task,
    sort: Metric,
) -> Vec<Entry> {
    let chosen = pool(entries, sort);
    if chosen.len() < 2 || actual.is_empty() {
        return Vec::new();
    }
    let pool = Predictions {
        width: entries[chosen[0]].out_of_fold.len() / actual.len(),
        members: chosen
            .iter()
            .map(|&i| entries[i].out_of_fold.as_slice())
            .collect(),
    };
    let scorer = Scorer { task, actual };
    let all: Vec<usize> = (0..actual.len()).collect();
    // The two methods side by side, each choosing on every row set in parallel.
    [GREEDY, STACK]
        .into_par_iter()
        .filter_map(|method| {
            let choose = |rows: &[usize]| -> Option<(Vec<f64>, f64)> {
                match method {
                    GREEDY => {
                        let loss = |rows: &[usize], pred: &[f64]| scorer.loss(sort, rows, pred);
                        Some((greedy::select(&pool, rows, &loss), 0.0))
                    }
                    _ => stack::fit(&pool, rows, actual, task == Task::Classification).ok(),
                }
            };
            // Every row's choice, then each fold's without it, in parallel.
            let started = Instant::now();
            let row_sets: Vec<&[usize]> = std::iter::once(all.as_slice())
                .chain(folds.iter().map(|f| f.train.as_slice()))
                .collect();
            let choices: Vec<Option<(Vec<f64>, f64)>> =
                row_sets.into_par_iter().map(choose).collect();
            let mut choices = choices.into_iter();
            let (weights, intercept) = choices.next().flatten()?;
            let members: Vec<Member> = chosen
                .iter()
                .zip(&weights)
                .filter(|(_, &w)| w > 0.0)
                .map(|(&i, &weight)| Member {
                    model: entries[i].model.clone(),
                    params: entries[i].params.clone(),
                    weight,
                })
                .collect();
            if members.len() < 2 {
                return None;
            }
            let in_sample = folds
                .iter()
                .map(|f| {
                    let pred = pool.blend(&weights, intercept, &f.valid);
                    scorer.score(sort, &f.valid, &pred)
                })
                .sum::<f64>()
                / folds.len() as f64;
            let fit_seconds = started.elapsed().as_secs_f64() / (folds.len() + 1) as f64;
            // Nested: each fold scored with weights chosen on the other folds.
            let mut scores = Vec::with_capacity(folds.len());
            for ((k, fold), choice) in folds.iter().enumerate().zip(choices) {
                let (weights, intercept) = choice?;
                let pred = pool.blend(&weights, intercept, &fold.valid);
                scores.push(FoldScore {
                    fold: k,
                    scores: task
                        .metrics()
                        .iter()
                        .map(|&m| scorer.score(m, &fold.valid, &pred))
                        .collect(),
                    fit_seconds,
                    predictions: pred.iter().map(|&p| p as f32).collect(),
                });
            }
            let blend = Blend {
                members,
                intercept,
                in_sample,
            };
            Some(entry(
                method,
                blend,
                scores,
                folds,
                task,
                actual.len(),
                fit_seconds,
            ))
        })
        .collect()
}

/// The leaderboard entry of an ensemble scored on every fold.
fn entry(
    method: &str,
    blend: Blend,
    mut scores: Vec<FoldScore>,
    folds: &[Fold],
    task: Task,
    rows: usize,
    fit_seconds: f64,
) -> Entry {
    let out_of_fold = leaderboard::take_out_of_fold(&mut scores, folds, rows);
    Entry {
        rank: 0,
        model: method.to_string(),
        name: if method == GREEDY {
            "Greedy ensemble".into()
        } else {
            "Stacked ensemble".into()
        },
        backend: "automl".into(),
        params: Params::from([(
            "members".to_string(),
            Param::Int(blend.members.len() as i64),
        )]),
        status: Status::Ok,
        error: None,
        metrics: leaderboard::metrics(task, &scores),
        fit_seconds,
        folds: scores,
        out_of_fold,
        blend: Some(blend),
    }
}

/// Scores predictions of some rows against their targets.
struct Scorer<'a> {
    task: Task,
    actual: &'a [f64],
}

impl Scorer<'_> {
    /// `metric` of `pred` (row after row: values, or each class's probability) for `rows`.
    fn score(&self, metric: Metric, rows: &[usize], pred: &[f64]) -> f64 {
        match self.task {
            Task::Regression => {
                let truth: Vec<f64> = rows.iter().map(|&r| self.actual[r]).collect();
                metric.score(&truth, pred)
            }
            Task::Classification => {
                let truth: Vec<usize> = rows.iter().map(|&r| self.actual[r] as usize).collect();
                let width = pred.len() / rows.len().max(1);
                match ArrayView2::from_shape((rows.len(), width), pred) {
                    Ok(proba) => metric.classify(&truth, proba),
                    Err(_) => f64::NAN,
                }
            }
        }
    }

    /// `metric` as a loss: lower is better.
    fn loss(&self, metric: Metric, rows: &[usize], pred: &[f64]) -> f64 {
        metric.loss(self.score(metric, rows, pred))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_race_keeps_what_the_first_folds_stack_leans_on() {
        // The target is 0.7 a + 0.3 b: a leads, b is far behind but needed, c is noise, and
        // the mean baseline and a look with a NaN are never members.
        let n = 200;
        let wave = |k: f64| (0..n).map(move |i| (i as f64 * k).sin());
        let (a, b): (Vec<f64>, Vec<f64>) = (wave(0.1).collect(), wave(0.37).collect());
        let actual: Vec<f64> = a.iter().zip(&b).map(|(a, b)| 0.7 * a + 0.3 * b).collect();
        let f32s = |v: &[f64]| v.iter().map(|&x| x as f32).collect::<Vec<f32>>();
        let noise: Vec<f64> = wave(1.3).map(|x| 0.01 * x).collect();
        let mut broken = f32s(&a);
        broken[3] = f32::NAN;
        let (a, b, c, mean) = (f32s(&a), f32s(&b), f32s(&noise), vec![0.0f32; n]);
        let looks: Vec<Look> = vec![
            ("knn", &broken),
            ("gbm", &a),
            ("mean", &mean),
            ("ridge", &c),
            ("gbm", &b),
        ];
        assert_eq!(leaned_on(&looks, &actual, Task::Regression), [1, 4]);
        // No targets (no ensembles) or a single usable look: nothing.
        assert!(leaned_on(&looks, &[], Task::Regression).is_empty());
        assert!(leaned_on(&looks[..3], &actual, Task::Regression).is_empty());
    }

    /// Rows 0..10 are fold 0, rows 10..20 fold 1.
    fn two_folds() -> Vec<Fold> {
        let (a, b): (Vec<usize>, Vec<usize>) = ((0..10).collect(), (10..20).collect());
        vec![
            Fold {
                train: b.clone(),
                valid: a.clone(),
            },
            Fold { train: a, valid: b },
        ]
    }

    #[test]
    fn a_fold_is_scored_with_weights_chosen_without_it() {
        // Member 0 is right on fold 1 and off by 10 on fold 0; member 1 the other way round.
        let actual: Vec<f64> = (0..20).map(f64::from).collect();
        let zero: Vec<f32> = (0..20)
            .map(|r| r as f32 + if r < 10 { 10.0 } else { 0.0 })
            .collect();
        let one: Vec<f32> = (0..20)
            .map(|r| r as f32 + if r < 10 { 0.0 } else { 10.0 })
            .collect();
        let pool = Predictions {
            width: 1,
            members: vec![&zero, &one],
        };
        let scorer = Scorer {
            task: Task::Regression,
            actual: &actual,
        };
        let loss = |rows: &[usize], pred: &[f64]| scorer.loss(Metric::Rmse, rows, pred);
        let folds = two_folds();
        // Chosen on fold 1's rows only, all the weight goes to member 0, which is off by 10 on
        // fold 0: an honest fold-0 score of 10, where in-sample weights would score 5.
        let weights = greedy::select(&pool, &folds[0].train, &loss);
        assert_eq!(weights, [1.0, 0.0]);
        let pred = pool.blend(&weights, 0.0, &folds[0].valid);
        assert_eq!(scorer.score(Metric::Rmse, &folds[0].valid, &pred), 10.0);
        let everywhere = greedy::select(&pool, &(0..20).collect::<Vec<_>>(), &loss);
        assert!(
            (everywhere[0] - 0.5).abs() <= 1.0 / ROUNDS as f64,
            "{everywhere:?}"
        );
    }

    #[test]
    fn the_stack_recovers_non_negative_weights_and_an_intercept() {
        let a: Vec<f32> = (0..50).map(|i| ((i * 7) % 13) as f32).collect();
        let b: Vec<f32> = (0..50).map(|i| ((i * 5) % 11) as f32).collect();
        // A third member that only hurts: its weight must be 0, not negative.
        let c: Vec<f32> = (0..50).map(|i| -(i as f32)).collect();
        let actual: Vec<f64> = (0..50)
            .map(|i| 0.3 * f64::from(a[i]) + 0.7 * f64::from(b[i]) + 5.0)
            .collect();
        let pool = Predictions {
            width: 1,
            members: vec![&a, &b, &c],
        };
        let rows: Vec<usize> = (0..50).collect();
        let (weights, intercept) = stack::fit(&pool, &rows, &actual, false).unwrap();
        assert!((weights[0] - 0.3).abs() < 1e-6, "{weights:?}");
        assert!((weights[1] - 0.7).abs() < 1e-6, "{weights:?}");
        assert!(weights[2].abs() < 1e-9 && weights[2] >= 0.0, "{weights:?}");
        assert!((intercept - 5.0).abs() < 1e-5, "{intercept}");
    }

    #[test]
    fn a_classification_stack_blends_probabilities_that_sum_to_one() {
        // Two classes; member 0 is confident and right, member 1 always says 50/50.
        let actual: Vec<f64> = (0..40).map(|i| f64::from(i % 2 == 0)).collect();
        let right: Vec<f32> = actual
            .iter()
            .flat_map(|&c| if c == 1.0 { [0.1, 0.9] } else { [0.9, 0.1] })
            .collect();
        let flat = vec![0.5f32; 80];
        let pool = Predictions {
            width: 2,
            members: vec![&right, &flat],
        };
        let rows: Vec<usize> = (0..40).collect();
        let (weights, intercept) = stack::fit(&pool, &rows, &actual, true).unwrap();
        assert_eq!(intercept, 0.0);
        assert!((weights.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(weights[0] > 0.9, "{weights:?}");
    }
}
