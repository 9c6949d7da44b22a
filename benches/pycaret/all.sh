#!/usr/bin/env bash
# The whole benchmark for BENCHMARKS.md: automl vs PyCaret on every regression dataset in ../shared/datasets,
# automl's thread speedup, and its scaling on synthetic tables. Progress goes to stderr; a Markdown report
# (machine, command, tables, targets) to stdout.
#
#   benches/pycaret/all.sh [DATASET...]     stems: diabetes auto credit wage ncbirths cars93 birthdays [all]
#
# Env (README.md, "Whole table: all.sh"):
#   SHARED_DATASETS=DIR    the shared datasets [$REPO/../shared/datasets]
#   AUTOML_BIN=PATH        use this binary and skip `cargo build --release --locked`
#   REPEAT=N               run every measurement N times; report the median wall time and that run's figures [1]
#   SKIP_PYCARET=1         automl only, on every dataset
#   PYCARET_SKIP=a,b       automl only on these stems (besides birthdays, unless PYCARET_BIRTHDAYS=1)
#   PYCARET_BIRTHDAYS=1    run PyCaret on birthdays too (very long; see README.md)
#   IGNORE_<stem>=a,b      override the columns left out of a dataset for both tools (empty: none)
#   SKIP_SPEEDUP=1         no thread-speedup section
#   SPEEDUP_DATASETS=...   datasets of the speedup section ["wage birthdays"]
#   SKIP_SCALING=1         no scaling section
#   SCALING_ROWS=...       rows of the synthetic tables ["10000 100000 1000000"]
#   SYNTH_BIN=PATH         compiled examples/synth [$(dirname AUTOML_BIN)/examples/synth if present, else cargo run]
#   OUT=FILE               also write the report to FILE
#   KEEP=1                 keep the scratch folder (run logs, synthetic CSVs; kept anyway when a run fails)
set -euo pipefail

die() { echo "all.sh: error: $*" >&2; exit 1; }
note() { echo "== $*" >&2; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
  exit 0
fi

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

# The command that reproduces this report, from the environment as given (the knobs that change what is measured).
shq() { if [[ $1 =~ ^[[:alnum:]_.,/:=+-]+$ ]]; then echo "$1"; else echo "'${1//\'/\'\\\'\'}'"; fi; }
CMD=""
for v in REPEAT SKIP_PYCARET PYCARET_SKIP PYCARET_BIRTHDAYS SKIP_SPEEDUP SPEEDUP_DATASETS SKIP_SCALING \
  SCALING_ROWS $(compgen -v IGNORE_ || true); do
  [[ -z ${!v+set} ]] || CMD+="$v=$(shq "${!v}") "
done
CMD+="benches/pycaret/all.sh"
for a in "$@"; do CMD+=" $(shq "$a")"; done

# The regression datasets: stem, target, columns left out by both tools, and why.
declare -A TARGET IGNORE WHY
ORDER=()
add() { TARGET[$1]=$2 IGNORE[$1]=$3 WHY[$1]=$4; ORDER+=("$1"); }
add diabetes  progression ""                             ""
add auto      mpg         name                           "a near-unique car name (ID-like text)"
add credit    Balance     ""                             ""
add wage      wage        logwage                        "the log of the target (a leak)"
add ncbirths  weight      lowbirthweight                 "the target cut at 5.5 lb (a leak)"
add cars93    Price       Model,Make,Min.Price,Max.Price \
  "Model and Make are unique per row (IDs); Price is the midpoint of Min.Price and Max.Price (a leak)"
add birthdays births      ""                             ""
known() { [[ -n ${TARGET[$1]+set} ]] || die "unknown dataset '$1' (known: ${ORDER[*]})"; }
for v in $(compgen -v IGNORE_ || true); do  # IGNORE_<stem> overrides, even when set to empty
  s=${v#IGNORE_}
  [[ -n ${TARGET[$s]+set} ]] || die "$v: no dataset '$s' (known: ${ORDER[*]})"
  IGNORE[$s]=${!v} WHY[$s]="set by $v"
done
on() { [[ ${1:-0} =~ ^0?$ ]] && return 1 || return 0; }  # an env flag: unset, empty or 0 is off

# Settings.
DATA_DIR=${SHARED_DATASETS:-$REPO/../shared/datasets}
[[ -d $DATA_DIR ]] || die "no datasets folder $DATA_DIR (set SHARED_DATASETS)"
DATA_DIR=$(cd "$DATA_DIR" && pwd)
REPEAT=${REPEAT:-1}
[[ $REPEAT =~ ^[1-9][0-9]*$ ]] || die "REPEAT must be a positive integer, not '$REPEAT'"
SELECTED=()
for a in "$@"; do a=${a%.csv}; known "$a"; SELECTED+=("$a"); done
((${#SELECTED[@]})) || SELECTED=("${ORDER[@]}")
declare -A NO_PYCARET
IFS=', ' read -r -a list <<<"${PYCARET_SKIP:-}"
for s in "${list[@]}"; do known "$s"; NO_PYCARET[$s]=1; done
on "${PYCARET_BIRTHDAYS:-}" || NO_PYCARET[birthdays]=1
SPEEDUP=()
if ! on "${SKIP_SPEEDUP:-}"; then
  read -r -a SPEEDUP <<<"${SPEEDUP_DATASETS:-wage birthdays}"
  for s in "${SPEEDUP[@]}"; do known "$s"; done
fi
ROWS=()
if ! on "${SKIP_SCALING:-}"; then
  read -r -a ROWS <<<"${SCALING_ROWS:-10000 100000 1000000}"
  for r in "${ROWS[@]}"; do [[ $r =~ ^[1-9][0-9]*$ ]] || die "SCALING_ROWS: '$r' is not a row count"; done
fi
for s in "${SELECTED[@]}" "${SPEEDUP[@]}"; do
  [[ -f $DATA_DIR/$s.csv ]] || die "no $DATA_DIR/$s.csv"
done
if [[ -n ${OUT:-} ]]; then
  [[ -d $(dirname "$OUT") ]] || die "OUT=$OUT: no folder $(dirname "$OUT")"
fi
command -v python3 >/dev/null || die "python3 not found"

LOAD_AT_START=$(cut -d' ' -f1-3 /proc/loadavg)

# Scratch folder: run logs, synthetic tables, MLflow records (kept out of the repo's ./mlruns).
WORK=$(mktemp -d "${TMPDIR:-/tmp}/automl-bench-all.XXXXXX")
mkdir -p "$WORK/logs" "$WORK/synth"
RESULTS=$WORK/results.txt
: >"$RESULTS"
FAILED=0
cleanup() {
  if on "${KEEP:-}" || ((FAILED)); then note "scratch folder kept: $WORK"; else rm -rf "$WORK"; fi
}
trap cleanup EXIT
export AUTOML_TRACKING_DIR=${AUTOML_TRACKING_DIR:-$WORK/mlruns}

# The binary, built once.
if [[ -z ${AUTOML_BIN:-} ]]; then
  note "cargo build --release --locked"
  (cd "$REPO" && cargo build --release --locked)
  TARGET_DIR=$(cd "$REPO" && cargo metadata --format-version 1 --no-deps |
    python3 -c 'import json,sys; print(json.load(sys.stdin)["target_directory"])')
  AUTOML_BIN=$TARGET_DIR/release/automl
fi
[[ -x $AUTOML_BIN ]] || die "AUTOML_BIN=$AUTOML_BIN is not an executable"
AUTOML_BIN=$(cd "$(dirname "$AUTOML_BIN")" && pwd)/$(basename "$AUTOML_BIN")
export AUTOML_BIN

# measure KEY [VAR=VALUE...] -- DATA TARGET [automl flags...]
# Runs run.sh REPEAT times with those variables set and appends "KEY RESULT ..." to $RESULTS for each run;
# on a failure appends "KEY FAILED LOG" and stops repeating it.
measure() {
  local key=$1 envs=() r log
  shift
  while [[ $1 != -- ]]; do envs+=("$1"); shift; done
  shift
  for ((r = 1; r <= REPEAT; r++)); do
    log=$WORK/logs/${key//:/-}.$r.log
    note "$key, run $r of $REPEAT${envs[*]:+ (${envs[*]})}"
    if env "${envs[@]}" "$HERE/run.sh" "$@" 2>&1 | tee "$log" >&2 && grep -q '^RESULT ' "$log"; then
      echo "$key $(grep '^RESULT ' "$log" | tail -n 1)" >>"$RESULTS"
    else
      echo "$key FAILED $log" >>"$RESULTS"
      note "$key failed; its log: $log"
      FAILED=1
      return 0
    fi
  done
}

# median_run KEY FIELD: the RESULT line of KEY whose FIELD is the median (for an even count, the lower of the
# two middle ones); empty when KEY has no successful run.
median_run() {
  awk -v key="$1" -v f="$2=" '$1 == key && $2 == "RESULT" {
      for (i = 3; i <= NF; i++) if (index($i, f) == 1) print substr($i, length(f) + 1) "\t" $0 }' "$RESULTS" |
    sort -t $'\t' -g -k1,1 | awk -F'\t' '{ l[NR] = $2 } END { if (NR) print l[int((NR + 1) / 2)] }'
}
# field LINE NAME: the value of NAME= in a RESULT line (model names with spaces back).
field() { awk -v f="$2=" '{ for (i = 1; i <= NF; i++) if (index($i, f) == 1) {
  v = substr($i, length(f) + 1); gsub("_", " ", v); print v; exit } }' <<<"$1"; }
# wall KEY FIELD VALUE: VALUE, with the range over runs "(min-max)" when REPEAT > 1.
wall() {
  ((REPEAT > 1)) || { echo "$3"; return; }
  awk -v key="$1" -v f="$2=" -v med="$3" '$1 == key && $2 == "RESULT" {
      for (i = 3; i <= NF; i++) if (index($i, f) == 1) { v = substr($i, length(f) + 1) + 0
        if (n++ == 0 || v < lo) lo = v; if (n == 1 || v > hi) hi = v } }
    END { if (n > 1) printf "%s (%.2f–%.2f)\n", med, lo, hi; else print med }' "$RESULTS"
}
commas() { sed ':a; s/\B[0-9]\{3\}\>/,&/; ta' <<<"$1"; }
failed_log() { awk -v key="$1" '$1 == key && $2 == "FAILED" { print $3; exit }' "$RESULTS"; }
# "rows x cols" of a CSV.
shape() {
  python3 - "$1" <<'EOF'
import csv, sys
with open(sys.argv[1], newline="") as f:
    r = csv.reader(f)
    cols = len(next(r))
    rows = sum(1 for row in r if row)
print(f"{rows:,} x {cols}")
EOF
}

# 1. automl vs PyCaret on each dataset.
for s in "${SELECTED[@]}"; do
  flags=()
  [[ -z ${IGNORE[$s]} ]] || flags=(--ignore "${IGNORE[$s]}")
  skip=0
  if on "${SKIP_PYCARET:-}" || [[ -n ${NO_PYCARET[$s]:-} ]]; then skip=1; fi
  measure "main:$s" SKIP_PYCARET=$skip -- "$DATA_DIR/$s.csv" "${TARGET[$s]}" "${flags[@]}"
done

# 2. Thread speedup: automl alone on 1 and 2 threads.
for s in "${SPEEDUP[@]}"; do
  flags=()
  [[ -z ${IGNORE[$s]} ]] || flags=(--ignore "${IGNORE[$s]}")
  for t in 1 2; do
    measure "speedup:$s:$t" SKIP_PYCARET=1 RAYON_NUM_THREADS=$t -- "$DATA_DIR/$s.csv" "${TARGET[$s]}" "${flags[@]}"
  done
done

# 3. Scaling on synthetic tables (examples/synth.rs, target y).
if ((${#ROWS[@]})); then
  SYNTH=${SYNTH_BIN:-$(dirname "$AUTOML_BIN")/examples/synth}
  if [[ -x $SYNTH ]]; then
    synth() { "$SYNTH" "$@"; }
  else
    [[ -z ${SYNTH_BIN:-} ]] || die "SYNTH_BIN=$SYNTH_BIN is not an executable"
    SYNTH="cargo run --release --locked --example synth"
    synth() { (cd "$REPO" && cargo run --release --locked --quiet --example synth -- "$@"); }
  fi
  for r in "${ROWS[@]}"; do
    csv=$WORK/synth/synth-$r.csv
    note "writing $r synthetic rows ($SYNTH)"
    synth "$r" "$csv" || die "synth $r $csv failed"
    measure "scaling:$r" SKIP_PYCARET=1 -- "$csv" y
  done
fi

# The report.
machine() {
  local cpu mem os py_ver=""
  cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -n 1)
  mem=$(awk '/^MemTotal:/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
  os=$(. /etc/os-release 2>/dev/null && echo "${PRETTY_NAME:-$NAME}")
  local vpy=${PYCARET_VENV:-$HOME/.cache/automl-pycaret-venv}/bin/python
  if [[ -x $vpy ]]; then
    py_ver=$("$vpy" -c 'import importlib.metadata as m, platform; v = m.version
print("PyCaret " + v("pycaret") + ", scikit-learn " + v("scikit-learn") + ", Python " + platform.python_version())' \
      2>/dev/null) || py_ver="(venv at ${vpy%/bin/python} does not report a PyCaret version)"
  else
    py_ver="not installed (no venv at ${vpy%/bin/python})"
  fi
  local commit dirty=""
  commit=$(git -C "$REPO" rev-parse --short HEAD 2>/dev/null || echo unknown)
  [[ -z $(git -C "$REPO" status --porcelain --untracked-files=no 2>/dev/null) ]] || dirty=" (with uncommitted changes)"
  echo "## Machine"
  echo
  echo "- CPU: ${cpu:-unknown}, $(nproc) cores (nproc)"
  echo "- RAM: $mem"
  echo "- OS: ${os:-unknown}, Linux $(uname -r)"
  echo "- Rust: $(rustc --version 2>/dev/null || echo 'rustc not found')"
  echo "- automl: commit $commit$dirty, $("$AUTOML_BIN" --version 2>/dev/null || echo '?')"
  echo "- PyCaret: $py_ver"
  echo "- Date: $(date -u '+%Y-%m-%d %H:%M UTC'); load average at start $LOAD_AT_START"
  if ((REPEAT > 1)); then
    echo "- Runs: $REPEAT per measurement; the median wall time is shown with the range in parentheses, and the" \
      "other figures are that median run's"
  else
    echo "- Runs: 1 per measurement"
  fi
  echo
  echo "Reproduce (from the repo root, datasets in \`../shared/datasets\` or \`SHARED_DATASETS\`):"
  echo
  echo "    $CMD"
}

main_table() {
  local s a p row w_ok r_ok wall_ok=0 rmse_ok=0 both=0
  echo "## automl vs PyCaret 3.3 (5-fold CV RMSE, regression)"
  echo
  echo "| dataset | rows x cols | automl wall s | PyCaret wall s | PyCaret/automl | automl peak MiB | PyCaret peak MiB | automl best (CV RMSE) | PyCaret best (CV RMSE) | RMSE diff % | wall ≥ 20x | RMSE ≤ 1.02x |"
  echo "|---|---|---:|---:|---:|---:|---:|---|---|---:|:---:|:---:|"
  for s in "${SELECTED[@]}"; do
    a=$(median_run "main:$s" automl_s)
    if [[ -z $a ]]; then
      echo "| $s | $(shape "$DATA_DIR/$s.csv") | failed: $(failed_log "main:$s") | | | | | | | | | |"
      continue
    fi
    p=$(median_run "main:$s" pycaret_s)
    [[ $(field "$p" pycaret_s) != NA ]] || p=""
    # w_ok and r_ok: whether the wall and RMSE targets are met (1/0; "-" when PyCaret did not run).
    IFS=$'\t' read -r w_ok r_ok row < <(awk -v name="$s" -v shape="$(shape "$DATA_DIR/$s.csv")" \
      -v as="$(field "$a" automl_s)" -v am="$(field "$a" automl_mib)" -v ar="$(field "$a" automl_rmse)" \
      -v ab="$(field "$a" automl_best)" -v aw="$(wall "main:$s" automl_s "$(field "$a" automl_s)")" \
      -v ps="$(field "$p" pycaret_s)" -v pm="$(field "$p" pycaret_mib)" -v pr="$(field "$p" pycaret_rmse)" \
      -v pb="$(field "$p" pycaret_best)" -v pw="$(wall "main:$s" pycaret_s "$(field "$p" pycaret_s)")" 'BEGIN {
        OFS = " | "
        if (ps == "") {
          print "-\t-\t| " name, shape, aw, "not run", "–", am, "not run", ab " (" ar ")", "not run",
            "–", "–", "– |"
          exit
        }
        ratio = ps / as; diff = (ar / pr - 1) * 100; w = ratio >= 20; r = ar <= 1.02 * pr
        print w "\t" r "\t| " name, shape, aw, pw, sprintf("%.1fx", ratio), am, pm, ab " (" ar ")", pb " (" pr ")",
          sprintf("%+.2f", diff), (w ? "yes" : "**no**"), (r ? "yes" : "**no**") " |"
      }')
    echo "$row"
    [[ $w_ok == - ]] && continue
    both=$((both + 1)) wall_ok=$((wall_ok + w_ok)) rmse_ok=$((rmse_ok + r_ok))
  done
  echo
  ((both == 0)) || echo "Targets: PyCaret/automl wall time ≥ 20x on $wall_ok of $both datasets run on both;" \
    "automl's best CV RMSE ≤ 1.02 × PyCaret's on $rmse_ok of $both."
  echo "Wall time and peak memory (maximum RSS) of the whole process, from \`/usr/bin/time -v\`; see" \
    "benches/pycaret/README.md for what differs between the two runs (PyCaret cross-validates its 70% split)."
  local notes=()
  for s in "${SELECTED[@]}"; do
    [[ -z ${IGNORE[$s]} ]] || notes+=("$s: \`${IGNORE[$s]//,/\`, \`}\`${WHY[$s]:+ — ${WHY[$s]}}")
  done
  if ((${#notes[@]})); then
    echo
    echo "Columns left out by both tools (\`--ignore\`, PyCaret's \`ignore_features\`):"
    printf -- '- %s\n' "${notes[@]}"
  fi
  if on "${SKIP_PYCARET:-}"; then
    echo
    echo "PyCaret not run (SKIP_PYCARET=1)."
    return
  fi
  for s in "${SELECTED[@]}"; do
    [[ -n ${NO_PYCARET[$s]:-} ]] || continue
    echo
    if [[ $s == birthdays ]] && ! on "${PYCARET_BIRTHDAYS:-}"; then
      echo "PyCaret not run on birthdays: its 18 default models x 5 folds on 261,000 training rows (its 70% split)" \
        "take far longer than the rest of the table together; \`PYCARET_BIRTHDAYS=1\` runs it."
    else
      echo "PyCaret not run on $s (PYCARET_SKIP)."
    fi
  done
}

speedup_table() {
  local s one two
  echo "## Thread speedup (automl, RAYON_NUM_THREADS=1 vs 2)"
  echo
  echo "| dataset | 1 thread wall s | 2 threads wall s | speedup | ≥ 1.8x |"
  echo "|---|---:|---:|---:|:---:|"
  for s in "${SPEEDUP[@]}"; do
    one=$(median_run "speedup:$s:1" automl_s) two=$(median_run "speedup:$s:2" automl_s)
    if [[ -z $one || -z $two ]]; then
      echo "| $s | failed: $(failed_log "speedup:$s:1")$(failed_log "speedup:$s:2") | | | |"
      continue
    fi
    awk -v name="$s" -v t1="$(field "$one" automl_s)" -v t2="$(field "$two" automl_s)" \
      -v w1="$(wall "speedup:$s:1" automl_s "$(field "$one" automl_s)")" \
      -v w2="$(wall "speedup:$s:2" automl_s "$(field "$two" automl_s)")" 'BEGIN {
        x = t2 > 0 ? t1 / t2 : 0
        printf "| %s | %s | %s | %.2fx | %s |\n", name, w1, w2, x, (x >= 1.8 ? "yes" : "**no**") }'
  done
  echo
  echo "Same command and flags as the table above, automl only; $(nproc) cores on this machine."
}

scaling_table() {
  local r run prev_r="" prev_t="" first_r="" first_t="" last_r="" last_t="" t
  echo "## Scaling (automl on synthetic tables from examples/synth.rs, target y)"
  echo
  echo "| rows | wall s | peak MiB | best (CV RMSE) | slope vs previous |"
  echo "|---:|---:|---:|---|---:|"
  for r in "${ROWS[@]}"; do
    run=$(median_run "scaling:$r" automl_s)
    if [[ -z $run ]]; then
      echo "| $r | failed: $(failed_log "scaling:$r") | | | |"
      prev_r="" prev_t=""
      continue
    fi
    t=$(field "$run" automl_s)
    awk -v r="$r" -v rc="$(commas "$r")" -v t="$t" -v pr="$prev_r" -v pt="$prev_t" \
      -v w="$(wall "scaling:$r" automl_s "$t")" -v m="$(field "$run" automl_mib)" \
      -v b="$(field "$run" automl_best)" -v e="$(field "$run" automl_rmse)" 'BEGIN {
        slope = (pr != "" && pt > 0 && t > 0 && r != pr) ? sprintf("%.2f", log(t / pt) / log(r / pr)) : "–"
        printf "| %s | %s | %s | %s (%s) | %s |\n", rc, w, m, b, e, slope }'
    prev_r=$r prev_t=$t
    [[ -n $first_r ]] || first_r=$r first_t=$t
    last_r=$r last_t=$t
  done
  echo
  if [[ -n $first_r && $first_r != "$last_r" ]]; then
    awk -v r1="$first_r" -v t1="$first_t" -v r2="$last_r" -v t2="$last_t" -v c1="$(commas "$first_r")" \
      -v c2="$(commas "$last_r")" 'BEGIN {
      if (t1 > 0 && t2 > 0) printf "Overall slope from %s to %s rows: %.2f (wall time ∝ rows^%.2f; 1 is linear).\n",
        c1, c2, log(t2 / t1) / log(r2 / r1), log(t2 / t1) / log(r2 / r1) }'
  fi
  echo "Slope: log(wall time ratio) / log(rows ratio) between consecutive sizes."
}

birthdays_line() {
  local run
  echo "## Large table: birthdays (target < 120 s and < 1024 MiB peak)"
  echo
  if [[ " ${SELECTED[*]} " != *" birthdays "* ]]; then
    echo "Not run (birthdays not selected)."
    return
  fi
  run=$(median_run main:birthdays automl_s)
  if [[ -z $run ]]; then
    echo "automl on birthdays failed: $(failed_log main:birthdays)"
    return
  fi
  awk -v s="$(field "$run" automl_s)" -v m="$(field "$run" automl_mib)" \
    -v shape="$(shape "$DATA_DIR/birthdays.csv")" 'BEGIN {
    printf "automl on birthdays (%s): %.1f s wall, %.0f MiB peak: time %s, memory %s.\n", shape, s, m,
      (s < 120 ? "met" : "**not met**"), (m < 1024 ? "met" : "**not met**") }'
}

report() {
  echo "# automl vs PyCaret benchmark"
  echo
  machine
  echo
  main_table
  if ((${#SPEEDUP[@]})); then echo; speedup_table; fi
  if ((${#ROWS[@]})); then echo; scaling_table; fi
  echo
  birthdays_line
}

report >"$WORK/report.md"
cat "$WORK/report.md"
if [[ -n ${OUT:-} ]]; then cp "$WORK/report.md" "$OUT"; note "report written to $OUT"; fi
((FAILED == 0)) || die "some runs failed; their logs are under $WORK/logs"
