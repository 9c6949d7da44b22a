//! Scoring a node's splits: the rule that scores a split of a tree's fixed-point sums (with
//! its penalties in the tree's units), and the scan of one feature's bins for its best
//! threshold.
//!
//! The scan's steps are marked `#[inline]`: they run once per bin of every feature a node tries,
//! and where the compiler put them in another unit than the split search and called them, a
//! fit of 3,000 columns took twice as long (an unrelated change had moved them).

use super::fixed::Units;
use super::grow::Growth;
use super::histogram::Sums;

/// A tree's penalties on its splits, in its units: scores are those of real sums over the
/// hessian's unit, squared, over the gradient's (a positive factor, so they rank alike), and
/// need no conversion of the sums but to floats.
#[derive(Clone, Copy)]
pub(super) struct Rule<'a> {
    pub(super) growth: &'a Growth,
    /// The L2 penalty in hessian units, and the least hessian per leaf as a whole number of
    /// them (rounded up: the same test of integer sums, without converting them).
    pub(super) lambda: f64,
    min_hessian: i64,
    /// What a score in these units is worth in real ones.
    pub(super) real_score: f64,
}

impl<'a> Rule<'a> {
    pub(super) fn new(growth: &'a Growth, units: Units) -> Rule<'a> {
        Rule {
            growth,
            lambda: growth.lambda / units.h,
            min_hessian: (growth.min_hessian / units.h).ceil() as i64,
            real_score: units.g * units.g / units.h,
        }
    }

    #[inline]
    pub(super) fn score(&self, s: Sums) -> f64 {
        let g = s.g as f64;
        g * g / (s.h as f64 + self.lambda)
    }

    #[inline]
    pub(super) fn allowed(&self, left: Sums, right: Sums) -> bool {
        let least = self.growth.min_samples_leaf;
        left.n >= least
            && right.n >= least
            && left.h >= self.min_hessian
            && right.h >= self.min_hessian
    }

    /// The two sides of the split of a node's sums (`total`, as floats) that leaves `left` on
    /// the left: the left's converted from its exact sums, the right's as the total less it
    /// (two conversions a threshold, not four: the scan's hot path). Splits that part the rows
    /// alike have the same left sums, so they score alike to the bit.
    #[inline]
    pub(super) fn sides(&self, left: Sums, total: [f64; 2]) -> Sides {
        let (g, h) = (left.g as f64, left.h as f64);
        Sides {
            left: [g, h + self.lambda],
            right: [total[0] - g, total[1] - h + self.lambda],
        }
    }

    /// A split's score: each side's gradient squared over its penalised hessian, summed.
    #[inline]
    pub(super) fn split_score(&self, sides: &Sides) -> f64 {
        let [gl, p] = sides.left;
        let [gr, q] = sides.right;
        gl * gl / p + gr * gr / q
    }

    /// Whether a split surely scores no more than `bar`, told without the two divisions of
    /// [`Rule::split_score`]: gl^2/p + gr^2/q <= bar is gl^2 q + gr^2 p <= bar p q for positive
    /// p and q, and a margin of 1e-9 (far above the few roundings on either side) leaves every
    /// split that could beat the bar to the exact comparison. Most thresholds of a node fall
    /// here once a good split is known, so the scan divides rarely.
    #[inline]
    pub(super) fn surely_below(&self, sides: &Sides, bar: f64) -> bool {
        let [gl, p] = sides.left;
        let [gr, q] = sides.right;
        gl * gl * q + gr * gr * p <= bar * p * q * (1.0 - 1e-9)
    }
}

/// A split's sides as floats: each side's gradient sum, and hessian sum plus the L2 penalty.
pub(super) struct Sides {
    left: [f64; 2],
    right: [f64; 2],
}

/// A node's sums as floats, for [`Rule::sides`].
#[inline]
pub(super) fn floats(total: Sums) -> [f64; 2] {
    [total.g as f64, total.h as f64]
}

/// The best "bin <= b" split of one feature that scores more than a bar (the node's best split
/// so far), its non-empty bins fed in ascending order as they are read (no list of them is kept:
/// a threshold is tried once a later bin shows that it leaves rows on the right).
pub(super) struct Scan<'a> {
    rule: Rule<'a>,
    total: Sums,
    total_floats: [f64; 2],
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
    pub(super) fn new(rule: Rule<'a>, total: Sums, bar: f64) -> Scan<'a> {
        Scan {
            rule,
            total,
            total_floats: floats(total),
            left: Sums::default(),
            pending: None,
            ended: false,
            bar,
            best: None,
        }
    }

    /// Feeds a histogram block's non-empty bins.
    #[inline]
    pub(super) fn push_block(&mut self, block: &[Sums]) {
        for (bin, &sums) in block.iter().enumerate() {
            if sums.n > 0 {
                self.push(bin as u8, sums);
            }
        }
    }

    #[inline]
    pub(super) fn push(&mut self, bin: u8, sums: Sums) {
        if let Some((bin, sums)) = self.pending.replace((bin, sums)) {
            self.try_threshold(bin, sums);
        }
    }

    #[inline]
    pub(super) fn try_threshold(&mut self, bin: u8, sums: Sums) {
        if self.ended {
            return;
        }
        self.left.merge(sums);
        let (left, right) = (self.left, self.total.minus(self.left));
        let rule = self.rule;
        if right.n < rule.growth.min_samples_leaf {
            self.ended = true;
            return;
        }
        if !rule.allowed(left, right) {
            return;
        }
        let sides = rule.sides(left, self.total_floats);
        if rule.surely_below(&sides, self.bar) {
            return;
        }
        let score = rule.split_score(&sides);
        if score > self.bar {
            self.bar = score;
            self.best = Some((bin, left));
        }
    }

    /// The best threshold's score, bin and left sums, if one beat the bar.
    pub(super) fn best(self) -> Option<(f64, u8, Sums)> {
        self.best.map(|(bin, left)| (self.bar, bin, left))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn a_threshold_skipped_without_dividing_never_beats_the_bar() {
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let mut skipped = 0;
        for case in 0..200_000 {
            let growth = Growth {
                max_depth: 6,
                min_samples_leaf: 1,
                max_features: 1,
                random_splits: false,
                lambda: [0.0, 1.0, 1e-3][case % 3],
                min_hessian: 0.0,
                shrink: 1.0,
            };
            // Sums in units of 2^-20.
            let unit = 2f64.powi(-20);
            let rule = Rule::new(&growth, Units { g: unit, h: unit });
            let sums = |rng: &mut ChaCha8Rng| {
                let n = rng.gen_range(1..10_000u32);
                let scale = 10f64.powi(rng.gen_range(-6..7));
                Sums {
                    g: ((rng.gen::<f64>() - 0.5) * scale * f64::from(n) / unit) as i64,
                    h: (f64::from(n) * rng.gen_range(0.01..2.0) / unit) as i64,
                    n,
                }
            };
            let (left, right) = (sums(&mut rng), sums(&mut rng));
            let mut total = left;
            total.merge(right);
            let sides = rule.sides(left, floats(total));
            let scored = rule.split_score(&sides);
            // Bars around the score: a few roundings either side, and further off.
            let ulps = rng.gen_range(-8i64..8);
            let near = f64::from_bits((scored.to_bits() as i64 + ulps) as u64);
            let far = scored * rng.gen_range(0.5..1.5);
            for bar in [near, far, scored] {
                if rule.surely_below(&sides, bar) {
                    skipped += 1;
                    assert!(scored <= bar, "{left:?} {right:?}: {scored} > bar {bar}");
                }
            }
            // Well above the score: skipped.
            assert!(rule.surely_below(&sides, scored * 1.001));
        }
        assert!(skipped > 80_000, "the test skipped too few: {skipped}");
    }
}
