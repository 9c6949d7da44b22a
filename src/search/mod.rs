//! The search: the default grid, raced ([`race`]) or on every fold, then, within a budget,
//! rounds of successive halving over wider spaces ([`sample`]). A round draws [`ROUND`]
//! settings of the algorithms the grid found promising, scores each on the first fold only (the
//! cheap look), and promotes the best third to the other folds; the rest are `pruned`, with the
//! score they had. Only candidates scored on every fold are ranked.
//!
//! Every decision depends on scores alone, never on time or threads, so a work budget
//! (`trials`: candidate-folds after the grid) gives the same leaderboard on any machine; a
//! time budget stops wherever the clock says.

mod sample;

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::Instant;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::algorithms::Algorithm;
use crate::folds::Fold;
use crate::leaderboard::{self, Entry, Status, TracePoint};
use crate::metrics::Metric;
use crate::preprocess::EncodingOptions;
use crate::sweep::{self, Candidate, Control, Outcome, Progress};
use crate::table::Table;

/// Settings drawn per round; the best third of them is scored on every fold.
pub const ROUND: usize = 12;
const PROMOTED_SHARE: usize = 3;
/// How many of the grid's best settings on the first fold (within [`RACE_MARGIN`]) go on to the
/// others whatever their algorithm.
pub const RACE_LEADERS: usize = 5;
/// How far behind the leader's first-fold score (a share of it) a setting may be and still go
/// on: an algorithm further behind is pruned whole, its rows keeping their scores.
pub const RACE_MARGIN: f64 = 0.25;
/// Fewest validation rows of the first fold for the grid to race: a smaller fold is too noisy
/// to judge settings by (on cars93's 19 rows the best setting over five folds ranked 8th), and
/// such a table's whole grid takes seconds.
pub const RACE_MIN_ROWS: usize = 1_000;

/// Whether a compare on `folds` races its grid when allowed (see [`race`]).
pub fn races(folds: &[Fold]) -> bool {
    folds.len() > 1 && folds[0].valid.len() >= RACE_MIN_ROWS
}

/// A first-fold look as the race's rule for the ensembles reads it: its algorithm id and its
/// predictions of the fold's validation rows.
pub type Look<'a> = (&'a str, &'a [f32]);

/// The race's rule for the ensembles: given the looks best first, the positions of those worth
/// keeping (see [`Context::leaned_on`]).
pub type LeanedOn<'a> = dyn Fn(&[Look]) -> Vec<usize> + Sync + 'a;

/// What the search works on.
pub struct Context<'a> {
    pub table: &'a Table,
    pub folds: &'a [Fold],
    pub encoding: &'a EncodingOptions,
    pub seed: u64,
    pub sort: Metric,
    /// Whether the grid races ([`race`]; see [`races`]) instead of scoring every setting on
    /// every fold.
    pub race: bool,
    /// Its deadline ends the grid and the rounds alike.
    pub control: &'a Control,
    /// The race's rule for the ensembles: given the first fold's looks (algorithm id and
    /// predictions, best first there), those the ensembles would lean on, kept however far
    /// behind (the compare passes `ensemble::leaned_on`, or nothing without ensembles).
    pub leaned_on: &'a LeanedOn<'a>,
    pub progress: &'a (dyn Fn(Progress) + Sync),
}

/// How far the search goes after the grid: rounds run while both allow (none without either).
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// Candidate-folds the rounds may score.
    pub trials: Option<usize>,
    /// No round starts after this.
    pub until: Option<Instant>,
}

/// The candidates scored, unranked, and the search's progress.
pub struct Searched {
    pub entries: Vec<Entry>,
    pub trace: Vec<TracePoint>,
}

/// Scores the `grid`, raced or on every fold (or takes its `scored` outcomes, in grid order),
/// then searches the spaces of `families` within `budget`. `tidy` is given the entries after
/// the grid and after each round, to drop the out-of-fold predictions no ensemble will use (it
/// may reorder them).
pub fn run(
    ctx: &Context,
    grid: Vec<Candidate>,
    families: &[Arc<dyn Algorithm>],
    budget: &Budget,
    tidy: &dyn Fn(&mut Vec<Entry>),
    scored: Option<Vec<Outcome>>,
) -> Searched {
    let started = Instant::now();
    let all: Vec<usize> = (0..ctx.folds.len()).collect();
    let mut tried: BTreeSet<String> = grid
        .iter()
        .map(|c| sample::key(c.algorithm.id(), &c.params))
        .collect();
    // The grid's outcomes: raced or swept here, or given (merged from shards that swept it).
    let units = grid.len() * all.len();
    let (grid, outcomes, grid_units) = match scored {
        None if ctx.race => race(ctx, grid),
        None => {
            let outcomes = sweep_on(ctx, &all, &grid, ctx.progress);
            (grid, outcomes, units)
        }
        Some(outcomes) => (grid, outcomes, units),
    };
    let mut entries = to_entries(ctx, grid, outcomes);
    tidy(&mut entries);
    let mut trace = vec![point(ctx, &entries, grid_units, started)];
    if budget.trials.is_none() && budget.until.is_none() {
        return Searched { entries, trace };
    }
    let (first, rest) = (&all[..1], &all[1..]);
    let mut spent = 0;
    for round in 1.. {
        let time_left = budget.until.is_none_or(|u| Instant::now() < u);
        if ctx.control.stopped() || ctx.control.over_budget() || !time_left {
            break;
        }
        let n = round_size(budget.trials.map(|t| t.saturating_sub(spent)), rest.len());
        let families = promising(&entries, families, ctx.sort);
        if n == 0 || families.is_empty() {
            break;
        }
        let mut rng =
            ChaCha8Rng::seed_from_u64(ctx.seed ^ (round as u64).wrapping_mul(0x51_7CC1_B727_220A));
        let drawn = sample::candidates(&families, n, &mut tried, &mut rng);
        if drawn.is_empty() {
            break;
        }
        let quiet = |_: Progress| {};
        let looks = sweep_on(ctx, first, &drawn, &quiet);
        let promoted = best_third(&looks, ctx.sort);
        let chosen: Vec<Candidate> = promoted.iter().map(|&i| drawn[i].clone()).collect();
        let tails = sweep_on(ctx, rest, &chosen, &quiet);
        spent += drawn.len() + chosen.len() * rest.len();
        let mut outcomes = Vec::with_capacity(drawn.len());
        let mut kept = Vec::with_capacity(drawn.len());
        let why = "after the first fold: not in its search round's best third there";
        for (candidate, outcome) in drawn.into_iter().zip(join(looks, &promoted, tails, why)) {
            // Drawn but never run: not a row.
            if !matches!(outcome, Outcome::OverBudget | Outcome::Interrupted) {
                outcomes.push(outcome);
                kept.push(candidate);
            }
        }
        entries.extend(to_entries(ctx, kept, outcomes));
        tidy(&mut entries);
        trace.push(point(ctx, &entries, grid_units + spent, started));
    }
    Searched { entries, trace }
}

/// The grid's race: every setting on the first fold (a forest with a tenth of its trees: its
/// look), then only the [`survivors`] on the other folds (on every fold, a setting that looked
/// through a cheaper one); the rest are pruned with their first fold's scores, rows of their
/// looks. Returns the candidates and their outcomes in grid order and the candidate-folds
/// scored. The progress counts the first fold as a fifth (or so) of a full sweep, and the other
/// folds' share shrinks to what the race kept.
fn race(ctx: &Context, grid: Vec<Candidate>) -> (Vec<Candidate>, Vec<Outcome>, usize) {
    let all: Vec<usize> = (0..ctx.folds.len()).collect();
    let (first, rest) = all.split_at(1);
    let first_total = AtomicUsize::new(0);
    let looking = |p: Progress| {
        first_total.store(p.total, Ordering::Relaxed);
        (ctx.progress)(Progress {
            done: p.done,
            total: p.total * all.len(),
        })
    };
    let lookers: Vec<Candidate> = grid.iter().map(|c| c.look().unwrap_or(c.clone())).collect();
    let looks = sweep_on(ctx, first, &lookers, &looking);
    let kept = survivors(&lookers, &looks, ctx.sort, ctx.leaned_on);
    let chosen: Vec<Candidate> = kept.iter().map(|&i| grid[i].clone()).collect();
    let on: Vec<Vec<usize>> = kept
        .iter()
        .map(|&i| match lookers[i].params == grid[i].params {
            true => rest.to_vec(),
            false => all.clone(),
        })
        .collect();
    let looked = first_total.load(Ordering::Relaxed);
    let going_on = |p: Progress| {
        (ctx.progress)(Progress {
            done: looked + p.done,
            total: looked + p.total,
        })
    };
    let setup = (
        ctx.encoding,
        ctx.seed,
        ctx.control,
        &going_on as &(dyn Fn(Progress) + Sync),
    );
    let tails = sweep::run_each(ctx.table, ctx.folds, &on, &chosen, setup);
    let units = grid.len() + on.iter().map(Vec::len).sum::<usize>();
    let why = format!(
        "after the first fold (the race): more than {}% behind the best there, or not among the \
         {RACE_LEADERS} best nor its algorithm's best, nor weighted by the first fold's stack \
         (--full-cv scores every fold)",
        RACE_MARGIN * 100.0
    );
    let outcomes = join(looks, &kept, tails, &why);
    // A kept setting is itself; a pruned one, the look it was scored as.
    let candidates = (grid.into_iter().zip(lookers).zip(&outcomes))
        .map(|((c, look), o)| match o {
            Outcome::Pruned(..) => look,
            _ => c,
        })
        .collect();
    (candidates, outcomes, units)
}

/// The grid's settings that go on after the first fold: of those within [`RACE_MARGIN`] of the
/// leader's score there, the [`RACE_LEADERS`] best and the best setting of every algorithm (so
/// that the ensembles keep their variety); those a stack of the first fold's looks leans on,
/// however far behind (`leaned_on`, see [`Context::leaned_on`]); then every setting scored from
/// one fit with one of those (a staged truncation costs nothing more).
fn survivors(
    grid: &[Candidate],
    looks: &[Outcome],
    sort: Metric,
    leaned_on: &LeanedOn,
) -> Vec<usize> {
    let ranked = by_first_fold(looks, sort);
    let Some(&(_, leader)) = ranked.first() else {
        return Vec::new();
    };
    let mut kept = BTreeSet::new();
    let mut algorithms = HashSet::new();
    for (rank, &(i, loss)) in ranked.iter().enumerate() {
        let close = loss - leader <= RACE_MARGIN * leader.abs();
        if close && (algorithms.insert(grid[i].algorithm.id()) || rank < RACE_LEADERS) {
            kept.insert(i);
        }
    }
    let first: Vec<(usize, Look)> = ranked
        .iter()
        .filter_map(|&(i, _)| match &looks[i] {
            Outcome::Scored(f) => Some((i, (grid[i].algorithm.id(), f[0].predictions.as_slice()))),
            _ => None,
        })
        .collect();
    let pairs: Vec<Look> = first.iter().map(|&(_, pair)| pair).collect();
    kept.extend(leaned_on(&pairs).into_iter().map(|j| first[j].0));
    let shared: Vec<_> = kept.iter().filter_map(|&i| grid[i].staged_key()).collect();
    for (i, look) in looks.iter().enumerate() {
        let key = grid[i].staged_key();
        if matches!(look, Outcome::Scored(_)) && key.is_some_and(|k| shared.contains(&k)) {
            kept.insert(i);
        }
    }
    kept.into_iter().collect()
}

/// Each first-fold look joined with the other folds' outcome of the `promoted` ones (`tails`,
/// in their order; a tail from the first fold on replaces its look): scored on every fold,
/// pruned with the first fold's scores (not promoted, `why`; or its other folds not finished),
/// or failed; a look that did not score stays as it is.
fn join(looks: Vec<Outcome>, promoted: &[usize], tails: Vec<Outcome>, why: &str) -> Vec<Outcome> {
    let unfinished = "after the first fold: promoted, but its other folds did not finish (time \
                      budget or stop)";
    let mut tails = tails.into_iter();
    looks
        .into_iter()
        .enumerate()
        .map(|(i, look)| match (look, promoted.contains(&i)) {
            (Outcome::Scored(head), true) => match tails.next() {
                // Scored on every fold after a cheaper look: the look gives way.
                Some(Outcome::Scored(tail))
                    if tail.first().map(|f| f.fold) == Some(head[0].fold) =>
                {
                    Outcome::Scored(tail)
                }
                Some(Outcome::Scored(tail)) => {
                    Outcome::Scored(head.into_iter().chain(tail).collect())
                }
                Some(Outcome::OverBudget | Outcome::Interrupted) | None => {
                    Outcome::Pruned(head, unfinished.into())
                }
                Some(other) => other,
            },
            (Outcome::Scored(head), false) => Outcome::Pruned(head, why.into()),
            (other, _) => other,
        })
        .collect()
}

fn sweep_on(
    ctx: &Context,
    on: &[usize],
    candidates: &[Candidate],
    progress: &(dyn Fn(Progress) + Sync),
) -> Vec<Outcome> {
    sweep::run(
        ctx.table,
        ctx.folds,
        on,
        candidates,
        ctx.encoding,
        ctx.seed,
        ctx.control,
        progress,
    )
}

fn to_entries(ctx: &Context, candidates: Vec<Candidate>, outcomes: Vec<Outcome>) -> Vec<Entry> {
    let task = ctx.sort.task();
    leaderboard::entries(candidates, outcomes, task, ctx.folds, ctx.table.rows())
}

/// The settings a round draws: [`ROUND`], or as many as `trials` left can score with the
/// promoted third on the `other_folds` too.
fn round_size(trials: Option<usize>, other_folds: usize) -> usize {
    let cost = |n: usize| n + n.div_ceil(PROMOTED_SHARE) * other_folds;
    match trials {
        None => ROUND,
        Some(left) => (0..=ROUND).rev().find(|&n| cost(n) <= left).unwrap_or(0),
    }
}

/// The candidates scored on the first fold, best third by `sort` (at least one), in order.
fn best_third(looks: &[Outcome], sort: Metric) -> Vec<usize> {
    let mut promoted: Vec<usize> = by_first_fold(looks, sort)
        .into_iter()
        .take(looks.len().div_ceil(PROMOTED_SHARE))
        .map(|(i, _)| i)
        .collect();
    promoted.sort_unstable();
    promoted
}

/// The candidates scored on the first fold with their loss by `sort`, best first (ties in
/// candidate order).
fn by_first_fold(looks: &[Outcome], sort: Metric) -> Vec<(usize, f64)> {
    let index = sort_index(sort);
    let mut scored: Vec<(usize, f64)> = looks
        .iter()
        .enumerate()
        .filter_map(|(i, o)| match o {
            Outcome::Scored(f) => Some((i, sort.loss(f[0].scores[index]))),
            _ => None,
        })
        .filter(|(_, l)| !l.is_nan())
        .collect();
    scored.sort_by(|a, b| a.1.total_cmp(&b.1).then(a.0.cmp(&b.0)));
    scored
}

fn sort_index(sort: Metric) -> usize {
    sort.task()
        .metrics()
        .iter()
        .position(|&m| m == sort)
        .unwrap_or(0)
}

/// The algorithms of `families` with a space, not baselines, that scored on every fold, best
/// first by their best candidate, each with that candidate's setting.
fn promising(
    entries: &[Entry],
    families: &[Arc<dyn Algorithm>],
    sort: Metric,
) -> Vec<sample::Family> {
    let mut best: Vec<(f64, usize, sample::Family)> = Vec::new();
    for (order, algorithm) in families.iter().enumerate() {
        if algorithm.is_baseline() || algorithm.space().is_empty() {
            continue;
        }
        let found = entries
            .iter()
            .filter(|e| e.model == algorithm.id() && e.status == Status::Ok)
            .filter_map(|e| Some((sort.loss(e.metric(sort)?.mean), e)))
            .filter(|(l, _)| !l.is_nan())
            .min_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((l, e)) = found {
            let family = sample::Family {
                algorithm: algorithm.clone(),
                best: e.params.clone(),
            };
            best.push((l, order, family));
        }
    }
    best.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    best.into_iter().map(|(_, _, f)| f).collect()
}

/// The best mean of the ranking metric among candidates scored on every fold.
fn point(ctx: &Context, entries: &[Entry], units: usize, started: Instant) -> TracePoint {
    let best = entries
        .iter()
        .filter(|e| e.status == Status::Ok)
        .filter_map(|e| e.metric(ctx.sort).map(|s| s.mean))
        .filter(|v| !v.is_nan())
        .min_by(|a, b| ctx.sort.loss(*a).total_cmp(&ctx.sort.loss(*b)))
        .unwrap_or(f64::NAN);
    TracePoint {
        units,
        seconds: started.elapsed().as_secs_f64(),
        candidates: entries.len(),
        best,
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::sweep::FoldScore;
    use crate::task::Task;

    /// The default grid of the regression algorithms `ids`.
    fn grid(ids: &[&str]) -> Vec<Candidate> {
        let mut grid = Vec::new();
        for algorithm in crate::algorithms::for_task(Task::Regression) {
            let algorithm: Arc<dyn Algorithm> = Arc::from(algorithm);
            if ids.contains(&algorithm.id()) {
                for params in algorithm.grid() {
                    let learner = Arc::from(algorithm.configure(&params).unwrap());
                    let algorithm = algorithm.clone();
                    grid.push(Candidate {
                        algorithm,
                        params,
                        learner,
                    });
                }
            }
        }
        grid
    }

    fn look(fold: usize, rmse: f64) -> Outcome {
        let scores = vec![rmse; Task::Regression.metrics().len()];
        Outcome::Scored(vec![FoldScore {
            fold,
            scores,
            fit_seconds: 0.0,
            predictions: vec![],
        }])
    }

    #[test]
    fn the_race_keeps_the_five_best_and_each_algorithms_best_if_close_and_what_shares_their_fits() {
        let grid = grid(&["ridge", "rf", "gbm", "dt"]);
        let rmse: HashMap<&str, f64> = [
            ("ridge(alpha=0.1)", 1.0),
            ("ridge(alpha=1)", 1.01),
            ("ridge(alpha=10)", 1.3),
            ("rf(max_features=1 min_samples_leaf=1 n_trees=100)", 1.03),
            ("rf(max_features=1 min_samples_leaf=5 n_trees=100)", 1.35),
            ("rf(max_features=0.33 min_samples_leaf=1 n_trees=100)", 1.4),
            ("gbm(iterations=300 learning_rate=0.1 max_depth=3)", 1.2),
            ("gbm(iterations=100 learning_rate=0.1 max_depth=3)", 1.5),
            ("gbm(iterations=300 learning_rate=0.1 max_depth=6)", 5.0),
            ("gbm(iterations=100 learning_rate=0.1 max_depth=6)", 5.1),
        ]
        .into();
        let label = |i: usize| grid[i].label();
        // Within 25% of the best: two ridges, a forest and a boosting fit (its truncation goes
        // along); the third ridge is fifth best but further behind. The fourth forest fails on
        // the first fold: a failed row, never promoted. The decision trees are all more than 25%
        // behind: pruned whole.
        let looks: Vec<Outcome> = (0..grid.len())
            .map(|i| match rmse.get(label(i).as_str()) {
                Some(&r) => look(0, r),
                None if grid[i].algorithm.id() == "dt" => look(0, 1.26 + i as f64),
                None => Outcome::Failed("no".into()),
            })
            .collect();
        assert_eq!(grid.len(), 3 + 4 + 4 + 6);
        let kept = survivors(&grid, &looks, Metric::Rmse, &|_| Vec::new());
        let mut names: Vec<String> = kept.iter().map(|&i| label(i)).collect();
        names.sort();
        assert_eq!(
            names,
            [
                "gbm(iterations=100 learning_rate=0.1 max_depth=3)",
                "gbm(iterations=300 learning_rate=0.1 max_depth=3)",
                "rf(max_features=1 min_samples_leaf=1 n_trees=100)",
                "ridge(alpha=0.1)",
                "ridge(alpha=1)",
            ]
        );
        // A setting far behind that the first fold's stack leans on goes on too, with the
        // setting sharing its fit: the depth-6 booster (the looks are handed over best first,
        // the failed one left out).
        let deep_300 = "gbm(iterations=300 learning_rate=0.1 max_depth=6)";
        let ranked = by_first_fold(&looks, Metric::Rmse);
        let at = ranked
            .iter()
            .position(|&(i, _)| label(i) == deep_300)
            .unwrap();
        let deep = |looks: &[Look]| {
            assert_eq!((looks.len(), looks[at].0), (grid.len() - 1, "gbm"));
            vec![at]
        };
        let with_stack = survivors(&grid, &looks, Metric::Rmse, &deep);
        let added: Vec<String> = with_stack
            .iter()
            .filter(|i| !kept.contains(i))
            .map(|&i| label(i))
            .collect();
        assert_eq!(
            added,
            [
                "gbm(iterations=100 learning_rate=0.1 max_depth=6)",
                deep_300
            ]
        );
        // The kept go on with their other folds; the rest are pruned with their first fold's
        // scores and the reason; the failed stays failed.
        let tails = kept.iter().map(|_| look(1, 1.0)).collect();
        let joined = join(looks, &kept, tails, "why");
        for (i, outcome) in joined.iter().enumerate() {
            match outcome {
                Outcome::Scored(f) => assert!(kept.contains(&i) && f.len() == 2),
                Outcome::Pruned(f, why) => {
                    assert!(!kept.contains(&i) && f.len() == 1 && why == "why")
                }
                Outcome::Failed(_) => assert!(label(i).starts_with("rf(max_features=0.33")),
                other => panic!("{other:?}"),
            }
        }
    }

    #[test]
    fn a_tail_from_the_first_fold_replaces_the_look() {
        let scored = |folds: &[(usize, f64)]| {
            let scores = |r: f64| vec![r; Task::Regression.metrics().len()];
            let f = folds.iter().map(|&(fold, r)| FoldScore {
                fold,
                scores: scores(r),
                fit_seconds: 0.0,
                predictions: vec![],
            });
            Outcome::Scored(f.collect())
        };
        let looks = vec![scored(&[(0, 2.0)]), scored(&[(0, 1.0)])];
        let tails = vec![scored(&[(0, 1.5), (1, 1.6)]), scored(&[(1, 1.1)])];
        let joined = join(looks, &[0, 1], tails, "why");
        let folds = |o: &Outcome| match o {
            Outcome::Scored(f) => f.iter().map(|f| (f.fold, f.scores[0])).collect::<Vec<_>>(),
            other => panic!("{other:?}"),
        };
        assert_eq!(folds(&joined[0]), [(0, 1.5), (1, 1.6)]);
        assert_eq!(folds(&joined[1]), [(0, 1.0), (1, 1.1)]);
    }

    #[test]
    fn a_work_budget_sizes_the_round_so_that_its_promoted_third_is_paid_for() {
        // Four other folds: 12 drawn + 4 promoted x 4 = 28.
        assert_eq!(round_size(None, 4), 12);
        assert_eq!(round_size(Some(28), 4), 12);
        assert_eq!(round_size(Some(27), 4), 11);
        assert_eq!(round_size(Some(5), 4), 1);
        assert_eq!(round_size(Some(4), 4), 0);
    }
}
