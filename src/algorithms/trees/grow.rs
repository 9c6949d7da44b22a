//! Growing one tree: depth first from the root, each node's candidate features drawn, its
//! histogram summed or had by subtraction, and its rows partitioned at the best split.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use ndarray::ArrayView1;
use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::binning::Binned;
use super::fixed::{piece_of, share, Hessians, Units, PIECE};
use super::histogram::{self, Histogram, Pool, Sums};
use super::partition::partition;
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

    /// Whether a node draws anything at random, of `cols` features: some of them to try, or
    /// random thresholds.
    fn draws(&self, cols: usize) -> bool {
        self.tried(cols) < cols || self.random_splits
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
///
/// Where idle threads may help and the nodes draw nothing at random (every feature tried, best
/// splits), the subtrees of nodes near the root are grown apart, by whichever thread takes them;
/// the tree is numbered afterwards in the order one thread grows it (see [`number`]), so it is
/// the same to the bit however its parts fell.
pub(super) fn grow(
    fitting: &Fitting,
    growth: &Growth,
    rng: &mut ChaCha8Rng,
    rows: &mut [u32],
    spare: &mut Vec<u32>,
) -> Grown {
    let total = sums_of(rows, fitting.grad, fitting.hess);
    let shared = spare_threads() > 0;
    // The other buffer of the rows, of their length where a node may be parted in pieces.
    let other: &mut [u32] = if rows.len() >= 2 * PIECE && shared {
        if spare.len() < rows.len() {
            spare.resize(rows.len(), 0);
        }
        &mut spare[..rows.len()]
    } else {
        &mut []
    };
    let root = Pending {
        node: 0,
        start: 0,
        depth: 0,
        sums: total,
        histogram: None,
        moved: false,
        rows,
        other,
    };
    let (apart, keys) = (Mutex::new(Vec::new()), AtomicUsize::new(0));
    let main = match shared && !growth.draws(fitting.bins.cols) {
        true => rayon::scope(|scope| {
            let forks = Forks {
                scope,
                apart: &apart,
                keys: &keys,
            };
            grow_part(fitting, growth, root, rng, Some(&forks))
        }),
        false => grow_part(fitting, growth, root, rng, None),
    };
    let apart = apart
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    number(main, apart, fitting.bins.cols)
}

/// Nodes less deep than this may have a child's subtree grown apart (at most 2^4 - 1 a tree).
const FORK_DEPTH: usize = 4;
/// Nor a subtree of fewer rows: it would cost more to hand over than it saves.
const FORK_ROWS: usize = 1024;

/// Where a tree's parts grown apart are started and their fragments left, each with its key.
struct Forks<'a, 'scope> {
    scope: &'a rayon::Scope<'scope>,
    apart: &'scope Mutex<Vec<(usize, Fragment)>>,
    keys: &'scope AtomicUsize,
}

/// A part of a tree, numbered from its own root 0: each node's split gain and (a leaf's) rows,
/// and the nodes whose subtrees were grown apart, with their fragments' keys.
#[derive(Default)]
struct Fragment {
    tree: Tree,
    gain: Vec<f64>,
    range: Vec<(usize, usize)>,
    apart: Vec<(u32, usize)>,
}

impl Fragment {
    fn push(&mut self) -> u32 {
        self.gain.push(0.0);
        self.range.push((0, 0));
        self.tree.push_leaf()
    }
}

/// Grows the subtree of `root` depth first (its left child first), handing subtrees to other
/// threads through `forks` where it may.
fn grow_part<'scope>(
    fitting: &'scope Fitting<'scope>,
    growth: &'scope Growth,
    root: Pending<'scope>,
    rng: &mut ChaCha8Rng,
    forks: Option<&Forks<'_, 'scope>>,
) -> Fragment {
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
    let mut part = Fragment::default();
    part.push();
    let mut right_rows = Vec::new();
    // The fragment's own root is its node 0.
    let mut stack = vec![Pending { node: 0, ..root }];
    while let Some(p) = stack.pop() {
        let Pending {
            node,
            start,
            depth,
            sums,
            histogram: known,
            moved,
            rows: here,
            other: there,
        } = p;
        let at = node as usize;
        let split = if growth.splits(depth, sums.n) {
            let node_rows = &*here;
            let use_histogram = policy.sample(rng, node_rows.len());
            match known {
                Some(known) if use_histogram => pool.put(std::mem::replace(&mut histogram, known)),
                known => {
                    pool.recycle(known);
                    if use_histogram {
                        histogram.fill(bins, policy.features(), node_rows, grad, hess, sums);
                    }
                }
            }
            let node_histogram = use_histogram.then_some(&histogram);
            let features = policy.features();
            finder.best(
                features,
                &policy.position,
                node_histogram,
                node_rows,
                sums,
                rng,
            )
        } else {
            pool.recycle(known);
            None
        };
        let Some(split) = split else {
            let (g, h) = (sums.g as f64 * units.g, sums.h as f64 * units.h);
            part.tree.value[at] = growth.shrink * g / (h + growth.lambda);
            // A leaf's rows end in `rows`.
            if moved {
                there.copy_from_slice(here);
            }
            part.range[at] = (start, start + here.len());
            continue;
        };
        let codes = bins.column(split.feature);
        let (lefts, parted) = partition(here, there, &mut right_rows, |r| {
            codes[r as usize] <= split.bin
        });
        // The children's rows, and the other buffer's same range.
        let (rows, other) = if parted { (there, here) } else { (here, there) };
        let right_sums = sums.minus(split.left);
        // Children that will be leaves need no histograms.
        let (left_histogram, right_histogram) =
            if growth.splits(depth + 1, split.left.n) || growth.splits(depth + 1, right_sums.n) {
                child_histograms(
                    &policy,
                    &mut pool,
                    &mut histogram,
                    (&rows[..lefts], split.left),
                    (&rows[lefts..], right_sums),
                    grad,
                    hess,
                )
            } else {
                (None, None)
            };
        let left = part.push();
        part.push();
        part.tree.feature[at] = split.feature as u32;
        part.tree.value[at] = bins.thresholds[split.feature][split.bin as usize];
        part.tree.left[at] = left;
        part.gain[at] = split.gain;
        let (left_rows, right_rows) = rows.split_at_mut(lefts);
        let (left_other, right_other) = match other.is_empty() {
            true => (&mut [][..], &mut [][..]),
            false => other.split_at_mut(lefts),
        };
        let moved = moved ^ parted;
        let right = Pending {
            node: left + 1,
            start: start + lefts,
            depth: depth + 1,
            sums: right_sums,
            histogram: right_histogram,
            moved,
            rows: right_rows,
            other: right_other,
        };
        match forks {
            Some(forks)
                if depth < FORK_DEPTH
                    && right.rows.len() >= FORK_ROWS
                    && growth.splits(depth + 1, right_sums.n) =>
            {
                let key = forks.keys.fetch_add(1, Ordering::Relaxed);
                part.apart.push((right.node, key));
                let (apart, keys) = (forks.apart, forks.keys);
                // Nodes that draw nothing at random leave this copy as it was.
                let mut rng = rng.clone();
                forks.scope.spawn(move |scope| {
                    let forks = Forks { scope, apart, keys };
                    let grown = grow_part(fitting, growth, right, &mut rng, Some(&forks));
                    apart
                        .lock()
                        .unwrap_or_else(|poisoned| poisoned.into_inner())
                        .push((key, grown));
                });
            }
            _ => stack.push(right),
        }
        stack.push(Pending {
            node: left,
            start,
            depth: depth + 1,
            sums: split.left,
            histogram: left_histogram,
            moved,
            rows: left_rows,
            other: left_other,
        });
    }
    part
}

/// The tree of `main` and the fragments grown `apart`, numbered as one thread growing it depth
/// first numbers it (a split's two children the next two numbers, when it is split), with the
/// split gains summed per feature and the leaves listed in that order too.
fn number(main: Fragment, mut apart: Vec<(usize, Fragment)>, cols: usize) -> Grown {
    apart.sort_by_key(|&(key, _)| key);
    let mut tree = Tree::default();
    let mut gains = vec![0.0; cols];
    let mut leaves = Vec::new();
    let root = tree.push_leaf();
    let mut stack = vec![(&main, 0u32, root)];
    while let Some((part, local, node)) = stack.pop() {
        if let Some(&(_, key)) = part.apart.iter().find(|&&(n, _)| n == local) {
            stack.push((&apart[key].1, 0, node));
            continue;
        }
        let (at, to) = (local as usize, node as usize);
        tree.value[to] = part.tree.value[at];
        if part.tree.is_leaf(at) {
            let (start, end) = part.range[at];
            leaves.push((node, start, end));
            continue;
        }
        let left = tree.push_leaf();
        tree.push_leaf();
        let feature = part.tree.feature[at];
        tree.feature[to] = feature;
        tree.left[to] = left;
        gains[feature as usize] += part.gain[at];
        let from = part.tree.left[at];
        stack.push((part, from + 1, left + 1));
        stack.push((part, from, left));
    }
    Grown {
        tree,
        gains,
        leaves,
    }
}

/// A node waiting to be split: its place in the rows, its histogram when it was had by
/// subtraction, its rows (in `rows` or, `moved`, in the other buffer: see [`partition`]), and
/// the other buffer's same range (empty where there is none).
struct Pending<'r> {
    node: u32,
    start: usize,
    depth: usize,
    sums: Sums,
    histogram: Option<Histogram>,
    moved: bool,
    rows: &'r mut [u32],
    other: &'r mut [u32],
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
            subtract: !growth.draws(bins.cols),
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

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
