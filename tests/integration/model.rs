//! Exported models: every algorithm's saved-and-loaded artifact predicts exactly what the model
//! in memory predicts, and damaged files are refused with their own message.

use automl::algorithms::for_task;
use automl::model::ModelFileError;
use automl::{Compare, CsvOptions, Model, Task};

use crate::common::{dataset, sha256};

/// cars93 has missing values, numeric and categorical columns, and one categorical column
/// (Manufacturer, 32 levels) over the one-hot cap, so every preprocessing step is saved.
fn cars93() -> polars::prelude::DataFrame {
    automl::io::load::read_csv(&dataset("cars93.csv"), &CsvOptions::default()).unwrap()
}

fn trained(id: &str) -> Model {
    trained_on("Price", id)
}

fn trained_on(target: &str, id: &str) -> Model {
    let board = Compare::new(target)
        .folds(2)
        .include([id])
        .ignore(["Min.Price", "Max.Price"])
        .ensembles(false)
        .run(&cars93())
        .unwrap();
    assert!(board.export_errors.is_empty(), "{:?}", board.export_errors);
    board
        .models
        .into_iter()
        .next()
        .unwrap_or_else(|| panic!("{id}: no model exported"))
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|v| v.to_bits()).collect()
}

#[test]
fn every_algorithm_round_trips_to_the_bit() {
    let frame = cars93();
    for algorithm in for_task(Task::Regression) {
        let id = algorithm.id();
        let model = trained(id);
        assert_eq!(model.algorithm, id);
        let before = model.predict(&frame).unwrap();
        assert_eq!(before.values.len(), frame.height(), "{id}");
        let loaded =
            Model::from_bytes(&model.to_bytes().unwrap()).unwrap_or_else(|e| panic!("{id}: {e}"));
        let after = loaded.predict(&frame).unwrap();
        assert_eq!(bits(&before.values), bits(&after.values), "{id}");
        // Saved twice, the same bytes: nothing in the file depends on memory layout.
        assert_eq!(
            model.to_bytes().unwrap(),
            loaded.to_bytes().unwrap(),
            "{id}"
        );
    }
}

/// DriveTrain: three classes (4WD, Front, Rear); labels and probabilities survive the file.
#[test]
fn every_classifier_round_trips_to_the_bit() {
    let frame = cars93();
    for algorithm in for_task(Task::Classification) {
        let id = algorithm.id();
        let model = trained_on("DriveTrain", id);
        assert_eq!(model.classes, ["4WD", "Front", "Rear"], "{id}");
        let before = model.predict(&frame).unwrap();
        let labels = before.labels().unwrap();
        assert!(labels.iter().all(|l| model.classes.iter().any(|c| c == l)));
        let proba = before.proba.as_ref().unwrap();
        assert_eq!(proba.dim(), (frame.height(), 3), "{id}");
        let loaded =
            Model::from_bytes(&model.to_bytes().unwrap()).unwrap_or_else(|e| panic!("{id}: {e}"));
        let after = loaded.predict(&frame).unwrap();
        assert_eq!(before.labels(), after.labels(), "{id}");
        let after_proba = after.proba.as_ref().unwrap();
        assert_eq!(
            bits(proba.as_slice().unwrap()),
            bits(after_proba.as_slice().unwrap()),
            "{id}"
        );
        assert_eq!(
            model.to_bytes().unwrap(),
            loaded.to_bytes().unwrap(),
            "{id}"
        );
    }
}

#[test]
fn the_artifact_describes_itself() {
    let model = trained("ridge");
    let bytes = model.to_bytes().unwrap();
    let text = String::from_utf8(bytes).unwrap();
    let (header, body) = text.split_once('\n').unwrap();
    let version = automl::model::FORMAT_VERSION;
    assert!(
        header.starts_with(&format!("AUTOML-MODEL {version} ")),
        "{header}"
    );
    let json: serde_json::Value = serde_json::from_str(body).unwrap();
    assert_eq!(json["format_version"], version);
    assert_eq!(json["automl_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(json["algorithm"], "ridge");
    assert_eq!(json["target"], "Price");
    assert!(json["params"]["alpha"].is_number());
    assert!(json["cv"][0]["mean"].is_number());
    let inputs = json["inputs"].as_array().unwrap();
    let manufacturer = inputs.iter().find(|c| c["name"] == "Manufacturer").unwrap();
    assert_eq!(manufacturer["kind"], "categorical");
    assert_eq!(manufacturer["levels"].as_array().unwrap().len(), 32);
    assert!(inputs
        .iter()
        .all(|c| c["name"] != "Price" && c["name"] != "Min.Price"));
    assert!(json["pipeline"]["encoder"]["steps"].is_array());
}

#[test]
fn damaged_files_are_refused_with_a_reason() {
    let bytes = trained("ols").to_bytes().unwrap();
    let newline = bytes.iter().position(|&b| b == b'\n').unwrap();
    let refused = |bytes: &[u8]| match Model::from_bytes(bytes) {
        Ok(_) => panic!("accepted a damaged file"),
        Err(e) => e.to_string(),
    };
    // The reasons are typed, for a service that wants to tell them apart.
    assert!(matches!(
        Model::from_bytes(&bytes[..bytes.len() - 10]),
        Err(ModelFileError::Truncated { has, promised }) if has + 10 == promised
    ));

    let truncated = refused(&bytes[..bytes.len() - 10]);
    assert!(truncated.contains("truncated"), "{truncated}");

    let mut tampered = bytes.clone();
    let at = tampered.len() - 20;
    tampered[at] = if tampered[at] == b'1' { b'2' } else { b'1' };
    let e = refused(&tampered);
    assert!(e.contains("SHA-256 does not match"), "{e}");

    let mut newer = bytes.clone();
    newer[b"AUTOML-MODEL ".len()] = b'9';
    let e = refused(&newer);
    assert!(e.contains("format version 9"), "{e}");

    let e = refused(b"\x80\x04\x95pickle");
    assert!(e.contains("not an automl model file"), "{e}");

    let mut extra = bytes.clone();
    extra.extend_from_slice(b"import os");
    let e = refused(&extra);
    assert!(e.contains("unexpected bytes"), "{e}");

    // A body edited and re-hashed consistently still has to parse as a model.
    let version = automl::model::FORMAT_VERSION;
    let body = format!(r#"{{"format_version": {version}, "exec": "rm -rf /"}}"#);
    let body = body.as_bytes();
    let mut forged =
        format!("AUTOML-MODEL {version} {} {}\n", body.len(), sha256(body)).into_bytes();
    forged.extend_from_slice(body);
    let e = refused(&forged);
    assert!(e.contains("malformed"), "{e}");
    assert!(newline < 200);
}

#[test]
fn save_and_load_through_a_run_folder() {
    let dir = tempfile::tempdir().unwrap();
    let model = trained("dt");
    model.save(dir.path().join("model.automl")).unwrap();
    let loaded = Model::load(dir.path()).unwrap();
    assert_eq!(loaded.algorithm, "dt");
    let missing = Model::load(dir.path().join("nope"))
        .unwrap_err()
        .to_string();
    assert!(missing.contains("no such file"), "{missing}");
}

#[test]
fn importance_is_what_each_model_knows_or_permutation() {
    use automl::algorithms::ImportanceKind;
    let frame =
        automl::io::load::read_csv(&dataset("diabetes.csv"), &CsvOptions::default()).unwrap();
    for (id, kind) in [
        ("ridge", ImportanceKind::StandardisedCoefficient),
        ("dt", ImportanceKind::Impurity),
        ("gbm", ImportanceKind::Gain),
        ("knn", ImportanceKind::Permutation),
        ("rf", ImportanceKind::Impurity),
    ] {
        let result = Compare::new("progression")
            .include([id])
            .ensembles(false)
            .run(&frame)
            .unwrap();
        let importance = result.models[0].importance.clone().expect("an importance");
        assert_eq!(importance.kind, kind, "{id}");
        let names: Vec<&str> = importance
            .features
            .iter()
            .map(|f| f.feature.as_str())
            .collect();
        assert_eq!(names.len(), 10, "{id}: {names:?}");
        // Body-mass index and s5 (log triglycerides) carry most of diabetes' signal.
        assert!(
            names[..3].contains(&"bmi") && names[..3].contains(&"s5"),
            "{id}: {names:?}"
        );
        let magnitudes: Vec<f64> = importance.features.iter().map(|f| f.value.abs()).collect();
        assert!(magnitudes.windows(2).all(|w| w[0] >= w[1]), "{id}: sorted");
        if matches!(kind, ImportanceKind::Impurity | ImportanceKind::Gain) {
            let total: f64 = magnitudes.iter().sum();
            assert!((total - 1.0).abs() < 1e-4, "{id}: normalised, got {total}");
        }
    }
}
