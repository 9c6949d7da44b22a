#!/usr/bin/env python3
"""Real-client check of a scoring server that speaks MLflow's protocol (`automl serve`, `mlflow models serve`).

    clients.py BASE_URL DATA.csv TARGET [--classification] [--mlflow] [--rows N] [--max-body BYTES] [--wait S]

Builds every request body shape from the first N rows (default 5) of DATA.csv without the TARGET column and
posts them with Python `requests` (and `curl`, run as a subprocess, for the text/csv body, the /ping call and
the too-large body):

  dataframe_split, dataframe_records, instances (list of row objects), inputs (column -> list of values),
  text/csv with a header row

Every shape must answer 200 with {"predictions": [...]}, N of them, and all shapes the same predictions
(floats equal exactly, labels equal). Then bad requests: malformed JSON (400, BAD_REQUEST), two shapes in one
body (400, BAD_REQUEST), an unknown shape key (400, BAD_REQUEST), a missing column (400, BAD_REQUEST), an empty
body (400, BAD_REQUEST), Content-Type text/plain (415); with --max-body BYTES, a body of BYTES+1 bytes (413).
Every error answer must be JSON {"error_code": ..., "message": "..."}. GET /ping and GET /health must be 200.

automl-only checks (skipped with --mlflow): GET /version, GET /metadata (algorithm, params, target, task,
classes, inputs), GET /metrics (Prometheus text), "warnings" in the answer for a missing value (and for an
unseen level when the data has a text column), and, with --classification, "params": {"predict_proba": true}
(probabilities, classes).

--mlflow relaxes what `mlflow models serve` (MLflow 3.x) does differently from automl's spec: a missing column
is answered with error_code INVALID_PARAMETER_VALUE (not BAD_REQUEST), the 415 answer is text/plain (not a
JSON error body), and it has no body limit (--max-body: no 413). Each relaxed point prints a `note` line saying what the server did. See README.md here.

One line per check on stdout: `ok    NAME: detail`, `skip  NAME: why`, `note  NAME: ...`; the first failure
prints `FAIL  NAME: why` (with the status and the start of the body) and exits 1. Exit 2: bad arguments or
unreadable data. Needs `requests` and the `curl` binary.
"""
import argparse
import csv
import io
import json
import math
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time

try:
    import requests
except ImportError:  # pragma: no cover
    sys.exit("clients.py: needs the `requests` package (pip install requests)")

# Missing cells: empty, or automl's CSV null literals (src/io/load.rs NULL_LITERALS); pandas reads them as NaN too.
NA_TOKENS = {"", "NA", "N/A", "NULL", "null", "NaN", "nan"}
NUMBER = re.compile(r"^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$")
INTEGER = re.compile(r"^[+-]?\d+$")
SHAPES = ("dataframe_split", "dataframe_records", "instances", "inputs")


class CheckFailed(Exception):
    pass


def ok(name, detail=""):
    print(f"ok    {name}: {detail}" if detail else f"ok    {name}", flush=True)


def skip(name, why):
    print(f"skip  {name}: {why}", flush=True)


def note(name, what):
    print(f"note  {name}: {what}", flush=True)


def fail(name, why, status=None, body=None):
    msg = f"FAIL  {name}: {why}"
    if status is not None:
        msg += f" (HTTP {status})"
    if body is not None:
        text = body if isinstance(body, str) else body.decode("utf-8", "replace")
        text = text.strip().replace("\n", "\\n")
        msg += f"; body: {text[:400]}{'...' if len(text) > 400 else ''}"
    raise CheckFailed(msg)


# ---------------------------------------------------------------------------------------------------- data


def read_data(path, target, nrows):
    """(features, rows): the feature names and the first nrows rows as JSON-ready values (None for a missing
    cell). A column is numeric when every non-missing cell of the whole file looks like a number; its cells
    become int (integer literals) or float, the others stay the file's strings verbatim."""
    with open(path, newline="", encoding="utf-8") as f:
        reader = csv.reader(f)
        try:
            header = next(reader)
        except StopIteration:
            raise SystemExit(f"clients.py: {path} is empty") from None
        all_rows = [r for r in reader if r]
    if target not in header:
        raise SystemExit(f"clients.py: no column {target!r} in {path} (columns: {', '.join(header)})")
    if not all_rows:
        raise SystemExit(f"clients.py: {path} has no data rows")
    for i, r in enumerate(all_rows):
        if len(r) != len(header):
            raise SystemExit(f"clients.py: {path} row {i + 2} has {len(r)} cells, the header {len(header)}")
    ti = header.index(target)
    keep = [i for i in range(len(header)) if i != ti]
    numeric = {
        i: all(c.strip() in NA_TOKENS or NUMBER.match(c.strip()) for c in (r[i] for r in all_rows)) for i in keep
    }

    def value(i, cell):
        if cell.strip() in NA_TOKENS:
            return None
        if numeric[i]:
            s = cell.strip()
            return int(s) if INTEGER.match(s) else float(s)
        return cell

    features = [header[i] for i in keep]
    rows = [[value(i, r[i]) for i in keep] for r in all_rows[:nrows]]
    text_cols = [header[i] for i in keep if not numeric[i]]
    # The first row of the file with no missing feature, for the warnings probes.
    complete = next(([value(i, r[i]) for i in keep] for r in all_rows if all(r[i].strip() not in NA_TOKENS
                                                                              for i in keep)), None)
    return features, rows, text_cols, complete


def csv_body(features, rows):
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(features)
    for r in rows:
        w.writerow(["" if v is None else v for v in r])
    return out.getvalue().encode("utf-8")


def bodies(features, rows):
    records = [dict(zip(features, r)) for r in rows]
    return {
        "dataframe_split": {"dataframe_split": {"columns": features, "data": rows}},
        "dataframe_records": {"dataframe_records": records},
        "instances": {"instances": records},
        "inputs": {"inputs": {c: [r[j] for r in rows] for j, c in enumerate(features)}},
    }


# ---------------------------------------------------------------------------------------------------- HTTP


class Client:
    def __init__(self, base, timeout):
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.session = requests.Session()
        self.curl = shutil.which("curl")

    def get(self, name, path):
        try:
            return self.session.get(self.base + path, timeout=self.timeout)
        except requests.RequestException as e:
            fail(name, f"GET {path}: {e}")

    def post(self, name, content_type, data, path="/invocations"):
        headers = {} if content_type is None else {"Content-Type": content_type}
        try:
            return self.session.post(self.base + path, data=data, headers=headers, timeout=self.timeout)
        except requests.RequestException as e:
            fail(name, f"POST {path}: {e}")

    def curl_call(self, name, path, content_type=None, data_file=None):
        """(status, content_type, body bytes) of a curl call (POST when data_file is given)."""
        if not self.curl:
            fail(name, "no `curl` on PATH")
        with tempfile.NamedTemporaryFile(prefix="clients-curl-", delete=False) as out:
            out_path = out.name
        cmd = [self.curl, "-sS", "--max-time", str(self.timeout), "-o", out_path,
               "-w", "%{http_code} %{content_type}"]
        if data_file is not None:
            cmd += ["-X", "POST", "-H", f"Content-Type: {content_type}", "--data-binary", "@" + data_file]
        cmd.append(self.base + path)
        try:
            p = subprocess.run(cmd, capture_output=True, text=True, timeout=self.timeout + 10)
            with open(out_path, "rb") as f:
                body = f.read()
        finally:
            os.unlink(out_path)
        status, _, ctype = p.stdout.strip().partition(" ")
        if p.returncode != 0 and not (status.isdigit() and int(status) > 0):
            fail(name, f"curl exited {p.returncode}: {p.stderr.strip()}")
        return int(status), ctype, body


def json_of(name, status, body, content_type):
    try:
        return json.loads(body)
    except ValueError:
        fail(name, f"answer is not JSON (Content-Type {content_type!r})", status, body)


def predictions_of(name, status, ctype, body, n):
    if status != 200:
        fail(name, "expected 200", status, body)
    if not (ctype or "").split(";")[0].strip().lower() == "application/json":
        fail(name, f"expected Content-Type application/json, got {ctype!r}", status, body)
    doc = json_of(name, status, body, ctype)
    if not isinstance(doc, dict) or not isinstance(doc.get("predictions"), list):
        fail(name, 'expected a JSON object with a "predictions" list', status, body)
    preds = doc["predictions"]
    if len(preds) != n:
        fail(name, f"expected {n} predictions, got {len(preds)}", status, body)
    return doc, preds


def same(a, b):
    """Exact equality, element by element (floats bit-for-bit as JSON numbers; NaN equals NaN)."""
    if len(a) != len(b):
        return False
    for x, y in zip(a, b):
        if isinstance(x, float) and isinstance(y, float) and math.isnan(x) and math.isnan(y):
            continue
        if type(x) is bool or type(y) is bool:
            if x is not y:
                return False
        elif x != y:
            return False
    return True


def expect_error(name, r, status, error_code, relax_code=False, relax_json=False):
    """The answer must have this status and a JSON error body {"error_code": error_code, "message": str}.
    relax_code: any error_code (a note says which); relax_json: a non-JSON body is allowed (a note)."""
    ctype = r.headers.get("Content-Type", "")
    if r.status_code != status:
        fail(name, f"expected {status}", r.status_code, r.content)
    try:
        doc = json.loads(r.content)
    except ValueError:
        doc = None
    if not isinstance(doc, dict) or "error_code" not in doc or not isinstance(doc.get("message"), str):
        if relax_json:
            text = r.content.decode("utf-8", "replace").strip().replace("\n", " ")
            note(name, f"{status} with a non-JSON body (Content-Type {ctype!r}): {text[:160]!r}")
            ok(name, f"{status}")
            return
        fail(name, 'expected a JSON body {"error_code": ..., "message": "..."}', r.status_code, r.content)
    if not doc["message"].strip():
        fail(name, "empty error message", r.status_code, r.content)
    if error_code is not None and doc["error_code"] != error_code:
        if relax_code:
            note(name, f"error_code {doc['error_code']!r} where automl's spec says {error_code!r}")
        else:
            fail(name, f"expected error_code {error_code!r}, got {doc['error_code']!r}", r.status_code, r.content)
    extra = sorted(set(doc) - {"error_code", "message"})
    ok(name, f"{status} {doc['error_code']}" + (f" (extra keys: {', '.join(extra)})" if extra else ""))


# ---------------------------------------------------------------------------------------------------- checks


def run_checks(a):
    c = Client(a.base_url, a.timeout)
    features, rows, text_cols, complete = read_data(a.data, a.target, a.rows)
    n = len(rows)
    shaped = bodies(features, rows)
    has_missing = any(v is None for r in rows for v in r)

    if a.wait > 0:
        deadline = time.monotonic() + a.wait
        while True:
            try:
                if requests.get(c.base + "/ping", timeout=2).status_code == 200:
                    break
            except requests.RequestException:
                pass
            if time.monotonic() > deadline:
                fail("wait", f"{c.base}/ping not 200 within {a.wait:g} s")
            time.sleep(0.5)

    # Liveness.
    for path in ("/ping", "/health"):
        r = c.get(path[1:], path)
        if r.status_code != 200:
            fail(path[1:], "expected 200", r.status_code, r.content)
        ok(path[1:], f"200 (requests), body {r.content[:40]!r}")
    status, _, body = c.curl_call("ping-curl", "/ping")
    if status != 200:
        fail("ping-curl", "expected 200", status, body)
    ok("ping-curl", "200 (curl)")

    # Every shape, the same predictions.
    reference = None
    ref_doc = None
    for shape in SHAPES:
        name = f"shape {shape}"
        r = c.post(name, "application/json", json.dumps(shaped[shape]).encode("utf-8"))
        doc, preds = predictions_of(name, r.status_code, r.headers.get("Content-Type"), r.content, n)
        if reference is None:
            reference, ref_doc = preds, doc
            kinds = sorted({type(p).__name__ for p in preds})
            if not a.classification and not all(isinstance(p, (int, float)) and not isinstance(p, bool) for p in preds):
                fail(name, f"regression predictions must be numbers, got types {kinds}", r.status_code, r.content)
        elif not same(preds, reference):
            fail(name, f"predictions {preds} differ from dataframe_split's {reference}")
        ok(name, f"200, {n} predictions" + ("" if shape != "dataframe_split" else f": {preds}"))
    with tempfile.NamedTemporaryFile(prefix="clients-", suffix=".csv", delete=False) as f:
        f.write(csv_body(features, rows))
        csv_path = f.name
    try:
        status, ctype, body = c.curl_call("shape text/csv", "/invocations", "text/csv", csv_path)
    finally:
        os.unlink(csv_path)
    _, preds = predictions_of("shape text/csv", status, ctype, body, n)
    if not same(preds, reference):
        fail("shape text/csv", f"predictions {preds} differ from dataframe_split's {reference}")
    ok("shape text/csv", f"200 (curl), {n} predictions, same as the JSON shapes")

    # Bad requests.
    split = shaped["dataframe_split"]
    expect_error("bad malformed-json", c.post("bad malformed-json", "application/json",
                                              b'{"dataframe_split": {"columns": ['), 400, "BAD_REQUEST")
    two = {"dataframe_records": shaped["dataframe_records"]["dataframe_records"],
           "instances": shaped["instances"]["instances"]}
    expect_error("bad two-shapes", c.post("bad two-shapes", "application/json", json.dumps(two).encode()),
                 400, "BAD_REQUEST")
    unknown = {"rows": shaped["dataframe_records"]["dataframe_records"]}
    expect_error("bad unknown-shape-key", c.post("bad unknown-shape-key", "application/json",
                                                 json.dumps(unknown).encode()), 400, "BAD_REQUEST")
    # The column left out: the last feature, or with automl the last one /metadata lists as an input (a
    # column the model ignores may be left out without an error).
    dropped = features[-1]
    if not a.mlflow:
        try:
            meta = c.session.get(c.base + "/metadata", timeout=a.timeout).json()
            used = [f for f in features if f in input_names(meta.get("inputs"))]
            dropped = used[-1] if used else dropped
        except (requests.RequestException, ValueError, AttributeError):
            pass  # the metadata check below says what is wrong
    k = features.index(dropped)
    missing = {"dataframe_split": {"columns": features[:k] + features[k + 1:],
                                   "data": [r[:k] + r[k + 1:] for r in rows]}}
    expect_error(f"bad missing-column ({dropped})",
                 c.post("bad missing-column", "application/json", json.dumps(missing).encode()),
                 400, "BAD_REQUEST", relax_code=a.mlflow)
    expect_error("bad empty-body", c.post("bad empty-body", "application/json", b""), 400, "BAD_REQUEST")
    expect_error("bad content-type text/plain",
                 c.post("bad content-type", "text/plain", json.dumps(split).encode()),
                 415, None, relax_json=a.mlflow)
    if a.max_body is None:
        skip("bad too-large", "pass --max-body BYTES (the server's body limit) to post BYTES+1 bytes")
    else:
        # Valid JSON padded with spaces to max_body + 1 bytes, sent by curl (which reads an early answer).
        base = json.dumps(split).encode()
        pad = a.max_body + 1 - len(base)
        payload = base[:-1] + b" " * max(pad, 0) + b"}"
        with tempfile.NamedTemporaryFile(prefix="clients-big-", suffix=".json", delete=False) as f:
            f.write(payload)
            big = f.name
        try:
            status, ctype, body = c.curl_call("bad too-large", "/invocations", "application/json", big)
        finally:
            os.unlink(big)
        if status != 413:
            if not a.mlflow:
                fail("bad too-large", f"expected 413 for a {len(payload)}-byte body", status, body[:400])
            note("bad too-large", f"{status} for a {len(payload)}-byte body (MLflow has no body limit)")
        ok("bad too-large", f"{status} for {len(payload)} bytes")

    if a.mlflow:
        for what in ("/version", "/metadata", "/metrics", "warnings", "predict_proba"):
            skip(what, "automl-only (--mlflow)")
        return

    # automl-only.
    r = c.get("version", "/version")
    if r.status_code != 200 or not r.content.strip():
        fail("version", "expected 200 with the version", r.status_code, r.content)
    ok("version", f"200 {r.content.decode('utf-8', 'replace').strip()[:80]}")

    r = c.get("metadata", "/metadata")
    if r.status_code != 200:
        fail("metadata", "expected 200", r.status_code, r.content)
    meta = json_of("metadata", r.status_code, r.content, r.headers.get("Content-Type"))
    if not isinstance(meta, dict):
        fail("metadata", "expected a JSON object", r.status_code, r.content)
    absent = [k for k in ("algorithm", "params", "target", "task", "inputs") if k not in meta]
    if absent:
        fail("metadata", f"keys missing: {absent}", r.status_code, r.content)
    if meta["target"] != a.target:
        fail("metadata", f"target {meta['target']!r}, expected {a.target!r}", r.status_code, r.content)
    task = "classification" if a.classification else "regression"
    if task not in str(meta["task"]).lower():
        fail("metadata", f"task {meta['task']!r}, expected {task}", r.status_code, r.content)
    names = input_names(meta["inputs"])
    lacking = [f for f in features if f not in names]
    if lacking:
        note("metadata", f"inputs do not list {lacking} (ignored columns?); inputs: {sorted(names)}")
    if a.classification:
        classes = meta.get("classes")
        if not isinstance(classes, list) or not classes:
            fail("metadata", "classification: expected a non-empty classes list", r.status_code, r.content)
        if [p for p in reference if p not in classes]:
            fail("metadata", f"predictions {reference} not all in classes {classes}")
    ok("metadata", f"algorithm {meta['algorithm']!r}, task {meta['task']!r}, {len(names)} inputs")

    # Warnings: present when the sample has missing values; none for a complete row, some when one of its
    # values is made missing, and when a text column gets a level never seen in training.
    if has_missing:
        if not ref_doc.get("warnings"):
            fail("warnings sample", "the sample has missing values but the answer has no warnings")
        ok("warnings sample", f"the sample has missing values: {len(ref_doc['warnings'])} warnings")
    if complete is None:
        skip("warnings probes", "no row of the file has every feature")
    else:
        first = dict(zip(features, complete))
        r = c.post("warnings complete-row", "application/json",
                   json.dumps({"dataframe_records": [first]}).encode())
        doc, _ = predictions_of("warnings complete-row", r.status_code, r.headers.get("Content-Type"), r.content, 1)
        if doc.get("warnings"):
            fail("warnings complete-row", f"warnings for a row without missing values: {doc['warnings']}")
        ok("warnings complete-row", "no warnings for a row with every feature")
        probes = [("warnings missing-value", features[0], None)]
        if text_cols:
            probes.append(("warnings unseen-level", text_cols[0], "__clients_py_unseen_level__"))
        else:
            skip("warnings unseen-level", "no text column in the data")
        for name, col, val in probes:
            body = {"dataframe_records": [{**first, col: val}]}
            r = c.post(name, "application/json", json.dumps(body).encode())
            doc, _ = predictions_of(name, r.status_code, r.headers.get("Content-Type"), r.content, 1)
            w = doc.get("warnings")
            if not isinstance(w, list) or not w:
                fail(name, f'{col}={val!r}: expected a non-empty "warnings" list', r.status_code, r.content)
            if not any(col in str(x) for x in w):
                note(name, f"no warning names the column {col!r}: {w}")
            ok(name, f"{col}={val!r}: {str(w[0])[:100]}")

    if a.classification:
        name = "predict_proba"
        body = dict(split, params={"predict_proba": True})
        r = c.post(name, "application/json", json.dumps(body).encode())
        doc, preds = predictions_of(name, r.status_code, r.headers.get("Content-Type"), r.content, n)
        if not same(preds, reference):
            fail(name, f"predictions {preds} differ from those without predict_proba {reference}")
        classes, probs = doc.get("classes"), doc.get("probabilities")
        if not isinstance(classes, list) or not classes:
            fail(name, 'expected a non-empty "classes" list', r.status_code, r.content)
        if not isinstance(probs, list) or len(probs) != n:
            fail(name, f'expected "probabilities" with {n} rows', r.status_code, r.content)
        for i, row in enumerate(probs):
            if not isinstance(row, list) or len(row) != len(classes):
                fail(name, f"probabilities row {i} is not {len(classes)} numbers: {row}")
            if any(not isinstance(p, (int, float)) or p < 0 or p > 1 for p in row) or abs(sum(row) - 1) > 1e-6:
                fail(name, f"probabilities row {i} is not a distribution: {row}")
            best = classes[max(range(len(row)), key=row.__getitem__)]
            if best != preds[i]:
                note(name, f"row {i}: most probable class {best!r}, prediction {preds[i]!r}")
        ok(name, f"{n}x{len(classes)} probabilities, classes {classes}")
    else:
        skip("predict_proba", "regression")

    r = c.get("metrics", "/metrics")
    if r.status_code != 200:
        fail("metrics", "expected 200", r.status_code, r.content)
    ctype = r.headers.get("Content-Type", "")
    if not ctype.startswith("text/plain"):
        fail("metrics", f"expected Content-Type text/plain (Prometheus text format), got {ctype!r}")
    sample = re.compile(r"^[A-Za-z_:][A-Za-z0-9_:]*(\{[^}]*\})?\s+(\S+)(\s+-?\d+)?$")
    samples = [ln for ln in r.text.splitlines() if ln.strip() and not ln.startswith("#")]
    bad = [ln for ln in samples if not sample.match(ln)]
    if not samples or bad:
        fail("metrics", f"expected Prometheus sample lines; {len(samples)} samples, unparsable: {bad[:3]}",
             r.status_code, r.content[:400])
    ok("metrics", f"200, {len(samples)} samples")


def input_names(inputs):
    """Column names in /metadata's inputs: a list of names, of {"name": ...} objects, or an object."""
    if isinstance(inputs, dict):
        return set(inputs)
    names = set()
    for item in inputs if isinstance(inputs, list) else []:
        if isinstance(item, str):
            names.add(item)
        elif isinstance(item, dict):
            for key in ("name", "column", "col"):
                if isinstance(item.get(key), str):
                    names.add(item[key])
                    break
    return names


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter, epilog=__doc__)
    ap.add_argument("base_url", help="e.g. http://127.0.0.1:8080")
    ap.add_argument("data", help="CSV with a header row; the first --rows rows are sent")
    ap.add_argument("target", help="the target column, left out of the requests")
    ap.add_argument("--classification", action="store_true", help="labels, classes, predict_proba")
    ap.add_argument("--mlflow", action="store_true", help="the server is `mlflow models serve`")
    ap.add_argument("--rows", type=int, default=5, help="rows per request [5]")
    ap.add_argument("--max-body", type=int, default=None, metavar="BYTES",
                    help="the server's body limit: post BYTES+1 bytes and expect 413 [not checked]")
    ap.add_argument("--timeout", type=float, default=30, help="seconds per request [30]")
    ap.add_argument("--wait", type=float, default=0, help="first wait up to S seconds for /ping [0]")
    a = ap.parse_args()
    if a.rows < 1:
        ap.error("--rows must be at least 1")
    try:
        run_checks(a)
    except CheckFailed as e:
        print(e, flush=True)
        print(f"clients.py: {a.base_url}: a check failed (above)", file=sys.stderr)
        return 1
    except SystemExit as e:
        if isinstance(e.code, str):
            print(e.code, file=sys.stderr)
            return 2
        raise
    print(f"clients.py: {a.base_url}: all checks passed", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
