"""Checks the module graph of src/ (from ../shared/tools/modgraph.py's JSON on stdin): no cycles,
no module importing from one later in the flow, and no source file over 600 lines.
usage: python3 ../shared/tools/modgraph.py src | python3 .ci/flow.py"""
import json
import sys

# The flow, first to last (lib.rs's docs say the same); `cli` is the binary's.
FLOW = [
    "task", "stats", "error", "io", "profile", "table", "folds", "preprocess", "metrics",
    "algorithms", "importance", "sweep", "leaderboard", "search", "ensemble", "model", "shard", "compare", "provenance",
    "report", "artifacts", "tracking", "registry", "serve", "drift", "cli",
]
MAX_LINES = 600

graph = json.load(sys.stdin)
problems = []
if graph["cycles"]:
    problems.append(f"import cycles: {graph['cycles']}")
for a, b in graph["edges"]:
    if a not in FLOW or b not in FLOW:
        problems.append(f"module {a if a not in FLOW else b} is not in .ci/flow.py's FLOW")
    elif FLOW.index(b) > FLOW.index(a):
        problems.append(f"{a} imports {b}, which comes later in the flow")
path, lines = graph["max_lines"]
if lines > MAX_LINES:
    problems.append(f"{path} has {lines} lines (at most {MAX_LINES})")
for p in problems:
    print(p, file=sys.stderr)
print(f"{graph['modules']} modules, {len(graph['edges'])} edges, largest file {path} ({lines} lines)")
sys.exit(1 if problems else 0)
