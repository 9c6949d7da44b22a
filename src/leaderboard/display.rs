//! The leaderboard as people read it: the CSV file, the printed table and its notes.

use super::{Entry, Leaderboard, Status};
use crate::metrics::Metric;
use crate::profile::Profile;
use crate::task::Task;

/// Leaderboard CSV: one row per candidate, a mean and a std column per metric of `task`.
pub fn write_csv<W: std::io::Write>(entries: &[Entry], task: Task, out: W) -> csv::Result<()> {
    let mut w = csv::Writer::from_writer(out);
    let mut header = vec![
        "rank", "model", "name", "backend", "params", "status", "error",
    ]
    .into_iter()
    .map(String::from)
    .collect::<Vec<_>>();
    for &m in task.metrics() {
        header.push(format!("{m}_mean"));
        header.push(format!("{m}_std"));
    }
    header.push("fit_seconds".into());
    w.write_record(&header)?;
    for e in entries {
        let mut row = vec![
            e.rank.to_string(),
            e.model.clone(),
            e.name.clone(),
            e.backend.clone(),
            e.setting(),
            e.status.to_string(),
            e.error.clone().unwrap_or_default(),
        ];
        for &m in task.metrics() {
            match e.metric(m) {
                Some(s) => {
                    row.push(s.mean.to_string());
                    row.push(s.std.to_string());
                }
                None => row.extend([String::new(), String::new()]),
            }
        }
        row.push(format!("{:.4}", e.fit_seconds));
        w.write_record(&row)?;
    }
    w.flush()?;
    Ok(())
}

impl Leaderboard {
    /// A readable table of the top `n` entries, the sort metric first.
    pub fn table(&self, n: usize) -> String {
        let sort = self.settings.sort;
        let mut metrics = vec![sort];
        metrics.extend(
            sort.task()
                .metrics()
                .iter()
                .filter(|&&m| m != sort)
                .filter(|m| {
                    !matches!(
                        m,
                        Metric::Mse | Metric::Rmsle | Metric::Recall | Metric::Precision
                    )
                }),
        );
        let note = mape_note(&self.profile);
        let shown: Vec<&Entry> = self.entries.iter().take(n).collect();
        let params: Vec<String> = shown.iter().map(|e| e.setting()).collect();
        let pw = params
            .iter()
            .map(|p| p.len())
            .max()
            .unwrap_or(0)
            .clamp(6, 48);
        let mw = shown
            .iter()
            .map(|e| e.model.len())
            .max()
            .unwrap_or(0)
            .max(6);
        let mut out = format!("{:>4}  {:<mw$} {:<pw$}", "rank", "model", "params");
        for m in &metrics {
            let label = if *m == sort {
                format!("{}*", m.name().to_uppercase())
            } else {
                m.name().to_uppercase()
            };
            out += &format!(" {label:>18}");
        }
        out += "  fit s\n";
        for (e, p) in shown.iter().zip(&params) {
            let p: String = if p.len() > pw {
                format!("{}~", &p[..pw - 1])
            } else {
                p.clone()
            };
            out += &format!("{:>4}  {:<mw$} {p:<pw$}", e.rank, e.model);
            if matches!(e.status, Status::Ok | Status::Pruned) {
                for m in &metrics {
                    let s = e.metric(*m).expect("scored entries have every metric");
                    let cell = if *m == Metric::Mape && note.is_some() {
                        "inf".to_string()
                    } else {
                        format!("{} ± {}", short(s.mean), short(s.std))
                    };
                    out += &format!(" {cell:>18}");
                }
                out += &format!("  {:>5.2}", e.fit_seconds);
                if e.status == Status::Pruned {
                    let folds = self.settings.folds;
                    out += &format!("  pruned after {} of {folds} folds", e.folds.len());
                }
                out += "\n";
            } else {
                out += &format!("  {}: {}\n", e.status, e.error.as_deref().unwrap_or(""));
            }
        }
        let hidden = self.entries.len().saturating_sub(n);
        if hidden > 0 {
            out += &format!("  ... {hidden} more in leaderboard.csv\n");
        }
        if let Some(note) = note {
            out += &format!("  note: {note}\n");
        }
        for e in shown.iter().filter(|e| e.blend.is_some()).take(2) {
            out += &format!("  note: {}\n", optimism(e, sort));
        }
        out
    }
}

/// How an ensemble's honest score (weights chosen on the other folds) compares with the
/// flattering one (weights chosen on the folds they are scored on).
pub fn optimism(entry: &Entry, sort: Metric) -> String {
    let (Some(blend), Some(honest)) = (&entry.blend, entry.metric(sort)) else {
        return String::new();
    };
    let gap = (blend.in_sample - honest.mean) / honest.mean.abs().max(f64::MIN_POSITIVE);
    format!(
        "{} scores {sort} {} with weights chosen on the other folds; chosen on the folds they \
         are scored on, {} ({:+.2}%: the optimism nested CV removes)",
        entry.model,
        short(honest.mean),
        short(blend.in_sample),
        100.0 * gap
    )
}

/// Why MAPE is shown as infinite, when it is: the target has zeros, and scikit-learn's MAPE
/// (kept in the leaderboard CSV) divides their errors by machine epsilon.
pub fn mape_note(profile: &Profile) -> Option<String> {
    let zeros = profile.target.zeros;
    (zeros > 0 && profile.target.task == Task::Regression).then(|| {
        format!(
            "MAPE is undefined (shown as inf): {zeros} target value(s) are 0; the leaderboard \
             CSV keeps scikit-learn's figure, which divides their errors by machine epsilon"
        )
    })
}

fn short(x: f64) -> String {
    if x.is_nan() {
        "nan".into()
    } else if x != 0.0 && (x.abs() >= 1e5 || x.abs() < 1e-3) {
        format!("{x:.2e}")
    } else {
        format!("{:.4}", x)
            .chars()
            .take(7)
            .collect::<String>()
            .trim_end_matches('.')
            .to_string()
    }
}
