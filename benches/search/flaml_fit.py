#!/usr/bin/env python3
"""Fit FLAML 2's AutoML on a training CSV within a time budget and score it on a held-out CSV.

Usage: flaml_fit.py TRAIN.csv TEST.csv TARGET --task regression|classification
                    [--budget 60] [--seed 42] [--n-jobs 2] [--ignore COL[,COL]] [--sep C]

    AutoML().fit(X_train, y_train, task=TASK, time_budget=BUDGET, metric=METRIC,
                 n_jobs=N_JOBS, seed=SEED, verbose=0)

with METRIC rmse (regression) or accuracy (classification); everything else is FLAML's default
(estimator list, eval_method "auto": 5-fold CV on small data, a holdout split on large data; the
best configuration refitted on all training rows). Before the fit, rows whose target is missing
are dropped (from both files), the --ignore columns are left out, and text (object or str) columns
become pandas categories, which FLAML encodes itself; the test file's categories are set to the
training file's, so a level unseen in training is a missing value.

The held-out figure is the RMSE (regression) or the accuracy (classification) of
`predict(X_test)` against TEST's target. The last stdout line is machine-readable:

    FLAML_RESULT<TAB>best_estimator<TAB>holdout_metric<TAB>wall_seconds<TAB>flaml_version

where wall_seconds is the time of `fit` alone (not the Python start, imports, reading or
prediction).
"""
import argparse
import math
import sys
import time


def fail(msg: str) -> "None":
    print(f"flaml_fit.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("train", help="training CSV with a header row")
    ap.add_argument("test", help="held-out CSV with the same columns")
    ap.add_argument("target", help="column to predict")
    ap.add_argument("--task", required=True, choices=["regression", "classification"])
    ap.add_argument("--budget", type=float, default=60.0, help="FLAML time_budget in seconds [60]")
    ap.add_argument("--seed", type=int, default=42, help="FLAML seed [42]")
    ap.add_argument("--n-jobs", type=int, default=2, help="FLAML n_jobs [2]")
    ap.add_argument("--ignore", default="", help="comma-separated columns to leave out")
    ap.add_argument("--sep", default=",", help="field delimiter [,]")
    args = ap.parse_args()
    if args.budget <= 0:
        fail(f"--budget must be positive, not {args.budget}")

    try:
        import numpy as np
        import pandas as pd
        import flaml
        from flaml import AutoML
    except ImportError as e:
        fail(f"cannot import numpy/pandas/flaml ({e}); run it with the FLAML venv's python")

    sep = "\t" if args.sep in ("\\t", "tab") else args.sep
    frames = {}
    for name, path in (("train", args.train), ("test", args.test)):
        try:
            frames[name] = pd.read_csv(path, sep=sep)
        except Exception as e:  # noqa: BLE001 - any read failure is fatal with its message
            fail(f"cannot read {path}: {e}")
    train, test = frames["train"], frames["test"]
    for name, df in (("train", train), ("test", test)):
        if args.target not in df.columns:
            fail(f"target column {args.target!r} not in the {name} file's columns {list(df.columns)}")
    ignore = [c.strip() for c in args.ignore.split(",") if c.strip()]
    missing = [c for c in ignore if c not in train.columns]
    if missing:
        fail(f"--ignore columns not in the data: {missing}")
    if args.target in ignore:
        fail("the target cannot be ignored")

    dropped = {}
    for name in ("train", "test"):
        df = frames[name]
        keep = df[args.target].notna()
        dropped[name] = int((~keep).sum())
        frames[name] = df[keep].reset_index(drop=True)
    train, test = frames["train"], frames["test"]
    if len(train) == 0 or len(test) == 0:
        fail(f"no rows with a target left (train {len(train)}, test {len(test)})")
    if any(dropped.values()):
        print(f"dropped rows with a missing target: train {dropped['train']}, test {dropped['test']}",
              file=sys.stderr)

    features = [c for c in train.columns if c != args.target and c not in ignore]
    absent = [c for c in features if c not in test.columns]
    if absent:
        fail(f"columns of the training file not in the test file: {absent}")
    X_train, X_test = train[features].copy(), test[features].copy()
    is_text = pd.api.types.is_string_dtype  # object columns, and pandas 3's str dtype
    for c in features:
        if is_text(X_train[c].dtype) or is_text(X_test[c].dtype):
            X_train[c] = X_train[c].astype("category")
            cats = X_train[c].cat.categories
            seen = X_test[c].where(X_test[c].isin(cats))  # unseen levels: missing
            X_test[c] = pd.Categorical(seen, categories=cats)
    y_train, y_test = train[args.target], test[args.target]
    if args.task == "regression":
        try:
            y_train, y_test = y_train.astype(float), y_test.astype(float)
        except ValueError as e:
            fail(f"regression target {args.target!r} is not numeric: {e}")
    metric = "rmse" if args.task == "regression" else "accuracy"

    automl = AutoML()
    t0 = time.perf_counter()
    try:
        automl.fit(
            X_train=X_train,
            y_train=y_train,
            task=args.task,
            time_budget=args.budget,
            metric=metric,
            n_jobs=args.n_jobs,
            seed=args.seed,
            verbose=0,
        )
    except Exception as e:  # noqa: BLE001
        fail(f"FLAML fit failed: {type(e).__name__}: {e}")
    wall = time.perf_counter() - t0
    if automl.best_estimator is None:
        fail("FLAML found no model within the budget (best_estimator is None)")

    try:
        pred = automl.predict(X_test)
    except Exception as e:  # noqa: BLE001
        fail(f"FLAML predict failed: {type(e).__name__}: {e}")
    if args.task == "regression":
        err = np.asarray(pred, dtype=float) - y_test.to_numpy(dtype=float)
        holdout = math.sqrt(float(np.mean(err * err)))
    else:
        holdout = float(np.mean(np.asarray(pred).astype(str) == y_test.astype(str).to_numpy()))

    best_loss = getattr(automl, "best_loss", float("nan"))
    cv_figure = best_loss if args.task == "regression" else 1 - best_loss
    print(
        f"FLAML {flaml.__version__}: {len(X_train)} train rows, {len(X_test)} test rows, "
        f"{len(features)} features; best {automl.best_estimator} {automl.best_config}; "
        f"FLAML's own validation {metric} {cv_figure:.4f}; held-out {metric} {holdout:.4f}; "
        f"fit {wall:.1f} s (budget {args.budget:g} s)",
        file=sys.stderr,
    )
    print(f"FLAML_RESULT\t{automl.best_estimator}\t{holdout!r}\t{wall:.2f}\t{flaml.__version__}")


if __name__ == "__main__":
    main()
