//! The `automl` command: turns flags into a validated [`automl::Compare`] and runs it.
//! Exit codes: 0 success, 1 internal error, 2 bad input or usage.

use std::io::IsTerminal;
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use automl::models::{format_params, registry};
use automl::{output, Compare, CsvOptions, Metric};
use clap::{Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "automl",
    version,
    about = "Cross-validate many regression models on a CSV and rank them"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Profile a CSV, cross-validate every algorithm x setting, print and save the leaderboard.
    Compare(CompareArgs),
    /// List the algorithms: id, name, backend and default grid.
    Models,
}

#[derive(clap::Args)]
struct CompareArgs {
    /// CSV file with a header row.
    data: PathBuf,
    /// Column to predict.
    #[arg(long, short)]
    target: String,
    /// Field delimiter (one character; `\t` for tab).
    #[arg(long, default_value = ",")]
    sep: String,
    /// Cross-validation folds.
    #[arg(long, default_value_t = 5)]
    folds: usize,
    /// Seed for fold shuffling and randomised algorithms.
    #[arg(long, default_value_t = automl::DEFAULT_SEED)]
    seed: u64,
    /// Contiguous folds, exactly as scikit-learn's KFold(shuffle=False).
    #[arg(long)]
    no_shuffle: bool,
    /// Ranking metric: rmse, mae, mape, smape, r2.
    #[arg(long, default_value = "rmse", value_parser = parse_sort)]
    sort: Metric,
    /// Only these algorithm ids (comma-separated; see `automl models`).
    #[arg(long, value_delimiter = ',')]
    include: Vec<String>,
    /// Leave out these algorithm ids (comma-separated).
    #[arg(long, value_delimiter = ',')]
    exclude: Vec<String>,
    /// Columns to leave out of the features (comma-separated), e.g. an ID or a leak.
    #[arg(long, value_delimiter = ',')]
    ignore: Vec<String>,
    /// Leaderboard rows printed.
    #[arg(long, default_value_t = 15)]
    top: usize,
    /// Output folder [default: a new folder under ./automl-runs/].
    #[arg(long)]
    out: Option<PathBuf>,
    /// No progress bar.
    #[arg(long, short)]
    quiet: bool,
}

fn parse_sort(s: &str) -> Result<Metric, String> {
    let metric: Metric = s.parse()?;
    match metric {
        Metric::Mse | Metric::Rmsle => {
            Err(format!("sort by rmse, mae, mape, smape or r2, not {s}"))
        }
        m => Ok(m),
    }
}

fn parse_separator(sep: &str) -> anyhow::Result<u8> {
    match sep {
        "\\t" | "tab" => Ok(b'\t'),
        s if s.len() == 1 => Ok(s.as_bytes()[0]),
        s => Err(automl::Error::InvalidSetting(format!(
            "--sep must be one ASCII character, got '{s}'"
        ))
        .into()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Compare(args) => compare(args),
        Command::Models => {
            models();
            Ok(())
        }
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            let user = e
                .downcast_ref::<automl::Error>()
                .is_some_and(|e| e.is_user_error());
            ExitCode::from(if user { 2 } else { 1 })
        }
    }
}

fn compare(args: CompareArgs) -> anyhow::Result<()> {
    let mut compare = Compare::new(&args.target)
        .folds(args.folds)
        .seed(args.seed)
        .shuffle(!args.no_shuffle)
        .sort(args.sort)
        .include(args.include.clone())
        .exclude(args.exclude.clone())
        .ignore(args.ignore.clone())
        .csv_options(CsvOptions {
            separator: parse_separator(&args.sep)?,
        });
    let bar = (!args.quiet && std::io::stderr().is_terminal()).then(|| {
        let bar = ProgressBar::new(0);
        bar.set_style(
            ProgressStyle::with_template(
                "{spinner} {bar:40} {pos}/{len} fold fits  {elapsed_precise}",
            )
            .expect("the template is valid"),
        );
        bar
    });
    if let Some(bar) = bar.clone() {
        compare = compare.on_progress(move |p| {
            bar.set_length(p.total as u64);
            bar.set_position(p.done as u64);
        });
    }
    let started = std::time::Instant::now();
    let board = compare.run_csv(&args.data)?;
    if let Some(bar) = bar {
        bar.finish_and_clear();
    }
    let elapsed = started.elapsed().as_secs_f64();

    println!("{}\n", board.profile);
    println!("{}", board.table(args.top));
    let ok = board
        .entries
        .iter()
        .filter(|e| e.status == automl::Status::Ok)
        .count();
    println!(
        "{} candidates ({ok} scored) x {} folds in {elapsed:.1} s",
        board.entries.len(),
        board.settings.folds
    );
    let dir = args
        .out
        .clone()
        .unwrap_or_else(|| output::new_run_dir(&PathBuf::from("automl-runs"), &args.data));
    let written = output::write_run(&dir, &board).context("saving the run")?;
    for path in written {
        println!("wrote {}", path.display());
    }
    if let Some(best) = board.best() {
        println!(
            "best: {} {} ({})",
            best.model,
            format_params(&best.params),
            best.name
        );
    }
    Ok(())
}

fn models() {
    println!("{:<6} {:<32} {:<17} default grid", "id", "name", "backend");
    for a in registry() {
        let grid: Vec<String> = a
            .grid()
            .iter()
            .map(format_params)
            .filter(|g| !g.is_empty())
            .collect();
        let grid = if grid.is_empty() {
            "-".to_string()
        } else {
            grid.join(" | ")
        };
        let mut notes = Vec::new();
        if a.needs_scaling() {
            notes.push("standardised features");
        }
        let notes = if notes.is_empty() {
            String::new()
        } else {
            format!("  [{}]", notes.join(", "))
        };
        println!(
            "{:<6} {:<32} {:<17} {grid}{notes}",
            a.id(),
            a.name(),
            a.backend()
        );
    }
}
