//! The search: the default grid, raced ([`race`]) or on every fold, then, within a budget,
//! rounds of successive halving over wider spaces ([`sample`]). A round draws [`ROUND`]
//! settings of the algorithms the grid found promising, scores each on the first fold only (the
//! cheap look), and promotes the best third to the other folds; the rest are `pruned`, with the
//! score they had. Only candidates scored on every fold are ranked.
//!
//! Every decision depends on scores (and the race's on cost estimates) alone, never on time or
//! threads, so a work budget (`trials`: candidate-folds after the grid) gives the same
//! leaderboard on any machine; a time budget stops wherever the clock says.

mod race;
mod sample;

pub use race::{races, RACE_CHEAP, RACE_LEADERS, RACE_MARGIN, RACE_MIN_ROWS, RACE_THIN_ROWS};

use std::collections::BTreeSet;
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
        None if ctx.race => race::race(ctx, grid),
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
    use super::*;
    use crate::sweep::FoldScore;
    use crate::task::Task;

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
