//! One fit of one setting on a CSV's numeric columns, timed on pools of 1, 2, ... threads: how
//! far a long fit splits over idle cores (a fit alone on its pool, as a compare's last fit of a
//! round or its refit), and a check that the fitted model is the same to the bit on each.
//!
//! cargo run --release --example fit_threads -- DATA.csv TARGET ALGORITHM [KEY=VALUE ...] [--threads 1,2]
//! e.g. `-- ../shared/datasets/birthdays.csv births gbm iterations=300 max_depth=6 learning_rate=0.1`
//!
//! Columns that are not numbers on every row (text, dates) are left out; the setting's other
//! hyperparameters keep their defaults (the algorithm's first grid setting).

use std::time::Instant;

use automl::algorithms::{format_params, registry, spare, Param};
use ndarray::{Array1, Array2};

fn main() -> Result<(), String> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [data, target, id, rest @ ..] = &args[..] else {
        return Err(
            "usage: fit_threads DATA.csv TARGET ALGORITHM [KEY=VALUE ...] [--threads 1,2]".into(),
        );
    };
    let (mut settings, mut threads) = (Vec::new(), vec![1, 2]);
    let mut rest = rest.iter();
    while let Some(arg) = rest.next() {
        match arg.as_str() {
            "--threads" => {
                let list = rest.next().ok_or("--threads needs a list, e.g. 1,2,4")?;
                threads = list
                    .split(',')
                    .map(|t| {
                        t.parse()
                            .map_err(|_| format!("--threads: {t} is not a count"))
                    })
                    .collect::<Result<_, _>>()?;
            }
            setting => settings.push(
                setting
                    .split_once('=')
                    .ok_or(format!("{setting}: a hyperparameter is KEY=VALUE"))?,
            ),
        }
    }
    let algorithm = registry()
        .into_iter()
        .find(|a| a.id() == id)
        .ok_or(format!("no algorithm {id} (see `automl models`)"))?;
    let mut params = algorithm.grid().remove(0);
    for (key, value) in settings {
        let param = match value.parse::<i64>() {
            Ok(v) => Param::Int(v),
            Err(_) => match value.parse::<f64>() {
                Ok(v) => Param::Float(v),
                Err(_) => Param::Text(value.into()),
            },
        };
        params.insert(key.into(), param);
    }
    let (x, y) = numeric_table(data, target)?;
    println!(
        "{id}({}) on {} rows x {} columns",
        format_params(&params),
        x.nrows(),
        x.ncols()
    );
    let mut first = None;
    for &n in &threads {
        let pool = rayon::ThreadPoolBuilder::new()
            .num_threads(n)
            .build()
            .map_err(|e| e.to_string())?;
        let start = Instant::now();
        // The pool's other threads look for parts of the fit as a compare's do.
        let model = pool
            .install(|| spare::with_helpers(|| algorithm.fit(&params, x.view(), y.view(), 42)))
            .map_err(|e| e.to_string())?;
        let seconds = start.elapsed().as_secs_f64();
        let predictions = model.predict(x.view()).map_err(|e| e.to_string())?;
        let same = match &first {
            None => {
                first = Some(predictions);
                "first"
            }
            Some(p) if *p == predictions => "same",
            Some(_) => "DIFFERENT",
        };
        println!("threads {n:3}  {seconds:8.3} s  predictions {same}");
    }
    Ok(())
}

/// The columns of `path` that parse as numbers on every row, and `target` apart.
fn numeric_table(path: &str, target: &str) -> Result<(Array2<f64>, Array1<f64>), String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    let mut lines = text.lines();
    let header: Vec<&str> = lines
        .next()
        .ok_or(format!("{path}: empty"))?
        .split(',')
        .collect();
    let at = header
        .iter()
        .position(|h| *h == target)
        .ok_or(format!("{path}: no column {target}"))?;
    let rows: Vec<Vec<Option<f64>>> = lines
        .map(|line| line.split(',').map(|v| v.parse().ok()).collect())
        .collect();
    let numeric: Vec<usize> = (0..header.len())
        .filter(|&c| c != at && rows.iter().all(|r| r.get(c).copied().flatten().is_some()))
        .collect();
    let value = |r: &[Option<f64>], c: usize| r.get(c).copied().flatten();
    let y = rows
        .iter()
        .enumerate()
        .map(|(i, r)| {
            value(r, at).ok_or(format!("{path}: row {}: {target} is not a number", i + 2))
        })
        .collect::<Result<Array1<f64>, _>>()?;
    let x = Array2::from_shape_fn((rows.len(), numeric.len()), |(i, k)| {
        value(&rows[i], numeric[k]).unwrap_or(0.0)
    });
    Ok((x, y))
}
