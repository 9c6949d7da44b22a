//! Histograms: per-bin sums of gradients and hessians of a node's rows, summed in one pass over
//! the rows or had as the parent's minus the sibling's, and a pool of spare buffers.

use super::binning::{Binned, MAX_BINS};

/// Sums of gradients, hessians and rows.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Sums {
    pub(super) g: f64,
    pub(super) h: f64,
    pub(super) n: u32,
}

impl Sums {
    pub(super) fn add(&mut self, g: f64, h: f64) {
        self.g += g;
        self.h += h;
        self.n += 1;
    }
    pub(super) fn merge(&mut self, other: Sums) {
        self.g += other.g;
        self.h += other.h;
        self.n += other.n;
    }
    pub(super) fn minus(self, other: Sums) -> Sums {
        Sums {
            g: self.g - other.g,
            h: self.h - other.h,
            n: self.n - other.n,
        }
    }
}

/// A node's histogram: one [`MAX_BINS`] block of per-bin sums per candidate feature, in the
/// order the node tries them (only a feature's first `bins` entries are meaningful).
pub(super) struct Histogram {
    sums: Vec<Sums>,
}

impl Histogram {
    /// The sums of the `k`th candidate feature's `bins` bins.
    pub(super) fn block(&self, k: usize, bins: usize) -> &[Sums] {
        &self.sums[k * MAX_BINS..k * MAX_BINS + bins]
    }

    /// Per-bin sums of the candidate `features` (block `k` for `features[k]`), in one pass over
    /// the rows (with sums `total`). Each feature's most frequent bin is skipped in the pass and
    /// filled in as the total minus the other bins: a one-hot column costs one update per row
    /// that has the level, not one per row.
    pub(super) fn fill(
        &mut self,
        bins: &Binned,
        features: &[usize],
        rows: &[u32],
        grad: &[f64],
        hess: &[f64],
        total: Sums,
    ) {
        let out = &mut self.sums;
        let features: Vec<(usize, usize, u8)> = features
            .iter()
            .enumerate()
            .map(|(k, &f)| (f, k * MAX_BINS, bins.modes[f]))
            .collect();
        for &(f, offset, _) in &features {
            out[offset..offset + bins.bins(f)].fill(Sums::default());
        }
        let cols = bins.cols;
        for &r in rows {
            let (g, h) = (grad[r as usize], hess[r as usize]);
            let codes = &bins.codes[r as usize * cols..(r as usize + 1) * cols];
            for &(f, offset, mode) in &features {
                let code = codes[f];
                if code != mode {
                    out[offset + code as usize].add(g, h);
                }
            }
        }
        for &(f, offset, mode) in &features {
            let block = &mut out[offset..offset + bins.bins(f)];
            let rest = block.iter().fold(total, |rest, s| rest.minus(*s));
            block[mode as usize] = rest;
        }
    }

    /// Subtracts `other` bin by bin over every feature's bins (both histograms of all features,
    /// feature `f` in block `f`).
    fn subtract(&mut self, other: &Histogram, bins: &Binned) {
        for f in 0..bins.cols {
            let block = f * MAX_BINS..f * MAX_BINS + bins.bins(f);
            for (l, s) in self.sums[block.clone()].iter_mut().zip(&other.sums[block]) {
                *l = l.minus(*s);
            }
        }
    }
}

/// The histograms of a split node's children, by subtraction: the `small` child's rows (with
/// sums `small_sums`) are summed, and the other child's is the parent's minus that. `features`
/// are all the features, in order; `parent` (the node's histogram) is taken for the larger child
/// and left holding a spare buffer. Returns the smaller child's histogram, then the larger's.
pub(super) fn children(
    bins: &Binned,
    features: &[usize],
    pool: &mut Pool,
    parent: &mut Histogram,
    (small, small_sums): (&[u32], Sums),
    grad: &[f64],
    hess: &[f64],
) -> (Histogram, Histogram) {
    let mut small_histogram = pool.take();
    small_histogram.fill(bins, features, small, grad, hess, small_sums);
    let fresh = pool.take();
    let mut large_histogram = std::mem::replace(parent, fresh);
    large_histogram.subtract(&small_histogram, bins);
    (small_histogram, large_histogram)
}

/// Spare histogram buffers of one tree, reused so that a node's histogram is not a fresh
/// allocation.
pub(super) struct Pool {
    spare: Vec<Histogram>,
    /// Sums per histogram: a [`MAX_BINS`] block per feature a node tries.
    len: usize,
}

impl Pool {
    /// An empty pool of histograms of `candidates` features each.
    pub(super) fn new(candidates: usize) -> Pool {
        Pool {
            spare: Vec::new(),
            len: candidates * MAX_BINS,
        }
    }

    /// A spare histogram (its contents are stale), or a new one.
    pub(super) fn take(&mut self) -> Histogram {
        self.spare.pop().unwrap_or_else(|| Histogram {
            sums: vec![Sums::default(); self.len],
        })
    }

    pub(super) fn put(&mut self, histogram: Histogram) {
        self.spare.push(histogram);
    }

    pub(super) fn recycle(&mut self, histogram: Option<Histogram>) {
        self.spare.extend(histogram);
    }
}
