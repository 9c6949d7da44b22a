#!/usr/bin/env bash
# The Slurm and Kubernetes examples, checked for real. A one-node Slurm (.ci/slurm.sh) runs
# examples/slurm/submit.sh: its 4-task compare array and the dependent merge must give the
# leaderboard a one-machine compare scoring every fold gives (--full-cv: shards never race), all
# but the last column, fit_seconds; a rerun of one lost shard alone (submit.sh --only) must give it again; failing shards must cancel the merge and
# fail submit.sh --wait. The example scripts must be shellcheck-clean, and the Kubernetes
# manifests valid against the 1.30 schemas, offline (.ci/k8s_validate.sh).
#   usage: .ci/slurm_check.sh AUTOML_BIN SCRATCH_DIR      (as root: it starts munged and Slurm)
set -euo pipefail
if [ $# -ne 2 ]; then echo "usage: $0 AUTOML_BIN SCRATCH_DIR" >&2; exit 2; fi
repo="$(cd "$(dirname "$0")/.." && pwd)"
bin="$(realpath "$1")"
if [ ! -x "$bin" ]; then echo "$0: no automl binary at $1" >&2; exit 2; fi
mkdir -p "$2"
scratch="$(cd "$2" && pwd)"
# shellcheck source=.ci/slurm.sh
. "$repo/.ci/slurm.sh"
# shellcheck source=.ci/k8s_validate.sh
. "$repo/.ci/k8s_validate.sh"

since() { awk -v a="$1" -v b="$EPOCHREALTIME" 'BEGIN { printf "%.1f", b - a }'; }
logs() {
    local f
    for f in "$scratch"/automl-*.log; do
        if [ -r "$f" ]; then echo "---- $f" >&2; cat "$f" >&2; fi
    done
    squeue >&2 || true
}

data="$repo/datasets/diabetes.csv"
target=progression
include=ridge,dt,gbm,knn,mean
rm -rf "$scratch"/{one,shards,merged,shards-bad,merged-bad} "$scratch"/automl-*.log

start=$EPOCHREALTIME
trap slurm_down EXIT
slurm_up "$scratch/slurm"
echo "== slurm up in $(since "$start") s: $(sinfo -h -o '%P %D %c %T')"

t=$EPOCHREALTIME
"$bin" compare "$data" --target "$target" --include "$include" --no-track -q --full-cv --out "$scratch/one" >/dev/null
echo "== one-machine compare in $(since "$t") s"

# The leaderboard the merge wrote equals the one-machine one but for its last column, fit_seconds.
same_leaderboard() {
    python3 - "$scratch/one/leaderboard.csv" "$scratch/merged/leaderboard.csv" <<'PY'
import csv, sys
one, merged = ([row for row in csv.reader(open(p, newline=""))] for p in sys.argv[1:])
for name, rows in (("one-machine", one), ("merged", merged)):
    if len(rows) < 2 or rows[0][-1] != "fit_seconds":
        sys.exit(f"{name} leaderboard: no rows, or its last column is not fit_seconds: {rows[:1]}")
one, merged = [r[:-1] for r in one], [r[:-1] for r in merged]
if one != merged:
    for i, (a, b) in enumerate(zip(one, merged)):
        if a != b:
            sys.exit(f"leaderboards differ first at line {i + 1}:\n  one:    {a}\n  merged: {b}")
    sys.exit(f"leaderboards differ in length: {len(one)} vs {len(merged)} lines")
print(f"leaderboard: the merged run's {len(merged) - 1} rows equal the one-machine run's")
PY
}

# The example as a user runs it: settings from the environment, jobs running (and logging) in
# the current folder; --wait blocks until the merge has ended. One CPU a task: the node has few.
export DATA="$data" TARGET="$target" SHARDS="$scratch/shards" RUN="$scratch/merged" AUTOML="$bin" \
    AUTOML_ARGS="--include $include"
unset MERGE_ARGS AUTOML_SHARDS
cd "$scratch"
t=$EPOCHREALTIME
timeout 300 "$repo/examples/slurm/submit.sh" --wait --cpus-per-task=1 || { logs; exit 1; }
echo "== submit.sh: 4 compare tasks and the merge in $(since "$t") s"
for k in 0 1 2 3; do
    [ -s "$scratch/shards/shard-000$k-of-0004.json" ] || { echo "shard $k/4 missing" >&2; logs; exit 1; }
done
for f in model.automl report.html; do
    [ -s "$scratch/merged/$f" ] || { echo "the merge wrote no $f" >&2; logs; exit 1; }
done
same_leaderboard || { logs; exit 1; }

# Rerunning one lost shard: the merge fails, naming it; submit.sh --only reruns it alone.
rm "$scratch/shards/shard-0002-of-0004.json" "$scratch/merged/leaderboard.csv"
code=0
"$bin" merge "$scratch/shards" --out "$scratch/merged" --no-track -q >"$scratch/merge-missing.out" 2>&1 || code=$?
if [ "$code" -ne 2 ] || ! grep -q -- '--shard 2/4' "$scratch/merge-missing.out"; then
    echo "a merge without shard 2 should exit 2 naming --shard 2/4; it exited $code:" >&2
    cat "$scratch/merge-missing.out" >&2
    exit 1
fi
t=$EPOCHREALTIME
timeout 300 "$repo/examples/slurm/submit.sh" --wait --only 2 --cpus-per-task=1 || { logs; exit 1; }
echo "== submit.sh --only 2: the lost shard and the merge in $(since "$t") s"
[ -s "$scratch/shards/shard-0002-of-0004.json" ] || { echo "shard 2/4 not rerun" >&2; logs; exit 1; }
same_leaderboard || { logs; exit 1; }

# A failing shard (an unknown algorithm: exit 2) cancels the merge, and submit.sh --wait fails.
t=$EPOCHREALTIME
code=0
SHARDS="$scratch/shards-bad" RUN="$scratch/merged-bad" AUTOML_ARGS="--include nope" \
    timeout 300 "$repo/examples/slurm/submit.sh" --wait --shards 2 --cpus-per-task=1 >"$scratch/submit-bad.out" 2>&1 \
    || code=$?
if [ "$code" -eq 0 ] || [ "$code" -eq 124 ] || ! grep -q 'DependencyNeverSatisfied' "$scratch/submit-bad.out" \
    || [ -e "$scratch/merged-bad" ]; then
    echo "with failing shards, submit.sh --wait should fail (the merge cancelled); it exited $code:" >&2
    cat "$scratch/submit-bad.out" >&2
    logs
    exit 1
fi
echo "== failing shards: the merge cancelled, submit.sh exit $code, in $(since "$t") s"
cd "$repo"

t=$EPOCHREALTIME
slurm_down
trap - EXIT
echo "== slurm down in $(since "$t") s"

if ! command -v shellcheck >/dev/null; then
    echo "== installing shellcheck"
    apt_install "$scratch/shellcheck-apt.log" shellcheck
fi
shellcheck -x examples/slurm/submit.sh examples/slurm/*.sbatch .ci/slurm_check.sh
k8s_validate examples/kubernetes/*.yaml
echo "OK: the Slurm example's merge equals the one-machine compare; the Kubernetes manifests validate ($(since "$start") s)"
