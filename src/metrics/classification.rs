//! Classification metrics from class probabilities: the confusion matrix and what it gives
//! (accuracy, recall, precision, F1, kappa, MCC), log loss, one-vs-rest AUC, and ROC curves.

use ndarray::ArrayView2;

use super::Metric;
use crate::stats::{auc, mean};

/// The confusion matrix of most-probable-class predictions: `counts[true][predicted]`.
pub struct Confusion {
    pub counts: Vec<Vec<f64>>,
}

impl Confusion {
    /// The confusion matrix of `k` classes: each row's true class against its most probable.
    pub fn new(truth: &[usize], proba: ArrayView2<f64>) -> Confusion {
        let predicted: Vec<usize> = proba
            .rows()
            .into_iter()
            .map(|row| argmax(row.iter().copied()))
            .collect();
        Confusion::of_classes(truth, &predicted, proba.ncols())
    }

    /// The confusion matrix of `k` classes from true and predicted class indices; pairs with an
    /// index out of range are left out.
    pub fn of_classes(truth: &[usize], predicted: &[usize], k: usize) -> Confusion {
        let mut counts = vec![vec![0.0; k]; k];
        for (&t, &p) in truth.iter().zip(predicted) {
            if t < k && p < k {
                counts[t][p] += 1.0;
            }
        }
        Confusion { counts }
    }

    pub fn total(&self) -> f64 {
        self.counts.iter().flatten().sum()
    }
    pub fn support(&self, class: usize) -> f64 {
        self.counts[class].iter().sum()
    }
    pub fn predicted(&self, class: usize) -> f64 {
        self.counts.iter().map(|row| row[class]).sum()
    }
    pub fn correct(&self) -> f64 {
        (0..self.counts.len()).map(|c| self.counts[c][c]).sum()
    }

    /// Per-class (recall, precision, F1), 0 where a denominator is 0 (scikit-learn's default).
    fn per_class(&self, class: usize) -> (f64, f64, f64) {
        let hit = self.counts[class][class];
        let ratio = |a: f64, b: f64| if b == 0.0 { 0.0 } else { a / b };
        let recall = ratio(hit, self.support(class));
        let precision = ratio(hit, self.predicted(class));
        (
            recall,
            precision,
            ratio(2.0 * precision * recall, precision + recall),
        )
    }

    /// Class 1's value with two classes, the support-weighted mean over classes otherwise.
    fn averaged(&self, pick: impl Fn((f64, f64, f64)) -> f64) -> f64 {
        let k = self.counts.len();
        if k == 2 {
            return pick(self.per_class(1));
        }
        (0..k)
            .map(|c| pick(self.per_class(c)) * self.support(c))
            .sum::<f64>()
            / self.total()
    }

    pub(super) fn score(&self, metric: Metric, truth: &[usize], proba: ArrayView2<f64>) -> f64 {
        let k = self.counts.len();
        let n = self.total();
        match metric {
            Metric::Accuracy => self.correct() / n,
            Metric::Recall => self.averaged(|(r, _, _)| r),
            Metric::Precision => self.averaged(|(_, p, _)| p),
            Metric::F1 => self.averaged(|(_, _, f)| f),
            Metric::Kappa => {
                let observed = self.correct() / n;
                let expected: f64 = (0..k)
                    .map(|c| self.support(c) * self.predicted(c))
                    .sum::<f64>()
                    / (n * n);
                if expected == 1.0 {
                    f64::NAN
                } else {
                    (observed - expected) / (1.0 - expected)
                }
            }
            Metric::Mcc => {
                // scikit-learn's multiclass form (Gorodkin's R_K); 0 when undefined.
                let (c, s) = (self.correct(), n);
                let (mut tp, mut tt, mut pp) = (0.0, 0.0, 0.0);
                for class in 0..k {
                    let (t, p) = (self.support(class), self.predicted(class));
                    tp += t * p;
                    tt += t * t;
                    pp += p * p;
                }
                let denominator = ((s * s - pp) * (s * s - tt)).sqrt();
                if denominator == 0.0 {
                    0.0
                } else {
                    (c * s - tp) / denominator
                }
            }
            Metric::LogLoss => {
                let eps = f64::EPSILON;
                mean(truth.iter().zip(proba.rows()).map(|(&t, row)| {
                    let sum: f64 = row.iter().sum();
                    -(row[t] / sum).clamp(eps, 1.0 - eps).ln()
                }))
            }
            Metric::Auc if k == 2 => auc(&indicator(truth, 1), &proba.column(1).to_vec()),
            Metric::Auc => {
                (0..k)
                    .map(|c| auc(&indicator(truth, c), &proba.column(c).to_vec()) * self.support(c))
                    .sum::<f64>()
                    / n
            }
            _ => f64::NAN,
        }
    }
}

/// Each row's most probable class index (the first on a tie), as `f64`.
pub fn most_probable(proba: ArrayView2<f64>) -> Vec<f64> {
    proba
        .rows()
        .into_iter()
        .map(|row| argmax(row.iter().copied()) as f64)
        .collect()
}

/// The index of the largest value, the first on a tie.
pub fn argmax(values: impl Iterator<Item = f64>) -> usize {
    let mut best = (0, f64::NEG_INFINITY);
    for (i, v) in values.enumerate() {
        if v > best.1 {
            best = (i, v);
        }
    }
    best.0
}

/// A receiver operating characteristic curve and the area under it.
#[derive(Debug, Clone, PartialEq)]
pub struct RocCurve {
    /// (false positive rate, true positive rate) from (0, 0) to (1, 1), corners only.
    pub points: Vec<(f64, f64)>,
    pub auc: f64,
}

/// The ROC curve of `scores` (higher: more likely positive) for the rows marked `positive`:
/// the threshold steps down through the distinct scores, and rows with equal scores step
/// together (a diagonal segment, so a tie counts half in the area). `None` when there are no
/// positive or no negative rows.
pub fn roc_curve(scores: &[f64], positive: &[bool]) -> Option<RocCurve> {
    let mut rows: Vec<(f64, bool)> = scores
        .iter()
        .copied()
        .zip(positive.iter().copied())
        .collect();
    rows.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = rows.iter().filter(|r| r.1).count();
    let negatives = rows.len() - positives;
    if positives == 0 || negatives == 0 {
        return None;
    }
    let mut points = vec![(0.0, 0.0)];
    let (mut tp, mut fp, mut auc) = (0, 0, 0.0);
    for group in rows.chunk_by(|a, b| a.0 == b.0) {
        let group_positives = group.iter().filter(|r| r.1).count();
        tp += group_positives;
        fp += group.len() - group_positives;
        let (x0, y0) = points[points.len() - 1];
        let (x, y) = (fp as f64 / negatives as f64, tp as f64 / positives as f64);
        auc += (x - x0) * (y + y0) / 2.0;
        // A point in line with the two before it along an axis is not a corner.
        if let [.., (xa, ya), (xb, yb)] = points[..] {
            if (xa == xb && xb == x) || (ya == yb && yb == y) {
                points.pop();
            }
        }
        points.push((x, y));
    }
    Some(RocCurve { points, auc })
}

/// Whether each row's class is `class`.
fn indicator(truth: &[usize], class: usize) -> Vec<bool> {
    truth.iter().map(|&t| t == class).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn roc_of_a_perfect_separation_has_area_one() {
        let roc = roc_curve(
            &[0.9, 0.8, 0.7, 0.4, 0.1],
            &[true, true, true, false, false],
        )
        .unwrap();
        assert_eq!(roc.auc, 1.0);
        // Corners only: straight up, then across.
        assert_eq!(roc.points, [(0.0, 0.0), (0.0, 1.0), (1.0, 1.0)]);
        let reversed = roc_curve(&[0.1, 0.9], &[true, false]).unwrap();
        assert_eq!(reversed.auc, 0.0);
        assert_eq!(reversed.points, [(0.0, 0.0), (1.0, 0.0), (1.0, 1.0)]);
    }

    #[test]
    fn roc_steps_over_a_tie_group_at_once() {
        // 0.8 is shared by a positive and a negative: one diagonal step, worth half a pair.
        let roc = roc_curve(&[0.8, 0.9, 0.3, 0.8], &[true, true, false, false]).unwrap();
        assert_eq!(roc.points, [(0.0, 0.0), (0.0, 0.5), (0.5, 1.0), (1.0, 1.0)]);
        assert_eq!(roc.auc, 0.875);
        // Every score equal: the chance diagonal.
        let tied = roc_curve(&[0.5; 4], &[true, false, true, false]).unwrap();
        assert_eq!(tied.points, [(0.0, 0.0), (1.0, 1.0)]);
        assert_eq!(tied.auc, 0.5);
    }

    #[test]
    fn roc_needs_both_sides() {
        assert_eq!(roc_curve(&[0.2, 0.7], &[true, true]), None);
        assert_eq!(roc_curve(&[0.2, 0.7], &[false, false]), None);
        assert_eq!(roc_curve(&[], &[]), None);
    }

    #[test]
    fn roc_area_is_the_leaderboards_auc() {
        // Scores on a coarse grid, so there are many ties.
        let truth: Vec<usize> = (0..60)
            .map(|i| usize::from(i % 3 == 0 || i % 7 == 0))
            .collect();
        let scores: Vec<f64> = (0..60)
            .map(|i| ((i * 37 % 11) as f64 / 10.0 + truth[i] as f64 * 0.3).min(1.0))
            .collect();
        let proba = ndarray::Array2::from_shape_fn((60, 2), |(r, c)| {
            if c == 1 {
                scores[r]
            } else {
                1.0 - scores[r]
            }
        });
        let positive: Vec<bool> = truth.iter().map(|&t| t == 1).collect();
        let roc = roc_curve(&scores, &positive).unwrap();
        let expected = Metric::Auc.classify(&truth, proba.view());
        assert!((roc.auc - expected).abs() < 1e-12, "{} {expected}", roc.auc);
        assert!(roc.auc > 0.5 && roc.auc < 1.0);
        // The curve rises from (0, 0) to (1, 1).
        assert_eq!(roc.points.first(), Some(&(0.0, 0.0)));
        assert_eq!(roc.points.last(), Some(&(1.0, 1.0)));
        assert!(roc
            .points
            .windows(2)
            .all(|w| w[0].0 <= w[1].0 && w[0].1 <= w[1].1));
    }
}
