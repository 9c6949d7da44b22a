#!/usr/bin/env bash
# `automl drift` against evidently's own statistics (tests/drift/evidently_check.py), on bundled
# data: each case trains a model, draws a seeded sample of the rows with one column shifted, and
# requires the per-column tests, scores, PSI and the dataset verdict to agree to 1e-6, with the
# shifted column flagged and no other, by both.
# usage: tests/drift/against_evidently.sh AUTOML_BIN EVIDENTLY_PYTHON SCRATCH_DIR
set -euo pipefail
automl="$1" python="$2" scratch="$3"
here="$(cd "$(dirname "$0")" && pwd)"
datasets="$here/../../datasets"
# data, target, shifted column and shift, sample share. Reference rows: wage 3,000 (Wasserstein,
# Jensen-Shannon), ncbirths 1,000 with missing values (K-S, chi-square, z), credit 400 (z,
# chi-square), smarket 1,250 (Jensen-Shannon on a numeric column with few values).
cases=(
    "wage.csv wage age=8 0.5"
    "ncbirths.csv weight gained=6 0.6"
    "credit.csv Balance Income=25 0.7"
    "smarket.csv Today Volume=0.3 0.8"
)
for case in "${cases[@]}"; do
    set -- $case
    name="${1%.csv}"
    "$automl" compare "$datasets/$1" --target "$2" --include ridge --quiet --no-track \
        --out "$scratch/$name-model" >/dev/null
    python3 "$here/shift.py" "$datasets/$1" "$scratch/$name-new.csv" "$4" 7 "$3"
    code=0
    "$automl" drift --model "$scratch/$name-model" "$scratch/$name-new.csv" \
        --out "$scratch/$name-drift" >"$scratch/$name-drift.txt" 2>&1 || code=$?
    [ "$code" -eq 0 ] || { cat "$scratch/$name-drift.txt" >&2; echo "$name: exit $code, not 0" >&2; exit 1; }
    echo "== $name: shifted ${3%%=*}"
    "$python" "$here/evidently_check.py" --reference "$datasets/$1" --current "$scratch/$name-new.csv" \
        --ours "$scratch/$name-drift/drift.json" --expect-drifted "${3%%=*}" | tail -2
done
