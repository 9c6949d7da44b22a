//! Features that may leak the target: a near-perfect rank correlation with a numeric target, or
//! a near-perfect separation of a two-class one.

use crate::error::Setting;
use crate::stats;

/// A numeric feature whose rank correlation with the target reaches this is flagged as a
/// possible leak (a copy or transform of the target).
const LEAK_CORRELATION: f64 = 0.99;

/// A warning when a kept numeric feature's rank correlation with the target is nearly perfect.
pub(super) fn leak_warning(name: &str, x: &[f64], y: &[f64]) -> Option<String> {
    let rho = rank_correlation(x, y)?;
    (rho.abs() >= LEAK_CORRELATION).then(|| {
        format!(
            "'{name}' has rank correlation {rho:.3} with the target: if it is a copy or \
             transform of the target, leave it out with {} {name}",
            Setting::Ignore
        )
    })
}

/// A warning when a kept numeric feature alone separates the two classes of the target almost
/// perfectly (its AUC, or 1 - AUC, reaches `LEAK_CORRELATION`).
pub(super) fn separation_warning(name: &str, x: &[f64], y: &[f64]) -> Option<String> {
    let rows: Vec<usize> = (0..x.len())
        .filter(|&r| !x[r].is_nan() && !y[r].is_nan())
        .collect();
    let positive: Vec<bool> = rows.iter().map(|&r| y[r] == 1.0).collect();
    let scores: Vec<f64> = rows.iter().map(|&r| x[r]).collect();
    let auc = stats::auc(&positive, &scores);
    let separation = auc.max(1.0 - auc);
    (separation >= LEAK_CORRELATION).then(|| {
        format!(
            "'{name}' alone separates the two classes (AUC {separation:.3}): if it is known only \
             with the target, leave it out with {} {name}",
            Setting::Ignore
        )
    })
}

/// Spearman's rank correlation over rows where both values are present.
fn rank_correlation(x: &[f64], y: &[f64]) -> Option<f64> {
    let rows: Vec<usize> = (0..x.len())
        .filter(|&r| !x[r].is_nan() && !y[r].is_nan())
        .collect();
    if rows.len() < 3 {
        return None;
    }
    let (rx, ry) = (
        stats::ranks(&rows.iter().map(|&r| x[r]).collect::<Vec<_>>()),
        stats::ranks(&rows.iter().map(|&r| y[r]).collect::<Vec<_>>()),
    );
    let n = rx.len() as f64;
    let (mx, my) = (rx.iter().sum::<f64>() / n, ry.iter().sum::<f64>() / n);
    let cov: f64 = rx.iter().zip(&ry).map(|(a, b)| (a - mx) * (b - my)).sum();
    let vx: f64 = rx.iter().map(|a| (a - mx).powi(2)).sum();
    let vy: f64 = ry.iter().map(|b| (b - my).powi(2)).sum();
    (vx > 0.0 && vy > 0.0).then(|| cov / (vx * vy).sqrt())
}
