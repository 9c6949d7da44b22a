#!/usr/bin/env bash
# The cost of sharding a compare, measured on one machine: the one-machine `automl compare`, then for each N
# the N shards of `automl compare --shard K/N` one after another and `automl merge`, each timed; then
# makespan.py's job-array simulation on the tasks of the N=16 shard set (the largest N when 16 is not given).
# Progress goes to stderr, Markdown tables to stdout.
#
#   benches/shard/run.sh AUTOML_BIN DATA TARGET [N...]      (default N: 1 4 16)
#
# Every run has RAYON_NUM_THREADS unset: each process uses all cores of this machine, as an array task would
# use its allocation; shards run one after another here, so the sum of shard wall times is the cost figure.
#
# Env:
#   AUTOML_ARGS="..."   extra arguments for every compare (and so every shard), e.g. "--ignore logwage"
#   WORKERS="16 64 256" the job-array sizes makespan.py simulates
#   WORK=DIR            scratch folder for run and shard folders and logs [a new temporary folder]
#   KEEP=1              keep the scratch folder (kept anyway when a step fails)
set -euo pipefail
export LC_ALL=C  # decimal points in printf and awk

die() { echo "run.sh: error: $*" >&2; exit 1; }
note() { echo "== $*" >&2; }

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
  exit 0
fi
[[ $# -ge 3 ]] || die "usage: benches/shard/run.sh AUTOML_BIN DATA TARGET [N...]"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
BIN=$1 DATA=$2 TARGET=$3
shift 3
COUNTS=("$@")
[[ ${#COUNTS[@]} -gt 0 ]] || COUNTS=(1 4 16)
for n in "${COUNTS[@]}"; do
  [[ $n =~ ^[1-9][0-9]*$ ]] || die "N must be a whole number from 1, not '$n'"
done
[[ -x $BIN ]] || die "$BIN is not an executable"
[[ -f $DATA ]] || die "$DATA is not a file"
command -v python3 >/dev/null || die "python3 is needed (makespan.py, the leaderboard check)"
read -ra EXTRA <<<"${AUTOML_ARGS:-}"
read -ra WORKER_COUNTS <<<"${WORKERS:-16 64 256}"

unset RAYON_NUM_THREADS
if [[ -n ${WORK:-} ]]; then
  mkdir -p "$WORK"
else
  WORK=$(mktemp -d "${TMPDIR:-/tmp}/automl-shard-bench.XXXXXX")
fi
FAILED=0
cleanup() {
  if [[ $FAILED != 0 || ${KEEP:-0} != 0 ]]; then
    note "scratch folder kept: $WORK"
  else
    rm -rf "$WORK"
  fi
}
trap cleanup EXIT

now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", b - a }'; }

# timed LOG CMD...: runs CMD with its output in LOG and prints its wall seconds; on failure shows the log's tail.
timed() {
  local log=$1 start end
  shift
  start=$(now)
  if ! "$@" >"$log" 2>&1; then
    FAILED=1
    echo "run.sh: failed: $*" >&2
    tail -n 20 "$log" >&2
    exit 1
  fi
  end=$(now)
  elapsed "$start" "$end"
}

# The leaderboard without its timing column, for comparing a merged run with the one-machine run.
board() {
  python3 - "$1" <<'PY'
import csv, sys
rows = list(csv.reader(open(sys.argv[1], newline="")))
keep = [i for i, name in enumerate(rows[0]) if name != "fit_seconds"]
for row in rows:
    print(",".join(row[i] for i in keep))
PY
}

CORES=$(nproc)
ROWS=$(($(wc -l <"$DATA") - 1))
COMPARE=(compare "$DATA" --target "$TARGET" "${EXTRA[@]}" --no-track -q)

note "one-machine compare of $DATA ($ROWS rows) on $CORES cores"
ONE=$(timed "$WORK/one.log" "$BIN" "${COMPARE[@]}" --out "$WORK/one")
board "$WORK/one/leaderboard.csv" >"$WORK/one.board"
note "one machine: $ONE s"

declare -A SUM LONGEST MERGE SAME TASKS INSIDE
for n in "${COUNTS[@]}"; do
  dir=$WORK/shards-$n
  sum=0 longest=0
  for ((k = 0; k < n; k++)); do
    s=$(timed "$WORK/shard-$k-of-$n.log" "$BIN" "${COMPARE[@]}" --shard "$k/$n" --out "$dir")
    note "shard $k/$n: $s s"
    sum=$(awk -v a="$sum" -v b="$s" 'BEGIN { printf "%.3f", a + b }')
    longest=$(awk -v a="$longest" -v b="$s" 'BEGIN { printf "%.3f", (b > a ? b : a) }')
  done
  m=$(timed "$WORK/merge-$n.log" "$BIN" merge "$dir" --out "$WORK/merged-$n" --no-track -q)
  note "merge of $n shards: $m s"
  SUM[$n]=$sum LONGEST[$n]=$longest MERGE[$n]=$m
  if board "$WORK/merged-$n/leaderboard.csv" | cmp -s - "$WORK/one.board"; then SAME[$n]=yes; else SAME[$n]=NO; fi
  # Tasks per shard (min-max, empty shards) and the shards' own `seconds`, summed.
  read -r tasks inside < <(python3 - "$dir" <<'PY'
import glob, json, os, sys
files = sorted(glob.glob(os.path.join(sys.argv[1], "shard-*.json")))
shards = [json.load(open(f)) for f in files]
counts = [len(s["tasks"]) for s in shards]
empty = sum(1 for c in counts if c == 0)
print(f"{min(counts)}-{max(counts)}{f'({empty}_empty)' if empty else ''}", f"{sum(s['seconds'] for s in shards):.3f}")
PY
)
  TASKS[$n]=$tasks INSIDE[$n]=$inside
done

echo "### Sharding cost: $(basename "$DATA") ($ROWS rows, --target $TARGET${EXTRA[*]:+ ${EXTRA[*]}}), $CORES cores"
echo
echo "One-machine \`automl compare\`: **$ONE s** wall. Each shard and merge ran alone with RAYON_NUM_THREADS"
echo "unset (all $CORES cores, as an array task would use its allocation), shards one after another."
echo
echo "| N | sum of shard s | longest shard s | merge s | (sum + merge) / one machine | tasks per shard | sum of shards' own \`seconds\` | merged leaderboard = one-machine |"
echo "|---:|---:|---:|---:|---:|---:|---:|:---:|"
for n in "${COUNTS[@]}"; do
  ratio=$(awk -v s="${SUM[$n]}" -v m="${MERGE[$n]}" -v o="$ONE" 'BEGIN { printf "%.2f", (s + m) / o }')
  printf '| %s | %s | %s | %s | %s | %s | %s | %s |\n' "$n" "${SUM[$n]}" "${LONGEST[$n]}" "${MERGE[$n]}" \
    "$ratio" "${TASKS[$n]//_/ }" "${INSIDE[$n]}" "${SAME[$n]}"
done
echo
echo "Shard and merge seconds are process wall times (start, reading the data, the tasks, writing the file);"
echo "\`seconds\` is what each shard records itself. The leaderboard check leaves out \`fit_seconds\`."

pick=0  # the N=16 shard set, or the largest N when 16 was not run
for n in "${COUNTS[@]}"; do if ((n > pick)); then pick=$n; fi; done
for n in "${COUNTS[@]}"; do if ((n == 16)); then pick=16; fi; done
echo
python3 "$HERE/makespan.py" "$WORK/shards-$pick" --workers "${WORKER_COUNTS[@]}"
