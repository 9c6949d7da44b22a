#!/usr/bin/env python3
"""Predicts a compare's wall time on more cores from one run's task durations.

    automl compare DATA --target T --timings timings.csv
    benches/schedule/simulate.py timings.csv [--workers 1,2,16,64]

Reads the file `--timings` writes and replays the run on W workers:
- each sweep round (grid, search rounds) as the sweep runs it: workers take the fold tasks in queue
  order (longest estimated first), each the next task when it is free; a round ends when its last
  task does (the next depends on its scores);
- each phase after the sweep (ensembles, refit, outputs, tracking) from its wall time w and CPU
  time c on R threads (Amdahl from two figures: a serial part s and a parallel part p with
  s + p/R = w and s + p = c), as s + p/W; the refit no shorter than its longest fit (each fit is a
  line of its own; a forest's, a tree's share of it);
- the time before the first task (reading, profiling) as serial.
Beside the queue order: the same tasks dealt longest *measured* first (LPT: what a perfect cost
estimate would give) and the lower bound max(longest task, work / W) for the sweep.

Workers whose queue is empty take part of a running fit (the sweep's fit pool lends their threads:
src/sweep/isolate.rs). The simulator counts that for the fits whose parallel work it knows: a forest
of n trees is n equal parts, taken by as many workers as have nothing else to do; a boosting fit
(gbm) offers pieces of its rows' work to any number of workers, all but a serial share of it
(`--boosting-serial`, measured by `examples/fit_threads.rs` as 2 * T2 / T1 - 1 from one fit's times
on 1 and 2 threads: Amdahl's law, an extrapolation); every other fit is one part. The 'sweep (queue order)' column counts the lending; 'one part each' is the same schedule
without it. A fit that was helped in the measured run took less wall time than its work, so its
duration undercounts its work a little (on 2 cores only the last fits of a round can be helped).
Where the measured run scored a spare task (a first-round task on another fold: the race spares on
tables of 5,000 rows or more whose folds' matrices fit in 256 MiB together, never under a time budget),
the race's two rounds are replayed with the spare tasks (idle workers scoring settings' other folds
before the race decides: src/sweep/mod.rs, `run_sparing`); 'one part each, spares' is the same without
the lending, and 'one part each' the rounds as they ran, spares as first-round work.

It first checks itself: replayed on R, the run's predicted wall time should match the one measured
(the 'replay' line). Task durations are those of the machine that ran them; on another machine each
task takes what it takes there (memory bandwidth, turbo), so the prediction is for the same per-task
speed.

Standard library only.
"""

import argparse
import csv
import heapq
import math
import re
import sys


def read(path):
    rounds, phases, fits = {}, [], {}
    with open(path, newline="") as f:
        for row in csv.DictReader(f):
            seconds, start = float(row["seconds"]), float(row["start_s"])
            if row["phase"] == "sweep":
                rounds.setdefault(int(row["round"]), []).append(
                    {
                        "queue": int(row["queue"]),
                        "worker": int(row["worker"]),
                        "fold": row["fold"],
                        "start": start,
                        "seconds": seconds,
                        "work": row["work"],
                    }
                )
            elif row["phase"] == "fit":
                # A forest's trees are refitted in parallel too, and a booster's pieces.
                fits.setdefault(int(row["round"]), []).append((row["work"], seconds))
            else:
                phases.append(
                    {
                        "name": row["phase"],
                        "round": int(row["round"]),
                        "start": start,
                        "seconds": seconds,
                        "cpu": float(row["cpu_s"]),
                    }
                )
    if not rounds:
        sys.exit(f"{path}: no sweep tasks (is it a file from `automl compare --timings`?)")
    for p in phases:
        p["fits"] = fits.get(p["round"], [])
    return [sorted(r, key=lambda t: t["queue"]) for _, r in sorted(rounds.items())], phases


def amdahl(phase, ran_on):
    """A phase's serial and parallel seconds, from its wall and CPU time on `ran_on` threads."""
    w, c = phase["seconds"], phase["cpu"]
    p = 0.0 if ran_on < 2 else min(max((c - w) * ran_on / (ran_on - 1), 0.0), c)
    return max(w - p / ran_on, 0.0), p


def parts(work):
    """How many equal parts a fit's work splits into over idle workers: a forest's trees."""
    m = re.match(r"(rf|et)\(.*n_trees=(\d+)", work)
    return int(m.group(2)) if m else 1


BOOSTING_SERIAL = [1.0]


def speed(work, workers):
    """Seconds of a fit's one-worker time done per second by `workers` workers: a forest's as many
    as its workers, a boosting fit's by Amdahl's law with its serial share, any other fit's 1."""
    if work.startswith("gbm(") and BOOSTING_SERIAL[0] < 1.0:
        s = BOOSTING_SERIAL[0]
        return 1.0 / (s + (1.0 - s) / workers)
    return float(workers) if parts(work) > 1 else 1.0


def shortest(work, seconds, workers):
    """A fit's wall time with `workers` workers helping it from start to end."""
    if parts(work) > 1:
        return seconds / min(parts(work), workers)
    return seconds / speed(work, workers)


def lent_makespan(tasks, workers, spares=()):
    """List scheduling in queue order where a worker with no task left helps a running fit that
    splits (see `parts`): a fluid model, each fit's remaining work shared by its workers, no more
    workers on a fit than it has parts left; an idle worker joins the fit with the most remaining
    work per worker. With `spares` ((work, seconds) in order), a worker that finds the queue empty
    while some task of it still runs takes the next spare task first (one part). Returns the
    makespan and how many spare tasks of each work were run."""
    queue = list(tasks)
    queue.reverse()
    spares = list(spares)
    spares.reverse()
    ran = {}
    running = []  # [remaining seconds, seconds per part, workers, spare, work]
    t, free = 0.0, workers
    while queue or running:
        while free and queue:
            task = queue.pop()
            n = parts(task["work"])
            running.append([task["seconds"], task["seconds"] / n, 1, False, task["work"]])
            free -= 1
        while free and spares and any(not r[3] for r in running):
            work, seconds = spares.pop()
            running.append([seconds, seconds, 1, True, ""])
            ran[work] = ran.get(work, 0) + 1
            free -= 1
        while free:
            def room(r):
                if speed(r[4], 2) > 1.0 and parts(r[4]) == 1:
                    return True
                return r[2] < math.ceil(r[0] / r[1] - 1e-9)
            open_ = [r for r in running if room(r) and speed(r[4], 2) > 1.0]
            if not open_:
                break
            r = max(open_, key=lambda r: r[0] / speed(r[4], r[2]))
            r[2] += 1
            free -= 1
        step = min(r[0] / speed(r[4], r[2]) for r in running)
        t += step
        for r in running:
            r[0] -= step * speed(r[4], r[2])
        for r in [r for r in running if r[0] <= 1e-12]:
            running.remove(r)
            free += r[2]
    return t, ran


def race_makespan(first, second, workers, lend=True):
    """The race's two rounds as the sweep runs them when it spares: workers take the first fold's
    tasks in queue order; a worker that finds that queue empty while some of them still run takes
    a spare task (a setting's other folds, settings in queue order) instead of idling. A spare of a
    setting the race kept takes what its fold took in the run; of one it pruned, what its first
    fold took (work thrown away; forests' looks, `n_trees=10`, have no spares). The second round
    runs the kept settings' folds not spared. Without `lend`, every fit is one part."""
    fold = first[0]["fold"]
    main = [t for t in first if t["fold"] == fold]
    later = {}
    for t in [t for t in first if t["fold"] != fold] + second:
        later.setdefault(t["work"], []).append(t)
    spares = []
    for t in main:
        if t["work"] in later:
            spares += [(t["work"], s["seconds"]) for s in later[t["work"]]]
        elif not re.search(r"n_trees=10\b", t["work"]):
            spares += [(None, t["seconds"])] * 4

    def one(tasks):
        return tasks if lend else [dict(t, work="") for t in tasks]


    end, ran = lent_makespan(one(main), workers, spares)
    rest = [t for work, ts in later.items() for t in ts[ran.get(work, 0):]]
    return end + lent_makespan(one(rest), workers)[0]


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
    parser.add_argument("--boosting-serial", type=float, default=1.0,
                        help="serial share of a boosting fit (1: it does not split, the default)")
    args = parser.parse_args()
    BOOSTING_SERIAL[0] = args.boosting_serial
    counts = [int(w) for w in args.workers.split(",")]
    rounds, phases = read(args.timings)

    first_start = min(t["start"] for t in rounds[0])
    ran_on = max(t["worker"] for r in rounds for t in r) + 1
    end = max([t["start"] + t["seconds"] for r in rounds for t in r]
              + [p["start"] + p["seconds"] for p in phases])
    spans = [max(t["start"] + t["seconds"] for t in r) - min(t["start"] for t in r) for r in rounds]
    unrecorded = max(end - first_start - sum(spans) - sum(p["seconds"] for p in phases), 0.0)
    work = sum(t["seconds"] for r in rounds for t in r)

    # A run that scored a spare task (a first-round task on another fold) spared.
    spared = len(rounds) > 1 and any(t["fold"] != rounds[0][0]["fold"] for t in rounds[0])

    def sweep(w, lend=True):
        if spared:
            rest = sum(lent_makespan(r, w)[0] for r in rounds[2:])
            return race_makespan(rounds[0], rounds[1], w, lend) + rest
        return sum(lent_makespan(r, w)[0] for r in rounds)

    def unlent(w, order=lambda r: r):
        return sum(makespan([t["seconds"] for t in order(r)], w) for r in rounds)

    def after(w):
        return sum(max([s + p / w] + [shortest(work, sec, w) for work, sec in ph["fits"]])
                   for ph in phases for s, p in [amdahl(ph, ran_on)])

    def whole(w):
        return first_start + unrecorded + sweep(w) + after(w)

    print(f"{args.timings}: {sum(map(len, rounds))} fold tasks in {len(rounds)} round(s), "
          f"{work:.2f} s of task time; ran on {ran_on} worker(s)")
    print(f"before the sweep {first_start:.2f} s; "
          + "; ".join(f"{p['name']} {p['seconds']:.2f} s ({p['cpu']:.2f} s CPU, "
                      f"serial {amdahl(p, ran_on)[0]:.2f} s, longest fit "
                      f"{max([0.0] + [sec for _, sec in p['fits']]):.2f} s)"
                      for p in phases)
          + f"; unrecorded {unrecorded:.2f} s")
    print(f"replay on {ran_on}: {whole(ran_on):.2f} s predicted, {end:.2f} s measured "
          f"({(whole(ran_on) / end - 1) * 100:+.1f}%); the sweep {sweep(ran_on):.2f} s predicted, "
          f"{sum(spans):.2f} s measured")
    longest = max((t for r in rounds for t in r), key=lambda t: t["seconds"])
    print(f"longest task: {longest['seconds']:.2f} s, {longest['work']}")
    print()
    print("| workers | sweep (queue order) | one part each | one part each, LPT (measured) | "
          "one part each, spares | sweep bound | after the sweep | whole run | speedup | "
          "efficiency |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for w in counts:
        lpt = unlent(w, lambda r: sorted(r, key=lambda t: -t["seconds"]))
        bound = sum(max(max(shortest(t["work"], t["seconds"], w) for t in r),
                        sum(t["seconds"] for t in r) / w)
                    for r in rounds)
        speedup = whole(1) / whole(w)
        merged = f"{sweep(w, lend=False):.2f} s" if spared else "-"
        print(f"| {w} | {sweep(w):.2f} s | {unlent(w):.2f} s | {lpt:.2f} s | {merged} | "
              f"{bound:.2f} s | "
              f"{after(w):.2f} s | {whole(w):.2f} s | {speedup:.2f}x | {speedup / w * 100:.0f}% |")


if __name__ == "__main__":
    main()
