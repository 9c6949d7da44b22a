//! The `MLmodel` file that lets MLflow list an exported model.

use crate::algorithms::format_params;
use crate::model::{Model, MODEL_FILE};
use crate::task::Kind;

/// The `MLmodel` file that lets MLflow list the model: a custom `automl` flavor pointing at
/// the artifact, and the input signature. Every string is JSON-quoted, which YAML reads as is.
pub(super) fn mlmodel(model: &Model) -> String {
    let q = |s: &str| serde_json::Value::from(s).to_string();
    let inputs: Vec<serde_json::Value> = model
        .inputs
        .iter()
        .map(|c| {
            let kind = match c.kind {
                Kind::Categorical | Kind::Text => "string",
                Kind::Datetime => "datetime",
                _ => "double",
            };
            serde_json::json!({"type": kind, "name": c.name, "required": true})
        })
        .collect();
    let output_type = if model.classes.is_empty() {
        "double"
    } else {
        "string"
    };
    let outputs =
        serde_json::json!([{"type": output_type, "name": model.target, "required": true}]);
    format!(
        "artifact_path: model\nflavors:\n  automl:\n    model_file: {}\n    format_version: {}\n    \
         automl_version: {}\n    algorithm: {}\n    params: {}\nsignature:\n  inputs: {}\n  \
         outputs: {}\nutc_time_created: {}\n",
        q(MODEL_FILE),
        model.format_version,
        q(&model.automl_version),
        q(&model.algorithm),
        q(&format_params(&model.params)),
        q(&serde_json::Value::from(inputs).to_string()),
        q(&outputs.to_string()),
        q(&model.created),
    )
}
