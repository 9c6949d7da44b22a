//! Histograms: per-bin sums of gradients and hessians of a node's rows, summed in one pass over
//! the rows (in pieces that idle threads may share) or had as the parent's minus the sibling's,
//! and a pool of spare buffers.

use super::binning::Binned;
use super::fixed::{piece_of, share, Hessians, PIECE};

/// Sums of gradients, hessians (both in a tree's fixed-point units: exact, in any order) and
/// rows.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub(super) struct Sums {
    pub(super) g: i64,
    pub(super) h: i64,
    pub(super) n: u32,
}

impl Sums {
    pub(super) fn add(&mut self, g: i64, h: i64) {
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

/// A bundle summed: (bundle, its block's offset, the code skipped).
type Summed = (usize, usize, u8);
/// A block summed from a node's every bundle in order: (offset, code skipped).
type Block = (usize, u8);

/// Zeroes the `summed` bundles' blocks (bundle, block offset, code skipped) of `out`, then adds
/// each of `rows`' gradient and hessian to its bin of each bundle. A node of many rows is summed
/// in pieces, each into a histogram of its own, merged: idle threads take pieces, and the sums
/// are the same however the pieces were shared.
fn sum_rows(
    out: &mut Vec<Sums>,
    summed: &[Summed],
    bins: &Binned,
    rows: &[u32],
    grad: &[i64],
    hess: Hessians,
) {
    for &(b, offset, _) in summed {
        out[offset..offset + bins.bundles.width[b]].fill(Sums::default());
    }
    // Every bundle in order (a node that tries every feature): each row's codes are read in a
    // zip with these blocks (offset, code skipped), with no bundle index to look up and check.
    let width = bins.bundles.len();
    let every = summed.len() == width && summed.iter().enumerate().all(|(i, s)| s.0 == i);
    let blocks: Option<Vec<Block>> =
        every.then(|| summed.iter().map(|&(_, o, skip)| (o, skip)).collect());
    let blocks = blocks.as_deref();
    let len = out.len();
    let helped = share(
        rows.len().div_ceil(PIECE),
        out,
        || vec![Sums::default(); len],
        |part, piece| {
            add_rows(
                part,
                (summed, blocks),
                bins,
                piece_of(rows, piece),
                grad,
                hess,
            )
        },
    );
    for part in helped {
        for &(b, offset, _) in summed {
            let block = offset..offset + bins.bundles.width[b];
            for (s, t) in out[block.clone()].iter_mut().zip(&part[block]) {
                s.merge(*t);
            }
        }
    }
}

/// Adds each of `rows`' gradient and hessian to its bin of each `summed` bundle of `out` (the
/// same as `blocks` where those are every bundle in order: see [`sum_rows`]).
fn add_rows(
    out: &mut [Sums],
    summed: (&[Summed], Option<&[Block]>),
    bins: &Binned,
    rows: &[u32],
    grad: &[i64],
    hess: Hessians,
) {
    match hess {
        Hessians::Each(hess) => add_rows_by(out, summed, bins, rows, grad, |r| hess[r as usize]),
        Hessians::Ones => add_rows_by(out, summed, bins, rows, grad, |_| 1),
    }
}

/// [`add_rows`], a row's hessian read by `hess` (a constant 1 reads no array).
fn add_rows_by(
    out: &mut [Sums],
    (summed, blocks): (&[Summed], Option<&[Block]>),
    bins: &Binned,
    rows: &[u32],
    grad: &[i64],
    hess: impl Fn(u32) -> i64,
) {
    let width = bins.bundles.len();
    if let Some(blocks) = blocks {
        for &r in rows {
            let (g, h) = (grad[r as usize], hess(r));
            let codes = &bins.packed[r as usize * width..(r as usize + 1) * width];
            for (&code, &(offset, skip)) in codes.iter().zip(blocks) {
                if code != skip {
                    out[offset + code as usize].add(g, h);
                }
            }
        }
        return;
    }
    for &r in rows {
        let (g, h) = (grad[r as usize], hess(r));
        let codes = &bins.packed[r as usize * width..(r as usize + 1) * width];
        for &(b, offset, skip) in summed {
            let code = codes[b];
            if code != skip {
                out[offset + code as usize].add(g, h);
            }
        }
    }
}

/// A node's histogram: one block of per-bin sums per candidate feature, as many as the feature
/// has bins, in the order the node tries them, then the blocks of the shared bundles summed.
/// (Blocks of 256 bins each made a 50-row node's histogram over 3,000 features 18 MB, a fifth of
/// a boosting fit's time spent faulting in fresh pages.)
#[derive(Default)]
pub(super) struct Histogram {
    sums: Vec<Sums>,
    /// Where each block starts in `sums`.
    starts: Vec<usize>,
}

impl Histogram {
    /// The sums of the `k`th candidate feature's `bins` bins.
    pub(super) fn block(&self, k: usize, bins: usize) -> &[Sums] {
        &self.sums[self.starts[k]..self.starts[k] + bins]
    }

    /// Per-bin sums of the candidate `features` (block `k` for `features[k]`), in one pass over
    /// the rows (with sums `total`) that reads each row's bundle codes. Each feature's most
    /// frequent bin is skipped in the pass and filled in as the total minus the other bins: a
    /// one-hot column costs one update per row that has the level, not one per row. A shared
    /// bundle is summed into a block after the features' and unpacked into its members' blocks.
    pub(super) fn fill(
        &mut self,
        bins: &Binned,
        features: &[usize],
        rows: &[u32],
        grad: &[i64],
        hess: Hessians,
        total: Sums,
    ) {
        let bundles = &bins.bundles;
        let starts = &mut self.starts;
        starts.clear();
        let mut end = 0;
        for &f in features {
            starts.push(end);
            end += bins.bins(f);
        }
        // The bundles to sum, each once: (bundle, block start, code skipped).
        let mut summed: Vec<Summed> = Vec::with_capacity(features.len());
        // Members of shared bundles: (feature's block start, feature, its bundle's block start).
        let mut unpack: Vec<(usize, usize, usize)> = Vec::new();
        let mut block_of = vec![usize::MAX; bundles.len()];
        for (k, &f) in features.iter().enumerate() {
            let b = bundles.of_feature[f].0;
            if !bundles.is_shared(b) {
                summed.push((b, starts[k], bins.modes[f]));
                continue;
            }
            if block_of[b] == usize::MAX {
                block_of[b] = end;
                summed.push((b, end, 0));
                end += bundles.width[b];
            }
            unpack.push((starts[k], f, block_of[b]));
        }
        let out = &mut self.sums;
        if out.len() < end {
            out.resize(end, Sums::default());
        }
        sum_rows(out, &summed, bins, rows, grad, hess);
        for &(start, f, block) in &unpack {
            let mode = bins.modes[f];
            for code in 0..bins.bins(f) as u8 {
                out[start + code as usize] = if code == mode {
                    Sums::default()
                } else {
                    out[block + bundles.code(f, code, mode) as usize]
                };
            }
        }
        for (&start, &f) in starts.iter().zip(features) {
            let block = &mut out[start..start + bins.bins(f)];
            let rest = block.iter().fold(total, |rest, s| rest.minus(*s));
            block[bins.modes[f] as usize] = rest;
        }
    }

    /// Subtracts `other` bin by bin over every feature's bins (both histograms of all features
    /// in order, so their blocks start at the same places).
    fn subtract(&mut self, other: &Histogram, bins: &Binned) {
        let end: usize = (0..bins.cols).map(|f| bins.bins(f)).sum();
        for (l, s) in self.sums[..end].iter_mut().zip(&other.sums[..end]) {
            *l = l.minus(*s);
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
    grad: &[i64],
    hess: Hessians,
) -> (Histogram, Histogram) {
    let mut small_histogram = pool.take();
    small_histogram.fill(bins, features, small, grad, hess, small_sums);
    let fresh = pool.take();
    let mut large_histogram = std::mem::replace(parent, fresh);
    large_histogram.subtract(&small_histogram, bins);
    (small_histogram, large_histogram)
}

/// Spare histogram buffers of one tree, reused so that a node's histogram is not a fresh
/// allocation (a buffer grows to the largest histogram it has held).
#[derive(Default)]
pub(super) struct Pool {
    spare: Vec<Histogram>,
}

impl Pool {
    /// A spare histogram (its contents are stale), or a new empty one.
    pub(super) fn take(&mut self) -> Histogram {
        self.spare.pop().unwrap_or_default()
    }

    pub(super) fn put(&mut self, histogram: Histogram) {
        self.spare.push(histogram);
    }

    pub(super) fn recycle(&mut self, histogram: Option<Histogram>) {
        self.spare.extend(histogram);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    #[test]
    fn bundled_sums_are_each_features_own_sums() {
        let mut rng = rand_chacha::ChaCha8Rng::seed_from_u64(5);
        // A node of a few hundred rows is summed in one pass; one of tens of thousands, in
        // pieces on three threads.
        for rows in [600, 5 * PIECE + 17] {
            // Columns: 0 dense, 1-4 one-hot levels of one category (its other levels are the
            // reference), 5-6 a second category's levels, 7 constant, 8 few-valued.
            let level: Vec<usize> = (0..rows).map(|_| rng.gen_range(0..9)).collect();
            let other: Vec<bool> = (0..rows).map(|_| rng.gen_bool(0.3)).collect();
            let x = ndarray::Array2::from_shape_fn((rows, 9), |(r, c)| match c {
                0 => rng.gen::<f64>(),
                1..=4 => f64::from(level[r] + 1 == c),
                5 => f64::from(other[r]),
                6 => f64::from(!other[r] && r % 2 == 0),
                7 => 1.0,
                _ => (r % 3) as f64,
            });
            let bins = Binned::new(x.view());
            assert!((0..bins.bundles.len()).any(|b| bins.bundles.is_shared(b)));
            assert!(bins.bundles.len() < 9);
            let grad: Vec<i64> = (0..rows)
                .map(|_| rng.gen_range(-1i64 << 40..1 << 40))
                .collect();
            let hess: Vec<i64> = (0..rows).map(|_| rng.gen_range(0..1i64 << 40)).collect();
            let node: Vec<u32> = (0..rows as u32).filter(|r| r % 5 != 1).collect();
            let mut total = Sums::default();
            for &r in &node {
                total.add(grad[r as usize], hess[r as usize]);
            }
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(3)
                .build()
                .unwrap();
            // Every feature (a pass over every bundle in order) and a few (by bundle index).
            for features in [(0..9).collect::<Vec<_>>(), vec![6, 2, 0, 4]] {
                let mut histogram = Histogram::default();
                let each = Hessians::Each(&hess);
                pool.install(|| histogram.fill(&bins, &features, &node, &grad, each, total));
                for (k, &f) in features.iter().enumerate() {
                    // Each feature on its own, as before bundling: bins other than the mode
                    // summed row by row, the mode's as the total minus them.
                    let (mode, column) = (bins.modes[f] as usize, bins.column(f));
                    let mut own = vec![Sums::default(); bins.bins(f)];
                    for &r in &node {
                        let code = column[r as usize] as usize;
                        if code != mode {
                            own[code].add(grad[r as usize], hess[r as usize]);
                        }
                    }
                    own[mode] = own.iter().fold(total, |rest, s| rest.minus(*s));
                    assert_eq!(histogram.block(k, bins.bins(f)), &own[..], "{rows} rows");
                }
            }
        }
    }
}
