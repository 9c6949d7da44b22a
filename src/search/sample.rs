//! What a search round tries: settings of the algorithms the grid found promising, more of the
//! better ones, half drawn near the best setting found so far and half from the whole space.

use std::collections::BTreeSet;
use std::sync::Arc;

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use crate::algorithms::{format_params, Algorithm, Params};
use crate::sweep::Candidate;

/// An algorithm the search may sample, with its best setting so far.
pub(super) struct Family {
    pub algorithm: Arc<dyn Algorithm>,
    pub best: Params,
}

/// The key a setting is known by, to try none twice.
pub(super) fn key(id: &str, params: &Params) -> String {
    format!("{id} {}", format_params(params))
}

/// Up to `n` new candidates from `families` (best first: the first is drawn most often, the
/// second half as often, ...), none of them in `tried`, which they are added to.
pub(super) fn candidates(
    families: &[Family],
    n: usize,
    tried: &mut BTreeSet<String>,
    rng: &mut ChaCha8Rng,
) -> Vec<Candidate> {
    let weights: Vec<f64> = (0..families.len()).map(|i| 1.0 / (i + 1) as f64).collect();
    let total: f64 = weights.iter().sum();
    let mut out = Vec::new();
    // A few draws more than `n`, in case some repeat a setting already tried.
    for _ in 0..n * 4 {
        if out.len() == n {
            break;
        }
        let mut pick = rng.gen_range(0.0..total);
        let family = weights
            .iter()
            .position(|w| {
                pick -= w;
                pick < 0.0
            })
            .map_or(&families[families.len() - 1], |i| &families[i]);
        let near = rng.gen_bool(0.5);
        let params: Params = family
            .algorithm
            .space()
            .into_iter()
            .map(|(name, range)| {
                let value = match near {
                    true => range.near(family.best.get(name), rng),
                    false => range.sample(rng),
                };
                (name.to_string(), value)
            })
            .collect();
        if !tried.insert(key(family.algorithm.id(), &params)) {
            continue;
        }
        // A setting the algorithm refuses is not tried.
        if let Ok(learner) = family.algorithm.configure(&params) {
            out.push(Candidate {
                algorithm: family.algorithm.clone(),
                params,
                learner: learner.into(),
            });
        }
    }
    out
}
