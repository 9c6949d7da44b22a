//! Writes a synthetic regression table for scaling measurements: numeric features (some with
//! missing values), two categoricals (6 and 40 levels), a date, and a target with linear,
//! interaction, categorical, seasonal and threshold parts plus noise. Seeded: the same arguments
//! give the same file.
//!
//! cargo run --release --example synth -- ROWS OUT.csv [SEED]

use std::io::{BufWriter, Write};

use rand::{Rng, SeedableRng};
use rand_chacha::ChaCha8Rng;

fn main() -> std::io::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(rows), Some(out)) = (
        args.first().and_then(|r| r.parse::<usize>().ok()),
        args.get(1),
    ) else {
        eprintln!("usage: synth ROWS OUT.csv [SEED]");
        std::process::exit(2);
    };
    let seed = args.get(2).and_then(|s| s.parse().ok()).unwrap_or(42);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let mut w = BufWriter::new(std::fs::File::create(out)?);
    let colours = ["red", "green", "blue", "black", "white", "grey"];
    writeln!(w, "x0,x1,x2,x3,x4,x5,x6,x7,colour,region,day,y")?;
    for _ in 0..rows {
        let x: Vec<f64> = (0..8).map(|_| rng.gen::<f64>()).collect();
        let colour = rng.gen_range(0..colours.len());
        let region = rng.gen_range(0..40);
        let day = rng.gen_range(0..3650);
        let date = chrono::NaiveDate::from_ymd_opt(2010, 1, 1).expect("valid date")
            + chrono::Duration::days(day);
        let season = (day as f64 / 365.25 * std::f64::consts::TAU).sin();
        let y = 10.0 * x[0] - 5.0 * x[1]
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
        writeln!(w, ",{},r{region},{date},{y:.6}", colours[colour])?;
    }
    w.flush()
}
