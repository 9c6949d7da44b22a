//! The order of the sweep's work: candidates that share one staged fit are grouped, groups run
//! longest first, and fold tasks are laid out candidate after candidate (small tables) or fold
//! after fold (large ones, so that one fold's matrices are alive at a time).

use super::Candidate;

/// Below this many bytes of encoded matrices for all folds, candidates run one after another
/// (all folds of one, then the next), so a stopped sweep has whole candidates finished; above
/// it, fold after fold, so that only one fold's matrices are alive at a time.
const CANDIDATE_MAJOR_BYTES: usize = 256 << 20;

/// The runnable candidates in groups scored from one fit: candidates of an algorithm with a
/// staged hyperparameter (boosting's iterations, k-NN's k) that differ only in it (and in how
/// a model predicts: k-NN's weighting) share the fit with the most stages, first in its group;
/// the others are its truncations, which are exactly the models fitted with fewer stages.
/// Every other candidate is a group of its own.
/// Groups come baselines first, then longest first by `cost` (or, `cheap_first` under a time
/// budget, so that as many candidates as possible finish, shortest first), then in candidate
/// order.
pub(super) fn groups(
    candidates: &[Candidate],
    runnable: &[usize],
    cost: impl Fn(usize) -> f64,
    cheap_first: bool,
) -> Vec<Vec<usize>> {
    let staged = |c: usize| {
        let candidate = &candidates[c];
        Some((candidate.fit_key()?, candidate.learner.stages()?))
    };
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for &c in runnable {
        let same = staged(c).and_then(|(key, _)| {
            groups
                .iter()
                .position(|g| staged(g[0]).is_some_and(|(other, _)| other == key))
        });
        match same {
            Some(g) => groups[g].push(c),
            None => groups.push(vec![c]),
        }
    }
    for group in &mut groups {
        group.sort_by_key(|&c| (std::cmp::Reverse(staged(c).map_or(0, |s| s.1)), c));
    }
    // Baselines first (a budget that runs out still ranks them), then longest first, so that
    // no core idles at the end waiting on one long fit.
    let baseline = |c: usize| !candidates[c].algorithm.is_baseline();
    let longest = |a: usize, b: usize| match cheap_first {
        true => cost(a).total_cmp(&cost(b)),
        false => cost(b).total_cmp(&cost(a)),
    };
    groups.sort_by(|a, b| {
        baseline(a[0])
            .cmp(&baseline(b[0]))
            .then(longest(a[0], b[0]))
            .then(a[0].cmp(&b[0]))
    });
    groups
}

/// The (fold, group) tasks on folds `on` in the order workers take them, given the bytes that
/// every fold's matrices take together. Under a time budget (`budgeted`) whole candidates are
/// worth more than many half-scored ones, so candidate after candidate goes on to 4 GiB.
pub(super) fn tasks(
    on: &[usize],
    groups: usize,
    all_folds_bytes: usize,
    budgeted: bool,
) -> Vec<(usize, usize)> {
    if candidate_major(all_folds_bytes, budgeted) {
        (0..groups)
            .flat_map(|g| on.iter().map(move |&f| (f, g)))
            .collect()
    } else {
        // A fold's shared matrices live only while its tasks run.
        on.iter()
            .flat_map(|&f| (0..groups).map(move |g| (f, g)))
            .collect()
    }
}

/// Whether the folds' matrices, `all_folds_bytes` together, may all be alive at once: then the
/// tasks run candidate after candidate.
pub(super) fn candidate_major(all_folds_bytes: usize, budgeted: bool) -> bool {
    all_folds_bytes <= CANDIDATE_MAJOR_BYTES * if budgeted { 16 } else { 1 }
}

/// A distinct, reproducible seed for each fold.
pub(super) fn fold_seed(seed: u64, fold: usize) -> u64 {
    seed ^ (fold as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15)
}

/// Deals `tasks` to `shards`: longest first (by `cost`, ties in task order), each to the shard
/// with the least cost dealt so far (the lowest-numbered on a tie). Returns each task's shard.
pub(super) fn deal<T>(tasks: &[T], cost: impl Fn(&T) -> f64, shards: usize) -> Vec<usize> {
    let mut order: Vec<usize> = (0..tasks.len()).collect();
    order.sort_by(|&a, &b| cost(&tasks[b]).total_cmp(&cost(&tasks[a])).then(a.cmp(&b)));
    let mut load = vec![0.0f64; shards.max(1)];
    let mut dealt = vec![0; tasks.len()];
    for i in order {
        let lightest = (0..load.len())
            .min_by(|&a, &b| load[a].total_cmp(&load[b]).then(a.cmp(&b)))
            .unwrap_or(0);
        load[lightest] += cost(&tasks[i]).max(0.0);
        dealt[i] = lightest;
    }
    dealt
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tasks_are_dealt_longest_first_to_the_lightest_shard() {
        let costs = [1.0, 5.0, 3.0, 3.0, 2.0];
        let dealt = deal(&costs, |&c| c, 2);
        // 5 -> 0; 3 -> 1; 3 -> 1 (load 3 < 5); 2 -> 0 (5 < 6); 1 -> 1 (6 < 7).
        assert_eq!(dealt, vec![1, 0, 1, 1, 0]);
        assert_eq!(deal(&costs, |&c| c, 1), vec![0; 5]);
    }
}
