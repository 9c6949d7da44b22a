#!/usr/bin/env bash
# Submits a sharded `automl compare` to Slurm: the compare.sbatch array (one shard a task), then
# merge.sbatch, which starts once every task has succeeded and is cancelled if one fails.
#
#   DATA=/shared/x.csv TARGET=y SHARDS=/shared/shards RUN=/shared/run examples/slurm/submit.sh
#
# Options (before any sbatch options, which go to both jobs, e.g. --partition=cpu --account=me):
#   --shards N    the run's shard count: the array is 0-(N-1)          [default: 4]
#   --only LIST   rerun only these shards of the N (a Slurm index list: 1,3 or 2-5), and the merge
#   --wait        return once the merge has ended, with its exit status
# The jobs' settings come from the environment (DATA, TARGET, SHARDS, RUN, AUTOML, AUTOML_ARGS,
# MERGE_ARGS: see compare.sbatch and merge.sbatch); they run in the current folder, which must be
# on a file system the nodes share, and write their logs there.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
usage() { sed -n '2,/^set -euo/{/^set/d;s/^# \{0,1\}//;p}' "${BASH_SOURCE[0]}" >&2; exit "${1:-2}"; }

shards=4 only="" wait=()
while [ $# -gt 0 ]; do
    case "$1" in
        --shards) shards="${2:-}"; shift 2 || usage ;;
        --shards=*) shards="${1#*=}"; shift ;;
        --only) only="${2:-}"; shift 2 || usage ;;
        --only=*) only="${1#*=}"; shift ;;
        --wait) wait=(--wait); shift ;;
        -h | --help) usage 0 ;;
        *) break ;;
    esac
done
case "$shards" in '' | *[!0-9]* | 0) echo "submit.sh: --shards takes a positive number, not '$shards'" >&2; exit 2 ;; esac

data="${DATA:-data.csv}"
if [ ! -r "$data" ]; then
    echo "submit.sh: cannot read the data '$data' (set DATA to a CSV on a shared path)" >&2
    exit 2
fi

array=(--array="0-$((shards - 1))")
if [ -n "$only" ]; then
    # A partial array: the tasks cannot tell the run's shard count from it, so it is passed on.
    array=(--array="$only")
    export AUTOML_SHARDS="$shards"
else
    unset AUTOML_SHARDS # the whole array: the tasks take the shard count from it
fi
if [ -z "$only" ] && compgen -G "${SHARDS:-shards}/shard-*-of-*.json" >/dev/null; then
    echo "submit.sh: note: ${SHARDS:-shards} already holds shard files; the ones this run writes replace" \
        "theirs, and any others (another shard count) make the merge fail" >&2
fi

# --parsable prints "jobid" (or "jobid;cluster").
compare_id="$(sbatch --parsable "${array[@]}" "$@" "$here/compare.sbatch")"
compare_id="${compare_id%%;*}"
echo "compare: array job $compare_id (${array[0]#--array=} of $shards shards) -> ${SHARDS:-shards}"

merge_args=(--parsable --dependency="afterok:$compare_id" --kill-on-invalid-dep=yes "$@" "$here/merge.sbatch")
rerun_help() {
    cat <<MSG
If a shard fails, the merge is cancelled. The tasks' logs are automl-compare-${compare_id}_K.log; list
the failed ones with   sacct -X -j $compare_id -o JobID,State   (or run the merge: it names the
missing --shard K/N). Rerun just those, with the same environment, and a new merge after them:
  $here/submit.sh --shards $shards --only K1,K2
or by hand:
  id=\$(AUTOML_SHARDS=$shards sbatch --parsable --array=K1,K2 $here/compare.sbatch)
  sbatch --dependency=afterok:\${id%%;*} --kill-on-invalid-dep=yes $here/merge.sbatch
MSG
}
if [ ${#wait[@]} -eq 0 ]; then
    merge_id="$(sbatch "${merge_args[@]}")"
    echo "merge:   job ${merge_id%%;*}, once every compare task has succeeded -> ${RUN:-run}"
    rerun_help
    exit 0
fi
rerun_help
echo "merge:   submitting it, and waiting for it to end ..."
# sbatch --wait blocks until the job ends and exits with its exit code, but with 0 for a job that
# never ran (cancelled when a shard failed), so the job's final state is asked for too.
rc=0
merge_id="$(sbatch --wait "${merge_args[@]}")" || rc=$?
merge_id="${merge_id%%;*}"
state="$(scontrol show job -o "$merge_id" 2>/dev/null | grep -o 'JobState=[A-Z_]*\( Reason=[^ ]*\)\{0,1\}')" \
    || state="$(sacct -n -X -P -j "$merge_id" -o State 2>/dev/null | head -n 1)" || state=""
state="${state#JobState=}"
if [ "$rc" -ne 0 ] || { [ -n "$state" ] && [ "${state%% *}" != COMPLETED ]; }; then
    echo "submit.sh: merge job $merge_id did not complete (exit $rc${state:+, $state}); see the jobs' logs" >&2
    exit $((rc == 0 ? 1 : rc))
fi
echo "merge:   job $merge_id completed -> ${RUN:-run}"
