//! The grid's race: every setting on the first fold, then only the promising ones on the
//! others; the rest are ranked as `pruned`, with their first fold's scores and the reason.
//! Every decision reads scores and cost estimates alone, never times or threads.

use std::collections::{BTreeSet, HashSet};
use std::sync::atomic::{AtomicUsize, Ordering};

use super::{by_first_fold, join, Context, LeanedOn, Look};
use crate::folds::Fold;
use crate::metrics::Metric;
use crate::sweep::{self, Candidate, Outcome, Progress};

/// How many of the grid's best settings on the first fold (within [`RACE_MARGIN`]) go on to the
/// others whatever their algorithm.
pub const RACE_LEADERS: usize = 5;
/// How far behind the leader's first-fold score (a share of it) a setting may be and still go
/// on: an algorithm further behind is pruned whole, its rows keeping their scores.
pub const RACE_MARGIN: f64 = 0.25;
/// Fewest validation rows of the first fold for the grid to race: a smaller fold is too noisy
/// to judge settings by (on cars93's 19 rows the best setting over five folds ranked 8th). On
/// nine tables of 1,000-1,800 rows raced from 200, the best row was the one `--full-cv` gives on
/// eight (ncbirths's better) and 0.4% less accurate on a classification whose greedy ensemble
/// lost two pruned extra-trees settings.
pub const RACE_MIN_ROWS: usize = 200;
/// A first fold of fewer validation rows than this is thin (1,000 to 5,000 rows at 5 folds): the
/// race there is careful, as such a table's grid takes seconds, not minutes. Forests are looked
/// at with all their trees: a 10-tree look of a fully grown forest on wage (with its log-wage
/// leak) was more than 25% behind the booster and pruned, yet at 100 trees it was the best
/// setting over five folds. And the [`RACE_CHEAP`] settings go on.
pub const RACE_THIN_ROWS: usize = 1_000;
/// On a thin first fold (see [`RACE_THIN_ROWS`]) a setting whose estimated cost is at most this
/// share of the grid's goes on whatever its score: pruning it saves next to nothing, and the
/// ensembles may use it. The first fold's stack, which decides which far-behind settings the
/// ensembles lean on, is fitted on a few hundred rows there: on 3,000- and 4,000-row tables the
/// five-fold stacks weighted an OLS and a k-NN it had left out, and without this rule the best CV
/// RMSE was 0.35-0.6% worse. (Not on larger tables: the estimates undercount linear fits there,
/// a lasso fold fit on birthdays taking a seventh of a depth-6 booster's, estimated at a 250th,
/// and keeping them made birthdays's compare take 52 s instead of 28 s.)
pub const RACE_CHEAP: f64 = 0.02;

/// Whether a compare on `folds` races its grid when allowed (see [`race`]).
pub fn races(folds: &[Fold]) -> bool {
    folds.len() > 1 && folds[0].valid.len() >= RACE_MIN_ROWS
}

/// The grid's race: every setting on the first fold (a forest with a tenth of its trees, its
/// look, unless the fold is thin: [`RACE_THIN_ROWS`]), then only the [`survivors`] on the other
/// folds (on every fold, a setting that looked through a cheaper one); the rest are pruned with
/// their first fold's scores, rows of their looks. Where the fold is not thin, idle workers of
/// the first round score settings' other folds ahead of time ([`sweep::run_sparing`]). Returns
/// the candidates and their outcomes in grid order and the candidate-folds scored. The progress
/// counts the first fold as a fifth (or so) of a full sweep, and the other folds' share shrinks
/// to what the race kept.
pub(super) fn race(ctx: &Context, grid: Vec<Candidate>) -> (Vec<Candidate>, Vec<Outcome>, usize) {
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
    let thin = is_thin(ctx.folds);
    let lookers: Vec<Candidate> = match thin {
        true => grid.clone(),
        false => grid.iter().map(|c| c.look().unwrap_or(c.clone())).collect(),
    };
    let cheap = match thin {
        true => cheap(ctx, &grid),
        false => vec![false; grid.len()],
    };
    // Where the first fold is not thin, a setting scored as itself there (not a forest's look)
    // may be scored on the others ahead of time by a worker that would idle: the long ones
    // there, boosting and k-NN, mostly go on. (On thin folds the longest settings are forests
    // the race mostly prunes: their other folds would be work thrown away.)
    let as_itself: Vec<bool> = (lookers.iter().zip(&grid))
        .map(|(look, c)| look.params == c.params)
        .collect();
    let spare: Vec<Vec<usize>> = as_itself
        .iter()
        .map(|&itself| match !thin && itself {
            true => rest.to_vec(),
            false => Vec::new(),
        })
        .collect();
    let first_setup = (
        ctx.encoding,
        ctx.seed,
        ctx.control,
        &looking as &(dyn Fn(Progress) + Sync),
    );
    let (looks, spared) =
        sweep::run_sparing(ctx.table, ctx.folds, first, &lookers, first_setup, &spare);
    let kept = survivors((&lookers, &cheap), &looks, ctx.sort, ctx.leaned_on);
    let chosen: Vec<Candidate> = kept.iter().map(|&i| grid[i].clone()).collect();
    let on: Vec<Vec<usize>> = kept
        .iter()
        .map(|&i| match as_itself[i] {
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
    // The kept settings' results had ahead of time, as the kept settings number them.
    let given = spared
        .into_iter()
        .filter_map(|(c, f, result)| Some((kept.iter().position(|&k| k == c)?, f, result)))
        .collect();
    let tails = sweep::run_each(ctx.table, ctx.folds, &on, &chosen, setup, given);
    let units = grid.len() + on.iter().map(Vec::len).sum::<usize>();
    let cheap_too = match thin {
        true => format!(", nor costing at most {}% of the grid", RACE_CHEAP * 100.0),
        false => String::new(),
    };
    let why = format!(
        "after the first fold (the race): more than {}% behind the best there, or not among the \
         {RACE_LEADERS} best nor its algorithm's best, nor weighted by the first fold's \
         stack{cheap_too} (--full-cv scores every fold)",
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

/// Whether the first fold is thin (see [`RACE_THIN_ROWS`]).
fn is_thin(folds: &[Fold]) -> bool {
    folds[0].valid.len() < RACE_THIN_ROWS
}

/// Whether each setting of the `grid` costs at most [`RACE_CHEAP`] of the whole grid by the
/// sweep's estimates ([`sweep::estimated_costs`]).
fn cheap(ctx: &Context, grid: &[Candidate]) -> Vec<bool> {
    let costs = sweep::estimated_costs(ctx.table, ctx.folds, ctx.encoding, grid);
    let total: f64 = costs.iter().sum();
    costs.iter().map(|&c| c <= RACE_CHEAP * total).collect()
}

/// The grid's settings that go on after the first fold: of those within [`RACE_MARGIN`] of the
/// leader's score there, the [`RACE_LEADERS`] best and the best setting of every algorithm (so
/// that the ensembles keep their variety); those a stack of the first fold's looks leans on,
/// however far behind (`leaned_on`, see [`Context::leaned_on`]); the `cheap` ones that scored
/// (see [`RACE_CHEAP`]); then every setting scored from one fit with one of those (a staged
/// truncation costs nothing more).
fn survivors(
    (grid, cheap): (&[Candidate], &[bool]),
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
    kept.extend(first.iter().map(|&(i, _)| i).filter(|&i| cheap[i]));
    let shared: Vec<_> = kept.iter().filter_map(|&i| grid[i].staged_key()).collect();
    for (i, look) in looks.iter().enumerate() {
        let key = grid[i].staged_key();
        if matches!(look, Outcome::Scored(_)) && key.is_some_and(|k| shared.contains(&k)) {
            kept.insert(i);
        }
    }
    kept.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;
    use std::sync::Arc;

    use super::*;
    use crate::algorithms::Algorithm;
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
        let dear = vec![false; grid.len()];
        let kept = survivors((&grid, &dear), &looks, Metric::Rmse, &|_| Vec::new());
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
        let with_stack = survivors((&grid, &dear), &looks, Metric::Rmse, &deep);
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
        // Cheap settings go on however far behind (the decision trees, here), unless they
        // failed (the fourth forest).
        let cheap: Vec<bool> = (0..grid.len())
            .map(|i| ["dt", "rf"].contains(&grid[i].algorithm.id()))
            .collect();
        let with_cheap = survivors((&grid, &cheap), &looks, Metric::Rmse, &|_| Vec::new());
        let cheap_kept = |kept: &[usize]| kept.iter().filter(|&&i| cheap[i]).count();
        // All six trees and the two scored forests that were pruned.
        assert_eq!(cheap_kept(&kept) + 6 + 2, cheap_kept(&with_cheap));
        assert!(kept.iter().all(|i| with_cheap.contains(i)));
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
}
