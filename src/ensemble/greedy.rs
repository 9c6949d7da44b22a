//! Greedy ensemble selection with replacement (Caruana et al. 2004, as AutoGluon and mljar use
//! it): start from nothing and, round after round, add the member whose addition to the
//! running average scores best; a member picked `n` times of `ROUNDS` has weight `n / ROUNDS`.

use super::Predictions;

/// Rounds of selection: the weights are multiples of 1 / ROUNDS.
pub const ROUNDS: usize = 25;

/// The weights (summing to 1) that greedy selection gives the members of `pool` on `rows`,
/// minimising `loss` of the averaged predictions; ties go to the earlier member.
pub(super) fn select(
    pool: &Predictions,
    rows: &[usize],
    loss: &(dyn Fn(&[usize], &[f64]) -> f64 + Sync),
) -> Vec<f64> {
    let width = pool.width;
    let members = pool.members.len();
    let mut sum = vec![0.0; rows.len() * width];
    let mut picks = vec![0usize; members];
    for round in 1..=ROUNDS {
        let scores: Vec<f64> = (0..members)
            .map(|m| {
                let mut average = sum.clone();
                pool.add_to(m, rows, 1.0, &mut average);
                average.iter_mut().for_each(|v| *v /= round as f64);
                loss(rows, &average)
            })
            .collect();
        // The first of the lowest; a NaN loss is never picked.
        let best = (0..members)
            .filter(|&m| !scores[m].is_nan())
            .min_by(|&a, &b| scores[a].total_cmp(&scores[b]).then(a.cmp(&b)));
        let Some(best) = best else { break };
        picks[best] += 1;
        pool.add_to(best, rows, 1.0, &mut sum);
    }
    let total: usize = picks.iter().sum();
    picks
        .iter()
        .map(|&n| n as f64 / total.max(1) as f64)
        .collect()
}
