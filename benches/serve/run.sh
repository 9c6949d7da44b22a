#!/usr/bin/env bash
# Load test of `mlflow models serve` and `automl serve` side by side, on loopback, with wrk: the same
# `dataframe_split` JSON requests (rows of DATA without TARGET) to POST /invocations, 1 row and 100 rows per
# request, each for a fixed duration. Progress goes to stderr, a Markdown table to stdout.
#
#   benches/serve/run.sh                                              MLflow only
#   AUTOML_BIN=target/release/automl AUTOML_MODEL=M benches/serve/run.sh  both servers
#
# Env (README.md):
#   AUTOML_BIN=PATH, AUTOML_MODEL=PATH  run `$AUTOML_BIN serve --model $AUTOML_MODEL` too (both or neither)
#   SKIP_MLFLOW=1            no MLflow server (then AUTOML_BIN and AUTOML_MODEL are needed)
#   MLFLOW_VENV=DIR          venv with mlflow, scikit-learn, pandas [~/.cache/automl-mlflow-3.17.2]
#   MLFLOW_MODEL=DIR         serve this MLflow model folder (default: mlflow_model.py trains one from DATA)
#   MLFLOW_WORKERS=N         `mlflow models serve -w N` [2]
#   DATA=FILE TARGET=COL     the rows sent, and the model's training data [datasets/diabetes.csv progression]
#   BATCHES="1 100"          rows per request, one load run each [1 100]
#   DURATION=SECONDS         length of each load run [10]
#   WARMUP=SECONDS           an unmeasured run before each measured one [2]; 0: none
#   CONNECTIONS=N            connections kept open by wrk [8]
#   THREADS=N                wrk threads [2]
#   MLFLOW_PORT, AUTOML_PORT ports on 127.0.0.1 [free ones, picked at start]
#   START_TIMEOUT=SECONDS    limit for a server to answer GET /ping [120]
#   CHECK=1                  run tests/serve/clients.py against each server before its load runs
#   CHECK_ARGS="..."         more arguments for clients.py, e.g. "--classification --max-body 1048576"
#   KEEP=1                   keep the scratch folder (bodies, server logs, wrk output; kept anyway on failure)
set -euo pipefail
export LC_ALL=C

die() { echo "run.sh: error: $*" >&2; FAILED=1; exit 1; }
note() { echo "== $*" >&2; }
on() { [[ ${1:-0} =~ ^0?$ ]] && return 1 || return 0; }  # an env flag: unset, empty or 0 is off

if [[ ${1:-} == -h || ${1:-} == --help ]]; then
  sed -n '2,/^set -euo/{/^#/s/^# \{0,1\}//p}' "${BASH_SOURCE[0]}"
  exit 0
fi
(($# == 0)) || die "no arguments are taken (settings are env variables; see --help)"

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)

# Settings.
posint() { [[ ${!1} =~ ^[1-9][0-9]*$ ]] || die "$1 must be a positive integer, not '${!1}'"; }
DURATION=${DURATION:-10}; posint DURATION
WARMUP=${WARMUP:-2}; [[ $WARMUP =~ ^[0-9]+$ ]] || die "WARMUP must be whole seconds, not '$WARMUP'"
CONNECTIONS=${CONNECTIONS:-8}; posint CONNECTIONS
THREADS=${THREADS:-2}; posint THREADS
((CONNECTIONS >= THREADS)) || die "CONNECTIONS ($CONNECTIONS) must be at least THREADS ($THREADS) for wrk"
MLFLOW_WORKERS=${MLFLOW_WORKERS:-2}; posint MLFLOW_WORKERS
START_TIMEOUT=${START_TIMEOUT:-120}; posint START_TIMEOUT
BATCHES=${BATCHES:-1 100}
for b in $BATCHES; do [[ $b =~ ^[1-9][0-9]*$ ]] || die "BATCHES entries must be positive integers, not '$b'"; done
DATA=${DATA:-$REPO/datasets/diabetes.csv}
TARGET=${TARGET:-progression}
[[ -f $DATA ]] || die "no data file $DATA (set DATA)"
MLFLOW_VENV=${MLFLOW_VENV:-$HOME/.cache/automl-mlflow-3.17.2}
WANT_MLFLOW=1; on "${SKIP_MLFLOW:-}" && WANT_MLFLOW=0
WANT_AUTOML=0
if [[ -n ${AUTOML_BIN:-} || -n ${AUTOML_MODEL:-} ]]; then
  [[ -n ${AUTOML_BIN:-} && -n ${AUTOML_MODEL:-} ]] || die "set both AUTOML_BIN and AUTOML_MODEL, or neither"
  [[ -x $AUTOML_BIN ]] || die "AUTOML_BIN=$AUTOML_BIN is not an executable file"
  [[ -e $AUTOML_MODEL ]] || die "AUTOML_MODEL=$AUTOML_MODEL does not exist"
  WANT_AUTOML=1
fi
((WANT_MLFLOW || WANT_AUTOML)) || die "nothing to run: SKIP_MLFLOW is set and AUTOML_BIN/AUTOML_MODEL are not"
if ((WANT_MLFLOW)); then
  [[ -x $MLFLOW_VENV/bin/python && -x $MLFLOW_VENV/bin/mlflow ]] ||
    die "no mlflow in MLFLOW_VENV=$MLFLOW_VENV (python -m venv DIR && DIR/bin/pip install mlflow scikit-learn)"
fi
PY=python3
((WANT_MLFLOW)) && PY=$MLFLOW_VENV/bin/python
command -v "$PY" >/dev/null || die "no $PY"
command -v curl >/dev/null || die "no curl"

# wrk: Debian's package, installed here when missing and we are root.
if ! command -v wrk >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    note "installing wrk (apt-get install -y wrk)"
    export DEBIAN_FRONTEND=noninteractive
    timeout 300 apt-get install -y wrk >/dev/null 2>&1 ||
      { timeout 300 apt-get update >/dev/null 2>&1 && timeout 300 apt-get install -y wrk >/dev/null 2>&1; } ||
      die "apt-get install -y wrk failed"
  fi
  command -v wrk >/dev/null || die "no wrk on PATH (Debian/Ubuntu: sudo apt-get install -y wrk)"
fi

LOAD_BEFORE=$(cut -d' ' -f1-3 /proc/loadavg 2>/dev/null || true)

# Scratch folder, servers, and the cleanup that always runs.
SCRATCH=$(mktemp -d "${TMPDIR:-/tmp}/automl-serve-bench.XXXXXX")
FAILED=0
PIDS=()
stop_server() {  # pid: TERM its process group (each server is started as a session leader), KILL after 10 s
  local pid=$1 i
  kill -0 -- "-$pid" 2>/dev/null || kill -0 "$pid" 2>/dev/null || return 0  # the group, or the server alone
  kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < 100; i++)); do
    kill -0 -- "-$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
}
cleanup() {
  local rc=$? pid
  trap - EXIT INT TERM
  for pid in "${PIDS[@]}"; do stop_server "$pid"; done
  if ((rc != 0 || FAILED)) || on "${KEEP:-}"; then
    echo "run.sh: scratch folder kept: $SCRATCH" >&2
  else
    rm -rf "$SCRATCH"
  fi
  exit "$rc"
}
trap cleanup EXIT
trap 'FAILED=1; exit 130' INT
trap 'FAILED=1; exit 143' TERM

free_port() {
  "$PY" -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
port_busy() { curl -s --max-time 2 -o /dev/null "http://127.0.0.1:$1/" 2>/dev/null; }

# start NAME LOG CMD...: the server in its own session (so that its workers are stopped with it); sets PID.
start() {
  local name=$1 log=$2
  shift 2
  setsid "$@" >"$log" 2>&1 </dev/null &
  PID=$!
  PIDS+=("$PID")
  note "$name: started (pid $PID): $*"
}
# wait_ping NAME PID URL: until GET URL/ping is 200, at most START_TIMEOUT s; dies if the server exits.
wait_ping() {
  local name=$1 pid=$2 url=$3 log=$4 t0=$SECONDS
  while ! curl -fs --max-time 2 -o /dev/null "$url/ping"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      tail -n 30 "$log" >&2
      die "$name exited before answering $url/ping (log above, whole: $log)"
    fi
    if ((SECONDS - t0 >= START_TIMEOUT)); then
      tail -n 30 "$log" >&2
      die "$name did not answer $url/ping within START_TIMEOUT=${START_TIMEOUT}s (log above)"
    fi
    sleep 0.5
  done
  note "$name: /ping 200 after $((SECONDS - t0)) s"
}

# The request bodies: the first B rows of DATA without TARGET, as dataframe_split (rows repeated from the
# top if DATA has fewer than B).
note "request bodies from $DATA (target $TARGET left out): $BATCHES rows"
"$PY" - "$DATA" "$TARGET" "$SCRATCH" $BATCHES <<'EOF' || die "could not make the request bodies"
import csv, json, re, sys
data, target, out, *batches = sys.argv[1:]
with open(data, newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))
if not rows or target not in rows[0]:
    sys.exit(f"no rows, or no column {target!r}, in {data}")
cols = [c for c in rows[0] if c != target]
num = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
numeric = {c: all(r[c].strip() == "" or num.match(r[c].strip()) for r in rows) for c in cols}
def val(c, s):
    s2 = s.strip()
    if s2 in ("", "NA", "N/A", "NULL", "null", "NaN", "nan"):
        return None
    return float(s2) if numeric[c] else s
for b in map(int, batches):
    data_rows = [[val(c, rows[i % len(rows)][c]) for c in cols] for i in range(b)]
    with open(f"{out}/body-{b}.json", "w") as f:
        json.dump({"dataframe_split": {"columns": cols, "data": data_rows}}, f)
EOF

# One measured wrk run: load NAME URL BATCH -> appends a table row.
ROWS=()
load() {
  local name=$1 url=$2 b=$3 body=$SCRATCH/body-$3.json out res n
  # A sanity request first: 200 and one prediction per row.
  out=$SCRATCH/$name-check-$b.json
  code=$(curl -sS --max-time 60 -o "$out" -w '%{http_code}' -H 'Content-Type: application/json' \
    --data-binary "@$body" "$url/invocations") || die "$name: POST $url/invocations ($b rows) failed"
  [[ $code == 200 ]] || die "$name: POST /invocations with $b rows answered $code: $(head -c 400 "$out")"
  n=$("$PY" -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["predictions"]))' "$out" 2>/dev/null) ||
    die "$name: answer without a predictions list: $(head -c 400 "$out")"
  [[ $n == "$b" ]] || die "$name: $n predictions for $b rows"
  if ((WARMUP > 0)); then
    WRK_BODY=$body timeout $((WARMUP + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${WARMUP}s" --timeout 10s \
      -s "$HERE/post.lua" "$url/invocations" >"$SCRATCH/$name-warmup-$b.txt" 2>&1 ||
      die "$name: wrk warm-up failed: $(tail -n 5 "$SCRATCH/$name-warmup-$b.txt")"
  fi
  note "$name: $b row(s)/request, ${DURATION}s, $THREADS threads, $CONNECTIONS connections"
  WRK_BODY=$body timeout $((DURATION + 30)) wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --timeout 10s \
    -s "$HERE/post.lua" "$url/invocations" >"$SCRATCH/$name-$b.txt" 2>&1 ||
    die "$name: wrk failed: $(tail -n 5 "$SCRATCH/$name-$b.txt")"
  res=$(grep '^RESULT ' "$SCRATCH/$name-$b.txt") || die "$name: no RESULT line from wrk ($SCRATCH/$name-$b.txt)"
  sed 's/^/   /' "$SCRATCH/$name-$b.txt" >&2
  local requests rps p50_ms p99_ms non2xx connect read write timeout kv
  for kv in ${res#RESULT }; do local "${kv%%=*}=${kv#*=}"; done
  local errs=$((non2xx + connect + read + write + timeout))
  ((errs == 0)) || FAILED=1
  ROWS+=("$(printf '| %s | %d | %.1f | %.0f | %.2f | %.2f | %d | %d |' "$name" "$b" "$rps" \
    "$(awk -v r="$rps" -v b="$b" 'BEGIN { printf "%.0f", r * b }')" "$p50_ms" "$p99_ms" "$requests" "$errs")")
}

check_clients() {  # name url [--mlflow]
  on "${CHECK:-}" || return 0
  note "$1: tests/serve/clients.py"
  # shellcheck disable=SC2086  # CHECK_ARGS: several words
  "$PY" "$REPO/tests/serve/clients.py" "$2" "$DATA" "$TARGET" "${@:3}" ${CHECK_ARGS:-} >&2 ||
    die "$1: clients.py failed"
}

if ((WANT_MLFLOW)); then
  MODEL_DIR=${MLFLOW_MODEL:-}
  if [[ -z $MODEL_DIR ]]; then
    MODEL_DIR=$SCRATCH/mlflow-model
    note "mlflow: training GradientBoostingRegressor on $DATA (mlflow_model.py)"
    timeout 600 "$PY" "$HERE/mlflow_model.py" "$MODEL_DIR" "$DATA" "$TARGET" || die "mlflow_model.py failed"
  fi
  [[ -f $MODEL_DIR/MLmodel ]] || die "no MLmodel file in MLFLOW_MODEL=$MODEL_DIR"
  MLFLOW_PORT=${MLFLOW_PORT:-$(free_port)}
  ! port_busy "$MLFLOW_PORT" || die "port $MLFLOW_PORT is in use"
  # `mlflow models serve` execs uvicorn from PATH: the venv's bin goes first.
  PATH="$MLFLOW_VENV/bin:$PATH" start mlflow "$SCRATCH/mlflow-server.log" "$MLFLOW_VENV/bin/mlflow" models serve \
    -m "$MODEL_DIR" --env-manager local -w "$MLFLOW_WORKERS" -h 127.0.0.1 -p "$MLFLOW_PORT"
  MLFLOW_PID=$PID
fi
if ((WANT_AUTOML)); then
  AUTOML_PORT=${AUTOML_PORT:-$(free_port)}
  [[ $AUTOML_PORT != "${MLFLOW_PORT:-}" ]] || die "AUTOML_PORT and MLFLOW_PORT are the same ($AUTOML_PORT)"
  ! port_busy "$AUTOML_PORT" || die "port $AUTOML_PORT is in use"
  start automl "$SCRATCH/automl-server.log" "$AUTOML_BIN" serve --model "$AUTOML_MODEL" --host 127.0.0.1 \
    --port "$AUTOML_PORT"
  AUTOML_PID=$PID
fi
((WANT_MLFLOW)) && wait_ping mlflow "$MLFLOW_PID" "http://127.0.0.1:$MLFLOW_PORT" "$SCRATCH/mlflow-server.log"
((WANT_AUTOML)) && wait_ping automl "$AUTOML_PID" "http://127.0.0.1:$AUTOML_PORT" "$SCRATCH/automl-server.log"

if ((WANT_MLFLOW)); then
  check_clients mlflow "http://127.0.0.1:$MLFLOW_PORT" --mlflow
  for b in $BATCHES; do load mlflow "http://127.0.0.1:$MLFLOW_PORT" "$b"; done
  MLFLOW_VERSION=$("$PY" -c 'import mlflow, uvicorn; print(mlflow.__version__, "(uvicorn", uvicorn.__version__ + ")")' \
    2>/dev/null || echo '?')
fi
if ((WANT_AUTOML)); then
  check_clients automl "http://127.0.0.1:$AUTOML_PORT"
  for b in $BATCHES; do load automl "http://127.0.0.1:$AUTOML_PORT" "$b"; done
  AUTOML_VERSION=$(curl -s --max-time 5 "http://127.0.0.1:$AUTOML_PORT/version" | head -c 200 | tr -d '\n' || true)
fi

# The table.
CPU=$(grep -m1 'model name' /proc/cpuinfo 2>/dev/null | sed 's/.*: //' || true)
echo "Load test: POST /invocations, dataframe_split JSON, $(basename "$DATA") without $TARGET; wrk $THREADS threads,"
echo "$CONNECTIONS connections, ${DURATION} s per row (after ${WARMUP} s of warm-up), loopback; $(nproc) CPUs${CPU:+ ($CPU)},"
echo "load average at the start: ${LOAD_BEFORE:-?} (the servers and wrk share these CPUs with anything else running)."
((WANT_MLFLOW)) && echo "mlflow: MLflow ${MLFLOW_VERSION}, \`mlflow models serve --env-manager local -w $MLFLOW_WORKERS\`."
((WANT_AUTOML)) && echo "automl: \`$(basename "$AUTOML_BIN") serve --model $(basename "$AUTOML_MODEL")\`, /version: ${AUTOML_VERSION:-?}."
echo
echo "| server | rows/request | requests/s | rows/s | p50 ms | p99 ms | requests | errors |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|"
printf '%s\n' "${ROWS[@]}"
if ((FAILED)); then
  echo "run.sh: some requests failed (errors column: non-2xx answers, socket errors and timeouts)" >&2
  exit 1
fi
