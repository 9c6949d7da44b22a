//! The statistics of the drift tests evidently chooses by default, computed as evidently and
//! scipy compute them (`ks_2samp`, `chisquare`, `wasserstein_distance`, `jensenshannon`, its
//! two-proportion z-test, its binning and PSI), so that the figures agree to 1e-6.

use statrs::distribution::{ChiSquared, ContinuousCDF, Normal};

/// A numeric column with more distinct reference values than this is binned into equal-width
/// bins; one with fewer, by its values.
pub const BIN_BY_VALUE: usize = 20;
/// scipy's `ks_2samp` computes the exact p-value up to this many values per sample.
const KS_EXACT: usize = 10_000;

/// A drift test.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Test {
    /// Kolmogorov-Smirnov two-sample test: p-value.
    Ks,
    /// Chi-square goodness of fit of the new counts to the reference shares: p-value.
    Chisquare,
    /// Two-proportion z-test: p-value.
    Z,
    /// Wasserstein distance divided by the reference's standard deviation.
    Wasserstein,
    /// Jensen-Shannon distance of the binned shares.
    Jensenshannon,
}

impl Test {
    /// evidently's default for a column: by the reference's rows, whether the column is numeric,
    /// and the distinct values of reference and new data together.
    pub fn default_for(reference_rows: usize, numeric: bool, distinct: usize) -> Test {
        match (reference_rows <= 1000, numeric && distinct > 5) {
            (true, true) => Test::Ks,
            (true, false) if distinct > 2 => Test::Chisquare,
            (true, false) => Test::Z,
            (false, true) => Test::Wasserstein,
            (false, false) => Test::Jensenshannon,
        }
    }

    /// Whether the score is a p-value (drift when below the threshold) rather than a distance
    /// (drift at or above it).
    pub fn is_p_value(self) -> bool {
        matches!(self, Test::Ks | Test::Chisquare | Test::Z)
    }

    /// The default threshold: 0.05 for a p-value, 0.1 for a distance.
    pub fn threshold(self) -> f64 {
        if self.is_p_value() {
            0.05
        } else {
            0.1
        }
    }

    /// Whether `score` means drift: a p-value below the threshold, a distance at or above it
    /// (evidently's KS test flags p <= threshold).
    pub fn drifted(self, score: f64, threshold: f64) -> bool {
        match self {
            Test::Ks => score <= threshold,
            Test::Chisquare | Test::Z => score < threshold,
            Test::Wasserstein | Test::Jensenshannon => score >= threshold,
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Test::Ks => "K-S p-value",
            Test::Chisquare => "chi-square p-value",
            Test::Z => "z-test p-value",
            Test::Wasserstein => "Wasserstein (normed)",
            Test::Jensenshannon => "Jensen-Shannon distance",
        }
    }
}

/// The two-sample Kolmogorov-Smirnov statistic and two-sided p-value of sorted samples, as
/// scipy's `ks_2samp` (method 'auto'): exact up to 10,000 values per sample, else Kolmogorov's
/// limiting distribution with Stephens' correction (scipy uses the finite-n distribution there;
/// the two differ by about 1e-3).
pub fn ks(a: &[f64], b: &[f64]) -> (f64, f64) {
    let (n1, n2) = (a.len(), b.len());
    if n1 == 0 || n2 == 0 {
        return (f64::NAN, f64::NAN);
    }
    let (mut i, mut j, mut d) = (0, 0, 0f64);
    while i < n1 && j < n2 {
        let x = a[i].min(b[j]);
        while i < n1 && a[i] <= x {
            i += 1;
        }
        while j < n2 && b[j] <= x {
            j += 1;
        }
        d = d.max((i as f64 / n1 as f64 - j as f64 / n2 as f64).abs());
    }
    let g = gcd(n1, n2);
    if n1.max(n2) <= KS_EXACT {
        let lcm = (n1 / g) * n2;
        let h = (d * lcm as f64).round() as usize;
        let d = h as f64 / lcm as f64;
        if h == 0 {
            return (d, 1.0);
        }
        let p = if n1 == n2 {
            outside_square(n1, h)
        } else {
            outside_inside_method(n1, n2, g, h)
        };
        if (0.0..=1.0).contains(&p) {
            return (d, p);
        }
    }
    let (m, n) = (n1.max(n2) as f64, n1.min(n2) as f64);
    let en = (m * n / (m + n)).round();
    let t = (en.sqrt() + 0.12 + 0.11 / en.sqrt()) * d;
    (d, kolmogorov_sf(t).clamp(0.0, 1.0))
}

fn gcd(a: usize, b: usize) -> usize {
    if b == 0 {
        a
    } else {
        gcd(b, a % b)
    }
}

/// P(D >= h/n) for two samples of `n` values (Hodges; scipy's `_compute_prob_outside_square`).
fn outside_square(n: usize, h: usize) -> f64 {
    let mut p = 0.0;
    for k in (0..=n / h).rev() {
        let mut p1 = 1.0;
        for j in 0..h {
            p1 = (n as f64 - (k * h) as f64 - j as f64) * p1
                / (n as f64 + (k * h) as f64 + j as f64 + 1.0);
        }
        p = p1 * (1.0 - p);
    }
    2.0 * p
}

/// The share of lattice paths that leave the band |x/m - y/n| < h/lcm: the two-sided p-value for
/// unequal sizes (Hodges' inside method with Viehmann's recursion for 1 - p, as scipy's
/// `_compute_outer_prob_inside_method`).
fn outside_inside_method(m: usize, n: usize, g: usize, h: usize) -> f64 {
    let (m, n) = if m < n { (n, m) } else { (m, n) };
    let (mg, ng) = ((m / g) as i64, (n / g) as i64);
    let (h, n_i) = (h as i64, n as i64);
    let (mut minj, mut maxj) = (0i64, ((h as f64 / mg as f64).ceil() as i64).min(n_i + 1));
    let mut curlen = maxj - minj;
    let len = (2 * maxj + 2).min(n_i + 1) as usize;
    let mut a = vec![1.0f64; len];
    for v in a.iter_mut().take(maxj as usize) {
        *v = 0.0;
    }
    for i in 1..=m as i64 {
        let (lastminj, lastlen) = (minj, curlen);
        minj = ((((ng * i - h) as f64) / mg as f64).floor() as i64 + 1)
            .max(0)
            .min(n_i);
        maxj = ((((ng * i + h) as f64) / mg as f64).ceil() as i64).min(n_i + 1);
        if maxj <= minj {
            return 1.0;
        }
        let mut val = if minj == 0 { 0.0 } else { 1.0 };
        for jj in 0..(maxj - minj) {
            let j = (jj + minj) as f64;
            let idx = (jj + minj - lastminj) as usize;
            val = (a[idx] * i as f64 + val * j) / (i as f64 + j);
            a[jj as usize] = val;
        }
        curlen = maxj - minj;
        if lastlen > curlen {
            for v in a
                .iter_mut()
                .skip(curlen as usize)
                .take((lastlen - curlen) as usize)
            {
                *v = 1.0;
            }
        }
    }
    a[(maxj - minj - 1) as usize]
}

/// The survival function of Kolmogorov's limiting distribution.
fn kolmogorov_sf(t: f64) -> f64 {
    if t < 0.2 {
        return 1.0;
    }
    let mut sum = 0.0;
    for k in 1..=100 {
        let k = k as f64;
        let term = 2.0 * (-1f64).powf(k - 1.0) * (-2.0 * k * k * t * t).exp();
        sum += term;
        if term.abs() < 1e-16 {
            break;
        }
    }
    sum
}

/// scipy's `wasserstein_distance` of two sorted samples: the area between their step CDFs.
pub fn wasserstein(a: &[f64], b: &[f64]) -> f64 {
    let mut all: Vec<f64> = a.iter().chain(b).copied().collect();
    all.sort_by(f64::total_cmp);
    let (mut i, mut j, mut area) = (0, 0, 0.0);
    for w in all.windows(2) {
        while i < a.len() && a[i] <= w[0] {
            i += 1;
        }
        while j < b.len() && b[j] <= w[0] {
            j += 1;
        }
        let gap = (i as f64 / a.len() as f64 - j as f64 / b.len() as f64).abs();
        area += gap * (w[1] - w[0]);
    }
    area
}

/// scipy's `chisquare` of `observed` counts against the reference counts scaled to the same
/// total: the statistic and its p-value (k - 1 degrees of freedom).
pub fn chisquare(reference: &[f64], observed: &[f64]) -> (f64, f64) {
    let scale = observed.iter().sum::<f64>() / reference.iter().sum::<f64>();
    let statistic: f64 = reference
        .iter()
        .zip(observed)
        .map(|(&r, &o)| {
            let expected = r * scale;
            (o - expected).powi(2) / expected
        })
        .sum();
    let dof = reference.len().saturating_sub(1) as f64;
    let p = match ChiSquared::new(dof) {
        _ if statistic.is_infinite() => 0.0,
        Ok(chi) => chi.sf(statistic),
        Err(_) => f64::NAN,
    };
    (statistic, p)
}

/// evidently's two-proportion z-test of the counts of (at most) two values: the statistic and
/// its two-sided p-value, 1 when both samples hold the same single value.
pub fn z_test(reference: &[f64], current: &[f64]) -> (f64, f64) {
    if reference.iter().filter(|&&c| c > 0.0).count() <= 1
        && current.iter().filter(|&&c| c > 0.0).count() <= 1
        && reference
            .iter()
            .zip(current)
            .all(|(&r, &c)| (r > 0.0) == (c > 0.0))
    {
        return (0.0, 1.0);
    }
    let (n1, n2) = (reference.iter().sum::<f64>(), current.iter().sum::<f64>());
    let (p1, p2) = (1.0 - reference[0] / n1, 1.0 - current[0] / n2);
    let pooled = (p1 * n1 + p2 * n2) / (n1 + n2);
    let z = (p1 - p2) / (pooled * (1.0 - pooled) * (1.0 / n1 + 1.0 / n2)).sqrt();
    let normal = Normal::standard();
    (z, 2.0 * (1.0 - normal.cdf(z.abs())))
}

/// Each bin's share of the values.
pub fn shares(counts: &[f64]) -> Vec<f64> {
    let total: f64 = counts.iter().sum();
    counts.iter().map(|c| c / total).collect()
}

/// Shares with evidently's zero filling for the PSI: an empty bin gets 0.0001, or a millionth
/// of the smallest non-empty share when that is smaller.
pub fn filled_shares(counts: &[f64]) -> Vec<f64> {
    let mut shares = shares(counts);
    let smallest = shares
        .iter()
        .copied()
        .filter(|&s| s != 0.0)
        .fold(f64::INFINITY, f64::min);
    let fill = if smallest <= 0.0001 {
        smallest / 1e6
    } else {
        0.0001
    };
    for s in shares.iter_mut().filter(|s| **s == 0.0) {
        *s = fill;
    }
    shares
}

/// numpy's `histogram_bin_edges(values, bins="sturges")` of `count` values spanning
/// `min..=max`: evidently's bins for the Jensen-Shannon distance and PSI of a numeric column.
pub fn sturges_edges(min: f64, max: f64, count: usize) -> Vec<f64> {
    let width = (max - min) / ((count as f64).log2() + 1.0);
    let bins = if width > 0.0 {
        ((max - min) / width).ceil() as usize
    } else {
        1
    };
    bin_edges(min, max, bins)
}

/// numpy's `histogram_bin_edges(values, bins)` of a sample spanning `min..=max`.
pub fn bin_edges(min: f64, max: f64, bins: usize) -> Vec<f64> {
    let (lo, hi) = if min == max {
        (min - 0.5, max + 0.5)
    } else {
        (min, max)
    };
    let step = (hi - lo) / bins as f64;
    let mut edges: Vec<f64> = (0..=bins).map(|i| i as f64 * step + lo).collect();
    edges[bins] = hi;
    edges
}

/// numpy's `histogram` counts of a sorted sample in `edges`: each bin holds its left edge, the
/// last one its right edge too; values outside are not counted.
pub fn histogram(sorted: &[f64], edges: &[f64]) -> Vec<f64> {
    let below = |x: f64| sorted.partition_point(|&v| v < x);
    let mut cumulative: Vec<usize> = edges[..edges.len() - 1].iter().map(|&e| below(e)).collect();
    cumulative.push(sorted.partition_point(|&v| v <= edges[edges.len() - 1]));
    cumulative
        .windows(2)
        .map(|w| (w[1] - w[0]) as f64)
        .collect()
}

/// scipy's `jensenshannon` (natural logarithm) of two share vectors.
pub fn jensen_shannon(p: &[f64], q: &[f64]) -> f64 {
    let (sp, sq) = (p.iter().sum::<f64>(), q.iter().sum::<f64>());
    let rel = |x: f64, y: f64| {
        if x > 0.0 && y > 0.0 {
            x * (x / y).ln()
        } else {
            0.0
        }
    };
    let (mut left, mut right) = (0.0, 0.0);
    for (&a, &b) in p.iter().zip(q) {
        let (a, b) = (a / sp, b / sq);
        let m = (a + b) / 2.0;
        left += rel(a, m);
        right += rel(b, m);
    }
    ((left + right) / 2.0).sqrt()
}

/// The population stability index of two share vectors.
pub fn psi(reference: &[f64], current: &[f64]) -> f64 {
    reference
        .iter()
        .zip(current)
        .map(|(&r, &c)| (r - c) * (r / c).ln())
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-9 * b.abs().max(1.0), "{a} != {b}");
    }

    fn sorted(mut v: Vec<f64>) -> Vec<f64> {
        v.sort_by(f64::total_cmp);
        v
    }

    // Reference figures from scipy 1.17.1.
    #[test]
    fn ks_matches_scipy() {
        let (d, p) = ks(&[1., 2., 3., 4., 5., 6., 7.], &[2.5, 3.5, 8., 9., 10.]);
        close(d, 0.6);
        close(p, 0.16666666666666663);
        let a: Vec<f64> = (0..40).map(f64::from).collect();
        let b: Vec<f64> = a.iter().map(|x| x + 5.5).collect();
        let (d, p) = ks(&a, &b);
        close(d, 0.15);
        close(p, 0.7659314523482239);
        let a = sorted((0..300).map(|i| f64::from(i * 37 % 101) / 10.0).collect());
        let b = sorted(
            (0..457)
                .map(|i| f64::from(i * 53 % 97) / 9.0 + 0.3)
                .collect(),
        );
        let (d, p) = ks(&a, &b);
        close(d, 0.09317286652078774);
        close(p, 0.07948829375145625);
        close(wasserstein(&a, &b), 0.6131222951616825);
        let a = sorted((0..1000).map(|i| f64::from(i * 37 % 1001) / 10.0).collect());
        let b: Vec<f64> = (0..8000)
            .map(|i| f64::from(i * 53 % 997) / 9.5 + 0.3)
            .collect();
        let (d, p) = ks(&a, &sorted(b.clone()));
        close(d, 0.049125);
        close(p, 0.02668805251440349);
        let (_, p) = ks(&a, &sorted(b[..1000].to_vec()));
        close(p, 0.18116454248303263);
        // Beyond 10,000 values scipy switches to the finite-n Kolmogorov distribution.
        let (_, p) = ks(&a, &sorted(b.iter().chain(&b).copied().collect()));
        assert!((p - 0.020594020740052347).abs() < 2e-3, "{p}");
    }

    #[test]
    fn other_statistics_match_scipy() {
        close(
            wasserstein(&[1., 2., 3., 10.], &[2., 2., 5.]),
            1.8333333333333335,
        );
        let (stat, p) = chisquare(&[7., 7., 7.], &[5., 7., 9.]);
        close(stat, 1.1428571428571428);
        close(p, 0.5647181220077593);
        close(
            jensen_shannon(&[0.1, 0.4, 0.5], &[0.3, 0.3, 0.4]),
            0.18035965602712561,
        );
    }

    #[test]
    fn binning_follows_numpy() {
        let edges = bin_edges(0.0, 3.0, 3);
        assert_eq!(edges, vec![0.0, 1.0, 2.0, 3.0]);
        assert_eq!(
            histogram(&[0.0, 0.5, 1.0, 2.5, 3.0], &edges),
            vec![2.0, 1.0, 2.0]
        );
        assert_eq!(bin_edges(2.0, 2.0, 2), vec![1.5, 2.0, 2.5]);
        assert_eq!(filled_shares(&[0.0, 1.0, 3.0]), vec![0.0001, 0.25, 0.75]);
        assert_eq!(shares(&[0.0, 1.0, 3.0]), vec![0.0, 0.25, 0.75]);
        // numpy.histogram_bin_edges(np.arange(100.0), bins="sturges"): 8 bins.
        let edges = sturges_edges(0.0, 99.0, 100);
        assert_eq!(edges.len(), 9);
        close(edges[1], 12.375);
    }

    #[test]
    fn tests_are_chosen_as_evidently_does() {
        assert_eq!(Test::default_for(1000, true, 6), Test::Ks);
        assert_eq!(Test::default_for(1000, true, 5), Test::Chisquare);
        assert_eq!(Test::default_for(1000, false, 2), Test::Z);
        assert_eq!(Test::default_for(1001, true, 6), Test::Wasserstein);
        assert_eq!(Test::default_for(1001, false, 40), Test::Jensenshannon);
        assert!(Test::Ks.drifted(0.05, 0.05) && !Test::Z.drifted(0.05, 0.05));
    }
}
