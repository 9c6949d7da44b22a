//! Descriptive statistics shared by the profile, the metrics, the leaderboard and the report:
//! means and standard deviations, ranks, equal-width histograms. A leaf module.

use serde::{Deserialize, Serialize};

/// The mean of `values` (NaN when there are none), summed in order.
pub fn mean(values: impl Iterator<Item = f64>) -> f64 {
    let (sum, n) = values.fold((0.0, 0usize), |(s, n), v| (s + v, n + 1));
    sum / n as f64
}

/// Mean and population standard deviation (as numpy's default and PyCaret report).
pub fn mean_std(values: &[f64]) -> (f64, f64) {
    let m = mean(values.iter().copied());
    let std = (values.iter().map(|v| (v - m).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
    (m, std)
}

/// Mean and sample standard deviation (n - 1) of the finite `values`, computed on values
/// divided by `scale` (the largest magnitude) so that sums near the float limits do not
/// overflow.
pub fn scaled_mean_std(values: &[f64], scale: f64) -> (f64, f64) {
    let scale = if scale > 0.0 && scale.is_finite() {
        scale
    } else {
        1.0
    };
    let scaled: Vec<f64> = values
        .iter()
        .filter(|v| v.is_finite())
        .map(|v| v / scale)
        .collect();
    let n = scaled.len() as f64;
    let mean = scaled.iter().sum::<f64>() / n;
    let variance = scaled.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean * scale, variance.sqrt() * scale)
}

/// Ranks from 1, ties sharing their average rank.
pub fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        let average = (start + end + 1) as f64 / 2.0;
        for &i in &order[start..end] {
            ranks[i] = average;
        }
        start = end;
    }
    ranks
}

/// Area under the ROC curve of `scores` for the `positive` rows: the probability that a random
/// positive scores above a random negative, ties counting half (Mann-Whitney). NaN when one
/// side is empty.
pub fn auc(positive: &[bool], scores: &[f64]) -> f64 {
    let mut pairs: Vec<(f64, bool)> = scores
        .iter()
        .copied()
        .zip(positive.iter().copied())
        .collect();
    pairs.sort_by(|a, b| a.0.total_cmp(&b.0));
    let (mut rank_sum, mut positives) = (0.0, 0.0);
    let mut start = 0;
    while start < pairs.len() {
        let mut end = start + 1;
        while end < pairs.len() && pairs[end].0 == pairs[start].0 {
            end += 1;
        }
        let average_rank = (start + end + 1) as f64 / 2.0;
        for pair in &pairs[start..end] {
            if pair.1 {
                rank_sum += average_rank;
                positives += 1.0;
            }
        }
        start = end;
    }
    let negatives = pairs.len() as f64 - positives;
    if positives == 0.0 || negatives == 0.0 {
        return f64::NAN;
    }
    (rank_sum - positives * (positives + 1.0) / 2.0) / (positives * negatives)
}

/// Bins per histogram.
const HISTOGRAM_BINS: usize = 20;

/// Equal-width bins of a column's present values.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Histogram {
    /// Bin edges, one more than the counts; the last bin includes its upper edge.
    pub edges: Vec<f64>,
    pub counts: Vec<usize>,
}

impl Histogram {
    /// The histogram of the finite `values` between `min` and `max` (`min < max`).
    pub fn new(values: &[f64], min: f64, max: f64) -> Histogram {
        let width = (max - min) / HISTOGRAM_BINS as f64;
        let edges = (0..=HISTOGRAM_BINS)
            .map(|i| min + width * i as f64)
            .collect();
        let mut counts = vec![0; HISTOGRAM_BINS];
        for v in values.iter().filter(|v| v.is_finite()) {
            let bin = ((v - min) / width).floor() as usize;
            counts[bin.min(HISTOGRAM_BINS - 1)] += 1;
        }
        Histogram { edges, counts }
    }

    /// The histogram of `values` over their own range; `None` when they do not spread.
    pub fn of(values: &[f64]) -> Option<Histogram> {
        let lo = values.iter().copied().fold(f64::INFINITY, f64::min);
        let hi = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        (lo < hi).then(|| Histogram::new(values, lo, hi))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn histogram_bins_cover_min_to_max() {
        let values = [0.0, 1.0, 9.9, 10.0, f64::NAN, 5.0];
        let h = Histogram::new(&values, 0.0, 10.0);
        assert_eq!(h.edges.len(), 21);
        assert_eq!((h.edges[0], h.edges[20]), (0.0, 10.0));
        assert_eq!(h.counts.iter().sum::<usize>(), 5);
        assert_eq!(h.counts[0], 1);
        assert_eq!(h.counts[2], 1);
        assert_eq!(h.counts[10], 1);
        // 9.9 and the maximum itself fall in the last bin.
        assert_eq!(h.counts[19], 2);
        assert_eq!(Histogram::of(&[2.0, 2.0]), None);
    }

    #[test]
    fn ranks_average_ties() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0]), vec![3.5, 1.0, 3.5, 2.0]);
    }

    #[test]
    fn auc_counts_ties_as_half_and_is_nan_for_one_class() {
        assert_eq!(
            auc(&[false, false, true, true], &[0.1, 0.4, 0.4, 0.8]),
            0.875
        );
        assert!(auc(&[true, true], &[0.1, 0.2]).is_nan());
    }

    #[test]
    fn mean_and_population_std() {
        assert_eq!(mean_std(&[1.0, 3.0]), (2.0, 1.0));
        assert!(mean(std::iter::empty()).is_nan());
    }
}
