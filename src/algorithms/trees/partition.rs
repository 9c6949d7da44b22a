//! Parting a node's rows at its split: its left rows first, then its right ones, each in their
//! order; a large node in pieces that idle threads may take.

use std::sync::Mutex;

use super::fixed::{piece_of, share, PIECE};
use crate::algorithms::spare::spare_threads;

/// Moves the rows where `goes_left` holds to the front, keeping the order on both sides (rows
/// ascending stay ascending, so a node's reads of codes and gradients run forward through
/// memory); returns how many there are, and whether the rows were moved into `there`. `right` is
/// scratch space. A node of many rows, where idle threads may help and `there` (the same range
/// of the other buffer) is at hand, is parted in pieces, each in place on its own, then gathered
/// into `there`: lefts, then rights, each in piece order, which is the order a single pass
/// leaves. Gathering into the other buffer, not back in place, spares a copy of every row.
pub(super) fn partition(
    here: &mut [u32],
    there: &mut [u32],
    right: &mut Vec<u32>,
    goes_left: impl Fn(u32) -> bool + Sync,
) -> (usize, bool) {
    if here.len() < 2 * PIECE || there.len() != here.len() || spare_threads() == 0 {
        return (partition_piece(here, right, &goes_left), false);
    }
    // Each piece parted by whichever thread takes it, which notes its left count (the lock is
    // never contended: it only lends the piece).
    let pieces: Vec<Mutex<&mut [u32]>> = here.chunks_mut(PIECE).map(Mutex::new).collect();
    let part = |(scratch, lefts): &mut (Vec<u32>, Vec<(usize, usize)>), piece: usize| {
        let mut rows = pieces[piece]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        lefts.push((piece, partition_piece(&mut rows, scratch, &goes_left)));
    };
    let mut own = (Vec::new(), Vec::new());
    let helped = share(pieces.len(), &mut own, Default::default, part);
    let mut lefts = vec![0; pieces.len()];
    drop(pieces);
    for (piece, left) in helped.into_iter().chain([own]).flat_map(|(_, lefts)| lefts) {
        lefts[piece] = left;
    }
    let mid: usize = lefts.iter().sum();
    // Gathered in pieces too: each piece's lefts and rights to their places in `there`.
    let parted = &*here;
    let mut places = Vec::with_capacity(lefts.len());
    let (mut to_left, mut to_right) = there.split_at_mut(mid);
    for (piece, &left) in lefts.iter().enumerate() {
        let (lefts_place, rest) = std::mem::take(&mut to_left).split_at_mut(left);
        to_left = rest;
        let rights = piece_of(parted, piece).len() - left;
        let (rights_place, rest) = std::mem::take(&mut to_right).split_at_mut(rights);
        to_right = rest;
        places.push(Mutex::new((lefts_place, rights_place)));
    }
    let gather = |_: &mut (), piece: usize| {
        let mut place = places[piece]
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner());
        let (parted, left) = (piece_of(parted, piece), lefts[piece]);
        place.0.copy_from_slice(&parted[..left]);
        place.1.copy_from_slice(&parted[left..]);
    };
    share(lefts.len(), &mut (), || (), gather);
    (mid, true)
}

/// [`partition`] in one pass: each row is written to both sides and the side it belongs to
/// moves on, with no branch on the split, which a balanced split would mispredict about as
/// often as not.
fn partition_piece(
    rows: &mut [u32],
    right: &mut Vec<u32>,
    goes_left: &impl Fn(u32) -> bool,
) -> usize {
    if right.len() < rows.len() {
        right.resize(rows.len(), 0);
    }
    let (mut mid, mut other) = (0, 0);
    for i in 0..rows.len() {
        let r = rows[i];
        let left = usize::from(goes_left(r));
        // `mid <= i`: the slot written has been read.
        rows[mid] = r;
        right[other] = r;
        mid += left;
        other += 1 - left;
    }
    rows[mid..].copy_from_slice(&right[..other]);
    mid
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use rand_chacha::ChaCha8Rng;

    #[test]
    fn partition_without_a_branch_is_the_stable_partition() {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        let mut right = Vec::new();
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for case in 0..500 {
            // Some nodes large enough to be parted in pieces.
            let n = match case % 25 {
                0 => rng.gen_range(2 * PIECE..5 * PIECE),
                _ => rng.gen_range(0..200),
            };
            let mut rows: Vec<u32> = (0..n).map(|_| rng.gen_range(0..1_000)).collect();
            rows.sort_unstable();
            // All left, all right, or a share in between.
            let share = [0.0, 1.0, rng.gen::<f64>()][case % 3];
            let goes: Vec<bool> = (0..1_000).map(|_| rng.gen_bool(share)).collect();
            let expected: Vec<u32> = rows
                .iter()
                .filter(|&&r| goes[r as usize])
                .chain(rows.iter().filter(|&&r| !goes[r as usize]))
                .copied()
                .collect();
            let lefts = rows.iter().filter(|&&r| goes[r as usize]).count();
            // In place, and (a large node with threads to help) into the other buffer.
            let mut there = vec![0; if case % 2 == 0 { n } else { 0 }];
            let (parted, moved) =
                pool.install(|| partition(&mut rows, &mut there, &mut right, |r| goes[r as usize]));
            assert_eq!(parted, lefts);
            assert_eq!(moved, n >= 2 * PIECE && !there.is_empty(), "case {case}");
            assert_eq!(if moved { there } else { rows }, expected, "case {case}");
        }
    }
}
