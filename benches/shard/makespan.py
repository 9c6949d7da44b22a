#!/usr/bin/env python3
"""Job-array makespans predicted from the measured task times of a sharded compare.

    makespan.py SHARD_DIR [--workers 16 64 256] [--overhead SECONDS]

Reads every shard-*.json in SHARD_DIR (one complete shard set of one compare) and takes each task's
`fit_seconds` (its fit and predict). Candidates that share one staged fit (boosting with fewer
iterations, scored from the fit with the most) are recorded once per candidate with the same
`fit_seconds`; they are one unit of work here, counted once. A task that failed has no time and
counts as 0 s.

For each W, a job array of W workers, each a shard running its units one after another:
  (a) LPT: the units dealt longest first, each to the least-loaded worker, with the measured times
      standing in for automl's estimated cost (the deal `automl compare --shard` makes);
  (b) the lower bound max(longest unit, total / W).
The shard set's own deal (by the estimated cost) is shown too, at its own N. `--overhead` adds a
fixed cost to every worker (start, reading the data, writing the shard file). Standard library only.
"""

import argparse
import glob
import heapq
import json
import os
import sys
from collections import defaultdict


def load(folder):
    files = sorted(glob.glob(os.path.join(folder, "shard-*.json")))
    if not files:
        sys.exit(f"makespan.py: {folder} holds no shard-*.json files")
    shards = [json.load(open(f)) for f in files]
    counts = {s["shards"] for s in shards}
    if len(counts) != 1 or len(shards) != counts.pop():
        sys.exit(f"makespan.py: {folder} is not one complete shard set ({len(shards)} files)")
    return shards


def units(shards):
    """(shard, algorithm, seconds) per unit of work, and the number of failed tasks."""
    seen = set()
    out, failed = [], 0
    for s in shards:
        for t in s["tasks"]:
            scored = t["result"].get("scored")
            if scored is None:
                failed += 1
                out.append((s["shard"], t["algorithm"], 0.0))
                continue
            # Members of one staged fit: same shard, algorithm and fold, and the very same time.
            key = (s["shard"], t["algorithm"], t["fold"], scored["fit_seconds"])
            if key in seen:
                continue
            seen.add(key)
            out.append((s["shard"], t["algorithm"], float(scored["fit_seconds"])))
    return out, failed


def lpt(durations, workers):
    loads = [(0.0, w) for w in range(workers)]
    for d in sorted(durations, reverse=True):
        load, w = heapq.heappop(loads)
        heapq.heappush(loads, (load + d, w))
    return max(load for load, _ in loads)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("folder")
    ap.add_argument("--workers", type=int, nargs="+", default=[16, 64, 256])
    ap.add_argument("--overhead", type=float, default=0.0, help="fixed seconds per worker")
    args = ap.parse_args()

    shards = load(args.folder)
    work, failed = units(shards)
    durations = [d for _, _, d in work]
    total = sum(durations)
    longest = max(durations, default=0.0)
    records = sum(len(s["tasks"]) for s in shards)
    n = len(shards)
    over = args.overhead

    print(f"#### Job-array makespans from {n} shards' task times ({os.path.basename(os.path.normpath(args.folder))})")
    print()
    print(
        f"{records} tasks (candidate x fold) = {len(work)} units of work after counting each shared staged fit "
        f"once; {failed} failed. Summed task time **{total:.2f} s**, longest unit {longest:.3f} s."
        + (f" Every worker also pays {over:.2f} s of fixed cost." if over else "")
    )
    print()
    print("| workers | makespan (s), LPT | lower bound (s) | speed-up over summed task time | LPT / bound |")
    print("|---:|---:|---:|---:|---:|")
    for w in args.workers:
        span = lpt(durations, w) + over
        bound = max(longest, total / w) + over
        print(f"| {w} | {span:.3f} | {bound:.3f} | {total / span:.1f}x | {span / bound:.3f} |")
    print()

    # The deal the shards actually got (automl's estimated cost), with the measured times.
    per_shard = defaultdict(float)
    for shard, _, d in work:
        per_shard[shard] += d
    loads = [per_shard.get(i, 0.0) for i in range(n)]
    dealt = max(loads) + over
    bound = max(longest, total / n) + over
    print(
        f"As dealt by automl (estimated cost) to these {n} shards: makespan {dealt:.3f} s "
        f"(LPT with measured times {lpt(durations, n) + over:.3f} s, bound {bound:.3f} s); "
        f"per-shard task time {min(loads):.3f} to {max(loads):.3f} s, "
        f"{sum(1 for s in shards if not s['tasks'])} shards with no tasks."
    )
    print()

    by_algo = defaultdict(lambda: [0, 0.0, 0.0])
    for _, algo, d in work:
        a = by_algo[algo]
        a[0] += 1
        a[1] += d
        a[2] = max(a[2], d)
    print("| algorithm | units | task time (s) | share | longest unit (s) |")
    print("|---|---:|---:|---:|---:|")
    for algo, (count, secs, big) in sorted(by_algo.items(), key=lambda kv: -kv[1][1]):
        share = secs / total * 100 if total else 0.0
        print(f"| {algo} | {count} | {secs:.2f} | {share:.1f}% | {big:.3f} |")


if __name__ == "__main__":
    main()
