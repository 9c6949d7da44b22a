#!/usr/bin/env python3
"""Predicts a compare's wall time on more cores from one run's task durations.

    automl compare DATA --target T --timings timings.csv
    benches/schedule/simulate.py timings.csv [--workers 1,2,16,64]

Reads the file `--timings` writes (every fold task of every sweep round with its queue position,
worker, start and duration; then the serial phases) and replays each round on W workers, as
the sweep runs it: workers take the tasks in queue order (longest estimated first), each the next
task when it is free. A round ends when its last task does (the next round's tasks depend on its
scores). Before the first round (reading, profiling) and the phases after the sweep (ensembles,
refit, outputs) count as serial. Also shown: the same tasks dealt longest *measured* first (LPT:
what a perfect cost estimate would give) and the lower bound max(longest task, work / W).

It first checks itself: replayed on the worker count of the run, the sweep's makespan should
match the one measured (the 'replay' line). Task durations are those of the machine that ran
them; on another machine each task takes what it takes there (memory bandwidth, turbo), so the
prediction is for the same per-task speed.

Standard library only.
"""

import argparse
import csv
import heapq
import sys


def read(path):
    rounds, phases = {}, []
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            seconds = float(row["seconds"])
            if row["phase"] == "sweep":
                rounds.setdefault(int(row["round"]), []).append(
                    {
                        "queue": int(row["queue"]),
                        "worker": int(row["worker"]),
                        "start": float(row["start_s"]),
                        "seconds": seconds,
                        "estimate": float(row["estimated_cost"]),
                        "work": row["work"],
                    }
                )
            else:
                phases.append((row["phase"], float(row["start_s"]), seconds))
    if not rounds:
        sys.exit(f"{path}: no sweep tasks (is it a file from `automl compare --timings`?)")
    return [sorted(r, key=lambda t: t["queue"]) for _, r in sorted(rounds.items())], phases


def makespan(durations, workers):
    """Greedy list scheduling: each task, in the order given, to the first free worker."""
    free = [0.0] * workers
    heapq.heapify(free)
    end = 0.0
    for d in durations:
        start = heapq.heappop(free)
        heapq.heappush(free, start + d)
        end = max(end, start + d)
    return end


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("timings")
    parser.add_argument("--workers", default="1,2,4,8,16,32,64")
    args = parser.parse_args()
    counts = [int(w) for w in args.workers.split(",")]
    rounds, phases = read(args.timings)

    first_start = min(t["start"] for t in rounds[0])
    serial = first_start + sum(s for _, _, s in phases)
    ran_on = max(t["worker"] for r in rounds for t in r) + 1
    measured = sum(
        max(t["start"] + t["seconds"] for t in r) - min(t["start"] for t in r) for r in rounds
    )
    work = sum(t["seconds"] for r in rounds for t in r)
    replay = sum(makespan([t["seconds"] for t in r], ran_on) for r in rounds)

    print(f"{args.timings}: {sum(map(len, rounds))} fold tasks in {len(rounds)} round(s), "
          f"{work:.2f} s of task time; ran on {ran_on} worker(s)")
    print(f"serial: {first_start:.2f} s before the sweep, "
          + ", ".join(f"{name} {s:.2f} s" for name, _, s in phases))
    print(f"replay on {ran_on}: sweep {replay:.2f} s predicted, {measured:.2f} s measured "
          f"({(replay / measured - 1) * 100:+.1f}%)")
    longest = max(rounds[0], key=lambda t: t["seconds"])
    print(f"longest task: {longest['seconds']:.2f} s, {longest['work']}")
    print()
    print("| workers | sweep (queue order) | sweep (LPT, measured) | bound | whole run | "
          "speedup | efficiency |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    whole_1 = serial + sum(makespan([t["seconds"] for t in r], 1) for r in rounds)
    for w in counts:
        queue = sum(makespan([t["seconds"] for t in r], w) for r in rounds)
        lpt = sum(makespan(sorted((t["seconds"] for t in r), reverse=True), w) for r in rounds)
        bound = sum(max(max(t["seconds"] for t in r), sum(t["seconds"] for t in r) / w)
                    for r in rounds)
        whole = serial + queue
        speedup = whole_1 / whole
        print(f"| {w} | {queue:.2f} s | {lpt:.2f} s | {bound:.2f} s | {whole:.2f} s | "
              f"{speedup:.2f}x | {speedup / w * 100:.0f}% |")


if __name__ == "__main__":
    main()
