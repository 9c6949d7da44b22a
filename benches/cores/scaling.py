#!/usr/bin/env python3
"""Measures issue 18's target 2 on a many-core machine: a compare's wall time at several thread
counts, its parallel efficiency T(1) / (n x T(n)), whether the leaderboard is the same at every
thread count, and beside them the schedule simulator's prediction, made as BENCHMARKS.md's are:
from the timings of a two-thread run.

    benches/cores/pack.sh                       # here: a stripped binary and gzipped tables in .cores/
    benches/cores/scaling.py --pack .cores --out DIR [--threads 1,2,16,8,4] [--limit 420] [TABLE...]

TABLE is one of wage, synth20k, birthdays (default: all three, in that order; a table whose file is
not in the pack is skipped with a line saying so). Each table runs first on one thread (the
reference leaderboard), then on the other counts in the order given; three times each when its
one-thread run took under 20 s, else once. Every run is a plain `automl compare` (ensembles, refit,
export; no tracking) with RAYON_NUM_THREADS set. A run starts only if it will likely end inside
--limit seconds from the script's start (guessed as the one-thread time divided by its threads), else
it is listed as skipped; a run once started goes on to its end, so leave the caller's own time limit
room for the longest one.

First, where the pack has fit_threads.gz and birthdays (and `--no-lone-fit` is not given), one boosting
fit alone (`examples/fit_threads.rs`: birthdays' numeric columns, gbm with 300 trees of depth 6) is
timed at every thread count: how far one long fit splits over idle cores, checked to give the same
predictions at every count. Its one- and two-thread times give the booster's serial share,
2 * T2 / T1 - 1, which the simulator is told (`--boosting-serial`).

The simulator reads the first two-thread run (the one-thread run where 2 is not among --threads): on
one thread it cannot tell a phase's serial part from its parallel part (it sees only their sum), so
it would count the phases after the sweep as serial (wage on 2 cores: 1.15 s predicted from one
thread, 1.01 s measured).

Writes into --out, refreshed after every run (so a run cut off at a time limit still leaves what it
measured): cores.md (the report), runs.csv (one line per run) and runs.tar.gz (every run's
leaderboard.csv and timings.csv). The leaderboard check compares every field of every row but
fit_seconds with the one-thread run's. Exits 1 when a run failed or a leaderboard differed.
Standard library only.
"""

import argparse
import csv
import gzip
import io
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time

# name: (file in the pack, target, extra compare arguments)
TABLES = {
    "wage": ("wage.csv.gz", "wage", ["--ignore", "logwage"]),
    "synth20k": ("synth20000.csv.gz", "y", []),
    "birthdays": ("birthdays.csv.gz", "births", []),
}
# One boosting fit alone: (file in the pack, target, algorithm and setting).
LONE_FIT = ("birthdays.csv.gz", "births",
            ["gbm", "iterations=300", "max_depth=6", "learning_rate=0.1"])
REPEAT_UNDER_S = 20.0
HERE = os.path.dirname(os.path.abspath(__file__))
SIMULATE = os.path.join(HERE, "..", "schedule", "simulate.py")


def unpack(path, into):
    """Writes the gunzipped `path` into the folder `into`; returns its new path."""
    name = os.path.basename(path)
    out = os.path.join(into, name[:-3] if name.endswith(".gz") else name)
    with (gzip.open(path, "rb") if name.endswith(".gz") else open(path, "rb")) as src, \
            open(out, "wb") as dst:
        shutil.copyfileobj(src, dst)
    return out


def leaderboard(path):
    with open(path, newline="") as f:
        return [{k: v for k, v in row.items() if k != "fit_seconds"} for row in csv.DictReader(f)]


def differences(a, b):
    """Fields (row, column) that differ between two leaderboards, and a line on the first."""
    if len(a) != len(b):
        return 1, f"{len(a)} rows against {len(b)}"
    diffs = [(i, k, ra[k], rb.get(k)) for i, (ra, rb) in enumerate(zip(a, b))
             for k in ra if ra[k] != rb.get(k)]
    first = "" if not diffs else "row {}, {}: {} against {}".format(*diffs[0])
    return len(diffs), first


def lone_fit(binary, data, counts):
    """One fit's seconds and whether its predictions were the first count's, per thread count, and
    the tool's output; ({}, output) where it failed."""
    command = [binary, data, LONE_FIT[1], *LONE_FIT[2], "--threads", ",".join(map(str, counts))]
    out = subprocess.run(command, capture_output=True, text=True)
    timed = {}
    for line in out.stdout.splitlines():
        words = line.split()
        if len(words) >= 5 and words[0] == "threads":
            timed[int(words[1])] = (float(words[2]), words[-1] in ("first", "same"))
    return (timed if out.returncode == 0 else {}), (out.stdout + out.stderr).strip()


def predicted(timings, counts, serial=None):
    """The simulator's whole-run prediction per worker count, from its Markdown table; told the
    boosting fits' `serial` share where it is known."""
    told = [] if serial is None else ["--boosting-serial", f"{serial:.3f}"]
    out = subprocess.run([sys.executable, SIMULATE, timings, "--workers",
                          ",".join(map(str, counts)), *told], capture_output=True, text=True)
    if out.returncode != 0:
        return {}, out.stderr.strip()
    rows = [line.strip().strip("|").split("|") for line in out.stdout.splitlines()
            if line.startswith("|")]
    try:
        column = [c.strip() for c in rows[0]].index("whole run")
        whole = {int(r[0]): float(r[column].strip().rstrip(" s")) for r in rows[2:]}
    except (IndexError, ValueError):  # a table not as expected: its text is still shown
        whole = {}
    return whole, out.stdout


class Report:
    def __init__(self, out, machine):
        self.out, self.machine = out, machine
        self.runs = []  # dicts: table, threads, repeat, wall, code, diffs, first, folder
        self.skipped = []  # lines
        self.simulated = {}  # table: (threads of the run read, {workers: seconds}, its output)
        self.lone = ({}, "")  # ({threads: (seconds, same predictions)}, the tool's output)

    def write(self):
        with open(os.path.join(self.out, "runs.csv"), "w", newline="") as f:
            w = csv.writer(f)
            w.writerow(["table", "threads", "repeat", "wall_s", "exit", "leaderboard_differences"])
            for r in self.runs:
                w.writerow([r["table"], r["threads"], r["repeat"], f"{r['wall']:.3f}", r["code"],
                            r["diffs"]])
        with tarfile.open(os.path.join(self.out, "runs.tar.gz"), "w:gz") as tar:
            for r in self.runs:
                for name in ("leaderboard.csv", "timings.csv"):
                    path = os.path.join(r["folder"], name)
                    if os.path.exists(path):
                        tar.add(path, arcname=f"{os.path.basename(r['folder'])}/{name}")
        with open(os.path.join(self.out, "cores.md"), "w") as f:
            f.write(self.markdown())

    def markdown(self):
        lines = [f"# Thread scaling: {self.machine}", ""]
        timed, text = self.lone
        if text:
            lines += ["## One boosting fit alone", "", "```", text, "```", ""]
        if 1 in timed:
            lines += ["| threads | seconds | speedup | efficiency | predictions as at 1 thread |",
                      "|---:|---:|---:|---:|---|"]
            for n, (seconds, same) in sorted(timed.items()):
                speedup = timed[1][0] / seconds
                lines.append(f"| {n} | {seconds:.3f} s | {speedup:.2f}x | "
                             f"{speedup / n * 100:.0f}% | {'same' if same else 'DIFFERENT'} |")
            lines.append("")
        for table in dict.fromkeys(r["table"] for r in self.runs):
            runs = [r for r in self.runs if r["table"] == table and r["code"] == 0]
            one = [r["wall"] for r in runs if r["threads"] == 1]
            on, whole, _ = self.simulated.get(table, (None, {}, ""))
            lines += [f"## {table}", "",
                      "| threads | runs | wall (median) | range | speedup | efficiency | "
                      f"predicted from {on or '-'} threads | leaderboard as at 1 thread |",
                      "|---:|---:|---:|---:|---:|---:|---:|---|"]
            for n in sorted({r["threads"] for r in runs}):
                walls = [r["wall"] for r in runs if r["threads"] == n]
                median = statistics.median(walls)
                speedup = statistics.median(one) / median if one else float("nan")
                same = [r for r in runs if r["threads"] == n]
                verdict = ("same" if all(r["diffs"] == 0 for r in same) else
                           "; ".join(f"{r['diffs']} fields differ ({r['first']})"
                                     for r in same if r["diffs"]))
                guess = f"{whole[n]:.2f} s" if n in whole else "-"
                lines.append(f"| {n} | {len(walls)} | {median:.2f} s | {min(walls):.2f}-"
                             f"{max(walls):.2f} s | {speedup:.2f}x | {speedup / n * 100:.0f}% | "
                             f"{guess} | {verdict} |")
            failed = [r for r in self.runs if r["table"] == table and r["code"] != 0]
            lines += [f"- failed: {r['threads']} threads, run {r['repeat']}, exit {r['code']}"
                      for r in failed]
            lines.append("")
        if self.skipped:
            lines += ["## Skipped", ""] + [f"- {s}" for s in self.skipped] + [""]
        for table, (on, _, text) in self.simulated.items():
            lines += [f"## {table}: the simulator on the first {on}-thread run", "", "```",
                      text.strip(),
                      "```", ""]
        return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("tables", nargs="*", default=list(TABLES), metavar="TABLE")
    parser.add_argument("--pack", required=True, help="folder from pack.sh (automl.gz, *.csv.gz)")
    parser.add_argument("--out", required=True, help="folder for cores.md, runs.csv, runs.tar.gz")
    parser.add_argument("--threads", default="1,2,16,8,4")
    parser.add_argument("--limit", type=float, default=420.0, help="seconds for all runs")
    parser.add_argument("--no-lone-fit", action="store_true", help="skip the one boosting fit")
    args = parser.parse_args()
    start = time.monotonic()
    unknown = [t for t in args.tables if t not in TABLES]
    if unknown:
        parser.error(f"unknown table(s) {', '.join(unknown)}; known: {', '.join(TABLES)}")
    try:
        counts = [int(n) for n in args.threads.split(",")]
    except ValueError:
        parser.error(f"--threads must be whole numbers separated by commas, not {args.threads!r}")
    if not counts or min(counts) < 1:
        parser.error("--threads needs counts of at least 1")
    counts = [1] + [n for n in dict.fromkeys(counts) if n != 1]
    simulated_on = 2 if 2 in counts else 1
    binary = os.path.join(args.pack, "automl.gz")
    if not os.path.exists(binary):
        sys.exit(f"scaling.py: {binary} is missing: run benches/cores/pack.sh first")
    os.makedirs(args.out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="automl-cores-")
    automl = unpack(binary, work)
    os.chmod(automl, 0o755)
    model = next((line.split(":", 1)[1].strip() for line in open("/proc/cpuinfo")
                  if line.startswith("model name")), platform.processor()) \
        if os.path.exists("/proc/cpuinfo") else platform.processor()
    report = Report(args.out, f"{os.cpu_count()} cores, {model}")

    serial = None
    fit_binary = os.path.join(args.pack, "fit_threads.gz")
    fit_data = os.path.join(args.pack, LONE_FIT[0])
    if not args.no_lone_fit and os.path.exists(fit_binary) and os.path.exists(fit_data):
        tool = unpack(fit_binary, work)
        os.chmod(tool, 0o755)
        report.lone = lone_fit(tool, unpack(fit_data, work), counts)
        timed = report.lone[0]
        if 1 in timed and 2 in timed:
            serial = min(max(2 * timed[2][0] / timed[1][0] - 1, 0.0), 1.0)
        print(f"one boosting fit: {report.lone[1]}", file=sys.stderr)
        report.write()

    for table in args.tables:
        file, target, extra = TABLES[table]
        packed = os.path.join(args.pack, file)
        if not os.path.exists(packed):
            report.skipped.append(f"{table}: {file} is not in the pack")
            continue
        data = unpack(packed, work)
        reference, repeats, one_thread = None, 1, None
        for n in counts:
            repeat = 0
            while repeat < repeats:
                repeat += 1
                guess = (one_thread or 0.0) / n
                if time.monotonic() - start + guess > args.limit:
                    report.skipped.append(f"{table}: {n} threads, run {repeat} "
                                          f"(about {guess:.0f} s; the --limit is near)")
                    continue
                folder = os.path.join(work, f"{table}-t{n}-r{repeat}")
                command = [automl, "compare", data, "--target", target, *extra, "--quiet",
                           "--no-track", "--out", folder,
                           "--timings", os.path.join(folder, "timings.csv")]
                began = time.perf_counter()
                try:
                    done = subprocess.run(command, stdout=subprocess.DEVNULL,
                                          stderr=subprocess.PIPE, text=True,
                                          env={**os.environ, "RAYON_NUM_THREADS": str(n)})
                except OSError as e:  # the binary does not run here at all
                    sys.exit(f"scaling.py: cannot run {automl}: {e}")
                wall = time.perf_counter() - began
                diffs, first = 0, ""
                if done.returncode != 0:
                    print(f"{table} at {n} threads failed: {done.stderr.strip()[-500:]}",
                          file=sys.stderr)
                else:
                    board = leaderboard(os.path.join(folder, "leaderboard.csv"))
                    if reference is None:
                        reference = board
                    diffs, first = differences(reference, board)
                report.runs.append(dict(table=table, threads=n, repeat=repeat, wall=wall,
                                        code=done.returncode, diffs=diffs, first=first,
                                        folder=folder))
                print(f"{table}: {n} threads, run {repeat}: {wall:.2f} s, exit "
                      f"{done.returncode}, {diffs} leaderboard fields differ", file=sys.stderr)
                if n == 1 and repeat == 1 and done.returncode == 0:
                    one_thread = wall
                    repeats = 3 if wall < REPEAT_UNDER_S else 1
                if n == simulated_on and repeat == 1 and done.returncode == 0:
                    report.simulated[table] = (n, *predicted(
                        os.path.join(folder, "timings.csv"), counts, serial))
                report.write()
    report.write()
    shutil.rmtree(work, ignore_errors=True)
    failed = any(r["code"] != 0 or r["diffs"] for r in report.runs) or any(
        not same for _, same in report.lone[0].values())
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
