#!/usr/bin/env python3
"""Two builds of session-ledger, compared on the benchmark's Livy/YARN ingest by alternating runs.

usage: benchmarks/ab.py OLD NEW [--runs N] [--corpus DIR]

This machine's speed moves by half from hour to hour, so a change is judged on runs of both
builds taken in turn (old, new, old, new, …), each into a fresh ledger: the medians of the
whole ingest's wall time, and of the read-and-store and derive stages that `ingest --verbose`
logs. Copy a build aside first (cp .build/release/session-ledger /tmp/old), rebuild, compare.
The corpus is benchmarks/run.py's (its default place, or --corpus as given to it).
"""
import argparse, os, re, statistics, subprocess, sys, tempfile, time

p = argparse.ArgumentParser()
p.add_argument("old")
p.add_argument("new")
p.add_argument("--runs", type=int, default=8)
p.add_argument("--corpus", default=os.path.join(tempfile.gettempdir(), "session-ledger-bench"))
a = p.parse_args()

logs = os.path.join(a.corpus, "emr")
if not os.path.isdir(logs):
    sys.exit(f"no corpus at {a.corpus}: run benchmarks/run.py first (it makes one)")
lines = 4_000_000  # the Livy and ResourceManager logs of corpus.py: 2,000,000 lines each
cores = os.cpu_count() or 1

work = tempfile.mkdtemp(prefix="ledger-ab-")
seen = {a.old: [], a.new: []}
for i in range(a.runs):
    for binary in (a.old, a.new):
        db = os.path.join(work, "ab.sqlite")
        for suffix in ("", "-wal", "-shm", "-journal"):
            if os.path.exists(db + suffix):
                os.remove(db + suffix)
        t0 = time.perf_counter()
        out = subprocess.run([binary, "ingest", logs, "--db", db, "--verbose"], capture_output=True, text=True)
        wall = time.perf_counter() - t0
        if out.returncode != 0:
            sys.exit(f"{binary} failed: {out.stderr.strip().splitlines()[-1:]}")
        stage = lambda name: float(re.search(name + r" in ([0-9.]+(?:e-?[0-9]+)?) seconds", out.stderr).group(1))
        seen[binary].append((wall, stage(r"read and stored \d+ file\(s\)"), stage(r"\] derived")))
    print(f"run {i + 1}/{a.runs}: " + "  ".join(f"{seen[b][-1][0]:.3f} s" for b in (a.old, a.new)), flush=True)

print(f"medians of {a.runs} alternating runs (wall, read and store, derive):")
for label, binary in (("old", a.old), ("new", a.new)):
    wall, read, derive = (statistics.median(r[k] for r in seen[binary]) for k in range(3))
    print(f"  {label} {binary}: {wall:.3f} s ({read:.3f} + {derive:.3f}), "
          f"{lines / wall / cores / 1e6:.2f} M lines/s per core on {cores} cores")
old, new = (statistics.median(r[0] for r in seen[b]) for b in (a.old, a.new))
print(f"  new / old = {new / old:.3f}")
for suffix in ("", "-wal", "-shm", "-journal"):
    if os.path.exists(os.path.join(work, "ab.sqlite") + suffix):
        os.remove(os.path.join(work, "ab.sqlite") + suffix)
os.rmdir(work)
