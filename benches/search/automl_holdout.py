#!/usr/bin/env python3
"""Score `automl predict` output against the held-out target.

Usage: automl_holdout.py TEST.csv TARGET PREDICTIONS.csv --task regression|classification [--sep C]

PREDICTIONS.csv is what

    automl predict --model RUN_DIR TEST.csv --out PREDICTIONS.csv

writes (src/cli/predict.rs, src/model/frame.rs): one row per data row of TEST.csv, in the same
order, with the kept input columns (none by default; all with --keep, one with --id), then the
prediction column, `prediction` (or `predicted_<TARGET>` when the kept columns already include a
`prediction` column): the predicted number, or for a classifier the class label; with --proba
`proba_<class>` columns follow, which are not used here. The rows are matched by position. Rows
whose TARGET is empty (or NA/NaN) in TEST.csv are left out, as FLAML's side leaves them out.

Regression: RMSE; classification: accuracy (labels compared as text after trimming spaces, and
as numbers when both parse as numbers, so 1 and 1.0 match). Standard library only. The last
stdout line is machine-readable:

    HOLDOUT<TAB>metric<TAB>value<TAB>rows_scored
"""
import argparse
import csv
import math
import sys

MISSING = {"", "na", "nan", "null", "none"}


def fail(msg: str) -> "None":
    print(f"automl_holdout.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def read(path: str, sep: str) -> "tuple[list[str], list[list[str]]]":
    try:
        with open(path, newline="", encoding="utf-8") as f:
            rows = [r for r in csv.reader(f, delimiter=sep) if r]
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        fail(f"cannot read {path}: {e}")
    if not rows:
        fail(f"{path} is empty")
    return rows[0], rows[1:]


def number(s: str) -> "float | None":
    try:
        return float(s)
    except ValueError:
        return None


def same_label(a: str, b: str) -> bool:
    a, b = a.strip(), b.strip()
    if a == b:
        return True
    x, y = number(a), number(b)
    return x is not None and y is not None and x == y


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("test", help="held-out CSV with the target column")
    ap.add_argument("target", help="target column of TEST.csv")
    ap.add_argument("predictions", help="CSV written by `automl predict --out`")
    ap.add_argument("--task", required=True, choices=["regression", "classification"])
    ap.add_argument("--sep", default=",", help="field delimiter of TEST.csv [,]")
    args = ap.parse_args()
    sep = "\t" if args.sep in ("\\t", "tab") else args.sep

    test_header, test_rows = read(args.test, sep)
    if args.target not in test_header:
        fail(f"target column {args.target!r} not in {args.test}'s columns {test_header}")
    t = test_header.index(args.target)
    # automl predict always writes with a comma.
    pred_header, pred_rows = read(args.predictions, ",")
    name = next((c for c in (f"predicted_{args.target}", "prediction") if c in pred_header), None)
    if name is None:
        fail(f"no `prediction` or `predicted_{args.target}` column in {args.predictions} "
             f"(columns {pred_header})")
    p = pred_header.index(name)
    if len(pred_rows) != len(test_rows):
        fail(f"{args.predictions} has {len(pred_rows)} rows but {args.test} has {len(test_rows)}")

    scored = 0
    total = 0.0
    for i, (trow, prow) in enumerate(zip(test_rows, pred_rows), start=2):
        truth = trow[t] if t < len(trow) else ""
        if truth.strip().lower() in MISSING:
            continue
        pred = prow[p] if p < len(prow) else ""
        if args.task == "regression":
            y, yhat = number(truth), number(pred)
            if y is None:
                fail(f"{args.test} line {i}: target {truth!r} is not a number")
            if yhat is None or math.isnan(yhat):
                fail(f"{args.predictions} line {i}: prediction {pred!r} is not a number")
            total += (yhat - y) ** 2
        else:
            total += same_label(truth, pred)
        scored += 1
    if scored == 0:
        fail(f"no row of {args.test} has a target")

    if args.task == "regression":
        metric, value = "rmse", math.sqrt(total / scored)
    else:
        metric, value = "accuracy", total / scored
    print(f"held-out {metric} {value:.4f} on {scored} rows", file=sys.stderr)
    print(f"HOLDOUT\t{metric}\t{value!r}\t{scored}")


if __name__ == "__main__":
    main()
