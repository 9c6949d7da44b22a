#!/usr/bin/env bash
# Train, gate and package: the one script that both CI examples (github-actions.yml,
# azure-pipelines.yml) call.
#
#   1. `automl compare` trains a challenger on TRAIN, logged to the tracking store;
#   2. `automl promote` registers it as a new version of the registered model NAME, scores it
#      against the version the alias `champion` points at (on VALID), and moves `champion` to
#      it only when it wins;
#   3. when it won: a Docker build context with the automl binary and the model
#      (WORK/image: Dockerfile, automl, model.automl), and with BUILD_IMAGE=1 the image itself.
#
# A challenger that loses is not a failure: the champion is kept and the script exits 0.
# promote.json in WORK says which happened (decision: promoted | kept); the CI files read it.
#
# Settings, from the environment:
#   TRAIN, VALID   training CSV, held-out validation CSV (with the target column)   required
#   TARGET         the column to predict                                            required
#   NAME           the registered model's name                                      required
#   AUTOML         the automl binary (default: automl on PATH)
#   MLFLOW_TRACKING_URI (http://HOST:PORT) or AUTOML_TRACKING_DIR (a file store; default ./mlruns):
#                  where compare logs the run and where the Model Registry lives
#   WORK           working folder: run/, promote.json, image/ (default ./automl-pipeline)
#   COMPARE_ARGS   more compare options, e.g. "--include ridge,gbm --folds 10"
#   PROMOTE_ARGS   more promote options, e.g. "--metric mae --min-improvement 1%"
#   BUILD_IMAGE    1: docker build the image from the context (default 0: context only)
#   IMAGE          the image's tag (default automl-serve:v<version>)
#   DOCKER_BUILD_ARGS  more `docker build` options, e.g. "--network host --pull"
#   SERVE_BINARY   the binary copied into the image (default: AUTOML). It must run on
#                  debian:bookworm-slim: a static binary, or one linked against glibc <= 2.36
#                  (the Dockerfile runs `automl --version`, so a build fails when it cannot).
#
# Exit codes: 0 promoted (image context written / image built) or champion kept; 1 anything else.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

fail() { echo "pipeline: $*" >&2; exit 1; }

: "${TRAIN:?set TRAIN to the training CSV}"
: "${VALID:?set VALID to the validation CSV}"
: "${TARGET:?set TARGET to the target column}"
: "${NAME:?set NAME to the registered model name}"
AUTOML="${AUTOML:-automl}"
WORK="${WORK:-$PWD/automl-pipeline}"
BUILD_IMAGE="${BUILD_IMAGE:-0}"
IMAGE="${IMAGE:-}"
read -r -a compare_args <<<"${COMPARE_ARGS:-}"
read -r -a promote_args <<<"${PROMOTE_ARGS:-}"
read -r -a docker_args <<<"${DOCKER_BUILD_ARGS:-}"

command -v "$AUTOML" >/dev/null || fail "no automl binary at '$AUTOML' (set AUTOML)"
AUTOML="$(command -v "$AUTOML")"
SERVE_BINARY="${SERVE_BINARY:-$AUTOML}"
[ -f "$TRAIN" ] || fail "TRAIN: no file '$TRAIN'"
[ -f "$VALID" ] || fail "VALID: no file '$VALID'"

# automl reads both variables itself (MLFLOW_TRACKING_URI first); say which store this run uses.
uri="${MLFLOW_TRACKING_URI:-}"
if [[ "$uri" == *://* && "$uri" != file:* ]]; then
    # Never print a server's URI: CI passes it as a secret and it may carry credentials.
    echo "== tracking and registry: the server in MLFLOW_TRACKING_URI"
elif [ -n "$uri" ]; then
    echo "== tracking and registry: the file store $uri"
else
    echo "== tracking and registry: the file store ${AUTOML_TRACKING_DIR:-./mlruns}"
fi

# A fresh working folder each time: a model or promote.json left from an earlier run must never be
# mistaken for this one's.
rm -rf "$WORK/run" "$WORK/image" "$WORK/promote.json"
mkdir -p "$WORK"

echo "== compare: $TRAIN, target $TARGET"
"$AUTOML" compare "$TRAIN" --target "$TARGET" --out "$WORK/run" -q "${compare_args[@]}"

echo "== promote: $WORK/run as a new version of '$NAME', judged on $VALID"
code=0
"$AUTOML" promote --model "$WORK/run" --name "$NAME" --data "$VALID" --out "$WORK" \
    "${promote_args[@]}" || code=$?

case "$code" in
    0) ;;
    3)
        echo "== champion kept: the challenger did not beat it ($WORK/promote.json); nothing to build"
        exit 0
        ;;
    2) fail "promote: bad input (exit 2)" ;;
    *) fail "promote failed (exit $code)" ;;
esac

# Exit 0: the challenger is the champion now. promote.json says which version it is.
[ -f "$WORK/promote.json" ] || fail "promote exited 0 but wrote no $WORK/promote.json"
field() {
    python3 -c 'import json, sys; v = json.load(open(sys.argv[1])).get(sys.argv[2]); print("" if v is None else v)' \
        "$WORK/promote.json" "$1"
}
decision="$(field decision)"
version="$(field version)"
[ "$decision" = promoted ] || fail "promote exited 0 but promote.json says decision '$decision'"
echo "== promoted: '$NAME' version $version is the champion"

# The build context: the Dockerfile, the binary and the champion's model file, nothing else.
model="$WORK/run/model.automl"
[ -f "$model" ] || fail "no model file $model"
mkdir -p "$WORK/image"
cp "$here/Dockerfile" "$WORK/image/Dockerfile"
cp "$SERVE_BINARY" "$WORK/image/automl"
chmod 0755 "$WORK/image/automl"
# Debug information is most of a release binary's size and no use in the image.
if command -v strip >/dev/null; then strip --strip-debug "$WORK/image/automl" 2>/dev/null || true; fi
cp "$model" "$WORK/image/model.automl"
printf '%s\n' "$version" >"$WORK/image/VERSION"
echo "== build context: $WORK/image"

if [ "$BUILD_IMAGE" = 1 ]; then
    IMAGE="${IMAGE:-automl-serve:v$version}"
    echo "== docker build $IMAGE"
    docker build --build-arg "MODEL_NAME=$NAME" --build-arg "MODEL_VERSION=$version" \
        "${docker_args[@]}" -t "$IMAGE" "$WORK/image"
    echo "== built $IMAGE"
fi
