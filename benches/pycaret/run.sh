#!/usr/bin/env bash
# Benchmark `automl compare` against PyCaret 3.3's compare_models on the same CSV.
#
#   benches/pycaret/run.sh DATA.csv TARGET [extra automl flags...]
#
# Env: AUTOML_BIN=/path/to/automl   use this binary and skip `cargo build`
#      PYCARET_VENV=DIR             venv for PyCaret [~/.cache/automl-pycaret-venv]
#      PYCARET_PYTHON=python3.11    interpreter that creates the venv (PyCaret 3.3 needs 3.9-3.11) [python3]
#      KEEP=1                       keep the scratch folder (leaderboard, logs) and print its path
#      SKIP_PYCARET=1               run automl only (no venv needed); PyCaret's RESULT fields are NA
set -euo pipefail

usage() { echo "usage: $0 DATA.csv TARGET [extra automl flags...]" >&2; exit 2; }
die() { echo "run.sh: error: $*" >&2; exit 1; }
[[ $# -ge 2 ]] || usage
DATA=$1 TARGET=$2
shift 2
EXTRA=("$@")

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
[[ -f $DATA ]] || die "no such file: $DATA"
DATA_ABS=$(cd "$(dirname "$DATA")" && pwd)/$(basename "$DATA")
STEM=$(basename "$DATA")
STEM=${STEM%.*}
PY=${PYCARET_PYTHON:-python3}
command -v "$PY" >/dev/null || die "$PY not found (set PYCARET_PYTHON)"

# Flags that PyCaret should mirror: --ignore, --folds, --sep (both `--x V` and `--x=V`).
IGNORE="" FOLDS=5 SEP=","
for ((i = 0; i < ${#EXTRA[@]}; i++)); do
  a=${EXTRA[i]}
  case $a in
    --ignore|--folds|--sep)
      ((i + 1 < ${#EXTRA[@]})) || die "$a needs a value"
      v=${EXTRA[i + 1]} ;;
    --ignore=*|--folds=*|--sep=*) v=${a#*=} a=${a%%=*} ;;
    *) continue ;;
  esac
  case $a in
    --ignore) IGNORE=$v ;;
    --folds) FOLDS=$v ;;
    --sep) SEP=$v ;;
  esac
done

# Scratch folder; every PyCaret command runs inside it, since `import pycaret` writes logs.log to the cwd.
WORK=$(mktemp -d "${TMPDIR:-/tmp}/automl-vs-pycaret.XXXXXX")
if [[ -n ${KEEP:-} ]]; then echo "== scratch folder: $WORK" >&2; else trap 'rm -rf "$WORK"' EXIT; fi

# /usr/bin/time (GNU time) for wall time and peak RSS.
if [[ ! -x /usr/bin/time ]]; then
  echo "== installing GNU time (apt package 'time')" >&2
  SUDO=""; [[ $(id -u) -eq 0 ]] || SUDO=sudo
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq time >/dev/null
fi

# Our binary.
if [[ -n ${AUTOML_BIN:-} ]]; then
  [[ -x $AUTOML_BIN ]] || die "AUTOML_BIN=$AUTOML_BIN is not an executable"
  BIN=$AUTOML_BIN
else
  echo "== cargo build --release --locked" >&2
  (cd "$REPO" && cargo build --release --locked)
  TARGET_DIR=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  BIN=$TARGET_DIR/release/automl
fi

SKIP_PY=0  # SKIP_PYCARET: unset, empty or 0 runs PyCaret; anything else skips it
[[ ${SKIP_PYCARET:-0} =~ ^0?$ ]] || SKIP_PY=1

# PyCaret venv, created once and reused while `import pycaret` (3.3.x) works.
VENV=${PYCARET_VENV:-$HOME/.cache/automl-pycaret-venv}
VPY=$VENV/bin/python
venv_ok() {
  [[ -x $VPY ]] && (cd "$WORK" && "$VPY" -c 'import sys, pandas, pycaret.regression
sys.exit(0 if pycaret.__version__.startswith("3.3.") else 1)') >/dev/null 2>&1
}
if [[ $SKIP_PY == 0 ]] && ! venv_ok; then
  echo "== creating PyCaret venv at $VENV (one time; takes a few minutes)" >&2
  t0=$(date +%s)
  "$PY" -m venv --clear "$VENV"
  "$VPY" -m pip install -q --upgrade pip
  # six: scikit-plot (a PyCaret dependency) imports it but does not declare it.
  "$VPY" -m pip install -q "pycaret==3.3.*" six
  venv_ok || die "pycaret still does not import from $VENV"
  echo "== venv ready in $(($(date +%s) - t0)) s" >&2
fi

# Wall seconds and peak MiB from a `/usr/bin/time -v` report.
wall_s() {
  awk -F': ' '/Elapsed \(wall clock\)/ {
    n = split($NF, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; printf "%.2f", s }' "$1"
}
peak_mib() { awk -F': ' '/Maximum resident set size/ { printf "%.1f", $NF / 1024 }' "$1"; }

# automl.
echo "== automl compare $STEM (target $TARGET)" >&2
if ! /usr/bin/time -v -o "$WORK/automl.time" \
  "$BIN" compare "$DATA_ABS" --target "$TARGET" --quiet --out "$WORK/automl" "${EXTRA[@]}" \
  >"$WORK/automl.out" 2>"$WORK/automl.err"; then
  cat "$WORK/automl.out" "$WORK/automl.err" >&2
  die "automl compare failed"
fi
[[ -f $WORK/automl/leaderboard.csv ]] || die "automl wrote no $WORK/automl/leaderboard.csv"
# First data row (rank 1): model id, name, params, rmse_mean; tab-separated.
IFS=$'\t' read -r A_ID A_NAME A_PARAMS A_RMSE < <("$PY" - "$WORK/automl/leaderboard.csv" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="") as f:
    row = next(csv.DictReader(f), None)
if row is None:
    sys.exit("leaderboard.csv has no rows")
print("\t".join([row["model"], row["name"], row["params"] or "-", row["rmse_mean"]]))
EOF
) || die "cannot read $WORK/automl/leaderboard.csv"
A_S=$(wall_s "$WORK/automl.time") A_MIB=$(peak_mib "$WORK/automl.time")

if [[ $SKIP_PY == 1 ]]; then
  echo
  echo "dataset $STEM, target $TARGET, $FOLDS folds, $(nproc) cores; PyCaret not run (SKIP_PYCARET)"
  printf '%-8s %9s %9s  %-64s %12s\n' tool wall_s peak_MiB best_model cv_rmse
  printf '%-8s %9s %9s  %-64s %12.4f\n' automl "$A_S" "$A_MIB" "$A_ID: $A_NAME ($A_PARAMS)" "$A_RMSE"
  echo "RESULT dataset=$STEM automl_s=$A_S pycaret_s=NA automl_mib=$A_MIB pycaret_mib=NA" \
    "automl_rmse=$(printf '%.4f' "$A_RMSE") pycaret_rmse=NA automl_best=${A_NAME// /_} pycaret_best=NA"
  exit 0
fi

# PyCaret, inside the scratch folder.
echo "== pycaret compare_models $STEM (target $TARGET)" >&2
PYARGS=("$HERE/pycaret_compare.py" "$DATA_ABS" "$TARGET" --folds "$FOLDS" --sep "$SEP" --n-jobs "$(nproc)")
[[ -z $IGNORE ]] || PYARGS+=(--ignore "$IGNORE")
if ! (cd "$WORK" && /usr/bin/time -v -o "$WORK/pycaret.time" "$VPY" "${PYARGS[@]}" \
  >"$WORK/pycaret.out" 2>"$WORK/pycaret.err"); then
  tail -n 30 "$WORK/pycaret.err" >&2
  die "pycaret_compare.py failed"
fi
LINE=$(grep '^PYCARET_RESULT' "$WORK/pycaret.out" | tail -n 1) || die "pycaret_compare.py printed no result"
IFS=$'\t' read -r _ P_ID P_NAME P_RMSE P_VER <<<"$LINE"
P_S=$(wall_s "$WORK/pycaret.time") P_MIB=$(peak_mib "$WORK/pycaret.time")

# Report.
echo
echo "dataset $STEM, target $TARGET, $FOLDS folds, $(nproc) cores; PyCaret $P_VER"
printf '%-8s %9s %9s  %-64s %12s\n' tool wall_s peak_MiB best_model cv_rmse
printf '%-8s %9s %9s  %-64s %12.4f\n' automl "$A_S" "$A_MIB" "$A_ID: $A_NAME ($A_PARAMS)" "$A_RMSE"
printf '%-8s %9s %9s  %-64s %12.4f\n' pycaret "$P_S" "$P_MIB" "$P_ID: $P_NAME" "$P_RMSE"
awk -v as="$A_S" -v ps="$P_S" -v am="$A_MIB" -v pm="$P_MIB" -v ar="$A_RMSE" -v pr="$P_RMSE" 'BEGIN {
  printf "pycaret/automl wall %.1fx, peak memory %.1fx; automl RMSE vs pycaret %+.2f%%\n",
    (as > 0 ? ps / as : 0), (am > 0 ? pm / am : 0), (ar / pr - 1) * 100 }'
echo "RESULT dataset=$STEM automl_s=$A_S pycaret_s=$P_S automl_mib=$A_MIB pycaret_mib=$P_MIB" \
  "automl_rmse=$(printf '%.4f' "$A_RMSE") pycaret_rmse=$(printf '%.4f' "$P_RMSE")" \
  "automl_best=${A_NAME// /_} pycaret_best=${P_NAME// /_}"
