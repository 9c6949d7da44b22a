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
    /// One feature's non-empty bins, ascending, and their sums (two vectors: a vector of
    /// `(u8, Sums)` pairs made every push a misaligned copy through the stack, 9% of a boosting
    /// fit's CPU time on 40 rows x 3,000 columns).
    entry_bins: Vec<u8>,
    entry_sums: Vec<Sums>,
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
            entry_bins: Vec::with_capacity(MAX_BINS),
            entry_sums: Vec::with_capacity(MAX_BINS),
            scratch: vec![Sums::default(); MAX_BINS],
        }
    }

    fn score(&self, s: Sums) -> f64 {
        s.g * s.g / (s.h + self.growth.lambda)
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
        let parent = self.score(total);
        let min_gain = 1e-12 * parent.abs();
        let mut best: Option<Split> = None;
        for (k, &feature) in features.iter().enumerate() {
            let candidate = if self.growth.random_splits {
                self.random_split(feature, rows, total, rng)
            } else {
                self.collect_entries(k, feature, histogram, rows);
                self.best_split(total)
            };
            if let Some((bin, left)) = candidate {
                let gain = self.score(left) + self.score(total.minus(left)) - parent;
                if gain > min_gain && best.as_ref().is_none_or(|b| gain > b.gain) {
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

    /// Fills `entries` with candidate feature `k`'s non-empty bins, from the node's histogram
    /// or, for a node with few rows, through a scratch table of which only the bins present are
    /// read and cleared.
    fn collect_entries(
        &mut self,
        k: usize,
        feature: usize,
        histogram: Option<&Histogram>,
        rows: &[u32],
    ) {
        self.entry_bins.clear();
        self.entry_sums.clear();
        if let Some(histogram) = histogram {
            let block = histogram.block(k, self.bins.bins(feature));
            for (b, sums) in block.iter().enumerate() {
                if sums.n > 0 {
                    self.entry_bins.push(b as u8);
                    self.entry_sums.push(*sums);
                }
            }
            return;
        }
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
                self.entry_bins.push(bin as u8);
                self.entry_sums.push(self.scratch[bin]);
                self.scratch[bin] = Sums::default();
            }
        }
    }

    fn allowed(&self, left: Sums, right: Sums) -> bool {
        let g = self.growth;
        left.n >= g.min_samples_leaf
            && right.n >= g.min_samples_leaf
            && left.h >= g.min_hessian
            && right.h >= g.min_hessian
    }

    /// The best "bin <= b" split of the current feature's entries.
    fn best_split(&self, total: Sums) -> Option<(u8, Sums)> {
        let mut left = Sums::default();
        let mut best: Option<(f64, u8, Sums)> = None;
        let last = self.entry_bins.len().saturating_sub(1);
        for (&bin, &sums) in self.entry_bins[..last].iter().zip(&self.entry_sums) {
            left.merge(sums);
            let right = total.minus(left);
            if right.n < self.growth.min_samples_leaf {
                break;
            }
            if !self.allowed(left, right) {
                continue;
            }
            let score = self.score(left) + self.score(right);
            if best.is_none_or(|(s, _, _)| score > s) {
                best = Some((score, bin, left));
            }
        }
        best.map(|(_, bin, left)| (bin, left))
    }

    /// Extra trees: a threshold drawn uniformly among the bins between the node's smallest and
    /// largest value of `feature` (no histogram: one pass for the range, one for the left sums).
    fn random_split(
        &self,
        feature: usize,
        rows: &[u32],
        total: Sums,
        rng: &mut ChaCha8Rng,
    ) -> Option<(u8, Sums)> {
        let codes = self.bins.column(feature);
        let (mut first, mut last) = (u8::MAX, 0);
        for &r in rows {
            let bin = codes[r as usize];
            first = first.min(bin);
            last = last.max(bin);
        }
        if first >= last {
            return None;
        }
        let bin = rng.gen_range(first..last);
        let mut left = Sums::default();
        for &r in rows {
            if codes[r as usize] <= bin {
                left.add(self.grad[r as usize], self.hess[r as usize]);
            }
        }
        self.allowed(left, total.minus(left)).then_some((bin, left))
    }
}
