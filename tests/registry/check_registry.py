#!/usr/bin/env python3
"""Reads a registered model back with the real MLflow client and checks what `automl promote` left there.

    check_registry.py --tracking-uri URI --name NAME --champion N --versions N
                      [--previous-champion N | --no-previous-champion] [--metric M]

URI: a tracking server (http://HOST:PORT), a file store (file:///abs/mlruns, or a plain folder path), or any
other URI MLflow takes (sqlite:///...). A file store is opened with MLFLOW_ALLOW_FILE_STORE=true, as MLflow 3
requires.

Checks, each printed as `ok    what` or `FAIL  what`:
  - the registered model NAME exists and has exactly --versions versions, numbered 1..N;
  - the alias `champion` points at version --champion (get_model_version_by_alias);
  - every version has an `automl.decision` tag and at least one tag holding a metric value: a key that starts
    with `automl.metric.` or `automl.score.`, or whose last dot-separated part is a metric name (rmse, r2,
    accuracy, ...) or ends in `_score`, with a numeric value; with --metric M, a tag for M itself;
  - the champion's own decision is not `kept`;
  - `previous-champion`: with --previous-champion N it must point at N; with --no-previous-champion it must be
    absent; by default it is inferred: the latest version before the champion whose decision is not `kept`
    (the champion the last promotion replaced); none is expected when the champion is version 1;
  - unless --no-download: MLflow downloads models:/NAME@champion, and it is our model folder: an MLmodel file
    with the `automl` flavor and an input signature, and the model file it names.
Every version's tags and aliases are printed, then a summary. Exit 0 when every check passed, 1 otherwise,
2 on bad arguments.
"""
import argparse
import math
import os
import sys
from pathlib import Path

METRICS = {
    # regression
    "rmse", "mae", "mape", "smape", "r2", "mse", "rmsle",
    # classification
    "accuracy", "balanced_accuracy", "auc", "roc_auc", "logloss", "log_loss", "f1", "f1_macro",
    "f1_weighted", "precision", "recall", "kappa", "mcc",
}


def parse_args():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--tracking-uri", required=True)
    ap.add_argument("--name", required=True)
    ap.add_argument("--champion", type=int, required=True, help="the version the alias champion must point at")
    ap.add_argument("--versions", type=int, required=True, help="how many versions NAME must have")
    prev = ap.add_mutually_exclusive_group()
    prev.add_argument("--previous-champion", type=int, help="the version previous-champion must point at")
    prev.add_argument("--no-previous-champion", action="store_true", help="previous-champion must be absent")
    ap.add_argument("--metric", help="require a tag holding this metric's value")
    ap.add_argument("--no-download", action="store_true",
                    help="skip downloading models:/NAME@champion (for versions whose source has no artifacts)")
    return ap.parse_args()


def tracking_uri(raw):
    """A plain path becomes a file:// URI; a file store is allowed explicitly (MLflow 3 refuses it otherwise)."""
    if "://" not in raw and not raw.startswith("file:"):
        raw = Path(raw).resolve().as_uri()
    if raw.startswith("file:"):
        os.environ["MLFLOW_ALLOW_FILE_STORE"] = "true"
    return raw


def metric_tags(tags, metric=None):
    """The tags that hold a metric's value: {key: float}."""
    found = {}
    for key, value in tags.items():
        last = key.rsplit(".", 1)[-1].lower()
        named = (
            key.startswith(("automl.metric.", "automl.score."))
            or last in METRICS
            or last.endswith("_score")
        )
        if metric is not None:
            m = metric.lower()
            named = last == m or last.startswith(m + "_") or last.endswith("_" + m)
        if not named:
            continue
        try:
            number = float(value)
        except (TypeError, ValueError):
            continue
        if math.isnan(number):
            continue
        found[key] = number
    return found


class Checks:
    def __init__(self):
        self.failed = 0
        self.passed = 0

    def check(self, ok, what):
        print(f"{'ok   ' if ok else 'FAIL '} {what}")
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


def main():
    args = parse_args()
    uri = tracking_uri(args.tracking_uri)
    # Imported after the environment is set: MLflow reads MLFLOW_ALLOW_FILE_STORE when it opens the store.
    from mlflow import MlflowClient
    from mlflow.exceptions import MlflowException

    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    checks = Checks()
    name = args.name
    print(f"registry: {uri if uri.startswith('file:') else uri.split('@')[-1]}  model: {name}")

    try:
        model = client.get_registered_model(name)
    except MlflowException as e:
        checks.check(False, f"registered model '{name}' exists: {e}")
        return finish(checks, name)
    checks.check(True, f"registered model '{name}' exists")
    aliases = dict(getattr(model, "aliases", {}) or {})

    versions = sorted(
        client.search_model_versions(f"name='{name}'"), key=lambda v: int(v.version)
    )
    numbers = [int(v.version) for v in versions]
    checks.check(
        len(versions) == args.versions,
        f"{args.versions} version(s): found {len(versions)} {numbers}",
    )
    checks.check(numbers == list(range(1, len(numbers) + 1)), f"versions numbered 1..{len(numbers)}")

    decisions = {}
    for v in versions:
        tags = dict(v.tags or {})
        decisions[int(v.version)] = tags.get("automl.decision")
        # search_model_versions leaves aliases out (on a server); get_model_version has them.
        full = client.get_model_version(name, v.version)
        print(f"-- version {v.version}: aliases {sorted(full.aliases or [])}, status {v.status}, source {v.source}"
              f"{', run ' + v.run_id if v.run_id else ''}")
        for key in sorted(tags):
            print(f"     {key} = {tags[key]}")
        checks.check("automl.decision" in tags, f"version {v.version} has automl.decision ({tags.get('automl.decision')})")
        found = metric_tags(tags)
        checks.check(bool(found), f"version {v.version} has a metric value tag: {found or 'none'}")
        if args.metric:
            mine = metric_tags(tags, args.metric)
            checks.check(bool(mine), f"version {v.version} has a tag for {args.metric}: {mine or 'none'}")

    # The alias, through the call the registry's users make.
    champion = None
    try:
        champion = client.get_model_version_by_alias(name, "champion")
    except MlflowException as e:
        checks.check(False, f"alias champion resolves: {e}")
    if champion is not None:
        checks.check(
            str(champion.version) == str(args.champion),
            f"champion -> version {champion.version} (expected {args.champion})",
        )
        checks.check(
            decisions.get(int(champion.version)) != "kept",
            f"the champion's decision is not 'kept' ({decisions.get(int(champion.version))})",
        )
    checks.check(
        str(aliases.get("champion")) == str(args.champion),
        f"registered model's aliases agree: {aliases}",
    )

    # previous-champion: explicit, or the champion the last promotion replaced.
    if args.no_previous_champion:
        expected = None
    elif args.previous_champion is not None:
        expected = args.previous_champion
    else:
        earlier = [n for n in numbers if n < args.champion and decisions.get(n) != "kept"]
        expected = max(earlier) if earlier else None
    actual = aliases.get("previous-champion")
    if expected is None:
        checks.check(actual is None, f"no previous-champion alias (found {actual})")
    else:
        try:
            prev = client.get_model_version_by_alias(name, "previous-champion")
            checks.check(
                str(prev.version) == str(expected),
                f"previous-champion -> version {prev.version} (expected {expected})",
            )
        except MlflowException as e:
            checks.check(False, f"alias previous-champion resolves to {expected}: {e}")

    if not args.no_download:
        download(checks, uri, name)

    return finish(checks, name, champion, len(versions), aliases)


def download(checks, uri, name):
    """The champion's artifacts, as any MLflow user would fetch them: models:/NAME@champion."""
    import tempfile

    import mlflow
    from mlflow.models import Model

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    with tempfile.TemporaryDirectory() as tmp:
        try:
            path = mlflow.artifacts.download_artifacts(artifact_uri=f"models:/{name}@champion", dst_path=tmp)
        except Exception as e:  # noqa: BLE001 - any failure to fetch is the finding
            checks.check(False, f"models:/{name}@champion downloads: {type(e).__name__}: {e}")
            return
        files = sorted(os.listdir(path)) if os.path.isdir(path) else [os.path.basename(path)]
        checks.check("MLmodel" in files, f"models:/{name}@champion downloads: {files}")
        if "MLmodel" not in files:
            return
        model = Model.load(path)
        flavor = model.flavors.get("automl")
        checks.check(flavor is not None, f"MLmodel flavors {sorted(model.flavors)} include automl")
        checks.check(model.signature is not None and model.signature.inputs is not None,
                     f"MLmodel has an input signature ({len(model.signature.inputs.inputs) if model.signature else 0} columns)")
        model_file = (flavor or {}).get("model_file", "model.automl")
        checks.check(model_file in files, f"the flavor's model file {model_file} came with it")


def finish(checks, name, champion=None, count=0, aliases=None):
    print(
        f"summary: '{name}': {count} version(s), champion "
        f"{champion.version if champion is not None else '-'}, aliases {aliases or {}}; "
        f"{checks.passed} passed, {checks.failed} failed"
    )
    return 1 if checks.failed else 0


if __name__ == "__main__":
    sys.exit(main())
