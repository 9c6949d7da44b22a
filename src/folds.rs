//! K-fold cross-validation splits, built once and shared by every candidate.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result};

/// One train/validation split, as ascending row indices.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Fold {
    pub train: Vec<usize>,
    pub valid: Vec<usize>,
}

/// Splits `n` rows into `k` folds. Without a seed the folds are contiguous blocks exactly as
/// scikit-learn's `KFold(shuffle=False)`: the first `n % k` folds are one row larger. With a seed
/// the rows are shuffled first (ChaCha8, stable across platforms and releases).
pub fn kfold(n: usize, k: usize, shuffle_seed: Option<u64>) -> Result<Vec<Fold>> {
    if k < 2 {
        return Err(Error::InvalidSetting(format!(
            "--folds must be at least 2, got {k}"
        )));
    }
    if n < k {
        return Err(Error::NotEnoughData(format!(
            "{n} rows with a target cannot be split into {k} folds; use --folds {} or fewer, or add rows",
            n.max(2)
        )));
    }
    let mut order: Vec<usize> = (0..n).collect();
    if let Some(seed) = shuffle_seed {
        order.shuffle(&mut ChaCha8Rng::seed_from_u64(seed));
    }
    let mut folds = Vec::with_capacity(k);
    let mut start = 0;
    for i in 0..k {
        let size = n / k + usize::from(i < n % k);
        let mut valid = order[start..start + size].to_vec();
        let mut train: Vec<usize> = order[..start]
            .iter()
            .chain(&order[start + size..])
            .copied()
            .collect();
        valid.sort_unstable();
        train.sort_unstable();
        folds.push(Fold { train, valid });
        start += size;
    }
    Ok(folds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contiguous_folds_match_scikit_learn() {
        let folds = kfold(11, 3, None).unwrap();
        let valid: Vec<Vec<usize>> = folds.iter().map(|f| f.valid.clone()).collect();
        assert_eq!(
            valid,
            vec![vec![0, 1, 2, 3], vec![4, 5, 6, 7], vec![8, 9, 10]]
        );
        assert_eq!(folds[1].train, vec![0, 1, 2, 3, 8, 9, 10]);
    }

    #[test]
    fn shuffled_folds_partition_rows_and_depend_on_seed() {
        let a = kfold(100, 5, Some(1)).unwrap();
        let mut all: Vec<usize> = a.iter().flat_map(|f| f.valid.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for f in &a {
            assert_eq!(f.train.len() + f.valid.len(), 100);
        }
        assert_eq!(a, kfold(100, 5, Some(1)).unwrap());
        assert_ne!(a, kfold(100, 5, Some(2)).unwrap());
    }

    #[test]
    fn too_few_rows_is_an_error() {
        assert!(matches!(kfold(3, 5, None), Err(Error::NotEnoughData(_))));
        assert!(matches!(kfold(30, 1, None), Err(Error::InvalidSetting(_))));
    }
}
