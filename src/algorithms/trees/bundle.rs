//! Exclusive feature bundling (LightGBM's): features that are never off their most frequent bin
//! in the same row, such as the one-hot columns of one categorical, share one byte of the
//! row-major codes a histogram reads. A histogram pass then makes one check per bundle and row
//! instead of one per feature and row, and its sums are exactly the per-feature ones: each
//! member's bins are distinct codes of the bundle, added in the same row order.

/// A one-feature bundle's codes are the feature's own; a bundle of several codes "every member
/// at its most frequent bin" as 0 and member `f`'s other bins from its `first` code on.
pub(super) struct Bundles {
    /// Per bundle, its features, ascending.
    pub(super) members: Vec<Vec<usize>>,
    /// Per bundle, the code a histogram skips (a single feature's mode; 0 for several).
    pub(super) skip: Vec<u8>,
    /// Per bundle, how many codes it uses.
    pub(super) width: Vec<usize>,
    /// Per feature, its bundle and (in a bundle of several) the code of its first bin other
    /// than its mode.
    pub(super) of_feature: Vec<(usize, u8)>,
}

impl Bundles {
    /// Bundles features greedily in order, each into the first bundle it shares no row with
    /// (off-mode) that has codes to spare; a feature off its mode in more than half the rows
    /// stays alone. `columns` holds feature `f`'s codes at `f * rows..`; `bins[f]` is its bin
    /// count and `modes[f]` its most frequent bin.
    pub(super) fn new(columns: &[u8], rows: usize, bins: &[usize], modes: &[u8]) -> Bundles {
        let cols = bins.len();
        // Open bundles: members, codes used, and a bitmap of the rows some member is off-mode in.
        let mut open: Vec<(Vec<usize>, usize, Vec<u64>)> = Vec::new();
        let mut alone: Vec<usize> = Vec::new();
        for f in 0..cols {
            let column = &columns[f * rows..(f + 1) * rows];
            let off: Vec<usize> = (0..rows).filter(|&r| column[r] != modes[f]).collect();
            if 2 * off.len() > rows {
                alone.push(f);
                continue;
            }
            let extra = bins[f] - 1;
            let fits = open.iter().position(|(_, used, taken)| {
                used + extra <= super::binning::MAX_BINS
                    && off.iter().all(|&r| taken[r / 64] & (1 << (r % 64)) == 0)
            });
            let at = fits.unwrap_or_else(|| {
                open.push((Vec::new(), 1, vec![0; rows.div_ceil(64)]));
                open.len() - 1
            });
            let (members, used, taken) = &mut open[at];
            members.push(f);
            *used += extra;
            for r in off {
                taken[r / 64] |= 1 << (r % 64);
            }
        }
        let mut groups: Vec<Vec<usize>> = alone.into_iter().map(|f| vec![f]).collect();
        groups.extend(open.into_iter().map(|(members, _, _)| members));
        groups.sort_by_key(|members| members[0]);
        let mut bundles = Bundles {
            members: Vec::with_capacity(groups.len()),
            skip: Vec::with_capacity(groups.len()),
            width: Vec::with_capacity(groups.len()),
            of_feature: vec![(0, 0); cols],
        };
        for (b, members) in groups.into_iter().enumerate() {
            if let [f] = members[..] {
                bundles.of_feature[f] = (b, 0);
                bundles.skip.push(modes[f]);
                bundles.width.push(bins[f]);
            } else {
                let mut next = 1;
                for &f in &members {
                    bundles.of_feature[f] = (b, next as u8);
                    next += bins[f] - 1;
                }
                bundles.skip.push(0);
                bundles.width.push(next);
            }
            bundles.members.push(members);
        }
        bundles
    }

    pub(super) fn len(&self) -> usize {
        self.members.len()
    }

    pub(super) fn is_shared(&self, bundle: usize) -> bool {
        self.members[bundle].len() > 1
    }

    /// The code of feature `f`'s bin `code` in its bundle (`mode` its most frequent bin).
    pub(super) fn code(&self, f: usize, code: u8, mode: u8) -> u8 {
        let (bundle, first) = self.of_feature[f];
        if !self.is_shared(bundle) {
            code
        } else if code == mode {
            0
        } else {
            first + code - u8::from(code > mode)
        }
    }

    /// The row-major bundle codes of the features' `columns` (as in [`Bundles::new`]).
    pub(super) fn pack(&self, columns: &[u8], rows: usize, modes: &[u8]) -> Vec<u8> {
        let width = self.len();
        let mut packed = vec![0u8; rows * width];
        for (b, members) in self.members.iter().enumerate() {
            for &f in members {
                let column = &columns[f * rows..(f + 1) * rows];
                let shared = members.len() > 1;
                for (r, &code) in column.iter().enumerate() {
                    if !shared || code != modes[f] {
                        packed[r * width + b] = self.code(f, code, modes[f]);
                    }
                }
            }
        }
        packed
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_hot_columns_share_a_bundle_and_overlapping_ones_do_not() {
        // Columns of 6 rows: 0 and 1 are one-hot levels of one category, 2 a dense feature, 3
        // one-hot but off-mode in a row where column 0 is too.
        let columns: Vec<u8> = [
            [1, 0, 0, 1, 0, 0],
            [0, 1, 0, 0, 0, 0],
            [0, 1, 2, 3, 4, 5],
            [1, 0, 0, 0, 0, 0],
        ]
        .concat();
        let (bins, modes) = ([2, 2, 6, 2], [0, 0, 0, 0]);
        let bundles = Bundles::new(&columns, 6, &bins, &modes);
        assert_eq!(bundles.members, vec![vec![0, 1], vec![2], vec![3]]);
        assert_eq!(bundles.skip, vec![0, 0, 0]);
        assert_eq!(bundles.width, vec![3, 6, 2]);
        let packed = bundles.pack(&columns, 6, &modes);
        assert_eq!(
            packed,
            [
                [1, 0, 1],
                [2, 1, 0],
                [0, 2, 0],
                [1, 3, 0],
                [0, 4, 0],
                [0, 5, 0]
            ]
            .concat()
        );
    }

    #[test]
    fn a_members_bins_other_than_its_mode_get_consecutive_codes() {
        // Feature 0: bins 0..3, mode 1 (off-mode in rows 0 and 3); feature 1: mode 0, off in row 1.
        let columns: Vec<u8> = [[0, 1, 1, 2, 1], [0, 1, 0, 0, 0]].concat();
        let bundles = Bundles::new(&columns, 5, &[3, 2], &[1, 0]);
        assert_eq!(bundles.members, vec![vec![0, 1]]);
        assert_eq!(bundles.width, vec![4]);
        assert_eq!(bundles.pack(&columns, 5, &[1, 0]), vec![1, 3, 0, 2, 0]);
    }
}
