//! Gradients and hessians as fixed-point integers, so that their sums are exact: a histogram
//! summed in pieces of rows on any number of threads and merged in any order, or had as a
//! parent's minus a sibling's, is the same to the bit, and so is every tree. (LightGBM's
//! quantised training sums integers too, of 8 to 32 bits; these keep about 40 bits of each
//! value, far finer than any split or leaf can tell.)
//!
//! Each value is a whole number of a power-of-two unit, the least one under which the sum of a
//! tree's rows (repeats included) cannot overflow an i64, whatever rows it holds.
//!
//! Also here: [`share`], how a fit's loop over many rows lets idle threads take pieces of it.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

use rayon::prelude::*;

use crate::algorithms::spare::spare_threads;

/// Rows per piece of a loop over a fit's rows that idle threads may share (about 0.1 ms of a
/// histogram's work: smaller pieces cost more to hand over and merge than they save).
pub(super) const PIECE: usize = 4096;

/// How many rows a piece of a loop over `rows` rows holds: [`PIECE`], or all of them in one
/// piece when no thread could take another.
pub(super) fn piece_rows(rows: usize) -> usize {
    match spare_threads() {
        0 => rows.max(1),
        _ => PIECE,
    }
}

/// Piece `piece` of `rows` (see [`PIECE`]).
pub(super) fn piece_of<T>(rows: &[T], piece: usize) -> &[T] {
    &rows[piece * PIECE..rows.len().min((piece + 1) * PIECE)]
}

/// Runs `work` on pieces `0..count`, each once: the calling thread takes them one after another
/// into `own`, and threads of the pool that are idle may join in, each into a state of its own
/// (made by `fresh` at its first piece) that is returned. Which thread takes which piece varies
/// from run to run, so the states must merge to the same result however the pieces fell (sums
/// of integers do). A busy pool costs a few queued jobs that find nothing left to take: no
/// state is made and none is merged (rayon's `fold` makes one per split, taken or not); a pool
/// known to have no idle thread ([`spare_threads`]) costs nothing.
pub(super) fn share<S: Send>(
    count: usize,
    own: &mut S,
    fresh: impl Fn() -> S + Sync,
    work: impl Fn(&mut S, usize) + Sync,
) -> Vec<S> {
    let next = AtomicUsize::new(0);
    let claim = || {
        let piece = next.fetch_add(1, Ordering::Relaxed);
        (piece < count).then_some(piece)
    };
    let helped = Mutex::new(Vec::new());
    let helpers = spare_threads().min(count.saturating_sub(1));
    if helpers == 0 {
        (0..count).for_each(|piece| work(own, piece));
        return Vec::new();
    }
    rayon::scope(|scope| {
        for _ in 0..helpers {
            scope.spawn(|_| {
                let Some(first) = claim() else {
                    return;
                };
                let mut state = fresh();
                work(&mut state, first);
                while let Some(piece) = claim() {
                    work(&mut state, piece);
                }
                helped
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(state);
            });
        }
        while let Some(piece) = claim() {
            work(own, piece);
        }
    });
    helped
        .into_inner()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}

/// What one unit of a tree's integer gradients and hessians is worth.
#[derive(Debug, Clone, Copy)]
pub(super) struct Units {
    pub(super) g: f64,
    pub(super) h: f64,
}

/// A tree's hessians: each row's own, or every one 1 (squared error, forests: then no array is
/// read, and a sum's hessian is its count of rows).
#[derive(Debug, Clone, Copy)]
pub(super) enum Hessians<'a> {
    Each(&'a [i64]),
    Ones,
}

impl Hessians<'_> {
    /// Row `r`'s hessian.
    pub(super) fn of(self, r: u32) -> i64 {
        match self {
            Hessians::Each(hess) => hess[r as usize],
            Hessians::Ones => 1,
        }
    }
}

/// Values rounded to whole units (see [`Fixed::set`]).
#[derive(Debug, Default)]
pub(super) struct Fixed {
    pub(super) values: Vec<i64>,
    pub(super) unit: f64,
}

impl Fixed {
    /// `values` in units chosen for sums of up to `rows` of them (see [`Fixed::set`]).
    pub(super) fn new(values: &[f64], rows: usize) -> Fixed {
        let mut fixed = Fixed::default();
        fixed.set(values, rows);
        fixed
    }

    /// Sets these to `values` rounded to whole units, the unit the least power of two (within
    /// 2^-1000..2^1000) under which `rows` values of the largest magnitude sum to less than
    /// 2^62 units, and none is 2^50 units or more. Idle threads may take pieces of the loops:
    /// each value is rounded on its own, and the largest magnitude is the same whatever order
    /// it is found in.
    pub(super) fn set(&mut self, values: &[f64], rows: usize) {
        let piece = piece_rows(values.len());
        let most = values
            .par_chunks(piece)
            .map(|piece| piece.iter().fold(0.0f64, |most, v| most.max(v.abs())))
            .reduce(|| 0.0, f64::max);
        let exponent = unit_exponent(most, rows);
        self.unit = power_of_two(exponent);
        let scale = power_of_two(-exponent);
        self.values.resize(values.len(), 0);
        self.values
            .par_chunks_mut(piece)
            .zip(values.par_chunks(piece))
            .for_each(|(out, piece)| {
                for (o, &v) in out.iter_mut().zip(piece) {
                    *o = nearest(v * scale);
                }
            });
    }
}

/// The integer nearest `x` (ties to even), for |x| below 2^51: adding 1.5 * 2^52 leaves no
/// fraction bits, so the addition rounds (`f64::round` is a library call on baseline x86-64).
fn nearest(x: f64) -> i64 {
    const SHIFT: f64 = 6_755_399_441_055_744.0;
    ((x + SHIFT) - SHIFT) as i64
}

/// The exponent of the unit for values of largest magnitude `most`, summed `rows` at a time: 0
/// when there is no magnitude to scale.
fn unit_exponent(most: f64, rows: usize) -> i32 {
    if !(most > 0.0 && most.is_finite()) {
        return 0;
    }
    // most < 2^(exponent + 1) (a subnormal's biased exponent 0 reads as -1023, and holds), and
    // rows < 2^bits, so the sum of `rows` values is below 2^(exponent + 1 + bits).
    let exponent = ((most.to_bits() >> 52) & 0x7ff) as i32 - 1023;
    let bits = (usize::BITS - rows.leading_zeros()) as i32;
    (exponent + 1 + bits.max(12) - 62).clamp(-1000, 1000)
}

/// 2^e, exactly, for e within -1022..=1023.
fn power_of_two(e: i32) -> f64 {
    f64::from_bits(((e + 1023) as u64) << 52)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sums_of_every_row_fit_and_keep_forty_bits() {
        for (most, rows) in [
            (1.0, 1),
            (0.7, 373_000),
            (3.5e4, 1_000_000),
            (1e-300, 20),
            (f64::MAX, 1 << 30),
            (5e-324, 3),
        ] {
            let values = vec![most, -most, most / 3.0];
            let fixed = Fixed::new(&values, rows);
            let top = fixed.values[0];
            assert!(
                (top as i128) * (rows as i128) < 1i128 << 62,
                "{most} {rows}"
            );
            assert_eq!(fixed.values[1], -top);
            assert!(top < 1 << 50);
            if (1e-290..1e290).contains(&most) {
                let kept = (top as f64 * rows as f64).max(top as f64 * 4096.0);
                assert!(kept >= 2f64.powi(60), "{most} {rows}");
                let back = fixed.values[2] as f64 * fixed.unit;
                assert!((back - most / 3.0).abs() <= fixed.unit, "{most} {rows}");
            }
        }
        let zeros = Fixed::new(&[0.0, 0.0], 2);
        assert_eq!((zeros.values, zeros.unit), (vec![0, 0], 1.0));
        assert_eq!(power_of_two(-1000), 2f64.powi(-1000));
        assert_eq!(power_of_two(1000), 2f64.powi(1000));
        for (x, n) in [
            (2.5, 2),
            (3.5, 4),
            (-2.5, -2),
            (-0.4, 0),
            (1e15 + 0.7, 1e15 as i64 + 1),
        ] {
            assert_eq!(nearest(x), n, "{x}");
        }
    }

    #[test]
    fn pieces_shared_are_each_taken_once() {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(3)
            .build()
            .unwrap();
        for count in [0, 1, 2, 50] {
            let mut own = Vec::new();
            let helped = pool.install(|| {
                share(
                    count,
                    &mut own,
                    Vec::new,
                    |taken: &mut Vec<usize>, piece| taken.push(piece),
                )
            });
            let mut all: Vec<usize> = helped.into_iter().flatten().chain(own).collect();
            all.sort_unstable();
            assert_eq!(all, (0..count).collect::<Vec<_>>());
        }
    }

    #[test]
    fn values_set_on_any_number_of_threads_are_the_same() {
        let values: Vec<f64> = (0..50_000)
            .map(|i| ((i * 7919) % 10_007) as f64 / 77.0 - 60.0)
            .collect();
        let on = |threads| {
            let pool = rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .unwrap();
            pool.install(|| Fixed::new(&values, values.len()))
        };
        let one = on(1);
        for threads in [2, 3] {
            let other = on(threads);
            assert_eq!((&one.values, one.unit), (&other.values, other.unit));
        }
    }
}
