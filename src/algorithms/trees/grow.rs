//! Growing one tree: depth first from the root, each node's candidate features drawn, its
//! histogram summed or had by subtraction, and its rows partitioned at the best split.

use std::sync::Mutex;

use ndarray::ArrayView1;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::binning::Binned;
use super::fixed::{piece_of, share, Hessians, Units, PIECE};
use super::histogram::{self, Histogram, Pool, Sums};
use super::predict::Tree;
use super::split::{may_stop_at_ceiling, SplitFinder};
use crate::algorithms::spare::spare_threads;

/// How a tree grows.
#[derive(Debug, Clone)]
pub(super) struct Growth {
    pub(super) max_depth: usize,
    pub(super) min_samples_leaf: u32,
    /// Features tried per split (drawn at each node when fewer than all).
    pub(super) max_features: usize,
    /// Extra trees: one random threshold per feature tried, instead of the best one.
    pub(super) random_splits: bool,
    /// L2 penalty on leaf values (0: a leaf is its rows' mean target).
    pub(super) lambda: f64,
    pub(super) min_hessian: f64,
    /// Leaf values are multiplied by this (boosting's learning rate).
    pub(super) shrink: f64,
}

impl Growth {
    /// How many of `cols` features a node tries.
    pub(super) fn tried(&self, cols: usize) -> usize {
        self.max_features.min(cols)
    }

    /// Whether a node at `depth` with `rows` rows is searched for a split.
    fn splits(&self, depth: usize, rows: u32) -> bool {
        depth < self.max_depth && rows >= 2 * self.min_samples_leaf
    }
}

/// A grown tree, its split gains per feature, and its leaves' ranges of the (reordered) rows.
pub(super) struct Grown {
    pub(super) tree: Tree,
    pub(super) gains: Vec<f64>,
    pub(super) leaves: Vec<(u32, usize, usize)>,
}

/// The fit's data as one tree sees it: the binned features, the features from the most
/// relevant ([`relevance`]), the rows' gradients and hessians in fixed point (see
/// [`super::fixed`]) and their units (a hessian's is 1 where every one is 1).
pub(super) struct Fitting<'a> {
    pub(super) bins: &'a Binned,
    pub(super) relevance: &'a [usize],
    pub(super) grad: &'a [i64],
    pub(super) hess: Hessians<'a>,
    pub(super) units: Units,
}

/// The relevance order of a fit's features that its nodes read (see [`Fitting`]): by `y` (see
/// [`Binned::by_relevance`]) where a node can stop its search at the ceiling, else empty.
pub(super) fn relevance(
    bins: &Binned,
    growth: &Growth,
    y: ArrayView1<f64>,
    unit_hessians: bool,
) -> Vec<usize> {
    match may_stop_at_ceiling(growth, growth.tried(bins.cols), unit_hessians) {
        true => bins.by_relevance(y),
        false => Vec::new(),
    }
}

/// Grows one tree over the sample `rows` (indices into the bins, ascending, repeats allowed),
/// partitioning `rows` so that each leaf's rows are a contiguous range. `spare` is scratch space
/// (kept by the caller for its next tree) into which a large node's rows are parted when idle
/// threads may help (see [`partition`]).
pub(super) fn grow(
    fitting: &Fitting,
    growth: &Growth,
    rng: &mut ChaCha8Rng,
    rows: &mut [u32],
    spare: &mut Vec<u32>,
) -> Grown {
    let Fitting {
        bins,
        grad,
        hess,
        units,
        ..
    } = *fitting;
    let mut policy = NodePolicy::new(bins, growth);
    let mut finder = SplitFinder::new(fitting, growth);
    let mut pool = Pool::default();
    // The histogram of the last node searched with one: a split's children subtract from it.
    let mut histogram = pool.take();
    let mut tree = Tree::default();
    let mut gains = vec![0.0; bins.cols];
    let mut leaves = Vec::new();
    let total = sums_of(rows, grad, hess);
    let mut right_rows = Vec::new();
    // The other buffer of the rows, of their length where a node may be parted in pieces.
    let other: &mut [u32] = if rows.len() >= 2 * PIECE && spare_threads() > 0 {
        if spare.len() < rows.len() {
            spare.resize(rows.len(), 0);
        }
        &mut spare[..rows.len()]
    } else {
        &mut []
    };
    let mut stack = vec![Pending {
        node: tree.push_leaf(),
        start: 0,
        end: rows.len(),
        depth: 0,
        sums: total,
        histogram: None,
        moved: false,
    }];
    while let Some(p) = stack.pop() {
        let at = p.node as usize;
        // The node's rows, and the same range of the other buffer (empty where there is none).
        let (here, there): (&mut [u32], &mut [u32]) = match (p.moved, other.is_empty()) {
            (false, true) => (&mut rows[p.start..p.end], &mut []),
            (false, false) => (&mut rows[p.start..p.end], &mut other[p.start..p.end]),
            (true, _) => (&mut other[p.start..p.end], &mut rows[p.start..p.end]),
        };
        let split = if growth.splits(p.depth, p.sums.n) {
            let node_rows = &*here;
            let use_histogram = policy.sample(rng, node_rows.len());
            match p.histogram {
                Some(known) if use_histogram => pool.put(std::mem::replace(&mut histogram, known)),
                known => {
                    pool.recycle(known);
                    if use_histogram {
                        histogram.fill(bins, policy.features(), node_rows, grad, hess, p.sums);
                    }
                }
            }
            let node_histogram = use_histogram.then_some(&histogram);
            finder.best(
                policy.features(),
                &policy.position,
                node_histogram,
                node_rows,
                p.sums,
                rng,
            )
        } else {
            pool.recycle(p.histogram);
            None
        };
        let Some(split) = split else {
            let (g, h) = (p.sums.g as f64 * units.g, p.sums.h as f64 * units.h);
            tree.value[at] = growth.shrink * g / (h + growth.lambda);
            // A leaf's rows end in `rows`.
            if p.moved {
                there.copy_from_slice(here);
            }
            leaves.push((p.node, p.start, p.end));
            continue;
        };
        let codes = bins.column(split.feature);
        let (lefts, moved) = partition(here, there, &mut right_rows, |r| {
            codes[r as usize] <= split.bin
        });
        let parted: &[u32] = if moved { there } else { here };
        let (mid, moved) = (p.start + lefts, p.moved ^ moved);
        let right_sums = p.sums.minus(split.left);
        // Children that will be leaves need no histograms.
        let (left_histogram, right_histogram) = if growth.splits(p.depth + 1, split.left.n)
            || growth.splits(p.depth + 1, right_sums.n)
        {
            child_histograms(
                &policy,
                &mut pool,
                &mut histogram,
                (&parted[..lefts], split.left),
                (&parted[lefts..], right_sums),
                grad,
                hess,
            )
        } else {
            (None, None)
        };
        let left = tree.push_leaf();
        tree.push_leaf();
        tree.feature[at] = split.feature as u32;
        tree.value[at] = bins.thresholds[split.feature][split.bin as usize];
        tree.left[at] = left;
        gains[split.feature] += split.gain;
        stack.push(Pending {
            node: left + 1,
            start: mid,
            end: p.end,
            depth: p.depth + 1,
            sums: right_sums,
            histogram: right_histogram,
            moved,
        });
        stack.push(Pending {
            node: left,
            start: p.start,
            end: mid,
            depth: p.depth + 1,
            sums: split.left,
            histogram: left_histogram,
            moved,
        });
    }
    Grown {
        tree,
        gains,
        leaves,
    }
}

/// A node waiting to be split: its range of the rows, its histogram when it was had by
/// subtraction, and whether its rows are in the other buffer (see [`partition`]).
struct Pending {
    node: u32,
    start: usize,
    end: usize,
    depth: usize,
    sums: Sums,
    histogram: Option<Histogram>,
    moved: bool,
}

/// Per-node choices of one tree, kept apart from the split search: which features a node
/// tries, and whether it sums a histogram or has one by subtraction.
struct NodePolicy<'a> {
    bins: &'a Binned,
    /// Candidate features; the first `tried` are this node's when sampling.
    features: Vec<usize>,
    /// Each feature's place in `features`.
    position: Vec<usize>,
    tried: usize,
    /// Extra trees' random splits read no histogram.
    random: bool,
    /// Nodes with at least this many rows use histograms (the candidates' mean bin count).
    histogram_rows: usize,
    /// All features are candidates at every node, and splits are the best ones: a child's
    /// histogram is its parent's minus its sibling's, so only the smaller child is summed.
    subtract: bool,
}

impl<'a> NodePolicy<'a> {
    fn new(bins: &'a Binned, growth: &Growth) -> NodePolicy<'a> {
        NodePolicy {
            bins,
            features: (0..bins.cols).collect(),
            position: (0..bins.cols).collect(),
            tried: growth.tried(bins.cols),
            random: growth.random_splits,
            histogram_rows: (0..bins.cols).map(|f| bins.bins(f)).sum::<usize>() / bins.cols.max(1),
            subtract: growth.max_features >= bins.cols && !growth.random_splits,
        }
    }

    /// Draws a node's features when it tries fewer than all (a partial Fisher-Yates shuffle:
    /// the first `tried` of `features`), and says whether the node, of `rows` rows, uses a
    /// histogram: not for random splits, else with at least as many rows as its features' mean
    /// bin count.
    fn sample(&mut self, rng: &mut ChaCha8Rng, rows: usize) -> bool {
        let cols = self.bins.cols;
        let tried = self.tried;
        if tried < cols {
            for i in 0..tried {
                let j = rng.gen_range(i..cols);
                self.features.swap(i, j);
                self.position[self.features[i]] = i;
                self.position[self.features[j]] = j;
            }
        }
        let mean_bins = self.features[..tried]
            .iter()
            .map(|&f| self.bins.bins(f))
            .sum::<usize>()
            / tried.max(1);
        !self.random && rows >= mean_bins
    }

    /// The features the current node tries.
    fn features(&self) -> &[usize] {
        &self.features[..self.tried]
    }
}

/// The histograms of a split node's children that will use one, when the larger child will:
/// by subtraction from the node's `parent` histogram (see [`histogram::children`]).
fn child_histograms(
    policy: &NodePolicy,
    pool: &mut Pool,
    parent: &mut Histogram,
    (left, left_sums): (&[u32], Sums),
    (right, right_sums): (&[u32], Sums),
    grad: &[i64],
    hess: Hessians,
) -> (Option<Histogram>, Option<Histogram>) {
    let (small, small_sums, large) = if left.len() <= right.len() {
        (left, left_sums, right)
    } else {
        (right, right_sums, left)
    };
    if !policy.subtract || large.len() < policy.histogram_rows {
        return (None, None);
    }
    let (small_histogram, large_histogram) = histogram::children(
        policy.bins,
        policy.features(),
        pool,
        parent,
        (small, small_sums),
        grad,
        hess,
    );
    let small_histogram = if small.len() >= policy.histogram_rows {
        Some(small_histogram)
    } else {
        pool.put(small_histogram);
        None
    };
    if left.len() <= right.len() {
        (small_histogram, Some(large_histogram))
    } else {
        (Some(large_histogram), small_histogram)
    }
}

/// The sums of `rows`' gradients and hessians, in pieces that idle threads may share.
pub(super) fn sums_of(rows: &[u32], grad: &[i64], hess: Hessians) -> Sums {
    let mut sums = Sums::default();
    let pieces = rows.len().div_ceil(PIECE);
    let helped = share(pieces, &mut sums, Sums::default, |sums, piece| {
        for &r in piece_of(rows, piece) {
            sums.add(grad[r as usize], hess.of(r));
        }
    });
    for other in helped {
        sums.merge(other);
    }
    sums
}

/// Moves the rows where `goes_left` holds to the front, keeping the order on both sides (rows
/// ascending stay ascending, so a node's reads of codes and gradients run forward through
/// memory); returns how many there are, and whether the rows were moved into `there`. `right` is
/// scratch space. A node of many rows, where idle threads may help and `there` (the same range
/// of the other buffer) is at hand, is parted in pieces, each in place on its own, then gathered
/// into `there`: lefts, then rights, each in piece order, which is the order a single pass
/// leaves. Gathering into the other buffer, not back in place, spares a copy of every row.
fn partition(
    here: &mut [u32],
    there: &mut [u32],
    right: &mut Vec<u32>,
    goes_left: impl Fn(u32) -> bool + Sync,
) -> (usize, bool) {
    if here.len() < 2 * PIECE || there.len() != here.len() || spare_threads() == 0 {
        return (partition_piece(here, right, &goes_left), false);
    }
    // Each piece parted by whichever thread takes it, which notes its left count (the lock is
    // never contended: it only lends the piece).
    let pieces: Vec<Mutex<&mut [u32]>> = here.chunks_mut(PIECE).map(Mutex::new).collect();
    let part = |(scratch, lefts): &mut (Vec<u32>, Vec<(usize, usize)>), piece: usize| {
        let mut rows = pieces[piece]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        lefts.push((piece, partition_piece(&mut rows, scratch, &goes_left)));
    };
    let mut own = (Vec::new(), Vec::new());
    let helped = share(pieces.len(), &mut own, Default::default, part);
    let mut lefts = vec![0; pieces.len()];
    drop(pieces);
    for (piece, left) in helped.into_iter().chain([own]).flat_map(|(_, lefts)| lefts) {
        lefts[piece] = left;
    }
    let mid: usize = lefts.iter().sum();
    // Gathered in pieces too: each piece's lefts and rights to their places in `there`.
    let parted = &*here;
    let mut places = Vec::with_capacity(lefts.len());
    let (mut to_left, mut to_right) = there.split_at_mut(mid);
    for (piece, &left) in lefts.iter().enumerate() {
        let (here, rest) = std::mem::take(&mut to_left).split_at_mut(left);
        to_left = rest;
        let rights = piece_of(parted, piece).len() - left;
        let (there, rest) = std::mem::take(&mut to_right).split_at_mut(rights);
        to_right = rest;
        places.push(Mutex::new((here, there)));
    }
    let gather = |_: &mut (), piece: usize| {
        let mut place = places[piece]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (parted, left) = (piece_of(parted, piece), lefts[piece]);
        place.0.copy_from_slice(&parted[..left]);
        place.1.copy_from_slice(&parted[left..]);
    };
    share(lefts.len(), &mut (), || (), gather);
    (mid, true)
}

/// [`partition`] in one pass: each row is written to both sides and the side it belongs to
/// moves on, with no branch on the split, which a balanced split would mispredict about as
/// often as not.
fn partition_piece(
    rows: &mut [u32],
    right: &mut Vec<u32>,
    goes_left: &impl Fn(u32) -> bool,
) -> usize {
    if right.len() < rows.len() {
        right.resize(rows.len(), 0);
    }
    let (mut mid, mut other) = (0, 0);
    for i in 0..rows.len() {
        let r = rows[i];
        let left = usize::from(goes_left(r));
        // `mid <= i`: the slot written has been read.
        rows[mid] = r;
        right[other] = r;
        mid += left;
        other += 1 - left;
    }
    rows[mid..].copy_from_slice(&right[..other]);
    mid
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    #[test]
    fn partition_without_a_branch_is_the_stable_partition() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut right = Vec::new();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for case in 0..500 {
            // Some nodes large enough to be parted in pieces.
            let n = match case % 25 {
                0 => rng.gen_range(2 * PIECE..5 * PIECE),
                _ => rng.gen_range(0..200),
            };
            let mut rows: Vec<u32> = (0..n).map(|_| rng.gen_range(0..1_000)).collect();
            rows.sort_unstable();
            // All left, all right, or a share in between.
            let share = [0.0, 1.0, rng.gen::<f64>()][case % 3];
            let goes: Vec<bool> = (0..1_000).map(|_| rng.gen_bool(share)).collect();
            let expected: Vec<u32> = rows
                .iter()
                .filter(|&&r| goes[r as usize])
                .chain(rows.iter().filter(|&&r| !goes[r as usize]))
                .copied()
                .collect();
            let lefts = rows.iter().filter(|&&r| goes[r as usize]).count();
            // In place, and (a large node with threads to help) into the other buffer.
            let mut there = vec![0; if case % 2 == 0 { n } else { 0 }];
            let (parted, moved) =
                pool.install(|| partition(&mut rows, &mut there, &mut right, |r| goes[r as usize]));
            assert_eq!(parted, lefts);
            assert_eq!(moved, n >= 2 * PIECE && !there.is_empty(), "case {case}");
            assert_eq!(if moved { there } else { rows }, expected, "case {case}");
        }
    }

    #[test]
    fn sums_of_rows_in_pieces_are_the_row_by_row_sums() {
        let mut rng = ChaCha8Rng::seed_from_u64(8);
        let n = 3 * PIECE + 11;
        let grad: Vec<i64> = (0..n)
            .map(|_| rng.gen_range(-1i64 << 40..1 << 40))
            .collect();
        let hess: Vec<i64> = (0..n).map(|_| rng.gen_range(0..1i64 << 40)).collect();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for rows in [
            (0..n as u32).filter(|r| r % 3 != 0).collect::<Vec<_>>(),
            vec![5, 1, 5],
        ] {
            let mut expected = Sums::default();
            for &r in &rows {
                expected.add(grad[r as usize], hess[r as usize]);
            }
            let each = Hessians::Each(&hess);
            assert_eq!(pool.install(|| sums_of(&rows, &grad, each)), expected);
        }
    }
}
