//! Classification from two-class probability models: one model per class, fitted on the 0/1
//! indicator of that class, predicting its probability (a single model, of class 1, for two
//! classes). A regression tree, forest or k-NN fitted on a 0/1 indicator predicts the share of
//! class 1 among the training rows in the leaf or neighbourhood, which is what scikit-learn's
//! classifiers report as `predict_proba`; with two classes a variance split on the indicator is
//! exactly a Gini split. Boosting with the log loss and a Platt-scaled SVM give probabilities
//! directly.

use ndarray::{Array1, Array2, ArrayView1, ArrayView2};

use super::{Algorithm, FitError, FitResult, FittedModel, Learner, ParamError, Params, Range};
use crate::task::Task;

/// A classifier made of one `binary` probability model per class.
pub struct OneVsRest<A> {
    binary: A,
}

/// `binary` as a classifier.
pub fn boxed<A: Algorithm + 'static>(binary: A) -> Box<dyn Algorithm> {
    Box::new(OneVsRest { binary })
}

impl<A: Algorithm> Algorithm for OneVsRest<A> {
    fn task(&self) -> Task {
        Task::Classification
    }
    fn id(&self) -> &'static str {
        self.binary.id()
    }
    fn name(&self) -> &'static str {
        self.binary.name()
    }
    fn backend(&self) -> &'static str {
        self.binary.backend()
    }
    fn grid(&self) -> Vec<Params> {
        self.binary.grid()
    }
    fn space(&self) -> Vec<(&'static str, Range)> {
        self.binary.space()
    }
    fn needs_scaling(&self) -> bool {
        self.binary.needs_scaling()
    }
    fn in_default_sweep(&self) -> bool {
        self.binary.in_default_sweep()
    }
    fn staged_param(&self) -> Option<&'static str> {
        self.binary.staged_param()
    }
    fn prediction_params(&self) -> &'static [&'static str] {
        self.binary.prediction_params()
    }
    fn skip_reason(&self, rows: usize, cols: usize) -> Option<String> {
        self.binary.skip_reason(rows, cols)
    }
    fn configure(&self, params: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(OneVsRestFit {
            binary: self.binary.configure(params)?,
        }))
    }
}

/// A checked setting: the two-class model's.
struct OneVsRestFit {
    binary: Box<dyn Learner>,
}

impl Learner for OneVsRestFit {
    fn fit(&self, x: ArrayView2<f64>, y: ArrayView1<f64>, seed: u64) -> FitResult<FittedModel> {
        let classes = class_count(y)?;
        let fitted: Vec<usize> = if classes == 2 {
            vec![1]
        } else {
            (0..classes).collect()
        };
        fitted
            .into_iter()
            .map(|class| {
                let indicator: Array1<f64> = y.mapv(|c| f64::from(c as usize == class));
                self.binary.fit(x, indicator.view(), seed)
            })
            .collect::<FitResult<Vec<_>>>()
            .map(FittedModel::OneVsRest)
    }
    fn cost(&self, rows: usize, cols: usize) -> f64 {
        self.binary.cost(rows, cols)
    }
    fn stages(&self) -> Option<usize> {
        self.binary.stages()
    }
}

/// The number of classes of class indices `y`: one more than the largest, each one present.
pub(super) fn class_count(y: ArrayView1<f64>) -> FitResult<usize> {
    let mut seen: Vec<bool> = Vec::new();
    for &c in y {
        if c < 0.0 || c.fract() != 0.0 {
            return Err(FitError::Classes(format!("{c} is not a class index")));
        }
        let c = c as usize;
        if c >= seen.len() {
            seen.resize(c + 1, false);
        }
        seen[c] = true;
    }
    match seen.iter().position(|s| !s) {
        _ if seen.len() < 2 => Err(FitError::Classes(
            "the training rows hold fewer than two classes".into(),
        )),
        Some(missing) => Err(FitError::Classes(format!(
            "class {missing} is absent from the training rows"
        ))),
        None => Ok(seen.len()),
    }
}

/// Class probabilities from the classes' models: each model's output clipped to [0, 1], rows
/// normalised to sum 1 (a row where every model says 0 gets equal shares).
pub(super) fn proba(models: &[FittedModel], x: ArrayView2<f64>) -> FitResult<Array2<f64>> {
    let outputs: Vec<Vec<f64>> = models
        .iter()
        .map(|m| m.predict(x))
        .collect::<FitResult<_>>()?;
    let clip = |p: f64| if p.is_nan() { p } else { p.clamp(0.0, 1.0) };
    if let [positive] = &outputs[..] {
        return Ok(Array2::from_shape_fn((x.nrows(), 2), |(r, c)| {
            let p = clip(positive[r]);
            if c == 1 {
                p
            } else {
                1.0 - p
            }
        }));
    }
    let k = outputs.len();
    let mut proba = Array2::from_shape_fn((x.nrows(), k), |(r, c)| clip(outputs[c][r]));
    for mut row in proba.rows_mut() {
        let sum = row.sum();
        if sum > 0.0 {
            row /= sum;
        } else if sum == 0.0 {
            row.fill(1.0 / k as f64);
        }
    }
    Ok(proba)
}
