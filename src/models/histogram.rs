//! Our own backend: histogram trees. A fit bins each feature once into at most 256 levels
//! (cut at quantiles of the training rows) and grows trees on the one-byte bin codes; the trees
//! keep real-valued thresholds, so a fitted model predicts raw feature rows and saving it writes
//! plain numbers. One learner grows the decision tree, the random forest and extra trees (the
//! trees of a forest in parallel, each from its own seed, so the result does not depend on the
//! thread count) and gradient boosting (squared or log loss, Newton leaves with an L2 penalty).
//!
//! A node's split search sums gradients per bin of every candidate feature in one pass over the
//! node's rows (a row's codes are adjacent in memory); nodes with fewer rows than bins sort
//! only the bins their rows have instead of clearing whole histograms.

use ndarray::{ArrayView1, ArrayView2};
use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use super::{
    float, floats, grid, int, ints, optional_int, row_limit, texts, Algorithm, FittedModel,
    ImportanceKind, ModelResult, Params,
};

/// Most bins per feature (codes are one byte).
const MAX_BINS: usize = 256;
/// Bin edges are cut from at most this many (evenly spaced) training rows.
const BIN_SAMPLE_ROWS: usize = 200_000;
/// Trees in each forest.
const FOREST_TREES: i64 = 100;
/// Forests of fully grown trees cost (and hold) about a leaf per training row per tree: above
/// this many training rows they are skipped (gradient boosting's depth-limited trees are not).
pub const FOREST_MAX_ROWS: usize = 50_000;
/// Boosting's L2 penalty on leaf values and least hessian per leaf (xgboost's defaults).
const BOOST_LAMBDA: f64 = 1.0;
const BOOST_MIN_HESSIAN: f64 = 1.0;
const BACKEND: &str = "automl";

/// Training features as bin codes.
struct Binned {
    cols: usize,
    /// Row-major: row `r`'s codes are `codes[r * cols..(r + 1) * cols]`.
    codes: Vec<u8>,
    /// Per feature, ascending: bin `b` holds the values `<= thresholds[b]` (and above the
    /// previous threshold); the last bin holds the rest, and missing values.
    thresholds: Vec<Vec<f64>>,
    /// Per feature, its most frequent bin (0 of a one-hot column): histograms skip it and take
    /// its sums as the node's minus the other bins'.
    modes: Vec<u8>,
}

impl Binned {
    fn new(x: ArrayView2<f64>) -> Binned {
        let (rows, cols) = x.dim();
        let step = rows.div_ceil(BIN_SAMPLE_ROWS).max(1);
        let thresholds: Vec<Vec<f64>> = (0..cols)
            .into_par_iter()
            .map(|f| {
                let mut sample: Vec<f64> = x
                    .column(f)
                    .iter()
                    .step_by(step)
                    .copied()
                    .filter(|v| !v.is_nan())
                    .collect();
                sample.sort_unstable_by(f64::total_cmp);
                cut_points(&sample)
            })
            .collect();
        let mut codes = vec![0u8; rows * cols];
        if cols > 0 {
            codes.par_chunks_mut(cols).enumerate().for_each(|(r, out)| {
                for ((code, &v), cuts) in out.iter_mut().zip(x.row(r)).zip(&thresholds) {
                    *code = bin_of(cuts, v);
                }
            });
        }
        let mut counts = vec![[0u32; MAX_BINS]; cols];
        for row in codes.chunks_exact(cols.max(1)) {
            for (count, &code) in counts.iter_mut().zip(row) {
                count[code as usize] += 1;
            }
        }
        let modes = counts
            .iter()
            .map(|count| {
                (0..MAX_BINS)
                    .max_by_key(|&b| (count[b], std::cmp::Reverse(b)))
                    .unwrap_or(0) as u8
            })
            .collect();
        Binned {
            cols,
            codes,
            thresholds,
            modes,
        }
    }

    fn code(&self, row: u32, feature: usize) -> u8 {
        self.codes[row as usize * self.cols + feature]
    }

    fn bins(&self, feature: usize) -> usize {
        self.thresholds[feature].len() + 1
    }
}

/// The bin of value `v` under thresholds `cuts`: how many thresholds lie below it.
fn bin_of(cuts: &[f64], v: f64) -> u8 {
    if v.is_nan() {
        cuts.len() as u8
    } else {
        cuts.partition_point(|&t| t < v) as u8
    }
}

/// Thresholds between the distinct values of `sorted`: all of them when there are at most
/// [`MAX_BINS`] distinct values, else after the values where each successive 1/256th of the
/// rows is reached.
fn cut_points(sorted: &[f64]) -> Vec<f64> {
    let mut distinct: Vec<(f64, usize)> = Vec::new();
    for &v in sorted {
        match distinct.last_mut() {
            Some((last, count)) if *last == v => *count += 1,
            _ => distinct.push((v, 1)),
        }
    }
    let n = sorted.len();
    let mut cuts = Vec::new();
    let mut seen = 0;
    for pair in distinct.windows(2) {
        let ((a, count), (b, _)) = (pair[0], pair[1]);
        seen += count;
        if distinct.len() <= MAX_BINS || seen * MAX_BINS >= (cuts.len() + 1) * n {
            cuts.push(midpoint(a, b));
        }
    }
    cuts
}

/// A threshold `t` with `a <= t < b` (computed without overflow near the largest floats).
fn midpoint(a: f64, b: f64) -> f64 {
    let t = a / 2.0 + b / 2.0;
    if t >= a && t < b {
        t
    } else {
        a
    }
}

/// Sums of gradients, hessians and rows.
#[derive(Debug, Clone, Copy, Default)]
struct Sums {
    g: f64,
    h: f64,
    n: u32,
}

impl Sums {
    fn add(&mut self, g: f64, h: f64) {
        self.g += g;
        self.h += h;
        self.n += 1;
    }
    fn merge(&mut self, other: Sums) {
        self.g += other.g;
        self.h += other.h;
        self.n += other.n;
    }
    fn minus(self, other: Sums) -> Sums {
        Sums {
            g: self.g - other.g,
            h: self.h - other.h,
            n: self.n - other.n,
        }
    }
}

/// How a tree grows.
#[derive(Debug, Clone)]
struct Growth {
    max_depth: usize,
    min_samples_leaf: u32,
    /// Features tried per split (drawn at each node when fewer than all).
    max_features: usize,
    /// Extra trees: one random threshold per feature tried, instead of the best one.
    random_splits: bool,
    /// L2 penalty on leaf values (0: a leaf is its rows' mean target).
    lambda: f64,
    min_hessian: f64,
    /// Leaf values are multiplied by this (boosting's learning rate).
    shrink: f64,
}

/// A fitted tree; node 0 is the root. A split sends `x[feature] <= value` to child `left`, the
/// rest to `left + 1`; a leaf (`feature == LEAF`) predicts `value`.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub struct Tree {
    feature: Vec<u32>,
    value: Vec<f64>,
    left: Vec<u32>,
}

const LEAF: u32 = u32::MAX;

impl Tree {
    fn push_leaf(&mut self) -> u32 {
        self.feature.push(LEAF);
        self.value.push(0.0);
        self.left.push(0);
        (self.feature.len() - 1) as u32
    }

    fn predict_row(&self, row: &[f64]) -> f64 {
        let mut node = 0;
        loop {
            let feature = self.feature[node];
            if feature == LEAF {
                return self.value[node];
            }
            // Missing (NaN) goes right, as its bin is the last.
            let left = row[feature as usize] <= self.value[node];
            node = self.left[node] as usize + usize::from(!left);
        }
    }
}

/// A grown tree, its split gains per feature, and its leaves' ranges of the (reordered) rows.
struct Grown {
    tree: Tree,
    gains: Vec<f64>,
    leaves: Vec<(u32, usize, usize)>,
}

/// Grows one tree over the sample `rows` (indices into `bins`, ascending, repeats allowed),
/// partitioning `rows` so that each leaf's rows are a contiguous range.
fn grow(
    bins: &Binned,
    grad: &[f64],
    hess: &[f64],
    growth: &Growth,
    rng: &mut ChaCha8Rng,
    rows: &mut [u32],
) -> Grown {
    let mut search = SplitSearch::new(bins, growth);
    let mut tree = Tree::default();
    let mut gains = vec![0.0; bins.cols];
    let mut leaves = Vec::new();
    let mut total = Sums::default();
    for &r in rows.iter() {
        total.add(grad[r as usize], hess[r as usize]);
    }
    let mut right_rows = Vec::new();
    let mut stack = vec![Pending {
        node: tree.push_leaf(),
        start: 0,
        end: rows.len(),
        depth: 0,
        sums: total,
        histogram: None,
    }];
    while let Some(p) = stack.pop() {
        let at = p.node as usize;
        let split = if p.depth < growth.max_depth && p.sums.n >= 2 * growth.min_samples_leaf {
            search.best(&rows[p.start..p.end], grad, hess, p.sums, rng, p.histogram)
        } else {
            search.recycle(p.histogram);
            None
        };
        let Some(split) = split else {
            tree.value[at] = growth.shrink * p.sums.g / (p.sums.h + growth.lambda);
            leaves.push((p.node, p.start, p.end));
            continue;
        };
        let mid = p.start
            + partition(&mut rows[p.start..p.end], &mut right_rows, |r| {
                bins.code(r, split.feature) <= split.bin
            });
        let right_sums = p.sums.minus(split.left);
        let (left_histogram, right_histogram) = search.children(
            (&rows[p.start..mid], split.left),
            (&rows[mid..p.end], right_sums),
            grad,
            hess,
        );
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
        });
        stack.push(Pending {
            node: left,
            start: p.start,
            end: mid,
            depth: p.depth + 1,
            sums: split.left,
            histogram: left_histogram,
        });
    }
    Grown {
        tree,
        gains,
        leaves,
    }
}

/// A node waiting to be split: its range of the rows, and its histogram when it was had by
/// subtraction.
struct Pending {
    node: u32,
    start: usize,
    end: usize,
    depth: usize,
    sums: Sums,
    histogram: Option<Vec<Sums>>,
}

/// Moves the rows where `goes_left` holds to the front, keeping the order on both sides (rows
/// ascending stay ascending, so a node's reads of codes and gradients run forward through
/// memory); returns how many there are. `right` is scratch space.
fn partition(rows: &mut [u32], right: &mut Vec<u32>, goes_left: impl Fn(u32) -> bool) -> usize {
    right.clear();
    let mut mid = 0;
    for i in 0..rows.len() {
        let r = rows[i];
        if goes_left(r) {
            rows[mid] = r;
            mid += 1;
        } else {
            right.push(r);
        }
    }
    rows[mid..].copy_from_slice(right);
    mid
}

struct Split {
    feature: usize,
    bin: u8,
    gain: f64,
    left: Sums,
}

/// Scratch space for split searches of one tree.
struct SplitSearch<'a> {
    bins: &'a Binned,
    growth: &'a Growth,
    /// Candidate features; the first `max_features` are this node's when sampling.
    features: Vec<usize>,
    /// The node's histogram: one [`MAX_BINS`] block per candidate feature.
    histogram: Vec<Sums>,
    /// Histogram buffers for reuse.
    spare: Vec<Vec<Sums>>,
    /// Nodes with at least this many rows use histograms (the candidates' mean bin count).
    histogram_rows: usize,
    /// All features are candidates at every node, and splits are the best ones: a child's
    /// histogram is its parent's minus its sibling's, so only the smaller child is summed.
    subtract: bool,
    /// One feature's non-empty bins, ascending.
    entries: Vec<(u8, Sums)>,
    /// A small node's sums per bin (all zero between uses) and the bins it has.
    scratch: Vec<Sums>,
    touched: Vec<u8>,
}

impl<'a> SplitSearch<'a> {
    fn new(bins: &'a Binned, growth: &'a Growth) -> SplitSearch<'a> {
        SplitSearch {
            bins,
            growth,
            features: (0..bins.cols).collect(),
            histogram: vec![Sums::default(); growth.max_features.min(bins.cols) * MAX_BINS],
            spare: Vec::new(),
            histogram_rows: (0..bins.cols).map(|f| bins.bins(f)).sum::<usize>() / bins.cols.max(1),
            subtract: growth.max_features >= bins.cols && !growth.random_splits,
            entries: Vec::with_capacity(MAX_BINS),
            scratch: vec![Sums::default(); MAX_BINS],
            touched: Vec::with_capacity(MAX_BINS),
        }
    }

    fn score(&self, s: Sums) -> f64 {
        s.g * s.g / (s.h + self.growth.lambda)
    }

    fn recycle(&mut self, histogram: Option<Vec<Sums>>) {
        self.spare.extend(histogram);
    }

    fn buffer(&mut self) -> Vec<Sums> {
        self.spare
            .pop()
            .unwrap_or_else(|| vec![Sums::default(); self.histogram.len()])
    }

    /// The best split of a node's `rows` (with sums `total`), if any improves the loss;
    /// `known` is the node's histogram when subtraction gave it.
    fn best(
        &mut self,
        rows: &[u32],
        grad: &[f64],
        hess: &[f64],
        total: Sums,
        rng: &mut ChaCha8Rng,
        known: Option<Vec<Sums>>,
    ) -> Option<Split> {
        let cols = self.bins.cols;
        let tried = self.growth.max_features.min(cols);
        if tried < cols {
            for i in 0..tried {
                let j = rng.gen_range(i..cols);
                self.features.swap(i, j);
            }
        }
        let mean_bins = self.features[..tried]
            .iter()
            .map(|&f| self.bins.bins(f))
            .sum::<usize>()
            / tried.max(1);
        let random = self.growth.random_splits;
        let use_histogram = !random && rows.len() >= mean_bins;
        match known {
            Some(histogram) if use_histogram => {
                let old = std::mem::replace(&mut self.histogram, histogram);
                self.spare.push(old);
            }
            known => {
                self.recycle(known);
                if use_histogram {
                    let mut histogram = std::mem::take(&mut self.histogram);
                    self.fill(&mut histogram, rows, grad, hess, tried, total);
                    self.histogram = histogram;
                }
            }
        }
        let parent = self.score(total);
        let min_gain = 1e-12 * parent.abs();
        let mut best: Option<Split> = None;
        for k in 0..tried {
            let feature = self.features[k];
            let candidate = if random {
                self.random_split(feature, rows, grad, hess, total, rng)
            } else {
                self.collect_entries(k, feature, use_histogram, rows, grad, hess);
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

    /// Per-bin sums of the first `tried` candidate features into `out`, in one pass over the
    /// rows (with sums `total`). Each feature's most frequent bin is skipped in the pass and
    /// filled in as the total minus the other bins: a one-hot column costs one update per row
    /// that has the level, not one per row.
    #[allow(clippy::too_many_arguments)]
    fn fill(
        &self,
        out: &mut [Sums],
        rows: &[u32],
        grad: &[f64],
        hess: &[f64],
        tried: usize,
        total: Sums,
    ) {
        let features: Vec<(usize, usize, u8)> = self.features[..tried]
            .iter()
            .enumerate()
            .map(|(k, &f)| (f, k * MAX_BINS, self.bins.modes[f]))
            .collect();
        for &(f, offset, _) in &features {
            out[offset..offset + self.bins.bins(f)].fill(Sums::default());
        }
        let cols = self.bins.cols;
        for &r in rows {
            let (g, h) = (grad[r as usize], hess[r as usize]);
            let codes = &self.bins.codes[r as usize * cols..(r as usize + 1) * cols];
            for &(f, offset, mode) in &features {
                let code = codes[f];
                if code != mode {
                    out[offset + code as usize].add(g, h);
                }
            }
        }
        for &(f, offset, mode) in &features {
            let block = &mut out[offset..offset + self.bins.bins(f)];
            let rest = block.iter().fold(total, |rest, s| rest.minus(*s));
            block[mode as usize] = rest;
        }
    }

    /// The histograms of a split node's children that will use one, by subtraction: the
    /// smaller child's is summed, the larger's is the parent's (in `histogram`) minus it.
    fn children(
        &mut self,
        (left, left_sums): (&[u32], Sums),
        (right, right_sums): (&[u32], Sums),
        grad: &[f64],
        hess: &[f64],
    ) -> (Option<Vec<Sums>>, Option<Vec<Sums>>) {
        let (small, small_sums, large) = if left.len() <= right.len() {
            (left, left_sums, right)
        } else {
            (right, right_sums, left)
        };
        if !self.subtract || large.len() < self.histogram_rows {
            return (None, None);
        }
        let mut small_histogram = self.buffer();
        self.fill(
            &mut small_histogram,
            small,
            grad,
            hess,
            self.bins.cols,
            small_sums,
        );
        let fresh = self.buffer();
        let mut large_histogram = std::mem::replace(&mut self.histogram, fresh);
        for f in 0..self.bins.cols {
            let block = f * MAX_BINS..f * MAX_BINS + self.bins.bins(f);
            for (l, s) in large_histogram[block.clone()]
                .iter_mut()
                .zip(&small_histogram[block])
            {
                *l = l.minus(*s);
            }
        }
        let small_histogram = if small.len() >= self.histogram_rows {
            Some(small_histogram)
        } else {
            self.spare.push(small_histogram);
            None
        };
        if left.len() <= right.len() {
            (small_histogram, Some(large_histogram))
        } else {
            (Some(large_histogram), small_histogram)
        }
    }

    /// Fills `entries` with candidate feature `k`'s non-empty bins, from its histogram or, for
    /// a node with few rows, through a scratch table of which only the bins present are read
    /// and cleared.
    fn collect_entries(
        &mut self,
        k: usize,
        feature: usize,
        use_histogram: bool,
        rows: &[u32],
        grad: &[f64],
        hess: &[f64],
    ) {
        self.entries.clear();
        if use_histogram {
            let block = &self.histogram[k * MAX_BINS..k * MAX_BINS + self.bins.bins(feature)];
            self.entries.extend(
                block
                    .iter()
                    .enumerate()
                    .filter(|(_, s)| s.n > 0)
                    .map(|(b, s)| (b as u8, *s)),
            );
            return;
        }
        for &r in rows {
            let bin = self.bins.code(r, feature);
            let sums = &mut self.scratch[bin as usize];
            if sums.n == 0 {
                self.touched.push(bin);
            }
            sums.add(grad[r as usize], hess[r as usize]);
        }
        self.touched.sort_unstable();
        for &bin in &self.touched {
            let sums = std::mem::take(&mut self.scratch[bin as usize]);
            self.entries.push((bin, sums));
        }
        self.touched.clear();
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
        for &(bin, sums) in &self.entries[..self.entries.len().saturating_sub(1)] {
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
        grad: &[f64],
        hess: &[f64],
        total: Sums,
        rng: &mut ChaCha8Rng,
    ) -> Option<(u8, Sums)> {
        let (mut first, mut last) = (u8::MAX, 0);
        for &r in rows {
            let bin = self.bins.code(r, feature);
            first = first.min(bin);
            last = last.max(bin);
        }
        if first >= last {
            return None;
        }
        let bin = rng.gen_range(first..last);
        let mut left = Sums::default();
        for &r in rows {
            if self.bins.code(r, feature) <= bin {
                left.add(grad[r as usize], hess[r as usize]);
            }
        }
        self.allowed(left, total.minus(left)).then_some((bin, left))
    }
}

/// How an ensemble turns its trees' outputs into a prediction.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
enum Combine {
    /// The mean of the trees (forests, a single tree).
    Mean,
    /// `base` plus the sum of the trees (boosting, squared loss).
    Sum,
    /// The logistic function of `base` plus the sum: the probability of class 1 (log loss).
    Logistic,
}

/// A fitted tree ensemble: plain data.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ensemble {
    combine: Combine,
    base: f64,
    trees: Vec<Tree>,
    /// Total split gain per feature, normalised to sum 1.
    importance: Vec<f64>,
}

impl Ensemble {
    pub fn predict(&self, x: ArrayView2<f64>) -> ModelResult<Vec<f64>> {
        let x = x.as_standard_layout();
        let cols = x.ncols();
        let data = x.as_slice().ok_or("rows are not contiguous")?;
        let one = |row: &[f64]| {
            let sum: f64 = self.trees.iter().map(|t| t.predict_row(row)).sum();
            match self.combine {
                Combine::Mean => sum / self.trees.len().max(1) as f64,
                Combine::Sum => self.base + sum,
                Combine::Logistic => 1.0 / (1.0 + (-(self.base + sum)).exp()),
            }
        };
        if cols == 0 {
            return Ok(vec![one(&[]); x.nrows()]);
        }
        // Rows in parallel; each row's sum keeps the trees' order.
        Ok(data.par_chunks(cols).map(one).collect())
    }

    /// Boosting after its first `stages` trees; the gains are the full model's.
    pub fn truncated(&self, stages: usize) -> ModelResult<Ensemble> {
        if self.combine == Combine::Mean || stages > self.trees.len() {
            return Err(format!(
                "cannot take {stages} stages of a model of {} trees",
                self.trees.len()
            ));
        }
        Ok(Ensemble {
            combine: self.combine,
            base: self.base,
            trees: self.trees[..stages].to_vec(),
            importance: self.importance.clone(),
        })
    }

    /// Split gains per feature, normalised to sum 1 (all 0 for a tree without splits): the
    /// impurity decrease of a tree or forest, the loss reduction of boosting.
    pub fn importance(&self) -> (ImportanceKind, Vec<f64>) {
        let kind = match self.combine {
            Combine::Mean => ImportanceKind::Impurity,
            Combine::Sum | Combine::Logistic => ImportanceKind::Gain,
        };
        (kind, self.importance.clone())
    }
}

fn normalised(mut gains: Vec<f64>) -> Vec<f64> {
    let total: f64 = gains.iter().sum();
    if total > 0.0 {
        gains.iter_mut().for_each(|g| *g /= total);
    }
    gains
}

/// A random forest (each tree on a bootstrap sample) or extra trees (each on all rows); with
/// one tree, a decision tree.
fn fit_forest(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    trees: usize,
    bootstrap: bool,
    growth: &Growth,
    seed: u64,
) -> ModelResult<Ensemble> {
    let rows = x.nrows();
    if rows == 0 {
        return Err("no training rows".into());
    }
    let bins = Binned::new(x);
    let grad = y.to_vec();
    let hess = vec![1.0; rows];
    let grown: Vec<Grown> = (0..trees)
        .into_par_iter()
        .map(|t| {
            let mut rng = ChaCha8Rng::seed_from_u64(seed);
            rng.set_stream(t as u64);
            let mut sample: Vec<u32> = if bootstrap {
                let mut sample: Vec<u32> =
                    (0..rows).map(|_| rng.gen_range(0..rows as u32)).collect();
                // Ascending rows read memory forward.
                sample.sort_unstable();
                sample
            } else {
                (0..rows as u32).collect()
            };
            grow(&bins, &grad, &hess, growth, &mut rng, &mut sample)
        })
        .collect();
    let mut gains = vec![0.0; x.ncols()];
    let mut trees = Vec::with_capacity(grown.len());
    for g in grown {
        for (total, tree_gains) in gains.iter_mut().zip(normalised(g.gains)) {
            *total += tree_gains;
        }
        trees.push(g.tree);
    }
    Ok(Ensemble {
        combine: Combine::Mean,
        base: 0.0,
        trees,
        importance: normalised(gains),
    })
}

/// Gradient boosting of depth-limited trees on all rows, squared loss or (`log_loss`, targets
/// 0/1) log loss.
fn fit_boosting(
    x: ArrayView2<f64>,
    y: ArrayView1<f64>,
    iterations: usize,
    growth: &Growth,
    log_loss: bool,
    seed: u64,
) -> ModelResult<Ensemble> {
    let rows = x.nrows();
    if rows == 0 {
        return Err("no training rows".into());
    }
    let bins = Binned::new(x);
    let mean = y.sum() / rows as f64;
    let base = if log_loss {
        let p = mean.clamp(1e-12, 1.0 - 1e-12);
        (p / (1.0 - p)).ln()
    } else {
        mean
    };
    let mut raw = vec![base; rows];
    let (mut grad, mut hess) = (vec![0.0; rows], vec![1.0; rows]);
    let mut sample: Vec<u32> = (0..rows as u32).collect();
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut trees = Vec::with_capacity(iterations);
    let mut gains = vec![0.0; x.ncols()];
    for _ in 0..iterations {
        // Each tree starts from the rows in order (the last one left them grouped by leaf).
        for (i, r) in sample.iter_mut().enumerate() {
            *r = i as u32;
        }
        for r in 0..rows {
            if log_loss {
                let p = 1.0 / (1.0 + (-raw[r]).exp());
                grad[r] = y[r] - p;
                hess[r] = (p * (1.0 - p)).max(1e-16);
            } else {
                grad[r] = y[r] - raw[r];
            }
        }
        let grown = grow(&bins, &grad, &hess, growth, &mut rng, &mut sample);
        for &(leaf, start, end) in &grown.leaves {
            let value = grown.tree.value[leaf as usize];
            for &r in &sample[start..end] {
                raw[r as usize] += value;
            }
        }
        for (total, g) in gains.iter_mut().zip(&grown.gains) {
            *total += g;
        }
        trees.push(grown.tree);
    }
    Ok(Ensemble {
        combine: if log_loss {
            Combine::Logistic
        } else {
            Combine::Sum
        },
        base,
        trees,
        importance: normalised(gains),
    })
}

fn boxed(ensemble: Ensemble) -> FittedModel {
    FittedModel::Trees(Box::new(ensemble))
}

/// Features tried per split: a fraction of the columns, at least one.
fn features_per_split(params: &Params, cols: usize) -> ModelResult<usize> {
    let fraction = float(params, "max_features")?;
    Ok(((fraction * cols as f64).round() as usize).clamp(1, cols.max(1)))
}

fn min_samples_leaf(params: &Params) -> ModelResult<u32> {
    Ok(int(params, "min_samples_leaf")?.clamp(1, u32::MAX as usize) as u32)
}

/// A single regression tree on all rows and features, best splits.
pub struct DecisionTree;

/// Random forest (bootstrap samples, best splits) or extra trees (no bootstrap, random splits).
pub struct Forest {
    pub extra: bool,
}

/// Gradient boosting with squared loss (regression) or log loss (a two-class probability model,
/// used one-vs-rest).
pub struct GradientBoosting {
    log_loss: bool,
}

impl GradientBoosting {
    pub const REGRESSION: GradientBoosting = GradientBoosting { log_loss: false };
    pub const CLASSIFICATION: GradientBoosting = GradientBoosting { log_loss: true };
}

impl Algorithm for DecisionTree {
    fn id(&self) -> &'static str {
        "dt"
    }
    fn name(&self) -> &'static str {
        "Decision tree"
    }
    fn backend(&self) -> &'static str {
        BACKEND
    }
    fn grid(&self) -> Vec<Params> {
        let mut depths = ints(&[4, 8]);
        depths.extend(texts(&["none"]));
        grid(&[("max_depth", depths), ("min_samples_leaf", ints(&[1, 5]))])
    }
    fn cost(&self, _: &Params, rows: usize, cols: usize) -> f64 {
        (rows * cols) as f64 * (rows.max(2) as f64).log2()
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> ModelResult<FittedModel> {
        let growth = Growth {
            max_depth: optional_int(params, "max_depth")?.unwrap_or(usize::MAX),
            min_samples_leaf: min_samples_leaf(params)?,
            max_features: x.ncols(),
            random_splits: false,
            lambda: 0.0,
            min_hessian: 0.0,
            shrink: 1.0,
        };
        fit_forest(x, y, 1, false, &growth, seed).map(boxed)
    }
}

impl Algorithm for Forest {
    fn id(&self) -> &'static str {
        if self.extra {
            "et"
        } else {
            "rf"
        }
    }
    fn name(&self) -> &'static str {
        if self.extra {
            "Extra trees"
        } else {
            "Random forest"
        }
    }
    fn backend(&self) -> &'static str {
        BACKEND
    }
    /// Random forests try a third of the features per split besides all of them (scikit-learn's
    /// regression default); extra trees' random thresholds do well with half.
    fn grid(&self) -> Vec<Params> {
        let fewer = if self.extra { 0.5 } else { 0.33 };
        grid(&[
            ("n_trees", ints(&[FOREST_TREES])),
            ("max_features", floats(&[1.0, fewer])),
            ("min_samples_leaf", ints(&[1, 5])),
        ])
    }
    fn cost(&self, params: &Params, rows: usize, cols: usize) -> f64 {
        let trees = int(params, "n_trees").unwrap_or(1) as f64;
        let tried = features_per_split(params, cols).unwrap_or(cols);
        trees * (rows * tried) as f64 * (rows.max(2) as f64).log2()
    }
    fn skip_reason(&self, rows: usize, _cols: usize) -> Option<String> {
        row_limit(
            rows,
            FOREST_MAX_ROWS,
            "fully grown trees: a leaf per row per tree",
        )
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> ModelResult<FittedModel> {
        let growth = Growth {
            max_depth: usize::MAX,
            min_samples_leaf: min_samples_leaf(params)?,
            max_features: features_per_split(params, x.ncols())?,
            random_splits: self.extra,
            lambda: 0.0,
            min_hessian: 0.0,
            shrink: 1.0,
        };
        let trees = int(params, "n_trees")?.max(1);
        fit_forest(x, y, trees, !self.extra, &growth, seed).map(boxed)
    }
}

impl Algorithm for GradientBoosting {
    fn id(&self) -> &'static str {
        "gbm"
    }
    fn name(&self) -> &'static str {
        "Gradient boosting"
    }
    fn backend(&self) -> &'static str {
        BACKEND
    }
    fn grid(&self) -> Vec<Params> {
        grid(&[
            ("iterations", ints(&[100, 300])),
            ("learning_rate", floats(&[0.1])),
            ("max_depth", ints(&[3, 6])),
        ])
    }
    fn staged_param(&self) -> Option<&'static str> {
        Some("iterations")
    }
    fn cost(&self, params: &Params, rows: usize, cols: usize) -> f64 {
        let iterations = int(params, "iterations").unwrap_or(1);
        let depth = int(params, "max_depth").unwrap_or(1);
        (iterations * depth * rows * cols) as f64
    }
    fn fit(
        &self,
        params: &Params,
        x: ArrayView2<f64>,
        y: ArrayView1<f64>,
        seed: u64,
    ) -> ModelResult<FittedModel> {
        let growth = Growth {
            max_depth: int(params, "max_depth")?,
            min_samples_leaf: 1,
            max_features: x.ncols(),
            random_splits: false,
            lambda: BOOST_LAMBDA,
            min_hessian: BOOST_MIN_HESSIAN,
            shrink: float(params, "learning_rate")?,
        };
        let iterations = int(params, "iterations")?;
        fit_boosting(x, y, iterations, &growth, self.log_loss, seed).map(boxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ndarray::Array2;

    #[test]
    fn cut_points_separate_distinct_values_and_cap_the_bins() {
        assert_eq!(cut_points(&[1.0, 1.0, 2.0, 4.0]), vec![1.5, 3.0]);
        assert!(cut_points(&[5.0, 5.0]).is_empty());
        let many: Vec<f64> = (0..10_000).map(f64::from).collect();
        let cuts = cut_points(&many);
        assert_eq!(cuts.len(), MAX_BINS - 1);
        assert!(cuts.windows(2).all(|w| w[0] < w[1]));
        // Roughly equal rows per bin.
        assert!((cuts[0] - 39.0).abs() < 1.0, "{}", cuts[0]);
        let huge = cut_points(&[f64::MAX / 2.0, f64::MAX]);
        assert!(huge[0].is_finite() && huge[0] >= f64::MAX / 2.0);
    }

    #[test]
    fn codes_agree_with_thresholds() {
        let cuts = [1.5, 3.0];
        for (v, bin) in [
            (0.0, 0),
            (1.5, 0),
            (2.0, 1),
            (3.0, 1),
            (3.5, 2),
            (f64::NAN, 2),
        ] {
            assert_eq!(bin_of(&cuts, v), bin, "{v}");
            // Prediction's rule: `v <= threshold` goes left.
            let left_of_first = v <= cuts[0];
            assert_eq!(left_of_first, bin == 0, "{v}");
        }
    }

    fn step_data() -> (Array2<f64>, Vec<f64>) {
        let x = Array2::from_shape_fn((200, 3), |(i, j)| ((i * (j + 3)) % 23) as f64);
        let y = x
            .rows()
            .into_iter()
            .map(|r| if r[0] > 10.0 { 5.0 } else { -1.0 } + 0.1 * r[1])
            .collect();
        (x, y)
    }

    #[test]
    fn a_deep_tree_fits_its_training_rows() {
        let (x, y) = step_data();
        let params: Params = [
            (
                "max_depth".to_string(),
                super::super::Param::Text("none".into()),
            ),
            ("min_samples_leaf".to_string(), super::super::Param::Int(1)),
        ]
        .into();
        let model = DecisionTree
            .fit(&params, x.view(), ArrayView1::from(&y), 1)
            .unwrap();
        let pred = model.predict(x.view()).unwrap();
        // Rows with equal features share a leaf: the tree predicts their mean target.
        let worst = pred
            .iter()
            .zip(&y)
            .map(|(p, t)| (p - t).abs())
            .fold(0.0, f64::max);
        assert!(worst < 1e-9, "{worst}");
    }

    #[test]
    fn forests_and_boosting_are_reproducible_and_accurate() {
        let (x, y) = step_data();
        let y = ArrayView1::from(&y);
        let mean = y.sum() / y.len() as f64;
        let spread = y.iter().map(|v| (v - mean).powi(2)).sum::<f64>();
        for algorithm in [
            Box::new(Forest { extra: false }) as Box<dyn Algorithm>,
            Box::new(Forest { extra: true }),
            Box::new(GradientBoosting::REGRESSION),
        ] {
            for params in algorithm.grid() {
                let a = algorithm.fit(&params, x.view(), y, 3).unwrap();
                let b = algorithm.fit(&params, x.view(), y, 3).unwrap();
                let (pa, pb) = (a.predict(x.view()).unwrap(), b.predict(x.view()).unwrap());
                assert_eq!(pa, pb, "{}", algorithm.id());
                let sse: f64 = pa.iter().zip(y).map(|(p, t)| (p - t).powi(2)).sum();
                assert!(
                    sse < 0.1 * spread,
                    "{} {params:?}: {sse} of {spread}",
                    algorithm.id()
                );
            }
        }
    }

    #[test]
    fn boosting_truncated_is_boosting_fitted_with_fewer_iterations() {
        let (x, y) = step_data();
        let y = ArrayView1::from(&y);
        for algorithm in [
            GradientBoosting::REGRESSION,
            GradientBoosting::CLASSIFICATION,
        ] {
            let y = if algorithm.log_loss {
                y.mapv(|v| f64::from(v > 2.0))
            } else {
                y.to_owned()
            };
            let setting = |iterations| {
                grid(&[
                    ("iterations", ints(&[iterations])),
                    ("learning_rate", floats(&[0.1])),
                    ("max_depth", ints(&[3])),
                ])
                .remove(0)
            };
            let long = algorithm.fit(&setting(30), x.view(), y.view(), 5).unwrap();
            let short = algorithm.fit(&setting(10), x.view(), y.view(), 5).unwrap();
            assert_eq!(
                long.truncated(10).unwrap().predict(x.view()).unwrap(),
                short.predict(x.view()).unwrap()
            );
            assert!(long.truncated(31).is_err());
        }
    }

    #[test]
    fn log_loss_boosting_predicts_probabilities() {
        let (x, y) = step_data();
        let y: Vec<f64> = y.iter().map(|&v| f64::from(v > 2.0)).collect();
        let params = &GradientBoosting::CLASSIFICATION.grid()[0];
        let model = GradientBoosting::CLASSIFICATION
            .fit(params, x.view(), ArrayView1::from(&y), 3)
            .unwrap();
        let p = model.predict(x.view()).unwrap();
        assert!(p.iter().all(|p| (0.0..=1.0).contains(p)));
        let right = p
            .iter()
            .zip(&y)
            .filter(|(p, t)| (**p > 0.5) == (**t > 0.5))
            .count();
        assert_eq!(right, 200);
    }
}
