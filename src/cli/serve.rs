//! `automl serve --model PATH`: the model behind HTTP, speaking MLflow's scoring protocol (see
//! `automl::serve`).

use std::io::Write;
use std::path::PathBuf;

use automl::serve::{self, Options, MAX_BODY_BYTES};

use super::{open_model, Tracking};

#[derive(clap::Args)]
pub struct ServeArgs {
    /// The model: a model file, a run folder holding model.automl, an MLflow run folder,
    /// runs:/RUN_ID from `automl runs`, or models:/NAME@ALIAS (models:/NAME/VERSION) from the
    /// registry.
    #[arg(long)]
    model: String,
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1")]
    host: String,
    /// Port to listen on (0: any free port, printed).
    #[arg(long, default_value_t = 8080)]
    port: u16,
    /// Append each request's rows, predictions and latency to this JSON-lines file.
    #[arg(long, value_name = "FILE")]
    log_predictions: Option<PathBuf>,
    /// Largest request body in bytes; larger requests are answered 413.
    #[arg(long, default_value_t = MAX_BODY_BYTES)]
    max_body_bytes: usize,
    #[command(flatten)]
    tracking: Tracking,
}

pub(super) fn serve(args: ServeArgs) -> anyhow::Result<()> {
    let (model, run_id) = open_model(&args.model, &args.tracking)?;
    let options = Options {
        run_id,
        host: args.host,
        port: args.port,
        log_predictions: args.log_predictions,
        max_body_bytes: args.max_body_bytes,
    };
    let described = model.to_string();
    serve::serve(model, &options, |address| {
        println!("serving {described}");
        println!(
            "listening on http://{address} (POST /invocations; GET /ping, /metadata, /metrics); \
             Ctrl-C or SIGTERM stops"
        );
        let _ = std::io::stdout().flush();
    })?;
    println!("stopped: the requests in flight were answered");
    Ok(())
}
