//! Binning: each feature cut once into at most [`MAX_BINS`] levels at quantiles of the training
//! rows, and the training rows as one-byte bin codes.

use ndarray::{ArrayView1, ArrayView2};
use rayon::prelude::*;

use super::bundle::Bundles;

/// Most bins per feature (codes are one byte).
pub(super) const MAX_BINS: usize = 256;
/// Bin edges are cut from at most this many (evenly spaced) training rows.
const BIN_SAMPLE_ROWS: usize = 200_000;

/// Training features as bin codes.
pub(super) struct Binned {
    pub(super) cols: usize,
    /// The features' exclusive bundles (see [`Bundles`]).
    pub(super) bundles: Bundles,
    /// Row-major bundle codes: row `r`'s are `packed[r * b..(r + 1) * b]` for `b` bundles (a
    /// histogram reads a row's codes together).
    pub(super) packed: Vec<u8>,
    /// The features' codes column-major: feature `f`'s are `columns[f * rows..(f + 1) * rows]` (a
    /// split search or a partition reads one feature of a node's rows, ascending).
    columns: Vec<u8>,
    rows: usize,
    /// Per feature, ascending: bin `b` holds the values `<= thresholds[b]` (and above the
    /// previous threshold); the last bin holds the rest, and missing values.
    pub(super) thresholds: Vec<Vec<f64>>,
    /// Per feature, its most frequent bin (0 of a one-hot column): histograms skip it and take
    /// its sums as the node's minus the other bins'.
    pub(super) modes: Vec<u8>,
}

impl Binned {
    pub(super) fn new(x: ArrayView2<f64>) -> Binned {
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
        let mut columns = vec![0u8; rows * cols];
        if rows > 0 {
            columns
                .par_chunks_mut(rows)
                .enumerate()
                .for_each(|(f, column)| {
                    for (r, code) in column.iter_mut().enumerate() {
                        *code = codes[r * cols + f];
                    }
                });
        }
        drop(codes);
        let modes: Vec<u8> = counts
            .iter()
            .map(|count| {
                (0..MAX_BINS)
                    .max_by_key(|&b| (count[b], std::cmp::Reverse(b)))
                    .unwrap_or(0) as u8
            })
            .collect();
        let widths: Vec<usize> = thresholds.iter().map(|cuts| cuts.len() + 1).collect();
        let bundles = Bundles::new(&columns, rows, &widths, &modes);
        let packed = bundles.pack(&columns, rows, &modes);
        Binned {
            cols,
            bundles,
            packed,
            columns,
            rows,
            thresholds,
            modes,
        }
    }

    /// Feature `feature`'s codes of every row.
    pub(super) fn column(&self, feature: usize) -> &[u8] {
        &self.columns[feature * self.rows..(feature + 1) * self.rows]
    }

    /// The features from the most to the least correlated with `y` (the absolute Pearson
    /// correlation of their bin codes, which rank their values; ties and constant features by
    /// number): the order in which a small node tries its features when its search may stop at
    /// the first split that ties the best there is (see `split::SplitFinder::best`).
    pub(super) fn by_relevance(&self, y: ArrayView1<f64>) -> Vec<usize> {
        let n = self.rows as f64;
        let y_mean = y.iter().sum::<f64>() / n;
        let centred: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
        let yy: f64 = centred.iter().map(|dy| dy * dy).sum();
        let correlation: Vec<f64> = (0..self.cols)
            .map(|f| {
                let column = self.column(f);
                let mean = column.iter().map(|&c| f64::from(c)).sum::<f64>() / n;
                let (mut xy, mut xx) = (0.0, 0.0);
                for (&c, &dy) in column.iter().zip(&centred) {
                    let dx = f64::from(c) - mean;
                    xy += dx * dy;
                    xx += dx * dx;
                }
                match xx > 0.0 && yy > 0.0 {
                    true => (xy / (xx * yy).sqrt()).abs(),
                    false => 0.0,
                }
            })
            .collect();
        let mut order: Vec<usize> = (0..self.cols).collect();
        order.sort_by(|&a, &b| correlation[b].total_cmp(&correlation[a]).then(a.cmp(&b)));
        order
    }

    pub(super) fn bins(&self, feature: usize) -> usize {
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn features_rank_by_how_closely_their_codes_follow_the_target() {
        let rows = 200;
        let y: Vec<f64> = (0..rows)
            .map(|r| (r as f64).sin() * 10.0 + r as f64 * 0.01)
            .collect();
        // 0 constant, 1 noise-free copy of y, 2 y reversed in sign, 3 weakly tied, 4 unrelated.
        let x = ndarray::Array2::from_shape_fn((rows, 5), |(r, c)| match c {
            0 => 1.0,
            1 => y[r],
            2 => -y[r] * 3.0,
            3 => y[r] + (r % 7) as f64 * 3.0,
            _ => ((r * 37) % 11) as f64,
        });
        let order = Binned::new(x.view()).by_relevance(ArrayView1::from(&y));
        assert_eq!(&order[..3], &[1, 2, 3]);
        assert_eq!(order[4], 0);
    }

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
    fn columns_and_packed_rows_hold_the_codes() {
        // Columns 0-2 dense, 3 and 4 the one-hot levels of one category.
        let x = ndarray::Array2::from_shape_fn((7, 5), |(r, c)| match c {
            3 => f64::from(r % 3 == 0),
            4 => f64::from(r % 3 == 1),
            _ => ((r * 5 + c * 3) % 4) as f64,
        });
        let bins = Binned::new(x.view());
        assert_eq!(bins.bundles.members.len(), 4);
        for f in 0..5 {
            let (bundle, mode) = (bins.bundles.of_feature[f].0, bins.modes[f]);
            for r in 0..7 {
                let code = bin_of(&bins.thresholds[f], x[[r, f]]);
                assert_eq!(bins.column(f)[r], code);
                // A shared bundle's code in a row where this member is at its mode is another's.
                if !bins.bundles.is_shared(bundle) || code != mode {
                    let packed = bins.packed[r * 4 + bundle];
                    assert_eq!(packed, bins.bundles.code(f, code, mode), "{r} {f}");
                }
            }
        }
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
}
