//! Feature importance of an exported model, on its training rows: what the model itself defines
//! (tree impurity, booster gain, standardised coefficients) or, for the others, permutation
//! importance per input column.

use std::collections::HashMap;
use std::ops::Range;

use ndarray::{Array2, ArrayView2};
use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::algorithms::{FitResult, FittedModel, ImportanceKind};
use crate::metrics::Metric;
use crate::preprocess::{Pipeline, Scaler};

/// Rows used for permutation importance (a seeded sample of larger tables); an ensemble's
/// members, each shuffled in turn, use a quarter as many.
const PERMUTATION_ROWS: usize = 2_000;
pub const MEMBER_PERMUTATION_ROWS: usize = PERMUTATION_ROWS / 4;
/// Shuffles per column, averaged.
const PERMUTATION_REPEATS: usize = 3;

/// One feature's importance.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct FeatureImportance {
    pub feature: String,
    pub value: f64,
}

/// Importances of a model's features, largest magnitude first. Intrinsic kinds rate encoded
/// columns (`colour=red`, `date.year`); permutation rates input columns.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Importance {
    pub kind: ImportanceKind,
    pub features: Vec<FeatureImportance>,
}

/// The importance of `model`, fitted on `x` (the pipeline's output on the training rows) and `y`.
pub fn importance(
    model: &FittedModel,
    pipeline: &Pipeline,
    x: ArrayView2<f64>,
    y: &[f64],
    seed: u64,
) -> FitResult<Option<Importance>> {
    let (kind, features) = match model.intrinsic_importance(x) {
        Some((kind, values)) => (
            kind,
            pipeline
                .encoder
                .outputs
                .iter()
                .cloned()
                .zip(values)
                .collect(),
        ),
        None if matches!(model, FittedModel::Constant(_) | FittedModel::Priors(_)) => {
            return Ok(None)
        }
        None => (
            ImportanceKind::Permutation,
            permutation(
                model,
                pipeline,
                x,
                y,
                seed,
                Sample {
                    at_most: PERMUTATION_ROWS,
                    scaler: None,
                },
            )?,
        ),
    };
    Ok(Some(sorted(kind, features)))
}

/// The permutation importance of `model` (fitted on `x` and `y`, `x` encoded but not yet
/// standardised by the pipeline's scaler) per input column on a sample of
/// [`MEMBER_PERMUTATION_ROWS`], whatever importance the model defines itself.
pub fn permutation_importance(
    model: &FittedModel,
    pipeline: &Pipeline,
    x: ArrayView2<f64>,
    y: &[f64],
    seed: u64,
) -> FitResult<Importance> {
    let sample = Sample {
        at_most: MEMBER_PERMUTATION_ROWS,
        scaler: pipeline.scaler.as_ref(),
    };
    let values = permutation(model, pipeline, x, y, seed, sample)?;
    Ok(sorted(ImportanceKind::Permutation, values))
}

/// The weighted sum of importances of one kind (an ensemble's members' permutation importance),
/// feature by feature.
pub fn weighted(parts: &[(f64, Importance)]) -> Importance {
    let mut sums: Vec<(String, f64)> = Vec::new();
    for (weight, importance) in parts {
        for f in &importance.features {
            match sums.iter_mut().find(|(name, _)| *name == f.feature) {
                Some((_, sum)) => *sum += weight * f.value,
                None => sums.push((f.feature.clone(), weight * f.value)),
            }
        }
    }
    let kind = parts
        .first()
        .map_or(ImportanceKind::Permutation, |p| p.1.kind);
    sorted(kind, sums)
}

/// Finite importances, largest magnitude first.
fn sorted(kind: ImportanceKind, features: Vec<(String, f64)>) -> Importance {
    let mut features: Vec<FeatureImportance> = features
        .into_iter()
        .filter(|(_, v)| v.is_finite())
        .map(|(feature, value)| FeatureImportance { feature, value })
        .collect();
    features.sort_by(|a, b| b.value.abs().total_cmp(&a.value.abs()));
    Importance { kind, features }
}

/// What a loss is computed from: each row's prediction (a column), or a classifier's class
/// probabilities (rows x classes).
fn predictions(model: &FittedModel, x: ArrayView2<f64>) -> FitResult<Array2<f64>> {
    if model.is_classifier() {
        model.predict_proba(x)
    } else {
        let predicted = model.predict(x)?;
        Ok(Array2::from_shape_vec((predicted.len(), 1), predicted).expect("one column"))
    }
}

/// The loss of `predicted` ([`predictions`]): log loss for a classifier (`y` class indices),
/// RMSE otherwise.
fn loss(model: &FittedModel, predicted: ArrayView2<f64>, y: &[f64]) -> f64 {
    if model.is_classifier() {
        let classes: Vec<usize> = y.iter().map(|&c| c as usize).collect();
        Metric::LogLoss.classify(&classes, predicted)
    } else {
        Metric::Rmse.score(y, &predicted.column(0).to_vec())
    }
}

/// The rows a permutation importance shuffles: a seeded sample of at most `at_most`, then
/// standardised by `scaler` when the model's input is.
struct Sample<'a> {
    at_most: usize,
    scaler: Option<&'a Scaler>,
}

/// Mean loss increase (RMSE, or log loss for a classifier) when each input column's block of
/// encoded columns is shuffled across a seeded sample of rows. The shuffles are drawn in turn
/// from one seeded stream and scored in parallel, each column's increases summed in the order
/// they were drawn: the same figures at any thread count.
fn permutation(
    model: &FittedModel,
    pipeline: &Pipeline,
    x: ArrayView2<f64>,
    y: &[f64],
    seed: u64,
    Sample { at_most, scaler }: Sample,
) -> FitResult<Vec<(String, f64)>> {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut rows: Vec<usize> = (0..x.nrows()).collect();
    if rows.len() > at_most {
        rows.shuffle(&mut rng);
        rows.truncate(at_most);
        rows.sort_unstable();
    }
    let sample: Array2<f64> = x.select(ndarray::Axis(0), &rows);
    // Standardising is per element: the sample's rows come out as the scaled table's would.
    let sample = match scaler {
        Some(scaler) => scaler.transform(&sample),
        None => sample,
    };
    let truth: Vec<f64> = rows.iter().map(|&r| y[r]).collect();
    let predicted = predictions(model, sample.view())?;
    let base = loss(model, predicted.view(), &truth);
    // Each column's encoded range and its PERMUTATION_REPEATS orders of the sample's rows.
    let mut shuffles = Vec::new();
    let mut offset = 0;
    for step in &pipeline.encoder.steps {
        let columns = offset..offset + step.outputs().len();
        let orders: Vec<Vec<usize>> = (0..PERMUTATION_REPEATS)
            .map(|_| {
                let mut order: Vec<usize> = (0..sample.nrows()).collect();
                order.shuffle(&mut rng);
                order
            })
            .collect();
        shuffles.push((columns.clone(), orders));
        offset = columns.end;
    }
    let shuffled = Shuffled {
        model,
        sample: &sample,
        predicted: &predicted,
        truth: &truth,
    };
    let losses: Vec<Vec<f64>> = shuffles
        .into_par_iter()
        .map(|(columns, orders)| shuffled.losses(columns, &orders))
        .collect::<FitResult<_>>()?;
    Ok(pipeline
        .encoder
        .steps
        .iter()
        .zip(losses)
        .map(|(step, losses)| {
            let increase = losses.iter().fold(0.0, |sum, shuffled_loss| {
                sum + (shuffled_loss - base) / PERMUTATION_REPEATS as f64
            });
            (step.column().to_string(), increase)
        })
        .collect())
}

/// A sample, its predictions and its truth, whose columns are shuffled in turn.
struct Shuffled<'a> {
    model: &'a FittedModel,
    sample: &'a Array2<f64>,
    predicted: &'a Array2<f64>,
    truth: &'a [f64],
}

impl Shuffled<'_> {
    /// The loss of each of `orders` of the sample's rows shuffling the encoded `columns`. A
    /// row's prediction does not depend on the rows predicted with it, so a shuffled row that
    /// holds its own values (a column of few levels gives many) keeps its prediction, and a row
    /// that several shuffles give the same values is predicted once: the same figures as
    /// predicting every shuffled sample whole, with fewer rows predicted.
    fn losses(&self, columns: Range<usize>, orders: &[Vec<usize>]) -> FitResult<Vec<f64>> {
        let sample = self.sample;
        // Each row's first row with the same values of `columns`, to the bit.
        let mut first: HashMap<Vec<u64>, usize> = HashMap::new();
        let like: Vec<usize> = (0..sample.nrows())
            .map(|r| {
                let bits = columns.clone().map(|j| sample[[r, j]].to_bits()).collect();
                *first.entry(bits).or_insert(r)
            })
            .collect();
        // The rows to predict, (row, row whose values of `columns` it takes), each once, and
        // for each shuffle where each row's prediction is (None: the sample's own).
        let mut asked: HashMap<(usize, usize), usize> = HashMap::new();
        let mut queries: Vec<(usize, usize)> = Vec::new();
        let sources: Vec<Vec<Option<usize>>> = (orders.iter())
            .map(|order| {
                (order.iter().enumerate())
                    .map(|(i, &from)| {
                        let from = like[from];
                        (from != like[i]).then(|| {
                            *asked.entry((i, from)).or_insert_with(|| {
                                queries.push((i, from));
                                queries.len() - 1
                            })
                        })
                    })
                    .collect()
            })
            .collect();
        let mut x = Array2::zeros((queries.len(), sample.ncols()));
        for (mut row, &(i, from)) in x.rows_mut().into_iter().zip(&queries) {
            row.assign(&sample.row(i));
            for j in columns.clone() {
                row[j] = sample[[from, j]];
            }
        }
        let answers = match queries.is_empty() {
            true => Array2::zeros((0, self.predicted.ncols())),
            false => predictions(self.model, x.view())?,
        };
        Ok(sources
            .iter()
            .map(|source| {
                let mut predicted = self.predicted.clone();
                for (i, q) in source.iter().enumerate() {
                    if let Some(q) = q {
                        predicted.row_mut(i).assign(&answers.row(*q));
                    }
                }
                loss(self.model, predicted.view(), self.truth)
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use ndarray::{Array2, ArrayView1};
    use rand::Rng;

    use super::*;
    use crate::algorithms::{registry, Param, Params};
    use crate::preprocess::{Encoder, Step};

    #[test]
    fn shuffles_scored_in_parallel_give_the_same_figures_at_any_thread_count() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let x = Array2::from_shape_fn((700, 3), |(_, c)| rng.gen::<f64>() * (c + 1) as f64);
        let y: Vec<f64> = x.rows().into_iter().map(|r| 3.0 * r[0] + r[1]).collect();
        let columns = ["strong", "weak", "noise"];
        let scaler = Scaler::fit(&x);
        let scaled = scaler.transform(&x);
        let pipeline = Pipeline {
            encoder: Encoder {
                steps: columns
                    .iter()
                    .map(|&c| Step::Numeric {
                        column: c.into(),
                        median: 0.0,
                    })
                    .collect(),
                outputs: columns.iter().map(|&c| c.into()).collect(),
            },
            scaler: Some(scaler),
        };
        let knn = registry().into_iter().find(|a| a.id() == "knn").unwrap();
        let params = Params::from([
            ("k".into(), Param::Int(5)),
            ("weights".into(), Param::Text("uniform".into())),
        ]);
        let learner = knn.configure(&params).unwrap();
        let model = learner.fit(scaled.view(), ArrayView1::from(&y), 0).unwrap();
        let on = |threads: usize| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| permutation_importance(&model, &pipeline, x.view(), &y, 9).unwrap())
        };
        let one = on(1);
        assert_eq!(one, on(3));
        // The member's scaler standardises the sample: as shuffling the scaled table's rows.
        let unscaled = Pipeline {
            scaler: None,
            ..pipeline.clone()
        };
        let sample = Sample {
            at_most: MEMBER_PERMUTATION_ROWS,
            scaler: None,
        };
        let of_scaled = permutation(&model, &unscaled, scaled.view(), &y, 9, sample).unwrap();
        assert_eq!(one, sorted(ImportanceKind::Permutation, of_scaled));
        let names: Vec<&str> = one.features.iter().map(|f| f.feature.as_str()).collect();
        assert_eq!(names, ["strong", "weak", "noise"]);
    }

    /// Every shuffled sample predicted whole, as the importance did before it predicted only
    /// the rows a shuffle changes: the figures [`permutation`] must give.
    fn predicting_whole_samples(
        model: &FittedModel,
        pipeline: &Pipeline,
        x: ArrayView2<f64>,
        y: &[f64],
    ) -> Vec<(String, f64)> {
        let mut rng = ChaCha8Rng::seed_from_u64(5);
        let base = loss(model, predictions(model, x).unwrap().view(), y);
        let mut offset = 0;
        let mut out = Vec::new();
        for step in &pipeline.encoder.steps {
            let columns = offset..offset + step.outputs().len();
            let mut increase = 0.0;
            for _ in 0..PERMUTATION_REPEATS {
                let mut order: Vec<usize> = (0..x.nrows()).collect();
                order.shuffle(&mut rng);
                let mut shuffled = x.to_owned();
                for (i, &from) in order.iter().enumerate() {
                    for j in columns.clone() {
                        shuffled[[i, j]] = x[[from, j]];
                    }
                }
                let shuffled_loss = loss(
                    model,
                    predictions(model, shuffled.view()).unwrap().view(),
                    y,
                );
                increase += (shuffled_loss - base) / PERMUTATION_REPEATS as f64;
            }
            out.push((step.column().to_string(), increase));
            offset = columns.end;
        }
        out
    }

    #[test]
    fn predicting_only_the_rows_a_shuffle_changes_gives_every_models_figures() {
        // A continuous column, a column of three values, and a one-hot block of two levels.
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        let rows = 300;
        let x = Array2::from_shape_fn((rows, 4), |(r, c)| match c {
            0 => rng.gen::<f64>(),
            1 => f64::from(rng.gen_range(0..3u8)),
            _ => f64::from(u8::from((r + c) % 3 == 0)),
        });
        let value: Vec<f64> = (x.rows().into_iter())
            .map(|r| 2.0 * r[0] + r[1] - r[2] + 0.5 * r[3])
            .collect();
        let classes: Vec<f64> = value
            .iter()
            .map(|v| (v * 1.5).floor().clamp(0.0, 2.0))
            .collect();
        let numeric = |c: &str| Step::Numeric {
            column: c.into(),
            median: 0.0,
        };
        let pipeline = Pipeline {
            encoder: Encoder {
                steps: vec![
                    numeric("continuous"),
                    numeric("few"),
                    Step::Categorical {
                        column: "colour".into(),
                        reference: "blue".into(),
                        levels: vec!["red".into(), "green".into()],
                        other: false,
                        target_mean: None,
                    },
                ],
                outputs: ["continuous", "few", "colour=red", "colour=green"]
                    .map(String::from)
                    .to_vec(),
            },
            scaler: None,
        };
        for algorithm in registry() {
            let y = match algorithm.task() {
                crate::task::Task::Regression => &value,
                crate::task::Task::Classification => &classes,
            };
            let learner = algorithm.configure(&algorithm.grid()[0]).unwrap();
            let model = learner.fit(x.view(), ArrayView1::from(y), 3).unwrap();
            let sample = Sample {
                at_most: rows,
                scaler: None,
            };
            assert_eq!(
                permutation(&model, &pipeline, x.view(), y, 5, sample).unwrap(),
                predicting_whole_samples(&model, &pipeline, x.view(), y),
                "{}",
                algorithm.id()
            );
        }
    }
}
