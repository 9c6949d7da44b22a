#!/usr/bin/env python3
"""Cross-check `automl drift` output against evidently's own drift functions.

Usage
-----
    python tests/drift/evidently_check.py --reference REF.csv --current CUR.csv \
        --ours drift.json [--tolerance 1e-6] [--expect-drifted COL[,COL...]] \
        [--no-pipeline]

Needs the venv described in tests/drift/requirements.txt, e.g.

    python3.11 -m venv ~/.cache/automl-evidently-venv
    ~/.cache/automl-evidently-venv/bin/pip install -r tests/drift/requirements.txt

Exit status: 0 = everything agrees, 1 = at least one mismatch, 2 = bad input
(usage error, unreadable file, unknown column/kind).

For every column listed in drift.json ("columns": [{column, kind, test, score,
threshold, drifted, psi, ...}]) the script:
  * reads the column from both CSVs with pandas (kind "categorical": dtype=str,
    so categories are the raw CSV text; kind "numeric": float, parsed with
    float_precision="round_trip", i.e. correctly rounded like Rust's
    `str::parse::<f64>`); pandas' default NA strings become missing:
    '', '#N/A', '#N/A N/A', '#NA', '-1.#IND', '-1.#QNAN', '-NaN', '-nan',
    '1.#IND', '1.#QNAN', '<NA>', 'N/A', 'NA', 'NULL', 'NaN', 'None', 'n/a',
    'nan', 'null';
  * cleans each side the way evidently's pipeline does before any test
    (legacy/calculations/data_drift.py::get_one_column_drift):
    `col.replace([-inf, inf], nan).dropna()`, independently for reference and
    current (no row alignment).  Everything below (row counts, n_values,
    proportions) is computed on these cleaned series.  An empty side is an
    error in evidently;
  * asks evidently's default chooser (registry._get_default_stattest via
    get_stattest(..., stattest_func=None)) which test applies, and checks that
    ours used the same one (StatTest.name: ks, chisquare, z, wasserstein,
    jensenshannon);
  * runs that StatTest with threshold = ours' threshold and compares score
    (|ours - evidently| <= tolerance, or relative difference <= 1e-6 when the
    larger magnitude is > 1; NaN == NaN, +inf == +inf) and the drifted flag;
  * runs evidently's psi_stat_test and compares "psi" the same way;
  * unless --no-pipeline: also runs evidently's full per-column pipeline
    (get_one_column_drift, the same call evidently.metrics.ValueDrift makes)
    and checks it agrees with the direct calls (a disagreement there is a bug
    in this checker, reported as CHECKER);
  * dataset level: evidently's rule is
    share = n_drifted / n_columns; dataset_drift = share >= drift_share
    (legacy get_dataset_drift), over the columns listed in drift.json, with
    drift_share taken from ours (default 0.5).  Compared with ours'
    "dataset_drift"; if ours also has "share_of_drifted_columns" /
    "number_of_drifted_columns" those are compared too;
  * --expect-drifted: evidently's drifted set AND ours' must both equal it.

Exact definitions (evidently 0.7.23, module evidently.legacy.calculations.
stattests; < 0.7 the same code is evidently.calculations.stattests; scipy
1.17.1, numpy 2.4.6).  "ref"/"cur" are the cleaned series, n_ref/n_cur their
lengths.

Default test chooser (registry._get_default_stattest)
    n_values = number of distinct values in concat(ref, cur) (pandas nunique;
    NaN already gone).  Numeric kind compares floats, categorical compares the
    raw strings.
    n_ref <= 1000:
        numeric:     n_values <= 2 -> z ; 3..5 -> chisquare ; > 5 -> ks
        categorical: n_values <= 2 -> z ; > 2 -> chisquare
    n_ref > 1000:
        numeric:     n_values <= 5 -> jensenshannon ; > 5 -> wasserstein
        categorical: jensenshannon
    Default thresholds: ks/chisquare/z 0.05, wasserstein/jensenshannon/psi 0.1.
    (Only informative: without a column mapping evidently itself types a
    column as categorical if it is object/str or bool, or an *integer* dtype
    with nunique(ref) <= 5 (nunique(cur) if ref has none); float dtype is
    always numerical.  Ours gives the kind explicitly, so this is not used.)

ks  (ks_stat_test): p = scipy.stats.ks_2samp(ref, cur)[1], two-sided,
    method='auto'; drifted = p <= threshold   (note: <=).
    D = max over x in pooled values of |F_ref(x) - F_cur(x)|,
        F(x) = #(values <= x) / n   (sorted arrays, searchsorted 'right').
    If max(n_ref, n_cur) <= 10000 -> exact:
        g = gcd(n1, n2); lcm = (n1 // g) * n2; h = round_half_even(D * lcm);
        h == 0 -> p = 1.
        n1 == n2: P = 0; for k = floor(n/h) down to 0:
                      p1 = 1; for j in 0..h: p1 = (n - k*h - j) * p1 / (n + k*h + j + 1)
                      P = p1 * (1 - P)
                  p = 2 * P
        n1 != n2: scipy _compute_outer_prob_inside_method(n1, n2, g, h)
                  (Hodges inside method with Viehmann's 1-p recursion, see
                  scipy/stats/_stats_pythran.py): with m >= n (swap),
                  mg = m//g, ng = n//g; A = ones(min(2*maxj+2, n+1));
                  minj = 0; maxj = min(ceil(h/mg), n+1); A[0:maxj] = 0;
                  curlen = maxj;
                  for i in 1..=m:
                      lastminj, lastlen = minj, curlen
                      minj = min(max(floor((ng*i - h)/mg) + 1, 0), n)
                      maxj = min(ceil((ng*i + h)/mg), n+1)
                      if maxj <= minj: return 1.0
                      val = 0.0 if minj == 0 else 1.0
                      for jj in 0..maxj-minj:  j = jj + minj
                          val = (A[jj + minj - lastminj]*i + val*j) / (i + j)
                          A[jj] = val
                      curlen = maxj - minj
                      if lastlen > curlen: A[curlen : curlen + lastlen - curlen] = 1
                  p = A[maxj - minj - 1]
                  (floor/ceil of integer ratios: integer floor/ceil division
                  gives identical results.)
        A floating overflow or p outside [0, 1] falls back to asymp.
    Else asymp: p = scipy.stats.kstwo.sf(D, round(n1*n2/(n1+n2))).
    Finally p = clip(p, 0, 1).

chisquare (chi_stat_test), categories = union of distinct values of ref and cur:
    k_norm = n_cur / n_ref;  f_exp[key] = count_ref[key] * k_norm  (i.e.
    reference counts rescaled to the current total, 0 for a key unseen in
    ref); f_obs[key] = count_cur[key];
    stat = sum((f_obs - f_exp)^2 / f_exp)  (a key with f_exp = 0 gives inf,
    p = 0); p = chi2.sf(stat, df = k - 1) = gammaincc((k-1)/2, stat/2),
    k = number of keys; drifted = p < threshold   (strict).

z (z_stat_test):
    if nunique(ref) == 1 and nunique(cur) == 1 and the two values are equal:
        p = 1
    else: keys = sorted(union of distinct values) (numeric ascending /
        Python string order for categorical); value == keys[0] -> 0, any
        other value -> 1;
        p1 = (#1 in ref)/n_ref, p2 = (#1 in cur)/n_cur,
        P  = (p1*n_ref + p2*n_cur) / (n_ref + n_cur)    (pooled proportion)
        z  = (p1 - p2) / sqrt(P*(1-P)*(1/n_ref + 1/n_cur))
        p  = 2 * (1 - Phi(|z|))   (two-sided; computed as 1 - cdf, not sf,
             so it is exactly 0 once |z| > ~8.3; symmetric in which class is
             "1")
    drifted = p < threshold   (strict).

wasserstein (wasserstein_stat_test, "Wasserstein distance (normed)"):
    norm = max(std(ref, ddof=0), 0.001)   (population std of REFERENCE)
    W1 = scipy.stats.wasserstein_distance(ref, cur)
       = sum over consecutive sorted pooled values a_i < a_{i+1} of
         |F_ref(a_i) - F_cur(a_i)| * (a_{i+1} - a_i),  F as in ks
    score = W1 / norm; drifted = score >= threshold (default 0.1).

Binning used by jensenshannon and psi (utils.get_binned_data(ref, cur, kind,
n, feel_zeroes)); the `n` argument (n_bins=30) is NOT used:
    if kind is numeric and nunique(ref) > 20 (reference only!):
        combined = concat(ref, cur) (floats)
        edges = numpy.histogram_bin_edges(combined, bins="sturges"):
            lo = min(combined), hi = max(combined)
            width = (hi - lo) / (log2(len(combined)) + 1.0)
            nb = ceil((hi - lo) / width)   (compute exactly these two
                 float ops; nb can be one more than log2(N)+1 by rounding)
            step = (hi - lo) / nb; edge_i = i*step + lo (i = 0..nb-1, two
            roundings, no fma), edge_nb = hi exactly
        ref_p[i] = #(ref in bin i) / n_ref, cur_p likewise, bins
            [edge_i, edge_{i+1}) except the last, which is closed
            [edge_{nb-1}, hi]  (numpy.histogram with explicit edges)
    else (categorical, or numeric with <= 20 distinct reference values):
        one bin per value in union(distinct ref, distinct cur);
        ref_p[v] = count_ref(v)/n_ref, cur_p[v] = count_cur(v)/n_cur.
    feel_zeroes (psi only; jensenshannon passes False): independently for
        each of ref_p and cur_p: m = smallest non-zero entry of that array;
        every 0 entry is replaced by (m / 1e6 if m <= 0.0001 else 0.0001).

jensenshannon (jensenshannon_stat_test): ref_p, cur_p from get_binned_data
    with feel_zeroes=False; scipy.spatial.distance.jensenshannon(ref_p, cur_p,
    base=None): p = ref_p/sum(ref_p), q = cur_p/sum(cur_p), m = (p+q)/2,
    js = sum(rel_entr(p, m)) + sum(rel_entr(q, m)) with
    rel_entr(x, y) = x*ln(x/y) (x > 0), 0 (x == 0); natural log;
    score = sqrt(js / 2); drifted = score >= threshold (default 0.1).

psi (psi_stat_test): ref_p, cur_p from get_binned_data with feel_zeroes=True;
    psi = sum((ref_p - cur_p) * ln(ref_p / cur_p))  (natural log);
    drifted = psi >= threshold (default 0.1).  Not a default test; ours
    reports it for every column.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import warnings

try:  # evidently >= 0.7
    import numpy as np
    import pandas as pd
    from evidently.legacy.calculations.data_drift import get_one_column_drift
    from evidently.legacy.calculations.stattests import psi_stat_test
    from evidently.legacy.calculations.stattests.registry import get_stattest
    from evidently.legacy.core import ColumnType
    from evidently.legacy.metric_results import DatasetColumns
    from evidently.legacy.metric_results import DatasetUtilityColumns
    from evidently.legacy.options.data_drift import DataDriftOptions
except ImportError as _legacy_err:  # evidently < 0.7
    try:
        from evidently.calculations.data_drift import get_one_column_drift  # type: ignore
        from evidently.calculations.stattests import psi_stat_test  # type: ignore
        from evidently.calculations.stattests.registry import get_stattest  # type: ignore
        from evidently.core import ColumnType  # type: ignore
        from evidently.metric_results import DatasetColumns  # type: ignore
        from evidently.metric_results import DatasetUtilityColumns  # type: ignore
        from evidently.options.data_drift import DataDriftOptions  # type: ignore
    except ImportError:
        sys.exit(
            f"error: cannot import evidently ({_legacy_err}); create the venv with\n"
            "  python3.11 -m venv ~/.cache/automl-evidently-venv && "
            "~/.cache/automl-evidently-venv/bin/pip install -r tests/drift/requirements.txt"
        )

KINDS = {"numeric": ColumnType.Numerical, "categorical": ColumnType.Categorical}
# evidently StatTest.name -> name used in our drift.json (identical today).
TEST_NAMES = {
    "ks": "ks",
    "chisquare": "chisquare",
    "z": "z",
    "wasserstein": "wasserstein",
    "jensenshannon": "jensenshannon",
}
DEFAULT_THRESHOLDS = {"ks": 0.05, "chisquare": 0.05, "z": 0.05, "wasserstein": 0.1, "jensenshannon": 0.1}
REL_TOL = 1e-6


class InputError(Exception):
    pass


def load_column(path: str, column: str, kind: str) -> pd.Series:
    try:
        header = pd.read_csv(path, nrows=0).columns
    except Exception as e:  # noqa: BLE001
        raise InputError(f"cannot read {path}: {e}") from e
    if column not in header:
        raise InputError(f"column {column!r} not found in {path}")
    dtype = str if kind == "categorical" else float
    try:
        df = pd.read_csv(path, usecols=[column], dtype={column: dtype}, float_precision="round_trip")
    except ValueError as e:
        raise InputError(f"column {column!r} of {path} cannot be read as {kind}: {e}") from e
    return df[column]


def clean(series: pd.Series) -> pd.Series:
    """Exactly what get_one_column_drift does before choosing/running a test."""
    return series.replace([-np.inf, np.inf], np.nan).dropna()


def to_float(x) -> float:
    if x is None:
        return math.nan
    if isinstance(x, bool):
        return float(x)
    return float(x)


def close(a: float, b: float, tol: float) -> tuple[bool, float]:
    if math.isnan(a) or math.isnan(b):
        return (math.isnan(a) and math.isnan(b)), math.nan
    if math.isinf(a) or math.isinf(b):
        return a == b, (0.0 if a == b else math.inf)
    diff = abs(a - b)
    if diff <= tol:
        return True, diff
    big = max(abs(a), abs(b))
    if big > 1 and diff / big <= REL_TOL:
        return True, diff
    return False, diff


def fmt(x) -> str:
    if isinstance(x, (bool, np.bool_)):
        return str(bool(x)).lower()
    if x is None:
        return "-"
    if isinstance(x, (float, np.floating, int, np.integer)):
        x = float(x)
        if math.isnan(x):
            return "nan"
        return f"{x:.10g}"
    return str(x)


def run_pipeline(ref_raw: pd.Series, cur_raw: pd.Series, column: str, ctype, threshold: float):
    """evidently's own per-column pipeline (as evidently.metrics.ValueDrift calls it)."""
    options = DataDriftOptions(all_features_threshold=threshold)
    dataset_columns = DatasetColumns(
        utility_columns=DatasetUtilityColumns(date=None, id=None, target=None, prediction=None),
        target_type=None,
        task=None,
        num_feature_names=[column] if ctype == ColumnType.Numerical else [],
        cat_feature_names=[column] if ctype == ColumnType.Categorical else [],
        text_feature_names=[],
        datetime_feature_names=[],
        target_names=None,
    )
    return get_one_column_drift(
        current_data=cur_raw.to_frame(),
        reference_data=ref_raw.to_frame(),
        column_name=column,
        options=options,
        dataset_columns=dataset_columns,
        column_type=ctype,
        agg_data=True,
    )


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reference", required=True, help="reference CSV")
    ap.add_argument("--current", required=True, help="current CSV")
    ap.add_argument("--ours", required=True, help="drift.json written by `automl drift`")
    ap.add_argument("--tolerance", type=float, default=1e-6, help="absolute tolerance (default 1e-6)")
    ap.add_argument("--expect-drifted", default=None, help="comma-separated columns that must be flagged drifted")
    ap.add_argument("--no-pipeline", action="store_true", help="skip the get_one_column_drift cross-check")
    args = ap.parse_args(argv)

    try:
        with open(args.ours) as f:
            ours = json.load(f)
        columns = ours["columns"]
        if not isinstance(columns, list) or not columns:
            raise InputError("drift.json: 'columns' must be a non-empty list")
    except (OSError, ValueError, KeyError, InputError) as e:
        print(f"error: cannot use {args.ours}: {e}", file=sys.stderr)
        return 2

    tol = args.tolerance
    rows: list[tuple[str, str, str, str, str, str]] = []
    notes: list[str] = []
    failures = 0
    evid_drifted: dict[str, bool] = {}
    ours_drifted: dict[str, bool] = {}

    def add(col, field, ov, ev, diff, ok, status=None):
        nonlocal failures
        if not ok:
            failures += 1
        rows.append((col, field, fmt(ov), fmt(ev), fmt(diff) if diff is not None else "", status or ("OK" if ok else "FAIL")))

    for entry in columns:
        try:
            name = entry["column"]
            kind = entry["kind"]
            if kind not in KINDS:
                raise InputError(f"column {name!r}: unknown kind {kind!r} (expected numeric|categorical)")
            ctype = KINDS[kind]
            threshold = to_float(entry["threshold"])
            ref_raw = load_column(args.reference, name, kind)
            cur_raw = load_column(args.current, name, kind)
        except (KeyError, TypeError, ValueError) as e:
            print(f"error: bad column entry {entry!r}: {e}", file=sys.stderr)
            return 2
        except InputError as e:
            print(f"error: {e}", file=sys.stderr)
            return 2

        ref, cur = clean(ref_raw), clean(cur_raw)
        ours_drifted[name] = bool(entry.get("drifted"))
        if ref.empty or cur.empty:
            side = "reference" if ref.empty else "current"
            add(name, "test", entry.get("test"), f"error: empty {side} column", None, False)
            evid_drifted[name] = False
            continue

        with warnings.catch_warnings(), np.errstate(all="ignore"):
            warnings.simplefilter("ignore")
            stattest = get_stattest(ref, cur, ctype, None)
            res = stattest(ref, cur, ctype, threshold)
            psi = psi_stat_test(ref, cur, ctype, None).drift_score
            pipe = None
            pipe_err = None
            if not args.no_pipeline:
                try:
                    pipe = run_pipeline(ref_raw, cur_raw, name, ctype, threshold)
                except Exception as e:  # noqa: BLE001
                    pipe_err = f"{type(e).__name__}: {e}"

        ev_test = TEST_NAMES.get(stattest.name, stattest.name)
        ev_score = float(res.drift_score)
        ev_drifted = bool(res.drifted)
        evid_drifted[name] = ev_drifted

        add(name, "test", entry.get("test"), ev_test, None, entry.get("test") == ev_test)
        if DEFAULT_THRESHOLDS.get(ev_test) not in (None, threshold):
            notes.append(
                f"{name}: threshold {fmt(threshold)} differs from evidently's default "
                f"{DEFAULT_THRESHOLDS[ev_test]} for {ev_test}"
            )
        ok, diff = close(to_float(entry.get("score")), ev_score, tol)
        add(name, "score", entry.get("score"), ev_score, diff, ok)
        add(name, "drifted", entry.get("drifted"), ev_drifted, None, entry.get("drifted") is ev_drifted)
        if "psi" in entry and entry["psi"] is not None:
            ok, diff = close(to_float(entry["psi"]), float(psi), tol)
            add(name, "psi", entry["psi"], float(psi), diff, ok)
        else:
            add(name, "psi", None, float(psi), None, False)

        if pipe_err is not None:
            add(name, "pipeline", "-", pipe_err, None, False, "CHECKER")
        elif pipe is not None:
            same = (
                pipe.stattest_name == stattest.display_name
                and close(float(pipe.drift_score), ev_score, 1e-12)[0]
                and bool(pipe.drift_detected) == ev_drifted
            )
            if not same:
                add(
                    name,
                    "pipeline",
                    f"{stattest.display_name} {fmt(ev_score)} {ev_drifted}",
                    f"{pipe.stattest_name} {fmt(pipe.drift_score)} {pipe.drift_detected}",
                    None,
                    False,
                    "CHECKER",
                )

    # dataset level (legacy get_dataset_drift)
    drift_share = to_float(ours.get("drift_share", 0.5))
    n_cols = len(evid_drifted)
    n_drifted = sum(evid_drifted.values())
    share = n_drifted / n_cols
    ev_dataset = bool(share >= drift_share)
    add("<dataset>", "dataset_drift", ours.get("dataset_drift"), ev_dataset, None, ours.get("dataset_drift") is ev_dataset)
    for key in ("share_of_drifted_columns", "share_drifted_columns"):
        if key in ours:
            ok, diff = close(to_float(ours[key]), share, tol)
            add("<dataset>", key, ours[key], share, diff, ok)
    for key in ("number_of_drifted_columns", "n_drifted_columns"):
        if key in ours:
            add("<dataset>", key, ours[key], n_drifted, None, ours[key] == n_drifted)

    if args.expect_drifted is not None:
        expected = sorted({c.strip() for c in args.expect_drifted.split(",") if c.strip()})
        unknown = [c for c in expected if c not in evid_drifted]
        if unknown:
            notes.append(f"--expect-drifted names columns not in drift.json: {', '.join(unknown)}")
        ev_set = sorted(c for c, d in evid_drifted.items() if d)
        our_set = sorted(c for c, d in ours_drifted.items() if d)
        want = f"drifted set (want {','.join(expected) or 'none'})"
        add("<expect>", want, ",".join(our_set) or "none", ",".join(ev_set) or "none", None,
            ev_set == expected and our_set == expected)

    header = ("column", "field", "ours", "evidently", "diff", "status")
    widths = [max(len(r[i]) for r in rows + [header]) for i in range(len(header))]
    line = "  ".join(h.ljust(w) for h, w in zip(header, widths))
    print(line)
    print("-" * len(line))
    for r in rows:
        print("  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip())
    print()
    print(
        f"evidently: {n_drifted}/{n_cols} columns drifted (share {share:.6g}, "
        f"drift_share {drift_share:g}) -> dataset_drift={str(ev_dataset).lower()}"
    )
    for n in notes:
        print(f"note: {n}")
    if failures:
        print(f"FAIL: {failures} mismatch(es) (tolerance {tol:g})")
        return 1
    print(f"OK: all {len(rows)} checks agree (tolerance {tol:g})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
