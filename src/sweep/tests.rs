//! The sweep's unit tests: time limits, stops, a fold scored alone, failing candidates.

use super::*;
use crate::algorithms::{FitError, FitResult, FittedModel, ParamError};
use crate::folds::kfold;
use crate::io::column::Values;
use crate::table::Feature;
use crate::task::Kind;
use ndarray::{ArrayView1, ArrayView2};
use std::time::{Duration, Instant};

/// Fails in the way its name says.
#[derive(Clone, Copy)]
struct Faulty(&'static str);

impl Algorithm for Faulty {
    fn id(&self) -> &'static str {
        self.0
    }
    fn name(&self) -> &'static str {
        self.0
    }
    fn backend(&self) -> &'static str {
        "test"
    }
    fn grid(&self) -> Vec<Params> {
        vec![Params::new()]
    }
    fn skip_reason(&self, rows: usize, _: usize) -> Option<String> {
        (self.0 == "huge").then(|| format!("{rows} rows"))
    }
    fn configure(&self, _: &Params) -> Result<Box<dyn Learner>, ParamError> {
        Ok(Box::new(*self))
    }
}

impl Learner for Faulty {
    fn fit(&self, _: ArrayView2<f64>, y: ArrayView1<f64>, _: u64) -> FitResult<FittedModel> {
        match self.0 {
            "slow" => {
                std::thread::sleep(Duration::from_secs(3));
                Ok(FittedModel::Constant(0.0))
            }
            "lingers" => {
                std::thread::sleep(Duration::from_millis(200));
                Ok(FittedModel::Constant(y.mean().unwrap()))
            }
            "panics" => panic!("boom"),
            "errors" => Err(FitError::backend("the solver", "no convergence")),
            "nan" => Ok(FittedModel::Constant(f64::NAN)),
            _ => Ok(FittedModel::Constant(y.mean().unwrap())),
        }
    }
}

fn line_table() -> Table {
    Table {
        features: vec![Feature {
            name: "x".into(),
            kind: Kind::Numeric,
            values: Values::Numeric((0..20).map(f64::from).collect()),
        }],
        target: (0..20).map(|v| f64::from(v) * 2.0).collect(),
        classes: Vec::new(),
    }
}

fn candidates(ids: &[&'static str]) -> Vec<Candidate> {
    ids.iter()
        .map(|&id| Candidate {
            algorithm: Arc::new(Faulty(id)),
            params: Params::new(),
            learner: Arc::new(Faulty(id)),
        })
        .collect()
}

#[test]
fn a_slow_candidate_times_out_and_a_stopped_sweep_is_interrupted() {
    let table = line_table();
    let folds = kfold(20, 4, Some(1)).unwrap();
    let control = Control {
        max_fit: Some(Duration::from_millis(100)),
        ..Control::default()
    };
    let started = Instant::now();
    let outcomes = run(
        &table,
        &folds,
        &[0, 1, 2, 3],
        &candidates(&["slow", "ok"]),
        &EncodingOptions::default(),
        1,
        &control,
        &|_| {},
    );
    // Four folds of a 3 s fit, abandoned after 0.1 s each at most.
    assert!(started.elapsed() < Duration::from_secs(2));
    assert!(
        matches!(&outcomes[0], Outcome::TimedOut(e) if e.contains("limit of 0.1 s (`max_fit_seconds`)")),
        "{:?}",
        outcomes[0]
    );
    assert!(matches!(outcomes[1], Outcome::Scored(_)));

    let stop = Arc::new(AtomicBool::new(true));
    let control = Control {
        stop: Some(stop),
        ..Control::default()
    };
    let outcomes = run(
        &table,
        &folds,
        &[0, 1, 2, 3],
        &candidates(&["ok", "huge"]),
        &EncodingOptions::default(),
        1,
        &control,
        &|_| {},
    );
    assert_eq!(outcomes[0], Outcome::Interrupted);
    assert!(matches!(outcomes[1], Outcome::Skipped(_)));

    // Past the deadline nothing starts: the candidates are over budget.
    let control = Control {
        deadline: Some(Instant::now()),
        ..Control::default()
    };
    let outcomes = run(
        &table,
        &folds,
        &[0, 1, 2, 3],
        &candidates(&["ok"]),
        &EncodingOptions::default(),
        1,
        &control,
        &|_| {},
    );
    assert_eq!(outcomes[0], Outcome::OverBudget);
}

#[test]
fn a_fold_scored_alone_scores_as_in_a_full_run() {
    let table = line_table();
    let folds = kfold(20, 4, Some(1)).unwrap();
    let candidates = candidates(&["ok"]);
    let sweep = |on: &[usize]| {
        let outcomes = run(
            &table,
            &folds,
            on,
            &candidates,
            &EncodingOptions::default(),
            1,
            &Control::default(),
            &|_| {},
        );
        match outcomes.into_iter().next() {
            Some(Outcome::Scored(s)) => s,
            other => panic!("{other:?}"),
        }
    };
    let all = sweep(&[0, 1, 2, 3]);
    let mut parts = sweep(&[0]);
    parts.extend(sweep(&[1, 2, 3]));
    for (a, b) in all.iter().zip(&parts) {
        assert_eq!(
            (a.fold, &a.scores, &a.predictions),
            (b.fold, &b.scores, &b.predictions)
        );
    }
}

#[test]
fn folds_scored_ahead_of_time_by_an_idle_worker_are_those_a_later_run_gives() {
    let table = line_table();
    let folds = kfold(20, 4, Some(1)).unwrap();
    let candidates = candidates(&["lingers", "ok"]);
    let (encoding, control) = (EncodingOptions::default(), Control::default());
    let quiet = |_: Progress| {};
    let setup: (_, _, _, &(dyn Fn(Progress) + Sync)) = (&encoding, 1, &control, &quiet);
    let rest = vec![vec![1, 2, 3]; 2];
    // Two workers: one lingers on the first fold while the other, done, scores spare folds.
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(2)
        .build()
        .unwrap();
    let (first, spared) =
        pool.install(|| run_sparing(&table, &folds, &[0], &candidates, setup, &rest));
    assert!(matches!(&first[0], Outcome::Scored(f) if f.len() == 1 && f[0].fold == 0));
    assert!(!spared.is_empty());
    assert!(spared.iter().all(|&(_, f, _)| f > 0));
    let had = spared.len();
    let ahead = run_each(&table, &folds, &rest, &candidates, setup, spared);
    let later = run_each(&table, &folds, &rest, &candidates, setup, Vec::new());
    for (a, b) in ahead.iter().zip(&later) {
        let (Outcome::Scored(a), Outcome::Scored(b)) = (a, b) else {
            panic!("{a:?} {b:?}")
        };
        assert_eq!(a.len(), 3, "{had} folds had ahead of time");
        for (a, b) in a.iter().zip(b) {
            assert_eq!(
                (a.fold, &a.scores, &a.predictions),
                (b.fold, &b.scores, &b.predictions)
            );
        }
    }
    // A result given is taken as it is, in its fold's place, not run again.
    let marked = FoldScore {
        fold: 2,
        scores: vec![42.0],
        fit_seconds: 0.0,
        predictions: Vec::new(),
    };
    let given = vec![(1, 2, Ok(marked.clone()))];
    let outcomes = run_each(&table, &folds, &rest, &candidates, setup, given);
    assert!(matches!(&outcomes[1], Outcome::Scored(f) if f[1] == marked && f[2].fold == 3));
}

#[test]
fn a_failing_candidate_is_an_outcome_not_a_crash() {
    let table = line_table();
    let folds = kfold(20, 4, Some(1)).unwrap();
    let candidates = candidates(&["ok", "panics", "errors", "nan", "huge"]);
    let calls = AtomicUsize::new(0);
    let outcomes = run(
        &table,
        &folds,
        &[0, 1, 2, 3],
        &candidates,
        &EncodingOptions::default(),
        1,
        &Control::default(),
        &|p| {
            calls.fetch_add(1, Ordering::Relaxed);
            assert!(p.done <= p.total && p.total == 16);
        },
    );
    assert_eq!(calls.into_inner(), 16);
    assert!(matches!(&outcomes[0], Outcome::Scored(f) if f.len() == 4));
    // Each fold's predictions are its training mean, for each of its validation rows.
    let Outcome::Scored(scored) = &outcomes[0] else {
        unreachable!()
    };
    for (f, (fold, score)) in folds.iter().zip(scored).enumerate() {
        let mean =
            fold.train.iter().map(|&r| table.target[r]).sum::<f64>() / fold.train.len() as f64;
        assert_eq!(score.fold, f);
        assert_eq!(score.predictions, vec![mean as f32; fold.valid.len()]);
    }
    assert_eq!(
        outcomes[1],
        Outcome::Failed("fold 1: panicked: boom".into())
    );
    assert_eq!(
        outcomes[2],
        Outcome::Failed("fold 1: the solver failed: no convergence".into())
    );
    assert_eq!(
        outcomes[3],
        Outcome::Failed("fold 1: the model predicted a non-finite value (NaN)".into())
    );
    assert_eq!(outcomes[4], Outcome::Skipped("15 rows".into()));
}
