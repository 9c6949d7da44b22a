//! The `automl` binary: see [`cli`].

mod cli;

use std::process::ExitCode;

use clap::Parser;

fn main() -> ExitCode {
    quiet_fit_panics();
    let cli = cli::Cli::parse();
    // A panic outside the sweep (which turns its own into failed rows) is a bug: exit 1 with
    // its message, not Rust's 101.
    match std::panic::catch_unwind(|| cli::run(cli)) {
        Ok(code) => code,
        Err(_) => {
            eprintln!("error: internal error (a bug in automl; the message is above)");
            ExitCode::from(1)
        }
    }
}

/// A panic in a candidate's fit is reported in its leaderboard row, not on standard error;
/// panics anywhere else still print.
fn quiet_fit_panics() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        let in_fit = std::thread::current()
            .name()
            .is_some_and(|name| name.starts_with(automl::sweep::FIT_THREAD));
        if !in_fit {
            previous(info);
        }
    }));
}
