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
}

impl<'a> SplitFinder<'a> {
    pub(super) fn new(
        bins: &'a Binned,
        growth: &'a Growth,
        grad: &'a [f64],
        hess: &'a [f64],
    ) -> SplitFinder<'a> {
        SplitFinder {
            bins,
            growth,
            grad,
            hess,
            scratch: vec![Sums::default(); MAX_BINS],
        }
    }

    /// The best split of a node's `rows` (with sums `total`) on one of `features`, if any
    /// improves the loss; `histogram` is the node's (block `k` for `features[k]`) when it has
    /// one.
    pub(super) fn best(
        &mut self,
        features: &[usize],
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
        for (k, &feature) in features.iter().enumerate() {
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
                }
            }
        }
        best
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
