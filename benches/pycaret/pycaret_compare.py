#!/usr/bin/env python3
"""Run PyCaret 3.3's compare_models on a CSV and print the best model and its CV RMSE.

Usage: pycaret_compare.py DATA.csv TARGET [--ignore COL[,COL]] [--folds N] [--sep C] [--n-jobs N]

Defaults mirror `automl compare`: 5 folds, session_id 42, all cores. Everything else is PyCaret's default
(preprocessing, model library with turbo=True). The last stdout line is machine-readable:

    PYCARET_RESULT<TAB>model_id<TAB>model name<TAB>cv_rmse<TAB>pycaret_version
"""
import argparse
import os
import sys
import time


def fail(msg: str) -> "None":
    print(f"pycaret_compare.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="CSV file with a header row")
    ap.add_argument("target", help="column to predict")
    ap.add_argument("--ignore", default="", help="comma-separated columns to leave out (ignore_features)")
    ap.add_argument("--folds", type=int, default=5, help="CV folds (PyCaret's own default is 10) [5]")
    ap.add_argument("--sep", default=",", help="field delimiter [,]")
    ap.add_argument("--n-jobs", type=int, default=os.cpu_count() or 1, help="parallel jobs [all cores]")
    args = ap.parse_args()

    try:
        import pandas as pd
        import pycaret
        from pycaret.regression import compare_models, pull, setup
    except ImportError as e:
        fail(f"cannot import pandas/pycaret ({e}); run it with the benchmark venv's python")

    sep = "\t" if args.sep in ("\\t", "tab") else args.sep
    try:
        data = pd.read_csv(args.data, sep=sep)
    except Exception as e:  # noqa: BLE001 - any read failure is fatal with its message
        fail(f"cannot read {args.data}: {e}")
    if args.target not in data.columns:
        fail(f"target column {args.target!r} not in {list(data.columns)}")
    ignore = [c.strip() for c in args.ignore.split(",") if c.strip()]
    missing = [c for c in ignore if c not in data.columns]
    if missing:
        fail(f"--ignore columns not in the data: {missing}")
    if args.target in ignore:
        fail("the target cannot be ignored")

    t0 = time.perf_counter()
    try:
        setup(
            data,
            target=args.target,
            fold=args.folds,
            n_jobs=args.n_jobs,
            session_id=42,
            ignore_features=ignore or None,
            verbose=False,
            html=False,
        )
        t1 = time.perf_counter()
        best = compare_models(sort="RMSE", verbose=False)
        t2 = time.perf_counter()
        board = pull()
    except Exception as e:  # noqa: BLE001
        fail(f"PyCaret failed: {type(e).__name__}: {e}")

    if board is None or len(board) == 0 or "RMSE" not in board.columns:
        fail(f"compare_models returned no leaderboard (best={best!r})")
    top = board.iloc[0]
    model_id = str(board.index[0])
    name = str(top.get("Model", type(best).__name__))
    rmse = float(top["RMSE"])

    print(board.to_string(), file=sys.stderr)
    print(f"setup {t1 - t0:.1f} s, compare_models {t2 - t1:.1f} s, {len(board)} models", file=sys.stderr)
    print(f"PYCARET_RESULT\t{model_id}\t{name}\t{rmse!r}\t{pycaret.__version__}")


if __name__ == "__main__":
    main()
