#!/usr/bin/env bash
# Issue 18's size targets: `automl compare` on large and wide synthetic tables, each run timed with
# /usr/bin/time -v (wall seconds, peak resident memory) and checked against its target. Progress goes
# to stderr, Markdown to stdout: per table a section with its row, the top 5 algorithms by summed task
# seconds and benches/schedule/simulate.py's prediction for 2, 16 and 64 workers; then a summary table.
#
#   benches/scale/run.sh [NAME...]        (default: wide50 onehot20k s270k s1m, in that order)
#
#   wide50     synth_wide 50 3000 OUT 42            50 rows x 3,001 columns       target 10 s
#   onehot20k  synth_wide 20000 20 OUT 42 40 12     20,000 rows x 61 columns      target 60 s
#   s270k      synth 270000 OUT 42 1                270,000 rows x 13 columns     target 150 s, 1024 MiB
#   s1m        synth 1000000 OUT 42 8               1,000,000 rows x 20 columns   target 300 s, 2048 MiB
#
# Env:
#   AUTOML_BIN=PATH   use this automl binary; without it the script runs
#                     `cargo build --release --locked --bin automl --example synth --example synth_wide`
#                     (with it, the two generators are built only when a table has to be written)
#   AUTOML_ARGS="..." extra arguments for every compare, e.g. "--exclude knn"
#   TMPDIR            the scratch folder is ${TMPDIR:-/tmp}/automl-scale: tables (data/, written once
#                     and reused; a table's file name holds its generator arguments), the last run of
#                     each name (runs/NAME) and its logs (logs/)
#   SCALE_SMALL=1     smoke test: every table shrunk to at most 2,000 rows x 50 columns, to check the
#                     script end to end (about 2 minutes of compares on 2 cores); its figures say
#                     nothing about the targets, and its verdicts are marked "(smoke)"
set -euo pipefail
export LC_ALL=C # decimal points in printf and awk

die() { echo "run.sh: error: $*" >&2; exit 1; }
note() { echo "== $*" >&2; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
  exit 0
fi

ALL=(wide50 onehot20k s270k s1m)
NAMES=("$@")
[[ ${#NAMES[@]} -gt 0 ]] || NAMES=("${ALL[@]}")
for name in "${NAMES[@]}"; do
  [[ " ${ALL[*]} " == *" $name "* ]] || die "unknown table '$name' (known: ${ALL[*]})"
done

SMALL=${SCALE_SMALL:-0}
[[ $SMALL == 0 || $SMALL == 1 ]] || die "SCALE_SMALL must be 0 or 1, not '$SMALL'"

# Per name: the generator (an example), its arguments and the target (seconds; MiB, or - for none).
declare -A GEN ARGS SECONDS_TARGET MIB_TARGET
GEN[wide50]=synth_wide GEN[onehot20k]=synth_wide GEN[s270k]=synth GEN[s1m]=synth
SECONDS_TARGET[wide50]=10 MIB_TARGET[wide50]=-
SECONDS_TARGET[onehot20k]=60 MIB_TARGET[onehot20k]=-
SECONDS_TARGET[s270k]=150 MIB_TARGET[s270k]=1024
SECONDS_TARGET[s1m]=300 MIB_TARGET[s1m]=2048
# The generator's arguments, with OUT standing for the output file.
if [[ $SMALL == 1 ]]; then
  ARGS[wide50]="50 49 OUT 42"                 # 50 rows x 50 columns
  ARGS[onehot20k]="1000 10 OUT 42 10 8"       # 1,000 rows x 21 columns
  ARGS[s270k]="2000 OUT 42 1"                 # 2,000 rows x 13 columns
  ARGS[s1m]="2000 OUT 42 8"                   # 2,000 rows x 20 columns
else
  ARGS[wide50]="50 3000 OUT 42"
  ARGS[onehot20k]="20000 20 OUT 42 40 12"
  ARGS[s270k]="270000 OUT 42 1"
  ARGS[s1m]="1000000 OUT 42 8"
fi

command -v python3 >/dev/null || die "python3 is needed (leaderboard, timings, simulate.py)"
[[ -x /usr/bin/time ]] || die "/usr/bin/time is needed (GNU time, for -v)"
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
SIMULATE=$ROOT/benches/schedule/simulate.py
[[ -f $SIMULATE ]] || die "$SIMULATE is missing"
read -ra EXTRA <<<"${AUTOML_ARGS:-}"

target_dir() {
  (cd "$ROOT" && cargo metadata --format-version 1 --no-deps) |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])'
}

if [[ -n ${AUTOML_BIN:-} ]]; then
  BIN=$AUTOML_BIN
  [[ $BIN == */* ]] || BIN=$(command -v "$BIN") || die "AUTOML_BIN=$AUTOML_BIN: not found"
  BIN=$(cd "$(dirname "$BIN")" && pwd)/$(basename "$BIN")
  BUILT_GENERATORS=0
else
  note "cargo build --release --locked --bin automl --example synth --example synth_wide"
  (cd "$ROOT" && cargo build --release --locked --bin automl --example synth --example synth_wide) >&2
  BIN=$(target_dir)/release/automl
  BUILT_GENERATORS=1
fi
[[ -x $BIN ]] || die "$BIN is not an executable"
"$BIN" compare --help | grep -q -- --timings || die "$BIN compare has no --timings option (too old?)"

SCRATCH=${TMPDIR:-/tmp}/automl-scale
mkdir -p "$SCRATCH/data" "$SCRATCH/runs" "$SCRATCH/logs"

# table_path NAME: where NAME's table lives; the file name holds the generator and its arguments.
table_path() {
  local file=$SCRATCH/data/${GEN[$1]} arg args
  read -ra args <<<"${ARGS[$1]}"
  for arg in "${args[@]}"; do
    [[ $arg == OUT ]] || file=$file-$arg
  done
  echo "$file.csv"
}

# Every table that is asked for and not there yet is written now (a present one is reused).
declare -A DATA
for name in "${NAMES[@]}"; do
  DATA[$name]=$(table_path "$name")
  if [[ -s ${DATA[$name]} ]]; then
    continue
  fi
  if [[ $BUILT_GENERATORS == 0 ]]; then
    note "cargo build --release --locked --example synth --example synth_wide"
    (cd "$ROOT" && cargo build --release --locked --example synth --example synth_wide) >&2
    BUILT_GENERATORS=1
  fi
  read -ra args <<<"${ARGS[$name]}"
  # Written under another name first: an interrupted run leaves no half table to be reused.
  tmp=${DATA[$name]}.partial
  note "$name: writing ${DATA[$name]} (${GEN[$name]} ${args[*]/OUT/FILE})"
  "$(target_dir)/release/examples/${GEN[$name]}" "${args[@]/OUT/$tmp}"
  mv "$tmp" "${DATA[$name]}"
done

# seconds H:MM:SS.ss or M:SS.ss (time -v's "Elapsed (wall clock) time") as seconds.
wall_seconds() {
  awk -F': ' '/Elapsed \(wall clock\) time/ {
    n = split($NF, p, ":"); s = 0
    for (i = 1; i <= n; i++) s = s * 60 + p[i]
    printf "%.2f", s }' "$1"
}
peak_mib() {
  awk -F': ' '/Maximum resident set size/ { printf "%.0f", $NF / 1024 }' "$1"
}

# best DIR: model, params and rmse_mean of the leaderboard's first row, separated by US (\x1f): params may be empty.
best() {
  python3 - "$1/leaderboard.csv" <<'PY'
import csv, sys
with open(sys.argv[1], newline="") as f:
    row = next(csv.DictReader(f))
print(row["model"], row["params"].replace("|", "\\|"), row["rmse_mean"], sep="\x1f")
PY
}

# top5 TIMINGS: a Markdown table of the 5 algorithms with the most summed fold-task seconds.
top5() {
  python3 - "$1" <<'PY'
import csv, sys
totals, tasks = {}, {}
with open(sys.argv[1], newline="") as f:
    for row in csv.DictReader(f):
        if row["phase"] != "sweep":
            continue
        algo = row["work"].split("(", 1)[0]
        totals[algo] = totals.get(algo, 0.0) + float(row["seconds"])
        tasks[algo] = tasks.get(algo, 0) + 1
work = sum(totals.values()) or 1.0
print("| algorithm | task s | share | tasks |")
print("|---|---:|---:|---:|")
for algo, s in sorted(totals.items(), key=lambda kv: -kv[1])[:5]:
    print(f"| {algo} | {s:.2f} | {s / work * 100:.1f}% | {tasks[algo]} |")
PY
}

HEADER="| table | rows x columns | wall s | peak MiB | target | verdict | best model | CV RMSE |"
RULE="|---|---:|---:|---:|---|---|---|---:|"
ROWS_OUT=()
FAILED=0

echo "## Scale targets (issue 18)"
echo
echo "$(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo),"
echo "\`$BIN\`${EXTRA[*]:+, AUTOML_ARGS: \`${EXTRA[*]}\`}${RAYON_NUM_THREADS:+, RAYON_NUM_THREADS=$RAYON_NUM_THREADS}."
if [[ $SMALL == 1 ]]; then
  echo
  echo "**SCALE_SMALL=1: smoke test on shrunk tables; the verdicts do not measure the targets.**"
fi

for name in "${NAMES[@]}"; do
  data=${DATA[$name]}
  rows=$(($(wc -l <"$data") - 1))
  cols=$(head -n 1 "$data" | awk -F, '{ print NF }')
  out=$SCRATCH/runs/$name
  log=$SCRATCH/logs/$name.compare.log
  timelog=$SCRATCH/logs/$name.time
  rm -rf "$out"
  mkdir -p "$out"
  note "$name: compare $data ($rows rows x $cols columns)"
  rc=0
  /usr/bin/time -v -o "$timelog" "$BIN" compare "$data" --target y "${EXTRA[@]}" --no-track --quiet \
    --out "$out" --timings "$out/timings.csv" >"$log" 2>&1 || rc=$?

  secs=${SECONDS_TARGET[$name]} mib=${MIB_TARGET[$name]}
  target="$secs s"
  [[ $mib == - ]] || target="$target, $mib MiB"
  wall=$(wall_seconds "$timelog")
  peak=$(peak_mib "$timelog")
  if [[ $rc != 0 ]]; then
    FAILED=1
    echo "run.sh: $name: compare failed (exit $rc); log: $log" >&2
    tail -n 20 "$log" >&2
    verdict="failed (exit $rc)" model="-" rmse="-"
  else
    if awk -v w="$wall" -v s="$secs" -v p="$peak" -v m="$mib" \
      'BEGIN { exit !(w <= s && (m == "-" || p <= m)) }'; then
      verdict=met
    else
      verdict="not met"
    fi
    [[ $SMALL == 0 ]] || verdict="$verdict (smoke)"
    IFS=$'\x1f' read -r model params rmse < <(best "$out")
    model="\`$model $params\`"
    rmse=$(awk -v r="$rmse" 'BEGIN { printf "%.4f", r }')
  fi
  row="| $name | $rows x $cols | ${wall:-?} | ${peak:-?} | $target | $verdict | $model | $rmse |"
  ROWS_OUT+=("$row")
  note "$name: ${wall:-?} s, ${peak:-?} MiB: $verdict"

  echo
  echo "### $name: $(basename "$data")"
  echo
  echo "$HEADER"
  echo "$RULE"
  echo "$row"
  if [[ $rc == 0 ]]; then
    echo
    echo "Top 5 algorithms by summed fold-task seconds:"
    echo
    top5 "$out/timings.csv"
    echo
    echo '```'
    python3 "$SIMULATE" "$out/timings.csv" --workers 2,16,64 || FAILED=1
    echo '```'
  fi
done

echo
echo "### Summary"
echo
echo "$HEADER"
echo "$RULE"
printf '%s\n' "${ROWS_OUT[@]}"
echo
echo "Wall and peak memory: /usr/bin/time -v of the whole \`automl compare\` process. Runs, logs and tables: $SCRATCH."
exit "$FAILED"
