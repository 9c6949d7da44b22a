//! Writes a synthetic regression table for scaling measurements: numeric features (some with
//! missing values), two categoricals (6 and 40 levels), a date, and a target with linear,
//! interaction, categorical, seasonal and threshold parts plus noise. Seeded: the same arguments
//! give the same file.
//!
//! EXTRA (default 0) adds that many numeric columns z0, z1, ... before `y`, each uniform in [0, 1)
//! with 3% missing values; z0 and z1 add `1.5 * z0 - 0.8 * z1` to `y`, the others are noise. They
//! are drawn from a second stream of the same seed, so the other columns are those of EXTRA = 0
//! (and with EXTRA = 0 the file is the one written before EXTRA existed). 12 + EXTRA columns:
//! `synth 270000 f.csv 42 1` gives 13, `synth 1000000 f.csv 42 8` gives 20.
//!
//! cargo run --release --example synth -- ROWS OUT.csv [SEED] [EXTRA]

use std::io::{BufWriter, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

const USAGE: &str = "usage: synth ROWS OUT.csv [SEED] [EXTRA]";

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rows), Some(out)) = (
        args.first().and_then(|r| r.parse::<usize>().ok()),
        args.get(1),
    ) else {
        eprintln!("{USAGE}");
        std::process::exit(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let extra = match args.get(3).map(|e| e.parse::<usize>()) {
        None => 0,
        Some(Ok(e)) => e,
        Some(Err(_)) => {
            eprintln!("{USAGE}\nEXTRA must be a whole number of extra columns");
            std::process::exit(2);
        }
    };
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    // The extra columns' own stream: adding them leaves every draw of `rng` where it was.
    let mut extra_rng = ChaCha8Rng::seed_from_u64(seed);
    extra_rng.set_stream(1);
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let colours = ["red", "green", "blue", "black", "white", "grey"];
    write!(w, "x0,x1,x2,x3,x4,x5,x6,x7,colour,region,day")?;
    for j in 0..extra {
        write!(w, ",z{j}")?;
    }
    writeln!(w, ",y")?;
    let mut z = vec![0.0; extra];
    for _ in 0..rows {
        let x: Vec<f64> = (0..8).map(|_| rng.gen::<f64>()).collect();
        let colour = rng.gen_range(0..colours.len());
        let region = rng.gen_range(0..40);
        let day = rng.gen_range(0..3650);
        let date = chrono::NaiveDate::from_ymd_opt(2010, 1, 1).expect("valid date")
            + chrono::Duration::days(day);
        let season = (day as f64 / 365.25 * std::f64::consts::TAU).sin();
        let mut y = 10.0 * x[0] - 5.0 * x[1]
            + 8.0 * x[2] * x[3]
            + if x[4] > 0.7 { 4.0 } else { 0.0 }
            + colour as f64
            + (region % 7) as f64 * 0.5
            + 2.0 * season
            + rng.gen::<f64>();
        for (i, v) in x.iter().enumerate() {
            // Two features are missing in 5% of rows.
            if i >= 6 && rng.gen::<f64>() < 0.05 {
                write!(w, ",")?;
            } else if i == 0 {
                write!(w, "{v:.6}")?;
            } else {
                write!(w, ",{v:.6}")?;
            }
        }
        write!(w, ",{},r{region},{date}", colours[colour])?;
        for (j, v) in z.iter_mut().enumerate() {
            *v = extra_rng.gen::<f64>();
            // The effect counts the value as drawn, also where the cell is written missing.
            y += match j {
                0 => 1.5 * *v,
                1 => -0.8 * *v,
                _ => 0.0,
            };
        }
        for v in &z {
            if extra_rng.gen::<f64>() < 0.03 {
                write!(w, ",")?;
            } else {
                write!(w, ",{v:.6}")?;
            }
        }
        writeln!(w, ",{y:.6}")?;
    }
    w.flush()
}
