//! Split finding: a node's best split among its candidate features, from each feature's
//! non-empty bins (the best "bin <= b" threshold), or for extra trees a random threshold.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::binning::{Binned, MAX_BINS};
use super::fixed::Hessians;
use super::grow::{Fitting, Growth};
use super::histogram::{Histogram, Sums};
use super::scan::{floats, Rule, Scan};

/// A node's chosen split: rows with `code <= bin` of `feature` go left.
pub(super) struct Split {
    pub(super) feature: usize,
    pub(super) bin: u8,
    pub(super) gain: f64,
    /// The left child's sums.
    pub(super) left: Sums,
}

/// Finds the splits of one tree's nodes; it holds the scratch space for one feature's bins, so
/// that nodes reuse it.
pub(super) struct SplitFinder<'a> {
    bins: &'a Binned,
    rule: Rule<'a>,
    grad: &'a [i64],
    hess: Hessians<'a>,
    /// A small node's sums per bin (all zero between uses).
    scratch: Vec<Sums>,
    /// Every hessian is 1 (squared error, forests): a node's best score has a ceiling.
    unit_hessians: bool,
    /// A small node's gradients, sorted for its ceiling.
    sorted: Vec<i64>,
    /// The features from the most relevant (see [`Binned::by_relevance`]).
    relevance: &'a [usize],
}

/// Nodes of at most this many rows stop their search at the ceiling (see [`ceiling`]); in
/// larger ones the best split rarely reaches it, and sorting their gradients would cost more.
const CEILING_ROWS: usize = 64;
/// Nodes that try fewer features search them all: the ceiling (a sort of the node's gradients)
/// costs about as much as a search of a dozen features, and on wage (17 features, many rows
/// alike, so few nodes reach it) a floor of 8 made forests 6% slower.
const CEILING_FEATURES: usize = 32;

/// Whether a fit's small nodes may stop their search at the ceiling (see
/// [`SplitFinder::best`]): best splits, every hessian 1, and at least [`CEILING_FEATURES`]
/// features `tried` a node. Only then does a fit need its features' relevance order.
pub(super) fn may_stop_at_ceiling(growth: &Growth, tried: usize, unit_hessians: bool) -> bool {
    unit_hessians && !growth.random_splits && tried >= CEILING_FEATURES
}

impl<'a> SplitFinder<'a> {
    pub(super) fn new(fitting: &Fitting<'a>, growth: &'a Growth) -> SplitFinder<'a> {
        SplitFinder {
            bins: fitting.bins,
            rule: Rule::new(growth, fitting.units),
            grad: fitting.grad,
            hess: fitting.hess,
            scratch: vec![Sums::default(); MAX_BINS],
            unit_hessians: matches!(fitting.hess, Hessians::Ones),
            sorted: Vec::with_capacity(CEILING_ROWS),
            relevance: fitting.relevance,
        }
    }

    /// The best split of a node's `rows` (with sums `total`) on one of `features`, if any
    /// improves the loss; `histogram` is the node's (block `k` for `features[k]`) when it has
    /// one; `position[f]` is feature `f`'s place in `features` (beyond them when not tried).
    pub(super) fn best(
        &mut self,
        features: &[usize],
        position: &[usize],
        histogram: Option<&Histogram>,
        rows: &[u32],
        total: Sums,
        rng: &mut ChaCha8Rng,
    ) -> Option<Split> {
        let rule = self.rule;
        let parent = rule.score(total);
        let min_gain = 1e-12 * parent.abs();
        let mut best: Option<Split> = None;
        // The best split's score (its children's scores summed): a feature's thresholds that
        // score no more cannot win, so its scan skips them.
        let mut bar = f64::NEG_INFINITY;
        let ceiling = self.ceiling(rows, total, features.len());
        // Where the search may stop at the ceiling, the features that tie it go to the first
        // one met: the node tries its features from the most relevant (see
        // [`Binned::by_relevance`]), not the lowest numbered, which is as good as at random.
        let mut ranked = self
            .relevance
            .iter()
            .map(|&f| position[f])
            .filter(|&k| k < features.len());
        let mut numbered = 0..features.len();
        let order: &mut dyn Iterator<Item = usize> = match ceiling.is_finite() {
            true => &mut ranked,
            false => &mut numbered,
        };
        for k in order {
            let feature = features[k];
            let candidate = if rule.growth.random_splits {
                self.random_split(feature, rows, total, rng)
            } else {
                let mut scan = Scan::new(rule, total, bar);
                match histogram {
                    Some(histogram) => scan.push_block(histogram.block(k, self.bins.bins(feature))),
                    None => self.scan_rows(feature, rows, &mut scan),
                }
                scan.best()
            };
            if let Some((scored, bin, left)) = candidate {
                let gain = scored - parent;
                if gain > min_gain && best.as_ref().is_none_or(|b| gain > b.gain) {
                    bar = scored;
                    best = Some(Split {
                        feature,
                        bin,
                        gain,
                        left,
                    });
                    if scored >= ceiling {
                        break;
                    }
                }
            }
        }
        best.map(|split| Split {
            gain: split.gain * rule.real_score,
            ..split
        })
    }

    /// The score above which no split of a small node's `rows` (with sums `total`) can go,
    /// less 1e-12 of it (far above the roundings of either sum), when every hessian is 1 and
    /// the node tries at least [`CEILING_FEATURES`] (`tried`) by their best threshold; else
    /// infinity. A split whose score reaches it ties the best there is, and the search stops
    /// there: in a node of a few rows many features part the rows alike (two rows: every
    /// feature that tells them apart), and the rest of the features would only tie it.
    ///
    /// With unit hessians a left side of `j` rows with gradient sum `gl` scores
    /// `gl^2 / (j + lambda) + (G - gl)^2 / (n - j + lambda)`, convex in `gl`, so at its most
    /// where `gl` is the sum of the `j` smallest gradients or the `j` largest (the other side
    /// then holds the `n - j` smallest): the best of the splits of the sorted gradients.
    /// Splits no feature can make (a bootstrap's repeated row parted from itself) only raise
    /// the ceiling, so it stays above every split a feature can make.
    fn ceiling(&mut self, rows: &[u32], total: Sums, tried: usize) -> f64 {
        let rule = self.rule;
        if !may_stop_at_ceiling(rule.growth, tried, self.unit_hessians) || rows.len() > CEILING_ROWS
        {
            return f64::INFINITY;
        }
        let sorted = &mut self.sorted;
        sorted.clear();
        sorted.extend(rows.iter().map(|&r| self.grad[r as usize]));
        sorted.sort_unstable();
        let n = rows.len();
        let least = (rule.growth.min_samples_leaf as usize).max(1);
        let mut left = 0;
        let mut most = f64::NEG_INFINITY;
        for (j, &g) in sorted.iter().enumerate().take(n.saturating_sub(least)) {
            left += g;
            if j + 1 >= least {
                let (l, r) = (left as f64, (total.g - left) as f64);
                let p = (j + 1) as f64 + rule.lambda;
                let q = (n - j - 1) as f64 + rule.lambda;
                most = most.max(l * l / p + r * r / q);
            }
        }
        match most.is_finite() {
            true => most * (1.0 - 1e-12),
            false => f64::INFINITY,
        }
    }

    /// Feeds `scan` a node's non-empty bins of `feature`, summed from its few `rows` through a
    /// scratch table of which only the bins present are read and cleared.
    fn scan_rows(&mut self, feature: usize, rows: &[u32], scan: &mut Scan) {
        let codes = self.bins.column(feature);
        // The bins present, as a bitmap read in ascending order (no sort).
        let mut present = [0u64; MAX_BINS / 64];
        let (grad, scratch) = (self.grad, &mut self.scratch);
        let mut add = |hess: &dyn Fn(u32) -> i64| {
            for &r in rows {
                let bin = codes[r as usize];
                scratch[bin as usize].add(grad[r as usize], hess(r));
                present[bin as usize / 64] |= 1 << (bin % 64);
            }
        };
        match self.hess {
            Hessians::Each(hess) => add(&|r| hess[r as usize]),
            Hessians::Ones => add(&|_| 1),
        }
        for (word, mut bits) in present.into_iter().enumerate() {
            while bits != 0 {
                let bin = word * 64 + bits.trailing_zeros() as usize;
                bits &= bits - 1;
                scan.push(bin as u8, std::mem::take(&mut self.scratch[bin]));
            }
        }
    }

    /// Extra trees: a threshold drawn uniformly among the bins between the node's smallest and
    /// largest value of `feature` (no histogram: one pass for the range, one for the left sums).
    fn random_split(
        &self,
        feature: usize,
        rows: &[u32],
        total: Sums,
        rng: &mut ChaCha8Rng,
    ) -> Option<(f64, u8, Sums)> {
        let codes = self.bins.column(feature);
        let top = (self.bins.bins(feature) - 1) as u8;
        let (mut first, mut last) = (u8::MAX, 0);
        // Rows in blocks: once the node holds the feature's lowest and highest bins (a one-hot
        // column's 0 and 1, soon), the rest cannot widen the range.
        for block in rows.chunks(16) {
            for &r in block {
                let bin = codes[r as usize];
                first = first.min(bin);
                last = last.max(bin);
            }
            if first == 0 && last == top {
                break;
            }
        }
        if first >= last {
            return None;
        }
        let bin = rng.gen_range(first..last);
        let left = left_of(codes, rows, bin, self.grad, self.hess);
        let right = total.minus(left);
        let rule = self.rule;
        rule.allowed(left, right).then(|| {
            (
                rule.split_score(&rule.sides(left, floats(total))),
                bin,
                left,
            )
        })
    }
}

/// The sums of the `rows` whose code is at most `bin`. Without a branch (a random threshold's
/// is mispredicted about as often as not, which had made this loop about 45% of an extra tree's
/// split search): every row adds, a right one 0. (A mask, `grad & keep`, was compiled back into
/// a branch around the loads, and made extra trees 60% slower.)
fn left_of(codes: &[u8], rows: &[u32], bin: u8, grad: &[i64], hess: Hessians) -> Sums {
    match hess {
        Hessians::Each(hess) => left_of_by(codes, rows, bin, grad, |r| hess[r as usize]),
        Hessians::Ones => left_of_by(codes, rows, bin, grad, |_| 1),
    }
}

/// [`left_of`], a row's hessian read by `hess` (a constant 1 reads no array).
#[inline(never)]
fn left_of_by(
    codes: &[u8],
    rows: &[u32],
    bin: u8,
    grad: &[i64],
    hess: impl Fn(u32) -> i64,
) -> Sums {
    // Of one length, so that one bounds check serves both.
    let grad = &grad[..codes.len()];
    let mut left = Sums::default();
    for &r in rows {
        let (g, h) = (grad[r as usize], hess(r));
        let goes = codes[r as usize] <= bin;
        left.g += std::hint::select_unpredictable(goes, g, 0);
        left.h += std::hint::select_unpredictable(goes, h, 0);
        left.n += u32::from(goes);
    }
    left
}

#[cfg(test)]
mod tests {
    use super::super::fixed::Units;
    use super::super::grow::sums_of;
    use super::*;
    use rand::SeedableRng;

    /// A finder of unit hessians and sums in real terms (units of 1).
    fn finder<'a>(
        bins: &'a Binned,
        growth: &'a Growth,
        grad: &'a [i64],
        relevance: &'a [usize],
    ) -> SplitFinder<'a> {
        let units = Units { g: 1.0, h: 1.0 };
        let fitting = Fitting {
            bins,
            relevance,
            grad,
            hess: Hessians::Ones,
            units,
        };
        SplitFinder::new(&fitting, growth)
    }

    fn growth(lambda: f64) -> Growth {
        Growth {
            max_depth: 6,
            min_samples_leaf: 1,
            max_features: 1,
            random_splits: false,
            lambda,
            min_hessian: 0.0,
            shrink: 1.0,
        }
    }

    /// A small random table's bins, gradients and one node's rows (repeats allowed, as in a
    /// bootstrap), with some columns of few values and some continuous.
    fn small_node(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> (Binned, Vec<i64>, Vec<u32>) {
        let x = ndarray::Array2::from_shape_fn((rows, cols), |(_, c)| match c % 3 {
            0 => f64::from(rng.gen_range(0..3)),
            _ => rng.gen::<f64>(),
        });
        let grad = (0..rows)
            .map(|_| rng.gen_range(-1i64 << 40..1 << 40))
            .collect();
        let mut node: Vec<u32> = (0..rows).map(|_| rng.gen_range(0..rows as u32)).collect();
        node.sort_unstable();
        (Binned::new(x.view()), grad, node)
    }

    #[test]
    fn the_ceiling_is_the_best_score_of_any_partition_of_the_rows() {
        let mut rng = ChaCha8Rng::seed_from_u64(21);
        for case in 0..300 {
            let n = rng.gen_range(2..=12);
            let (bins, grad, node) = small_node(&mut rng, n, 8);
            let mut growth = growth([0.0, 1.0][case % 2]);
            growth.min_samples_leaf = rng.gen_range(1..=n as u32 / 2);
            let numbered: Vec<usize> = (0..8).collect();
            let mut finder = finder(&bins, &growth, &grad, &numbered);
            let rule = finder.rule;
            let total = sums_of(&node, &grad, Hessians::Ones);
            let ceiling = finder.ceiling(&node, total, CEILING_FEATURES) / (1.0 - 1e-12);
            // Every way to part the node's rows (as positions: a repeated row may go either way).
            let mut most = f64::NEG_INFINITY;
            for mask in 1..(1u32 << n) - 1 {
                let left: Vec<u32> = (0..n)
                    .filter(|i| mask >> i & 1 == 1)
                    .map(|i| node[i])
                    .collect();
                let left = sums_of(&left, &grad, Hessians::Ones);
                if rule.allowed(left, total.minus(left)) {
                    most = most.max(rule.score(left) + rule.score(total.minus(left)));
                }
            }
            assert!(
                (ceiling - most).abs() <= 1e-12 * most.abs(),
                "case {case}: {ceiling} vs {most}"
            );
        }
    }

    #[test]
    fn a_search_stopped_at_the_ceiling_finds_as_good_a_split_no_later() {
        let mut rng = ChaCha8Rng::seed_from_u64(22);
        let mut stopped = 0;
        for case in 0..2_000 {
            let n = rng.gen_range(2..=CEILING_ROWS);
            let cols = rng.gen_range(CEILING_FEATURES..CEILING_FEATURES + 30);
            let (bins, grad, node) = small_node(&mut rng, n, cols);
            let mut growth = growth([0.0, 1.0][case % 2]);
            growth.min_samples_leaf = rng.gen_range(1..=3);
            if node.len() < 2 * growth.min_samples_leaf as usize {
                continue;
            }
            // Features tried in number order either way, so that "no later" has a meaning.
            let features: Vec<usize> = (0..bins.cols).collect();
            let total = sums_of(&node, &grad, Hessians::Ones);
            let mut stopping = finder(&bins, &growth, &grad, &features);
            let mut full = finder(&bins, &growth, &grad, &features);
            full.unit_hessians = false;
            let search = |finder: &mut SplitFinder| {
                finder.best(
                    &features,
                    &features,
                    None,
                    &node,
                    total,
                    &mut ChaCha8Rng::seed_from_u64(0),
                )
            };
            match (search(&mut stopping), search(&mut full)) {
                (None, None) => {}
                (Some(a), Some(b)) => {
                    assert!(
                        b.gain - a.gain <= 1e-11 * b.gain,
                        "case {case}: {} < {}",
                        a.gain,
                        b.gain
                    );
                    assert!(a.feature <= b.feature, "case {case}");
                    let ceiling = stopping.ceiling(&node, total, features.len());
                    stopped += usize::from(a.gain + stopping.rule.score(total) >= ceiling);
                }
                _ => panic!("case {case}: one search found a split, the other none"),
            }
        }
        // Many nodes' best split reaches the ceiling (those of a few rows above all).
        assert!(stopped > 200, "{stopped}");
    }

    #[test]
    fn of_features_that_tie_a_stopped_search_takes_the_most_relevant() {
        // Two rows that every feature tells apart: every feature's split ties the ceiling.
        let cols = CEILING_FEATURES + 2;
        let x = ndarray::Array2::from_shape_fn((2, cols), |(r, c)| (r * (c + 1)) as f64);
        let bins = Binned::new(x.view());
        let grad = vec![1, -1];
        let growth = growth(0.0);
        let features: Vec<usize> = (0..cols).collect();
        let mut seven_first = features.clone();
        seven_first[..8].rotate_right(1);
        for relevance in [seven_first, (0..cols).rev().collect()] {
            let mut finder = finder(&bins, &growth, &grad, &relevance);
            let total = sums_of(&[0, 1], &grad, Hessians::Ones);
            let split = finder
                .best(
                    &features,
                    &features,
                    None,
                    &[0, 1],
                    total,
                    &mut ChaCha8Rng::seed_from_u64(0),
                )
                .unwrap();
            assert_eq!(split.feature, relevance[0]);
            // Only the features in the node's sample count (7 and the last are not tried).
            let mut tried: Vec<usize> = (0..cols).filter(|&f| f != 7 && f != cols - 1).collect();
            tried.extend([7, cols - 1]);
            let mut position = vec![0; cols];
            for (k, &f) in tried.iter().enumerate() {
                position[f] = k;
            }
            tried.truncate(cols - 2);
            let split = finder
                .best(
                    &tried,
                    &position,
                    None,
                    &[0, 1],
                    total,
                    &mut ChaCha8Rng::seed_from_u64(0),
                )
                .unwrap();
            let first = relevance.iter().find(|f| tried.contains(f)).unwrap();
            assert_eq!(split.feature, *first);
        }
    }

    #[test]
    fn left_sums_without_a_branch_are_the_branchy_sums() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for case in 0..2_000 {
            let n = rng.gen_range(0..300);
            let codes: Vec<u8> = (0..n).map(|_| rng.gen_range(0..8)).collect();
            // Zeros, small and large magnitudes of both signs.
            let value = |rng: &mut ChaCha8Rng| match rng.gen_range(0..4) {
                0 => 0,
                1 => rng.gen_range(-3..4),
                _ => rng.gen_range(-1i64 << 52..1 << 52),
            };
            let grad: Vec<i64> = (0..n).map(|_| value(&mut rng)).collect();
            let hess: Vec<i64> = (0..n).map(|_| value(&mut rng)).collect();
            let rows: Vec<u32> = (0..n as u32).filter(|_| rng.gen_bool(0.7)).collect();
            let bin = (case % 8) as u8;
            let mut branchy = Sums::default();
            for &r in &rows {
                if codes[r as usize] <= bin {
                    branchy.add(grad[r as usize], hess[r as usize]);
                }
            }
            assert_eq!(
                left_of(&codes, &rows, bin, &grad, Hessians::Each(&hess)),
                branchy,
                "case {case}"
            );
            // Every hessian 1: the left's hessian is its count.
            let ones = left_of(&codes, &rows, bin, &grad, Hessians::Ones);
            assert_eq!(
                (ones.g, ones.h, ones.n),
                (branchy.g, branchy.n.into(), branchy.n)
            );
        }
    }
}
