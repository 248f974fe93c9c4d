#!/usr/bin/env python3
"""Time a tick on big maps (docs/performance.md, "Big maps"): for each map size, `polity run`
for TICKS ticks (100 unless the environment's TICKS says otherwise; the issue's own measure is
20), alternating the binaries given, REPS runs each (5 unless the environment says). A tick is
the fastest run's time for its ticks over TICKS: what `polity run` reports as "the ticks"
(from the world built to the last tick, with metrics and outputs), or, for a binary too old to
report it, the difference of the fastest runs at TICKS and at 0 ticks (noisier: two whole
runs, building included; DIFF=1 in the environment asks for it of every binary, to compare
with an old one alike). THREADS=N runs with `--threads N`. Prints the state hash too.

    python3 scripts/bigmap_ticks.py BIN [BIN ...] -- 1000 8000
    TICKS=20 python3 scripts/bigmap_ticks.py BIN -- 1000 8000

The scenario files are made from scenarios/commons-large.ron as docs/performance.md says
(/tmp/bigmap/big-N.ron)."""
import os, re, shutil, subprocess, sys, time

REPS = int(os.environ.get("REPS", "5"))
TICKS = int(os.environ.get("TICKS", "100"))
DIFF = os.environ.get("DIFF") == "1"
THREADS = os.environ.get("THREADS")


def run(binary, scenario, ticks):
    """(elapsed s of the whole run, s the ticks took as reported or None, state hash)."""
    out = f"/tmp/bigmap/out-{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    t = time.perf_counter()
    args = [binary, "run", scenario, "--ticks", str(ticks), "--out", out] + (["--threads", THREADS] if THREADS else [])
    p = subprocess.run(args, capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    shutil.rmtree(out, ignore_errors=True)
    if p.returncode != 0:
        sys.exit(f"{binary} run {scenario}: {p.stderr.strip()}")
    hashes = [l.split("hash")[-1].strip() for l in p.stdout.splitlines() if "state hash" in l]
    ticking = re.search(r"\(the ticks ([0-9.]+) s", p.stdout)
    return elapsed, float(ticking.group(1)) if ticking else None, hashes[0] if hashes else "?"


def main():
    if "--" not in sys.argv:
        sys.exit(__doc__)
    k = sys.argv.index("--")
    binaries, sizes = sys.argv[1:k], sys.argv[k + 1:]
    for size in sizes:
        scenario = f"/tmp/bigmap/big-{size}.ron"
        ticks = {b: [] for b in binaries}
        empty = {b: [] for b in binaries}
        hashes = {}
        for _ in range(REPS):
            for b in binaries:
                e, ticking, hashes[b] = run(b, scenario, TICKS)
                if DIFF:
                    ticking = None
                if ticking is None:
                    empty[b].append(run(b, scenario, 0)[0])
                ticks[b].append(ticking if ticking is not None else e)
        for b in binaries:
            if empty[b]:
                per = [(t - min(empty[b])) * 1e3 / TICKS for t in ticks[b]]
                how = f"fastest at {TICKS} less fastest at 0 ticks"
            else:
                per = [t * 1e3 / TICKS for t in ticks[b]]
                how = "as reported"
            spread = ", ".join(f"{t:.2f}" for t in per)
            print(f"{size}² {b}: a tick {min(per):.2f} ms (fastest of {REPS}, {how}; all: {spread}); hash {hashes[b]}")


if __name__ == "__main__":
    main()
