//! Writes a synthetic regression table for the wide-table measurements: ROWS rows of NUMERIC
//! standard normal columns x0, x1, ..., then CATEGORICAL text columns c0, c1, ... of LEVELS levels
//! each (values `c3_l7`; level i drawn with weight 1 / (i + 1), so a few levels are common and the
//! rest rare), then the target `y`: a sparse linear signal on the first 10 numeric columns (weights
//! 3, -2, 1.5, -1, 0.8, -0.6, 0.5, -0.4, 0.3, -0.2), plus a per-level effect of each of the first
//! 5 categoricals (standard normal, drawn once per level), plus standard normal noise. No missing
//! values. Seeded: the same arguments give the same file.
//!
//!   synth_wide 50 3000 wide.csv                   50 rows x 3,000 numeric columns
//!   synth_wide 20000 20 onehot.csv 42 40 12       20 numeric + 40 categoricals of 12 levels
//!
//! cargo run --release --example synth_wide -- ROWS NUMERIC OUT.csv [SEED] [CATEGORICAL [LEVELS]]
//! (SEED 42, CATEGORICAL 0, LEVELS 10 when not given.)

use std::io::{BufWriter, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const USAGE: &str = "usage: synth_wide ROWS NUMERIC OUT.csv [SEED] [CATEGORICAL [LEVELS]]";
const WEIGHTS: [f64; 10] = [3.0, -2.0, 1.5, -1.0, 0.8, -0.6, 0.5, -0.4, 0.3, -0.2];
/// How many categoricals have an effect on `y`.
const EFFECTIVE_CATEGORICALS: usize = 5;

/// Standard normal draws by the Box-Muller transform, both values of each pair used.
struct Normal {
    spare: Option<f64>,
}

impl Normal {
    fn sample(&mut self, rng: &mut impl Rng) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        // 1 - u is in (0, 1]: the logarithm stays finite.
        let u1 = 1.0 - rng.gen::<f64>();
        let u2 = rng.gen::<f64>();
        let r = (-2.0 * u1.ln()).sqrt();
        let (sin, cos) = (std::f64::consts::TAU * u2).sin_cos();
        self.spare = Some(r * sin);
        r * cos
    }
}

fn arg<T: std::str::FromStr>(args: &[String], i: usize, name: &str, default: Option<T>) -> T {
    match (args.get(i).map(|a| a.parse::<T>()), default) {
        (Some(Ok(v)), _) => v,
        (None, Some(d)) => d,
        (None, None) => fail(&format!("{name} is missing")),
        (Some(Err(_)), _) => fail(&format!("{name} must be a whole number, not '{}'", args[i])),
    }
}

fn fail(why: &str) -> ! {
    eprintln!("{USAGE}\n{why}");
    std::process::exit(2);
}

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.len() < 3 || args.len() > 6 {
        fail("expected 3 to 6 arguments");
    }
    let rows: usize = arg(&args, 0, "ROWS", None);
    let numeric: usize = arg(&args, 1, "NUMERIC", None);
    let out = &args[2];
    let seed: u64 = arg(&args, 3, "SEED", Some(42));
    let categorical: usize = arg(&args, 4, "CATEGORICAL", Some(0));
    let levels: usize = arg(&args, 5, "LEVELS", Some(10));
    if numeric + categorical == 0 {
        fail("the table needs at least one feature column");
    }
    if categorical > 0 && levels == 0 {
        fail("LEVELS must be at least 1");
    }

    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut normal = Normal { spare: None };
    // Cumulative level weights 1, 1/2, 1/3, ...: a level is the first whose cumulative weight
    // exceeds a uniform draw on [0, total).
    let cumulative: Vec<f64> = (0..levels)
        .scan(0.0, |sum, i| {
            *sum += 1.0 / (i + 1) as f64;
            Some(*sum)
        })
        .collect();
    let total = cumulative.last().copied().unwrap_or(1.0);
    let effects: Vec<Vec<f64>> = (0..categorical.min(EFFECTIVE_CATEGORICALS))
        .map(|_| (0..levels).map(|_| normal.sample(&mut rng)).collect())
        .collect();

    let mut w = BufWriter::with_capacity(1 << 20, std::fs::File::create(out)?);
    let header: Vec<String> = (0..numeric)
        .map(|j| format!("x{j}"))
        .chain((0..categorical).map(|c| format!("c{c}")))
        .chain(std::iter::once("y".to_string()))
        .collect();
    writeln!(w, "{}", header.join(","))?;
    let mut level = vec![0usize; categorical];
    for _ in 0..rows {
        let mut y = 0.0;
        for j in 0..numeric {
            let x = normal.sample(&mut rng);
            if let Some(weight) = WEIGHTS.get(j) {
                y += weight * x;
            }
            write!(w, "{x:.6},")?;
        }
        for (c, l) in level.iter_mut().enumerate() {
            let u = rng.gen::<f64>() * total;
            *l = cumulative.partition_point(|&p| p <= u).min(levels - 1);
            if let Some(effect) = effects.get(c) {
                y += effect[*l];
            }
            write!(w, "c{c}_l{l},")?;
        }
        y += normal.sample(&mut rng);
        writeln!(w, "{y:.6}")?;
    }
    w.flush()
}
