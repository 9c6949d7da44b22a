//! Split finding: a node's best split among its candidate features, from each feature's
//! non-empty bins (the best "bin <= b" threshold), or for extra trees a random threshold.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::binning::{Binned, MAX_BINS};
use super::grow::Growth;
use super::histogram::{Histogram, Sums};

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
    growth: &'a Growth,
    grad: &'a [f64],
    hess: &'a [f64],
    /// A small node's sums per bin (all zero between uses).
    scratch: Vec<Sums>,
    /// Every hessian is 1 (squared error, forests): a node's best score has a ceiling.
    unit_hessians: bool,
    /// A small node's gradients, sorted for its ceiling.
    sorted: Vec<f64>,
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
    /// `unit_hessians`: every one of `hess` is 1 (squared error, forests).
    pub(super) fn new(
        bins: &'a Binned,
        growth: &'a Growth,
        (grad, hess, unit_hessians): (&'a [f64], &'a [f64], bool),
        relevance: &'a [usize],
    ) -> SplitFinder<'a> {
        SplitFinder {
            bins,
            growth,
            grad,
            hess,
            scratch: vec![Sums::default(); MAX_BINS],
            unit_hessians,
            sorted: Vec::with_capacity(CEILING_ROWS),
            relevance,
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
        let parent = score(self.growth, total);
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
            let candidate = if self.growth.random_splits {
                self.random_split(feature, rows, total, rng)
            } else {
                let mut scan = Scan::new(self.growth, total, bar);
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
        best
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
        let growth = self.growth;
        if !may_stop_at_ceiling(growth, tried, self.unit_hessians) || rows.len() > CEILING_ROWS {
            return f64::INFINITY;
        }
        let sorted = &mut self.sorted;
        sorted.clear();
        sorted.extend(rows.iter().map(|&r| self.grad[r as usize]));
        sorted.sort_unstable_by(f64::total_cmp);
        let n = rows.len();
        let least = (growth.min_samples_leaf as usize).max(1);
        let mut left = 0.0;
        let mut most = f64::NEG_INFINITY;
        for (j, &g) in sorted.iter().enumerate().take(n.saturating_sub(least)) {
            left += g;
            if j + 1 >= least {
                let right = total.g - left;
                let p = (j + 1) as f64 + growth.lambda;
                let q = (n - j - 1) as f64 + growth.lambda;
                most = most.max(left * left / p + right * right / q);
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
        for &r in rows {
            let bin = codes[r as usize];
            self.scratch[bin as usize].add(self.grad[r as usize], self.hess[r as usize]);
            present[bin as usize / 64] |= 1 << (bin % 64);
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
        allowed(self.growth, left, right).then(|| {
            (
                score(self.growth, left) + score(self.growth, right),
                bin,
                left,
            )
        })
    }
}

/// The sums of the `rows` whose code is at most `bin`, added in row order. Without a branch (a
/// random threshold's is mispredicted about as often as not, which had made this loop about 45%
/// of an extra tree's split search): every row adds, a right one +0.0, which leaves the sums as
/// they were to the bit (they start at +0.0, so are never -0.0, the one value that adding +0.0
/// changes).
fn left_of(codes: &[u8], rows: &[u32], bin: u8, grad: &[f64], hess: &[f64]) -> Sums {
    let mut left = Sums::default();
    for &r in rows {
        let keep = u64::from(codes[r as usize] <= bin).wrapping_neg();
        let (g, h) = (grad[r as usize], hess[r as usize]);
        left.g += f64::from_bits(g.to_bits() & keep);
        left.h += f64::from_bits(h.to_bits() & keep);
        left.n += (keep & 1) as u32;
    }
    left
}

fn score(growth: &Growth, s: Sums) -> f64 {
    s.g * s.g / (s.h + growth.lambda)
}

fn allowed(growth: &Growth, left: Sums, right: Sums) -> bool {
    left.n >= growth.min_samples_leaf
        && right.n >= growth.min_samples_leaf
        && left.h >= growth.min_hessian
        && right.h >= growth.min_hessian
}

/// The best "bin <= b" split of one feature that scores more than a bar (the node's best split
/// so far), its non-empty bins fed in ascending order as they are read (no list of them is kept:
/// a threshold is tried once a later bin shows that it leaves rows on the right).
struct Scan<'a> {
    growth: &'a Growth,
    total: Sums,
    left: Sums,
    /// The last bin fed, not yet tried.
    pending: Option<(u8, Sums)>,
    /// The right side has become too small for every later threshold.
    ended: bool,
    /// The score to beat: the bar, then the best threshold's.
    bar: f64,
    best: Option<(u8, Sums)>,
}

impl<'a> Scan<'a> {
    fn new(growth: &'a Growth, total: Sums, bar: f64) -> Scan<'a> {
        Scan {
            growth,
            total,
            left: Sums::default(),
            pending: None,
            ended: false,
            bar,
            best: None,
        }
    }

    /// Feeds a histogram block's non-empty bins.
    fn push_block(&mut self, block: &[Sums]) {
        for (bin, &sums) in block.iter().enumerate() {
            if sums.n > 0 {
                self.push(bin as u8, sums);
            }
        }
    }

    fn push(&mut self, bin: u8, sums: Sums) {
        if let Some((bin, sums)) = self.pending.replace((bin, sums)) {
            self.try_threshold(bin, sums);
        }
    }

    fn try_threshold(&mut self, bin: u8, sums: Sums) {
        if self.ended {
            return;
        }
        self.left.merge(sums);
        let (left, right) = (self.left, self.total.minus(self.left));
        if right.n < self.growth.min_samples_leaf {
            self.ended = true;
            return;
        }
        if !allowed(self.growth, left, right) || surely_below(self.growth, left, right, self.bar) {
            return;
        }
        let score = score(self.growth, left) + score(self.growth, right);
        if score > self.bar {
            self.bar = score;
            self.best = Some((bin, left));
        }
    }

    /// The best threshold's score, bin and left sums, if one beat the bar.
    fn best(self) -> Option<(f64, u8, Sums)> {
        self.best.map(|(bin, left)| (self.bar, bin, left))
    }
}

/// Whether the split into `left` and `right` surely scores no more than `bar`, told without
/// the two divisions of [`score`]: gl^2/p + gr^2/q <= bar is gl^2 q + gr^2 p <= bar p q for
/// positive p and q, and a margin of 1e-9 (far above the few roundings on either side) leaves
/// every split that could beat the bar to the exact comparison. Most thresholds of a node fall
/// here once a good split is known, so the scan divides rarely.
fn surely_below(growth: &Growth, left: Sums, right: Sums, bar: f64) -> bool {
    let (p, q) = (left.h + growth.lambda, right.h + growth.lambda);
    left.g * left.g * q + right.g * right.g * p <= bar * p * q * (1.0 - 1e-9)
}

#[cfg(test)]
mod tests {
    use super::super::grow::sums_of;
    use super::*;
    use rand::SeedableRng;

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
    fn small_node(rng: &mut ChaCha8Rng, rows: usize, cols: usize) -> (Binned, Vec<f64>, Vec<u32>) {
        let x = ndarray::Array2::from_shape_fn((rows, cols), |(_, c)| match c % 3 {
            0 => f64::from(rng.gen_range(0..3)),
            _ => rng.gen::<f64>(),
        });
        let grad = (0..rows).map(|_| rng.gen::<f64>() - 0.5).collect();
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
            let hess = vec![1.0; n];
            let numbered: Vec<usize> = (0..8).collect();
            let mut finder = SplitFinder::new(&bins, &growth, (&grad, &hess, true), &numbered);
            let total = sums_of(&node, &grad, &hess);
            let ceiling = finder.ceiling(&node, total, CEILING_FEATURES) / (1.0 - 1e-12);
            // Every way to part the node's rows (as positions: a repeated row may go either way).
            let mut most = f64::NEG_INFINITY;
            for mask in 1..(1u32 << n) - 1 {
                let left: Vec<u32> = (0..n)
                    .filter(|i| mask >> i & 1 == 1)
                    .map(|i| node[i])
                    .collect();
                let left = sums_of(&left, &grad, &hess);
                if allowed(&growth, left, total.minus(left)) {
                    most = most.max(score(&growth, left) + score(&growth, total.minus(left)));
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
        let (mut stopped, mut early) = (0, 0);
        for case in 0..2_000 {
            let n = rng.gen_range(2..=CEILING_ROWS);
            let cols = rng.gen_range(CEILING_FEATURES..CEILING_FEATURES + 30);
            let (bins, grad, node) = small_node(&mut rng, n, cols);
            let mut growth = growth([0.0, 1.0][case % 2]);
            growth.min_samples_leaf = rng.gen_range(1..=3);
            if node.len() < 2 * growth.min_samples_leaf as usize {
                continue;
            }
            let hess = vec![1.0; n];
            // Features tried in number order either way, so that "no later" has a meaning.
            let features: Vec<usize> = (0..bins.cols).collect();
            let total = sums_of(&node, &grad, &hess);
            let mut stopping = SplitFinder::new(&bins, &growth, (&grad, &hess, true), &features);
            let mut full = SplitFinder::new(&bins, &growth, (&grad, &hess, true), &features);
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
                    stopped += usize::from(a.gain + score(&growth, total) >= ceiling);
                    early += usize::from(a.feature < b.feature);
                }
                _ => panic!("case {case}: one search found a split, the other none"),
            }
        }
        // Many nodes' best split reaches the ceiling (those of a few rows above all); in some a
        // later feature's tie that scored a rounding higher won the full search.
        assert!(stopped > 200 && early > 0, "{stopped} {early}");
    }

    #[test]
    fn of_features_that_tie_a_stopped_search_takes_the_most_relevant() {
        // Two rows that every feature tells apart: every feature's split ties the ceiling.
        let cols = CEILING_FEATURES + 2;
        let x = ndarray::Array2::from_shape_fn((2, cols), |(r, c)| (r * (c + 1)) as f64);
        let bins = Binned::new(x.view());
        let (grad, hess) = (vec![1.0, -1.0], vec![1.0; 2]);
        let growth = growth(0.0);
        let features: Vec<usize> = (0..cols).collect();
        let mut seven_first = features.clone();
        seven_first[..8].rotate_right(1);
        for relevance in [seven_first, (0..cols).rev().collect()] {
            let mut finder = SplitFinder::new(&bins, &growth, (&grad, &hess, true), &relevance);
            let total = sums_of(&[0, 1], &grad, &hess);
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
    fn left_sums_without_a_branch_are_the_branchy_sums_to_the_bit() {
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for case in 0..2_000 {
            let n = rng.gen_range(0..300);
            let codes: Vec<u8> = (0..n).map(|_| rng.gen_range(0..8)).collect();
            // Zeros of both signs, tiny and huge magnitudes, sums that cancel.
            let value = |rng: &mut ChaCha8Rng| match rng.gen_range(0..6) {
                0 => 0.0,
                1 => -0.0,
                2 => rng.gen::<f64>() * 1e-300,
                3 => (rng.gen::<f64>() - 0.5) * 1e300,
                4 => f64::from(rng.gen_range(-3i32..4)),
                _ => rng.gen::<f64>() - 0.5,
            };
            let grad: Vec<f64> = (0..n).map(|_| value(&mut rng)).collect();
            let hess: Vec<f64> = (0..n).map(|_| value(&mut rng)).collect();
            let rows: Vec<u32> = (0..n as u32).filter(|_| rng.gen_bool(0.7)).collect();
            let bin = (case % 8) as u8;
            let mut branchy = Sums::default();
            for &r in &rows {
                if codes[r as usize] <= bin {
                    branchy.add(grad[r as usize], hess[r as usize]);
                }
            }
            let left = left_of(&codes, &rows, bin, &grad, &hess);
            assert_eq!(
                (left.g.to_bits(), left.h.to_bits(), left.n),
                (branchy.g.to_bits(), branchy.h.to_bits(), branchy.n),
                "case {case}"
            );
        }
    }

    #[test]
    fn a_threshold_skipped_without_dividing_never_beats_the_bar() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut skipped = 0;
        for case in 0..200_000 {
            let growth = growth([0.0, 1.0, 1e-3][case % 3]);
            let sums = |rng: &mut ChaCha8Rng| {
                let n = rng.gen_range(1..10_000u32);
                let scale = 10f64.powi(rng.gen_range(-6..7));
                Sums {
                    g: (rng.gen::<f64>() - 0.5) * scale * f64::from(n),
                    h: f64::from(n) * rng.gen_range(0.01..2.0),
                    n,
                }
            };
            let (left, right) = (sums(&mut rng), sums(&mut rng));
            let scored = score(&growth, left) + score(&growth, right);
            // Bars around the score: a few roundings either side, and further off.
            let ulps = rng.gen_range(-8i64..8);
            let near = f64::from_bits((scored.to_bits() as i64 + ulps) as u64);
            let far = scored * rng.gen_range(0.5..1.5);
            for bar in [near, far, scored] {
                if surely_below(&growth, left, right, bar) {
                    skipped += 1;
                    assert!(scored <= bar, "{left:?} {right:?}: {scored} > bar {bar}");
                }
            }
            // Well above the score: skipped.
            assert!(surely_below(&growth, left, right, scored * 1.001));
        }
        assert!(skipped > 80_000, "the test skipped too few: {skipped}");
    }
}
