#!/usr/bin/env bash
# Three promotes into the MLflow Model Registry, read back with the real MLflow client:
#   1. a decision tree  -> version 1, registered and made champion        (exit 0)
#   2. the mean baseline, worse -> version 2, champion stays on 1          (exit 3)
#   3. ridge regression, better -> version 3, champion; 1 previous-champion (exit 0)
# all trained on the first 350 rows of datasets/diabetes.csv and judged on the other 92. Then
# predict and serve through models:/NAME@champion and models:/NAME/N, and examples/pipeline/
# pipeline.sh twice against the same store (a first registration, then a challenger that loses).
#
# usage: tests/registry/three_promotes.sh AUTOML_BIN SCRATCH (--tracking-uri URI | --tracking-dir DIR)
# env:   MLFLOW_PYTHON  python with mlflow (default ~/.cache/automl-mlflow-3.17.2/bin/python)
#        NAME           registered model name (default diabetes-<time>-<pid>: a fresh one per run)
#
# Validation RMSE of the three on those 92 rows (automl 0.x, seed 42): dt stack ~63, mean ~80,
# ridge ~53; the margins are far wider than any default --min-improvement.
set -euo pipefail

usage() { echo "usage: $0 AUTOML_BIN SCRATCH (--tracking-uri URI | --tracking-dir DIR)" >&2; exit 2; }
[ $# -eq 4 ] || usage
case "$1" in
    */*) automl="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")" ;;
    *) automl="$(command -v "$1" || true)" ;;
esac
scratch="$2"
case "$3" in
    --tracking-uri) store=(--tracking-uri "$4"); check_uri="$4"; store_env=(MLFLOW_TRACKING_URI="$4") ;;
    --tracking-dir)
        mkdir -p "$4"
        dir="$(cd "$4" && pwd)"
        store=(--tracking-dir "$dir"); check_uri="$dir"; store_env=(AUTOML_TRACKING_DIR="$dir")
        ;;
    *) usage ;;
esac
if [ -z "$automl" ] || [ ! -x "$automl" ]; then echo "no automl binary at $1" >&2; exit 2; fi
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
python="${MLFLOW_PYTHON:-$HOME/.cache/automl-mlflow-3.17.2/bin/python}"
name="${NAME:-diabetes-$(date +%s)-$$}"
# The store comes from the flags alone: no variable from the caller's environment competes.
unset MLFLOW_TRACKING_URI AUTOML_TRACKING_DIR

fail() { echo "FAIL: $*" >&2; exit 1; }
mkdir -p "$scratch"
cd "$scratch"

echo "== diabetes.csv split: train.csv (rows 1-350), valid.csv (rows 351-442)"
awk 'NR <= 351' "$root/datasets/diabetes.csv" >train.csv
awk 'NR == 1 || NR > 351' "$root/datasets/diabetes.csv" >valid.csv
[ "$(wc -l <valid.csv)" -eq 93 ] || fail "valid.csv: $(wc -l <valid.csv) lines, not 93"

# promote.json's field, with any python (the MLflow venv's will do).
field() { "$python" -c 'import json, sys; v = json.load(open(sys.argv[1]))[sys.argv[2]]; print("null" if v is None else v)' "$1" "$2"; }

# step N INCLUDE EXPECTED_EXIT DECISION CHAMPION_VERSION COMPARISON [PREVIOUS_CHAMPION]
step() {
    local n="$1" include="$2" want="$3" decision="$4" champion="$5" comparison="$6" previous="${7:-}"
    echo "== challenger $n: compare --include $include, then promote (expect exit $want, $decision)"
    "$automl" compare train.csv --target progression --include "$include" -q --out "run-$n" \
        "${store[@]}" >"compare-$n.log" 2>&1 || { cat "compare-$n.log" >&2; fail "compare $n"; }
    local code=0
    "$automl" promote --model "run-$n" --name "$name" --data valid.csv --out "promote-$n" \
        "${store[@]}" >"promote-$n.log" 2>&1 || code=$?
    cat "promote-$n.log"
    [ "$code" -eq "$want" ] || fail "promote $n: exit $code, not $want"
    local json="promote-$n/promote.json"
    [ -f "$json" ] || fail "no $json"
    [ "$(field "$json" decision)" = "$decision" ] || fail "$json: decision $(field "$json" decision), not $decision"
    [ "$(field "$json" version)" = "$n" ] || fail "$json: version $(field "$json" version), not $n"
    [ "$(field "$json" champion_version)" = "$champion" ] \
        || fail "$json: champion_version $(field "$json" champion_version), not $champion"
    [ "$(field "$json" comparison)" = "$comparison" ] \
        || fail "$json: comparison '$(field "$json" comparison)', not '$comparison'"
    if [ -n "$previous" ]; then
        [ "$(field "$json" previous_champion)" = "$previous" ] \
            || fail "$json: previous_champion $(field "$json" previous_champion), not $previous"
    fi
    echo "ok: version $n, $decision; challenger $(field "$json" challenger_score), champion $(field "$json" champion_score) ($(field "$json" metric))"
}

# The first has no champion to be compared with.
step 1 dt 0 promoted 1 "no champion" null
step 2 mean 3 kept 1 "validation data"
step 3 ridge 0 promoted 3 "validation data" 1

echo "== the registry, read by MLflow's own client"
"$python" "$here/check_registry.py" --tracking-uri "$check_uri" --name "$name" \
    --champion 3 --versions 3 --previous-champion 1 --metric "$(field promote-3/promote.json metric)"

echo "== predict through the registry: models:/$name@champion is run 3's model, models:/$name/1 run 1's"
"$automl" predict --model "models:/$name@champion" valid.csv "${store[@]}" >champion.csv
[ "$(($(wc -l <champion.csv) - 1))" -eq 92 ] || fail "models:/$name@champion: $(($(wc -l <champion.csv) - 1)) predictions, not 92"
"$automl" predict --model run-3 valid.csv >run-3.csv
cmp champion.csv run-3.csv || fail "models:/$name@champion predicts other than run-3's model"
"$automl" predict --model "models:/$name/1" valid.csv "${store[@]}" >version-1.csv
"$automl" predict --model run-1 valid.csv >run-1.csv
cmp version-1.csv run-1.csv || fail "models:/$name/1 predicts other than run-1's model"
echo "ok: 92 predictions, the champion's and version 1's"

echo "== serve models:/$name@champion"
"$automl" serve --model "models:/$name@champion" --port 0 "${store[@]}" >serve.log 2>&1 &
serve_pid=$!
trap 'kill "$serve_pid" 2>/dev/null || true' EXIT
url=""
for _ in $(seq 300); do
    url="$(grep -o 'http://[0-9.:]*' serve.log | head -1 || true)"
    [ -n "$url" ] && break
    kill -0 "$serve_pid" 2>/dev/null || break
    sleep 0.1
done
[ -n "$url" ] || { cat serve.log >&2; fail "serve did not start"; }
curl -fsS "$url/ping" >/dev/null || fail "GET /ping"
# Three rows without the target column.
head -4 valid.csv | cut -d, -f1-10 | curl -fsS -H 'Content-Type: text/csv' --data-binary @- "$url/invocations" >served.json \
    || fail "POST /invocations"
"$python" - served.json run-3.csv <<'EOF' || fail "served predictions differ from run 3's"
import csv, json, sys
served = json.load(open(sys.argv[1]))["predictions"]
local = [float(r["prediction"]) for r in csv.DictReader(open(sys.argv[2]))][:3]
assert len(served) == 3 and all(abs(a - b) <= 1e-9 * max(1.0, abs(b)) for a, b in zip(served, local)), (served, local)
EOF
kill -TERM "$serve_pid"
wait "$serve_pid" || true
trap - EXIT
echo "ok: /ping, and /invocations answers as run 3's model"

echo "== examples/pipeline/pipeline.sh: a first registration, image context only (BUILD_IMAGE=0)"
run_pipeline() {
    local code=0
    env "${store_env[@]}" TRAIN=train.csv VALID=valid.csv TARGET=progression NAME="$name-pipeline" \
        AUTOML="$automl" BUILD_IMAGE=0 WORK="$scratch/pipeline-$1" COMPARE_ARGS="--include $2" \
        bash "$root/examples/pipeline/pipeline.sh" >"pipeline-$1.log" 2>&1 || code=$?
    [ "$code" -eq 0 ] || { cat "pipeline-$1.log" >&2; fail "pipeline.sh ($1): exit $code"; }
    cat "pipeline-$1.log"
}
run_pipeline first ridge
[ "$(field pipeline-first/promote.json decision)" = promoted ] || fail "pipeline first: not promoted"
[ "$(field pipeline-first/promote.json version)" = 1 ] || fail "pipeline first: not version 1"
for f in Dockerfile automl model.automl; do
    [ -f "pipeline-first/image/$f" ] || fail "pipeline first: no image/$f"
done
cmp pipeline-first/image/model.automl pipeline-first/run/model.automl
"pipeline-first/image/automl" --version
echo "ok: promoted, build context complete"

echo "== pipeline.sh again, with a challenger that loses: the champion is kept, exit 0, no context"
run_pipeline second mean
[ "$(field pipeline-second/promote.json decision)" = kept ] || fail "pipeline second: not kept"
[ "$(field pipeline-second/promote.json version)" = 2 ] || fail "pipeline second: not version 2"
[ ! -e pipeline-second/image ] || fail "pipeline second: an image context for a champion kept"
grep -q 'champion kept' pipeline-second.log || fail "pipeline second: no 'champion kept' line"
"$python" "$here/check_registry.py" --tracking-uri "$check_uri" --name "$name-pipeline" \
    --champion 1 --versions 2 --no-previous-champion
echo "== three promotes: all checks passed"
