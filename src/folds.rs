//! K-fold cross-validation splits, built once and shared by every candidate.

use rand::seq::SliceRandom;
use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use crate::error::{Error, Result, Setting};

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
            "{} must be at least 2, got {k}",
            Setting::Folds
        )));
    }
    if n < k {
        return Err(Error::NotEnoughData(format!(
            "{n} rows with a target cannot be split into {k} folds; use {} {} or fewer, or add rows",
            Setting::Folds,
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

/// Splits rows into `k` folds keeping each class's share in every fold (stratified k-fold).
/// `classes[r]` is row r's class index and `labels` names the classes. Each class's rows, shuffled
/// when seeded, are dealt to the folds in turn, continuing where the previous class stopped, so
/// fold sizes differ by at most one. A class with fewer rows than folds is an error: some
/// validation fold would lack it, and with one row some training fold would too.
pub fn stratified_kfold(
    classes: &[usize],
    labels: &[String],
    k: usize,
    shuffle_seed: Option<u64>,
) -> Result<Vec<Fold>> {
    kfold(classes.len(), k, None)?;
    let mut by_class: Vec<Vec<usize>> = vec![Vec::new(); labels.len()];
    for (row, &c) in classes.iter().enumerate() {
        by_class[c].push(row);
    }
    if let Some((c, rows)) = by_class
        .iter()
        .enumerate()
        .filter(|(_, rows)| rows.len() < k)
        .min_by_key(|(_, rows)| rows.len())
    {
        return Err(Error::NotEnoughData(format!(
            "class '{}' of the target has {} row(s), fewer than the {k} folds; stratified \
             cross-validation needs every class in every fold: use {} {} or fewer, or \
             remove or merge that class",
            labels[c],
            rows.len(),
            Setting::Folds,
            rows.len().max(2)
        )));
    }
    let mut rng = shuffle_seed.map(ChaCha8Rng::seed_from_u64);
    let mut valid: Vec<Vec<usize>> = vec![Vec::new(); k];
    let mut next = 0;
    for mut rows in by_class {
        if let Some(rng) = rng.as_mut() {
            rows.shuffle(rng);
        }
        for row in rows {
            valid[next].push(row);
            next = (next + 1) % k;
        }
    }
    Ok(valid
        .into_iter()
        .map(|mut valid| {
            valid.sort_unstable();
            let mut in_valid = vec![false; classes.len()];
            for &r in &valid {
                in_valid[r] = true;
            }
            let train = (0..classes.len()).filter(|&r| !in_valid[r]).collect();
            Fold { train, valid }
        })
        .collect())
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
    fn stratified_folds_keep_class_shares() {
        // 60 rows of class 0, 30 of class 1, 10 of class 2.
        let classes: Vec<usize> = (0..100)
            .map(|i| usize::from(i >= 60) + usize::from(i >= 90))
            .collect();
        let labels = ["a".to_string(), "b".into(), "c".into()];
        let folds = stratified_kfold(&classes, &labels, 5, Some(3)).unwrap();
        let mut all: Vec<usize> = folds.iter().flat_map(|f| f.valid.clone()).collect();
        all.sort_unstable();
        assert_eq!(all, (0..100).collect::<Vec<_>>());
        for f in &folds {
            let count = |c: usize| f.valid.iter().filter(|&&r| classes[r] == c).count();
            assert_eq!((count(0), count(1), count(2)), (12, 6, 2));
            assert_eq!(f.train.len() + f.valid.len(), 100);
        }
        assert_eq!(
            folds,
            stratified_kfold(&classes, &labels, 5, Some(3)).unwrap()
        );
        assert_ne!(
            folds,
            stratified_kfold(&classes, &labels, 5, Some(4)).unwrap()
        );
    }

    #[test]
    fn a_class_smaller_than_the_folds_is_named() {
        let classes = [0, 0, 0, 0, 0, 1, 1, 0, 0, 0];
        let labels = ["common".to_string(), "rare".into()];
        let err = stratified_kfold(&classes, &labels, 5, None)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("class 'rare'") && err.contains("`folds` 2"),
            "{err}"
        );
        assert!(stratified_kfold(&classes, &labels, 2, None).is_ok());
    }

    #[test]
    fn too_few_rows_is_an_error() {
        assert!(matches!(kfold(3, 5, None), Err(Error::NotEnoughData(_))));
        assert!(matches!(kfold(30, 1, None), Err(Error::InvalidSetting(_))));
    }
}
