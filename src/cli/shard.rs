//! Beyond one machine: `automl compare ... --shard K/N --out DIR` runs one shard's deal of the
//! grid and writes its shard file; `automl merge DIR... --out RUN` checks the shards and
//! concludes the compare as one machine would (see `automl::shard`).

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{bail, Context};
use automl::io::write::create_dir;
use automl::provenance;
use automl::shard::{self, ShardFile};
use automl::sweep::Share;

use super::compare::{self, CompareArgs};
use super::{compare_args, usage, RunFlags};

#[derive(clap::Args)]
pub struct MergeArgs {
    /// Folders the shards wrote to (or shard files).
    #[arg(required = true)]
    shards: Vec<PathBuf>,
    /// The data file, when it is not at the path the shards recorded (its SHA-256 must match).
    #[arg(long)]
    data: Option<PathBuf>,
    /// Refit this many of the best candidates on all rows and save them; 0 saves none.
    #[arg(long, default_value_t = 1)]
    export_top: usize,
    /// Leaderboard rows printed.
    #[arg(long, default_value_t = 15)]
    top: usize,
    #[command(flatten)]
    output: RunFlags,
}

/// The shard `spec` names: `K/N`, or `env` for the scheduler's array index and count.
fn share(spec: &str) -> anyhow::Result<Share> {
    if spec != "env" {
        return shard::parse_share(spec).map_err(|e| usage(&e).into());
    }
    let (index, count) = scheduler_share()?;
    shard::parse_share(&format!("{index}/{count}")).map_err(|e| {
        usage(&format!(
            "{e} (from the scheduler's environment; when rerunning some indices of an array, \
             set AUTOML_SHARDS to the whole array's count)"
        ))
        .into()
    })
}

/// The shard index and count from the environment: a Kubernetes Indexed Job's
/// JOB_COMPLETION_INDEX of AUTOML_SHARDS; Slurm's SLURM_ARRAY_TASK_ID of AUTOML_SHARDS when that
/// is set (so a rerun of some indices keeps their numbers), else SLURM_ARRAY_TASK_ID less
/// SLURM_ARRAY_TASK_MIN of SLURM_ARRAY_TASK_COUNT (a whole array).
fn scheduler_share() -> anyhow::Result<(usize, usize)> {
    let var = |name: &str| std::env::var(name).ok().filter(|v| !v.trim().is_empty());
    let number = |name: &str| -> anyhow::Result<Option<usize>> {
        var(name)
            .map(|v| {
                v.trim()
                    .parse()
                    .map_err(|_| usage(&format!("{name}={v} is not a whole number")).into())
            })
            .transpose()
    };
    let shards = number("AUTOML_SHARDS")?;
    if let Some(id) = number("SLURM_ARRAY_TASK_ID")? {
        if let Some(count) = shards {
            return Ok((id, count));
        }
        let count = number("SLURM_ARRAY_TASK_COUNT")?.ok_or_else(|| {
            usage("SLURM_ARRAY_TASK_ID is set but not SLURM_ARRAY_TASK_COUNT: submit with --array")
        })?;
        let min = number("SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        return Ok((id.saturating_sub(min), count));
    }
    if let Some(index) = number("JOB_COMPLETION_INDEX")? {
        let count = shards.ok_or_else(|| {
            usage("JOB_COMPLETION_INDEX is set but not AUTOML_SHARDS (the Job's completions)")
        })?;
        return Ok((index, count));
    }
    bail!(usage(
        "--shard env needs SLURM_ARRAY_TASK_ID (a Slurm job array) or JOB_COMPLETION_INDEX (a \
         Kubernetes Indexed Job); elsewhere give --shard K/N"
    ))
}

/// Runs the shard `args.shard` names and writes its file into `--out`.
pub(super) fn run_shard(args: &CompareArgs, spec: &str) -> anyhow::Result<ExitCode> {
    let share = share(spec)?;
    let Some(dir) = &args.out else {
        bail!(usage(
            "--shard needs --out: the folder (on a path every node shares) the shard files go to"
        ));
    };
    create_dir(dir)?;
    let _lock = claim(dir, share)?;
    let stop = compare::stop_on_ctrl_c();
    let compare = compare::configure(args, stop.clone())?;
    let command: Vec<String> = std::env::args().collect();
    let file = match compare.run_shard(&args.data, share, &provenance::shell_words(&command)) {
        Ok(file) => file,
        // Stopped by Ctrl-C: nothing is written, and the exit code says so as a compare's does.
        Err(_) if stop.load(std::sync::atomic::Ordering::SeqCst) => {
            let _ = std::fs::remove_file(lock_path(dir, share));
            eprintln!(
                "stopped: shard {}/{} did not finish and nothing was written; run it again",
                share.index, share.count
            );
            return Ok(ExitCode::from(compare::INTERRUPTED));
        }
        Err(e) => return Err(e.into()),
    };
    let path = file.write_to(dir)?;
    // The shard is written whole: its lock file goes (the lock is held until the end).
    let _ = std::fs::remove_file(lock_path(dir, share));
    let scored = file
        .tasks
        .iter()
        .filter(|t| matches!(t.result, shard::TaskResult::Scored { .. }));
    println!(
        "shard {}/{}: {} of the compare's {} tasks ({} scored) in {:.1} s; wrote {}",
        share.index,
        share.count,
        file.tasks.len(),
        file.tasks_total,
        scored.count(),
        file.seconds,
        path.display()
    );
    Ok(ExitCode::SUCCESS)
}

/// Holds an exclusive lock on the shard's name in `dir` while it runs, so that a second
/// process running the same shard into the same folder is refused instead of racing it.
fn claim(dir: &Path, share: Share) -> anyhow::Result<File> {
    let path = lock_path(dir, share);
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .with_context(|| format!("creating the lock {}", path.display()))?;
    if file.try_lock().is_err() {
        bail!(usage(&format!(
            "another process is running shard {}/{} into {}; wait for it, or give another --out",
            share.index,
            share.count,
            dir.display()
        )));
    }
    Ok(file)
}

fn lock_path(dir: &Path, share: Share) -> PathBuf {
    dir.join(format!(".{}.lock", shard::file_name(share)))
}

pub(super) fn merge(args: MergeArgs) -> anyhow::Result<ExitCode> {
    let paths = shard::find(&args.shards)?;
    let shards: Vec<ShardFile> = paths
        .iter()
        .map(|p| ShardFile::read(p))
        .collect::<Result<_, _>>()?;
    shard::check(&shards, &paths)?;
    let first = &shards[0];
    let mut run = compare_args(&first.command, "the shards'")?;
    run.shard = None;
    run.data = args.data.unwrap_or_else(|| first.data.clone());
    if !run.data.is_file() {
        bail!(usage(&format!(
            "the shards' data {} is not there; give the file they read with --data (its \
             SHA-256 is checked)",
            run.data.display()
        )));
    }
    run.export_top = args.export_top;
    run.top = args.top;
    args.output.apply(&mut run);
    let seconds: f64 = shards.iter().map(|s| s.seconds).sum();
    println!(
        "merging {} shards ({} tasks, {seconds:.1} s of shard time) of {}",
        shards.len(),
        first.tasks_total,
        run.data.display()
    );
    let compare = compare::configure(&run, compare::stop_on_ctrl_c())?;
    compare::execute_with(&run, compare, |c, data| c.merge(data, &shards))
}
