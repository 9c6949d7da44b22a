"""Writes a seeded random sample of a CSV's rows with numbers added to some columns: new data
for `automl drift` in which exactly those columns moved.
usage: python3 shift.py DATA.csv OUT.csv FRACTION SEED [COLUMN=SHIFT ...]"""
import csv
import random
import sys

data, out, fraction, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
shifts = {c: float(s) for c, s in (a.split("=") for a in sys.argv[5:])}
with open(data, newline="") as f:
    rows = list(csv.DictReader(f))
sample = random.Random(seed).sample(rows, int(len(rows) * fraction))
with open(out, "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=list(rows[0].keys()))
    writer.writeheader()
    for row in sample:
        for column, shift in shifts.items():
            if row[column].strip() != "":
                row[column] = repr(float(row[column]) + shift)
        writer.writerow(row)
