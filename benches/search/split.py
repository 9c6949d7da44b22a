#!/usr/bin/env python3
"""Split a CSV into a training and a held-out test file with a fixed seed.

Usage: split.py DATA.csv OUTDIR [--seed 42] [--test 0.2]

Writes OUTDIR/train.csv and OUTDIR/test.csv, each with the header row of DATA.csv. With n data
rows, the split is

    perm   = numpy.random.default_rng(seed).permutation(n)
    n_test = max(1, round(test * n))        # Python's round: halves go to the even number
    test   = sorted(perm[:n_test])          # 0-based data-row indices (header not counted)
    train  = sorted(perm[n_test:])

so both files keep the rows in their original file order. The rows are copied as the csv module
reads and writes them (values are not parsed or reformatted; quoting is minimal). The split is
not stratified. The last stdout line is machine-readable:

    SPLIT<TAB>train_rows<TAB>test_rows
"""
import argparse
import csv
import os
import sys


def fail(msg: str) -> "None":
    print(f"split.py: error: {msg}", file=sys.stderr)
    sys.exit(1)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("data", help="CSV file with a header row")
    ap.add_argument("outdir", help="folder for train.csv and test.csv (created if missing)")
    ap.add_argument("--seed", type=int, default=42, help="seed of numpy's default_rng [42]")
    ap.add_argument("--test", type=float, default=0.2, help="fraction of rows held out [0.2]")
    ap.add_argument("--sep", default=",", help="field delimiter [,]")
    args = ap.parse_args()

    try:
        import numpy as np
    except ImportError as e:
        fail(f"cannot import numpy ({e}); run it with the benchmark venv's python")
    if not 0.0 < args.test < 1.0:
        fail(f"--test must be between 0 and 1, not {args.test}")
    sep = "\t" if args.sep in ("\\t", "tab") else args.sep

    try:
        with open(args.data, newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f, delimiter=sep))
    except (OSError, UnicodeDecodeError, csv.Error) as e:
        fail(f"cannot read {args.data}: {e}")
    if not rows:
        fail(f"{args.data} is empty")
    header, data = rows[0], rows[1:]
    # A trailing blank line is not a row.
    data = [r for r in data if r]
    n = len(data)
    if n < 2:
        fail(f"{args.data} has {n} data rows; need at least 2 to split")

    perm = np.random.default_rng(args.seed).permutation(n)
    n_test = min(n - 1, max(1, round(args.test * n)))
    test_idx = sorted(int(i) for i in perm[:n_test])
    train_idx = sorted(int(i) for i in perm[n_test:])

    os.makedirs(args.outdir, exist_ok=True)
    for name, idx in (("train.csv", train_idx), ("test.csv", test_idx)):
        path = os.path.join(args.outdir, name)
        try:
            with open(path, "w", newline="", encoding="utf-8") as f:
                w = csv.writer(f, delimiter=sep, lineterminator="\n")
                w.writerow(header)
                w.writerows(data[i] for i in idx)
        except OSError as e:
            fail(f"cannot write {path}: {e}")

    print(f"{args.data}: {n} rows -> {len(train_idx)} train, {len(test_idx)} test (seed {args.seed})",
          file=sys.stderr)
    print(f"SPLIT\t{len(train_idx)}\t{len(test_idx)}")


if __name__ == "__main__":
    main()
