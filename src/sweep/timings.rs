//! Where the time of a compare went: every fold task of every sweep (grid and search rounds),
//! with the worker that ran it, when it started and how long it took; then each fit of the
//! refit (run in parallel, a round of its own) and the serial phases (ensembles, outputs).
//! Written as CSV by `automl compare --timings FILE`, the input of the schedule simulator in
//! `benches/schedule/`, which predicts the makespan on more cores.

use std::io::Write;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// One timed piece of work.
#[derive(Debug, Clone, PartialEq)]
pub struct Timing {
    /// `sweep` for a fold task, `fit` for a fit of the refit, else a phase's name
    /// (`ensembles`, `refit`, `outputs`).
    pub phase: String,
    /// The sweep it belongs to (0 the grid, then each search round); phases take the next, and
    /// the refit's fits the refit's.
    pub round: usize,
    /// The task's place in the queue workers take tasks from, within its round (a refit's
    /// fits: the order they ended).
    pub queue: usize,
    /// The worker that ran it (0 for a phase).
    pub worker: usize,
    pub fold: Option<usize>,
    /// The candidates it scored (several for a staged fit), as `id(params)`, joined by `+`.
    pub work: String,
    /// The sweep's own estimate of its cost, by which the queue is ordered.
    pub estimated_cost: f64,
    /// Seconds from the start of the compare.
    pub start: f64,
    pub seconds: f64,
    /// A phase's CPU seconds, all threads (0 for a task): with `seconds`, how much of it was
    /// parallel.
    pub cpu_seconds: f64,
}

/// A point in time, wall and CPU, where a phase starts.
#[derive(Debug, Clone, Copy)]
pub struct Mark {
    wall: f64,
    cpu: f64,
}

/// The timings of one compare, collected from every worker.
#[derive(Debug)]
pub struct Timings {
    origin: Instant,
    records: Mutex<Vec<Timing>>,
    rounds: AtomicUsize,
    fits: AtomicUsize,
}

impl Default for Timings {
    fn default() -> Timings {
        Timings::new()
    }
}

impl Timings {
    pub fn new() -> Timings {
        Timings {
            origin: Instant::now(),
            records: Mutex::new(Vec::new()),
            rounds: AtomicUsize::new(0),
            fits: AtomicUsize::new(0),
        }
    }

    /// Seconds from the start.
    pub fn now(&self) -> f64 {
        self.origin.elapsed().as_secs_f64()
    }

    /// Now, wall and CPU.
    pub fn mark(&self) -> Mark {
        Mark {
            wall: self.now(),
            cpu: cpu_seconds(),
        }
    }

    /// Starts a new round and returns its number.
    pub fn next_round(&self) -> usize {
        self.rounds.fetch_add(1, Ordering::Relaxed)
    }

    pub(super) fn record(&self, timing: Timing) {
        self.records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push(timing);
    }

    /// Records a fit (`phase`: `fit`) of the phase numbered `round` (the refit's fits run in
    /// parallel), which started at `start` and ends now, on the current rayon worker.
    pub fn fit(&self, round: usize, work: String, start: f64) {
        let seconds = self.now() - start;
        self.record(Timing {
            phase: "fit".into(),
            round,
            queue: self.fits.fetch_add(1, Ordering::Relaxed),
            worker: rayon::current_thread_index().unwrap_or(0),
            fold: None,
            work,
            estimated_cost: 0.0,
            start,
            seconds,
            cpu_seconds: 0.0,
        });
    }

    /// Records the phase `name` that started at `start` and ends now, as round `round` (a
    /// number from [`Timings::next_round`], or the next one).
    pub fn phase(&self, name: &str, round: Option<usize>, start: Mark) {
        let round = round.unwrap_or_else(|| self.next_round());
        self.record(Timing {
            phase: name.into(),
            round,
            queue: 0,
            worker: 0,
            fold: None,
            work: name.into(),
            estimated_cost: 0.0,
            start: start.wall,
            seconds: self.now() - start.wall,
            cpu_seconds: cpu_seconds() - start.cpu,
        });
    }

    /// Every record, by round, then queue position.
    pub fn records(&self) -> Vec<Timing> {
        let mut records = self
            .records
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone();
        records.sort_by_key(|t| (t.round, t.queue));
        records
    }

    /// The records as CSV, one line each with a header.
    pub fn write_csv(&self, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(
            out,
            "phase,round,queue,worker,fold,work,estimated_cost,start_s,seconds,cpu_s"
        )?;
        for t in self.records() {
            let fold = t.fold.map(|f| (f + 1).to_string()).unwrap_or_default();
            writeln!(
                out,
                "{},{},{},{},{},\"{}\",{:.6e},{:.6},{:.6},{:.6}",
                t.phase,
                t.round,
                t.queue,
                t.worker,
                fold,
                t.work.replace('"', "\"\""),
                t.estimated_cost,
                t.start,
                t.seconds,
                t.cpu_seconds
            )?;
        }
        Ok(())
    }
}

/// The process's CPU seconds so far, every thread (0 where the clock cannot be read).
fn cpu_seconds() -> f64 {
    cpu_time::ProcessTime::try_now().map_or(0.0, |t| t.as_duration().as_secs_f64())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn records_come_out_by_round_and_queue_as_csv() {
        let timings = Timings::new();
        let round = timings.next_round();
        for queue in [1, 0] {
            timings.record(Timing {
                phase: "sweep".into(),
                round,
                queue,
                worker: queue,
                fold: Some(queue),
                work: format!("rf(n_trees=\"{queue}\")"),
                estimated_cost: 2.0,
                start: 0.5,
                seconds: 0.25,
                cpu_seconds: 0.0,
            });
        }
        timings.phase("refit", None, timings.mark());
        let mut csv = Vec::new();
        timings.write_csv(&mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let lines: Vec<&str> = csv.lines().collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[1].starts_with("sweep,0,0,0,1,\"rf(n_trees=\"\"0\"\")\",2.000000e0,"));
        assert!(lines[2].starts_with("sweep,0,1,1,2,"));
        assert!(lines[3].starts_with("refit,1,0,0,,\"refit\""));
    }
}
