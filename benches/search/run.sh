#!/usr/bin/env bash
# Held-out comparison of `automl compare --budget` with FLAML 2 (same budget, same train/test split), plus
# automl's default compare (no budget) for its CV figures with and without the ensemble rows. Progress goes to
# stderr, a Markdown table to stdout; one row per dataset is written to benches/search/results.tsv.
#
#   benches/search/run.sh [STEM...]        only these stems of the list (default: all of it)
#
# Env (README.md):
#   AUTOML_BIN=PATH       use this binary and skip `cargo build --release --locked`
#   BUDGET=SECONDS        time budget of both tools, whole seconds [60]; automl gets `--budget ${BUDGET}s`
#   DATASETS="..."        the dataset list, entries `stem:target:task[:ignore,cols]` (default: see below)
#   SHARED_DATASETS=DIR   where STEM.csv files are [$REPO/../shared/datasets]
#   SEED=N                split seed, automl --seed and FLAML seed [42]
#   TEST_FRACTION=F       held-out share of the rows [0.2]
#   THREADS=N             FLAML n_jobs and automl's RAYON_NUM_THREADS [2]
#   FLAML_VENV=DIR        venv with flaml[automl], pandas, numpy [~/.cache/automl-flaml-venv]; made if missing
#   FLAML_PYTHON=python3  interpreter that creates the venv [python3]
#   SKIP_FLAML=1          no FLAML runs (its columns say "not run")
#   SKIP_DEFAULT=1        no default (unbudgeted) automl compare
#   RESULTS=FILE          the TSV to write [benches/search/results.tsv]
#   KEEP=1                keep the scratch folder (splits, run folders, logs; kept anyway when a step fails)
set -euo pipefail
export LC_ALL=C  # decimal points in $EPOCHREALTIME and printf

die() { echo "run.sh: error: $*" >&2; exit 1; }
note() { echo "== $*" >&2; }
on() { [[ ${1:-0} =~ ^0?$ ]] && return 1 || return 0; }  # an env flag: unset, empty or 0 is off

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
  exit 0
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

# The datasets: stem:target:task[:columns left out by both tools]. Left out: auto's near-unique `name` (ID-like
# text), and the leaks: wage's `logwage` (log of the target), ncbirths' `lowbirthweight` (the target cut at
# 5.5 lb), cars93's `Min.Price`/`Max.Price` (Price is their midpoint) with its per-row IDs `Model`, `Make`,
# smarket's `Today` (its sign is Direction). The same lists as benches/pycaret/all.sh.
DEFAULT_DATASETS="
diabetes:progression:regression
auto:mpg:regression:name
credit:Balance:regression
wage:wage:regression:logwage
ncbirths:weight:regression:lowbirthweight
cars93:Price:regression:Model,Make,Min.Price,Max.Price
iris:species:classification
breast_cancer:diagnosis:classification
smarket:Direction:classification:Today
"
declare -A TARGET TASK IGNORE
ORDER=()
for entry in ${DATASETS:-$DEFAULT_DATASETS}; do
  IFS=: read -r stem target task ignore extra <<<"$entry"
  [[ -n $stem && -n $target && -z ${extra:-} ]] || die "bad DATASETS entry '$entry' (want stem:target:task[:cols])"
  [[ $task == regression || $task == classification ]] ||
    die "DATASETS entry '$entry': task must be regression or classification, not '$task'"
  TARGET[$stem]=$target TASK[$stem]=$task IGNORE[$stem]=${ignore:-}
  ORDER+=("$stem")
done
((${#ORDER[@]})) || die "DATASETS is empty"
SELECTED=()
for a in "$@"; do
  a=${a%.csv}
  [[ -n ${TARGET[$a]+set} ]] || die "unknown dataset '$a' (known: ${ORDER[*]}; add it with DATASETS)"
  SELECTED+=("$a")
done
((${#SELECTED[@]})) || SELECTED=("${ORDER[@]}")

# Settings.
DATA_DIR=${SHARED_DATASETS:-$REPO/../shared/datasets}
[[ -d $DATA_DIR ]] || die "no datasets folder $DATA_DIR (set SHARED_DATASETS)"
DATA_DIR=$(cd "$DATA_DIR" && pwd)
for s in "${SELECTED[@]}"; do [[ -f $DATA_DIR/$s.csv ]] || die "no $DATA_DIR/$s.csv"; done
BUDGET=${BUDGET:-60}
[[ $BUDGET =~ ^[1-9][0-9]*$ ]] || die "BUDGET must be whole seconds (a positive integer), not '$BUDGET'"
SEED=${SEED:-42}
[[ $SEED =~ ^[0-9]+$ ]] || die "SEED must be a non-negative integer, not '$SEED'"
TEST_FRACTION=${TEST_FRACTION:-0.2}
THREADS=${THREADS:-2}
[[ $THREADS =~ ^[1-9][0-9]*$ ]] || die "THREADS must be a positive integer, not '$THREADS'"
RESULTS=${RESULTS:-$HERE/results.tsv}
SKIP_FL=0; on "${SKIP_FLAML:-}" && SKIP_FL=1
SKIP_DEF=0; on "${SKIP_DEFAULT:-}" && SKIP_DEF=1

# Our binary.
PY=${FLAML_PYTHON:-python3}
command -v "$PY" >/dev/null || die "$PY not found (set FLAML_PYTHON)"
if [[ -n ${AUTOML_BIN:-} ]]; then
  [[ -x $AUTOML_BIN ]] || die "AUTOML_BIN=$AUTOML_BIN is not an executable"
  BIN=$AUTOML_BIN
else
  note "cargo build --release --locked"
  (cd "$REPO" && cargo build --release --locked) >&2
  TARGET_DIR=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps |
    "$PY" -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  BIN=$TARGET_DIR/release/automl
  [[ -x $BIN ]] || die "cargo build left no $BIN"
fi
help=$("$BIN" compare --help 2>&1) || die "$BIN compare --help failed: $help"
[[ $help == *--budget* ]] || die "$BIN has no \`compare --budget\` flag (rebuild it)"

# The FLAML venv (also gives numpy to split.py), created once and reused while it imports flaml 2.x.
VENV=${FLAML_VENV:-$HOME/.cache/automl-flaml-venv}
VPY=$VENV/bin/python
venv_ok() {
  [[ -x $VPY ]] && "$VPY" -c 'import sys, numpy, pandas, flaml, lightgbm, xgboost
sys.exit(0 if flaml.__version__.startswith("2.") else 1)' >/dev/null 2>&1
}
if venv_ok; then
  SPY=$VPY
elif [[ $SKIP_FL == 1 ]] && "$PY" -c 'import numpy' >/dev/null 2>&1; then
  SPY=$PY  # split.py needs numpy only
else
  note "creating FLAML venv at $VENV (one time; takes a few minutes)"
  t0=$(date +%s)
  "$PY" -m venv --clear "$VENV"
  "$VPY" -m pip install -q --upgrade pip >&2
  "$VPY" -m pip install -q "flaml[automl]>=2,<3" pandas numpy >&2
  venv_ok || die "flaml 2.x still does not import from $VENV"
  note "venv ready in $(($(date +%s) - t0)) s"
  SPY=$VPY
fi
FLAML_VER=NA
[[ $SKIP_FL == 1 ]] || FLAML_VER=$("$VPY" -c 'import flaml; print(flaml.__version__)')

WORK=$(mktemp -d "${TMPDIR:-/tmp}/automl-vs-flaml.XXXXXX")
FAILED=0
finish() {
  if on "${KEEP:-}" || ((FAILED)); then note "scratch folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap finish EXIT

# Seconds since $1 (an $EPOCHREALTIME).
since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.2f", b - a }'; }

# Runs "$@" with stdout and stderr to LOG ($1); on failure shows its tail and returns 1.
logged() {
  local log=$1; shift
  if "$@" >"$log" 2>&1; then return 0; fi
  echo "-- failed: $* (log $log):" >&2
  tail -n 15 "$log" >&2
  FAILED=1
  return 1
}

# Leaderboard summary: the first (best-ranked) row with status ok (not failed, timeout, skipped, pruned: a
# pruned row's mean covers only some folds), and over those whose model is not ensemble or stack.
# Prints: best_model<TAB>best_cv<TAB>single_model<TAB>single_cv<TAB>scored_rows
board() {
  "$SPY" - "$1" "$2" <<'EOF'
import csv, math, sys
path, task = sys.argv[1], sys.argv[2]
col, sign = ("rmse_mean", 1) if task == "regression" else ("accuracy_mean", -1)
with open(path, newline="") as f:
    rows = list(csv.DictReader(f))
if rows and col not in rows[0]:
    sys.exit(f"{path}: no {col} column (columns {list(rows[0])})")
ok = []
for r in rows:
    try:
        v = float(r[col])
    except (TypeError, ValueError):
        continue
    if r.get("status", "ok") == "ok" and not math.isnan(v):
        ok.append((sign * v, r["model"], v))
if not ok:
    sys.exit(f"{path}: no scored row")
# The file is in rank order: the first row is the winner (ties keep automl's order, not the model names').
best = ok[0]
single = [t for t in ok if t[1] not in ("ensemble", "stack")]
s = single[0] if single else (0, "NA", float("nan"))
print(f"{best[1]}\t{best[2]!r}\t{s[1]}\t{s[2]!r}\t{len(ok)}")
EOF
}

COLS=(dataset task target ignore train_rows test_rows metric budget_s
  automl_wall_s automl_best automl_cv automl_holdout
  flaml_wall_s flaml_fit_s flaml_best flaml_holdout flaml_version
  default_wall_s default_best default_cv default_single_best default_single_cv default_holdout)
declare -A R
ROWS=()

for s in "${SELECTED[@]}"; do
  target=${TARGET[$s]} task=${TASK[$s]} ignore=${IGNORE[$s]}
  metric=rmse; [[ $task == classification ]] && metric=accuracy
  d=$WORK/$s
  mkdir -p "$d"
  R=()
  for c in "${COLS[@]}"; do R[$c]=NA; done
  R[dataset]=$s R[task]=$task R[target]=$target R[ignore]=${ignore:--} R[metric]=$metric R[budget_s]=$BUDGET
  IGN=(); [[ -z $ignore ]] || IGN=(--ignore "$ignore")

  note "$s: split (seed $SEED, test $TEST_FRACTION)"
  if ! logged "$d/split.log" "$SPY" "$HERE/split.py" "$DATA_DIR/$s.csv" "$d" --seed "$SEED" --test "$TEST_FRACTION"; then
    R[automl_holdout]=failed
    ROWS+=("$(for c in "${COLS[@]}"; do printf '%s\t' "${R[$c]}"; done)")
    continue
  fi
  IFS=$'\t' read -r _ R[train_rows] R[test_rows] < <(grep '^SPLIT' "$d/split.log" | tail -n 1)

  # automl with the budget, then its exported model on the held-out rows.
  note "$s: automl compare --budget ${BUDGET}s"
  t0=$EPOCHREALTIME
  if logged "$d/automl.log" env RAYON_NUM_THREADS="$THREADS" "$BIN" compare "$d/train.csv" --target "$target" \
    --task "$task" --seed "$SEED" --budget "${BUDGET}s" --out "$d/automl" --no-track -q "${IGN[@]}"; then
    R[automl_wall_s]=$(since "$t0")
    if line=$(board "$d/automl/leaderboard.csv" "$task" 2>>"$d/automl.log"); then
      IFS=$'\t' read -r R[automl_best] R[automl_cv] _ _ _ <<<"$line"
    fi
    if logged "$d/automl-predict.log" "$BIN" predict --model "$d/automl" "$d/test.csv" --out "$d/automl-pred.csv" &&
      logged "$d/automl-holdout.log" "$SPY" "$HERE/automl_holdout.py" "$d/test.csv" "$target" "$d/automl-pred.csv" \
        --task "$task"; then
      IFS=$'\t' read -r _ _ R[automl_holdout] _ < <(grep '^HOLDOUT' "$d/automl-holdout.log" | tail -n 1)
    else
      R[automl_holdout]=failed
    fi
  else
    R[automl_holdout]=failed
  fi

  # FLAML with the same budget.
  if [[ $SKIP_FL == 1 ]]; then
    R[flaml_holdout]="not run"
  else
    note "$s: FLAML time_budget=$BUDGET"
    t0=$EPOCHREALTIME
    if logged "$d/flaml.log" "$VPY" "$HERE/flaml_fit.py" "$d/train.csv" "$d/test.csv" "$target" --task "$task" \
      --budget "$BUDGET" --seed "$SEED" --n-jobs "$THREADS" ${ignore:+--ignore "$ignore"}; then
      R[flaml_wall_s]=$(since "$t0")
      IFS=$'\t' read -r _ R[flaml_best] R[flaml_holdout] R[flaml_fit_s] R[flaml_version] \
        < <(grep '^FLAML_RESULT' "$d/flaml.log" | tail -n 1)
    else
      R[flaml_holdout]=failed
    fi
  fi

  # automl's default compare (no budget): CV best overall vs without the ensemble rows, and its holdout.
  if [[ $SKIP_DEF == 1 ]]; then
    R[default_holdout]="not run"
  else
    note "$s: automl compare (default, no budget)"
    t0=$EPOCHREALTIME
    if logged "$d/default.log" env RAYON_NUM_THREADS="$THREADS" "$BIN" compare "$d/train.csv" --target "$target" \
      --task "$task" --seed "$SEED" --out "$d/default" --no-track -q "${IGN[@]}"; then
      R[default_wall_s]=$(since "$t0")
      if line=$(board "$d/default/leaderboard.csv" "$task" 2>>"$d/default.log"); then
        IFS=$'\t' read -r R[default_best] R[default_cv] R[default_single_best] R[default_single_cv] _ <<<"$line"
      else
        FAILED=1
        echo "-- $s: cannot read $d/default/leaderboard.csv (see $d/default.log)" >&2
      fi
      if logged "$d/default-predict.log" "$BIN" predict --model "$d/default" "$d/test.csv" --out "$d/default-pred.csv" &&
        logged "$d/default-holdout.log" "$SPY" "$HERE/automl_holdout.py" "$d/test.csv" "$target" "$d/default-pred.csv" \
          --task "$task"; then
        IFS=$'\t' read -r _ _ R[default_holdout] _ < <(grep '^HOLDOUT' "$d/default-holdout.log" | tail -n 1)
      else
        R[default_holdout]=failed
      fi
    else
      R[default_holdout]=failed
    fi
  fi
  ROWS+=("$(for c in "${COLS[@]}"; do printf '%s\t' "${R[$c]}"; done)")
done

# results.tsv: one row per dataset, the columns of COLS.
{
  (IFS=$'\t'; echo "${COLS[*]}")
  for row in "${ROWS[@]}"; do echo "${row%$'\t'}"; done
} >"$RESULTS"
note "wrote $RESULTS"

# Markdown report.
commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
dirty=""
[[ -z $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] || dirty=" (with uncommitted changes)"
if [[ $SKIP_FL == 1 ]]; then
  echo "## automl compare --budget ${BUDGET}s (FLAML not run)"
else
  echo "## automl compare --budget ${BUDGET}s vs FLAML $FLAML_VER (time_budget=$BUDGET)"
fi
echo
echo "- $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $THREADS threads per tool (automl RAYON_NUM_THREADS," \
  "FLAML n_jobs); automl commit $commit$dirty"
echo "- Split: numpy default_rng($SEED).permutation, $TEST_FRACTION of the rows held out (benches/search/split.py);" \
  "automl --seed $SEED, FLAML seed=$SEED"
echo "- Held out: RMSE (regression, lower is better) or accuracy (classification, higher is better) on the test rows;" \
  "CV: automl's 5-fold mean on the training rows (leaderboard.csv)"
echo "- Δ: automl vs FLAML on the held-out rows: RMSE relative (negative: automl better), accuracy in points" \
  "(positive: automl better)"
echo
echo "| dataset | metric | train/test | automl wall s | automl best | automl held out | FLAML wall s | FLAML best" \
  "| FLAML held out | Δ | default wall s | default CV best (model) | default CV best w/o ensembles (model) | default held out |"
echo "|---|---|---|---:|---|---:|---:|---|---:|---:|---:|---|---|---:|"
num() { [[ $1 =~ ^-?[0-9.]+(e[-+]?[0-9]+)?$ ]] && printf '%.4f' "$1" || printf '%s' "$1"; }
for row in "${ROWS[@]}"; do
  IFS=$'\t' read -r -a v <<<"$row"
  R=()
  for i in "${!COLS[@]}"; do R[${COLS[i]}]=${v[i]:-NA}; done
  delta=NA
  if [[ ${R[automl_holdout]} =~ ^[0-9.e+-]+$ && ${R[flaml_holdout]} =~ ^[0-9.e+-]+$ ]]; then
    if [[ ${R[metric]} == rmse ]]; then
      delta=$(awk -v a="${R[automl_holdout]}" -v f="${R[flaml_holdout]}" 'BEGIN { printf "%+.1f%%", (a / f - 1) * 100 }')
    else
      delta=$(awk -v a="${R[automl_holdout]}" -v f="${R[flaml_holdout]}" 'BEGIN { printf "%+.1f pt", (a - f) * 100 }')
    fi
  fi
  echo "| ${R[dataset]} | ${R[metric]} | ${R[train_rows]}/${R[test_rows]} | ${R[automl_wall_s]} | ${R[automl_best]}" \
    "| $(num "${R[automl_holdout]}") | ${R[flaml_wall_s]} | ${R[flaml_best]} | $(num "${R[flaml_holdout]}") | $delta" \
    "| ${R[default_wall_s]} | $(num "${R[default_cv]}") (${R[default_best]})" \
    "| $(num "${R[default_single_cv]}") (${R[default_single_best]}) | $(num "${R[default_holdout]}") |"
done
notes=()
for s in "${SELECTED[@]}"; do [[ -z ${IGNORE[$s]} ]] || notes+=("$s: \`${IGNORE[$s]//,/\`, \`}\`"); done
if ((${#notes[@]})); then
  echo
  echo "Columns left out by both tools: $(IFS=';'; echo "${notes[*]}" | sed 's/;/; /g')."
fi
if ((FAILED)); then
  echo
  echo "Some steps failed; their logs are in $WORK."
  exit 1
fi
