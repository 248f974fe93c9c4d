#!/usr/bin/env python3
"""Time a tick on big maps (docs/performance.md, "Big maps"): for each map size, `polity run`
at 0 and at TICKS ticks (100 unless the environment's TICKS says otherwise; the issue's own
measure is 20), alternating the binaries given, best of REPS; a tick is the difference over
TICKS of the fastest runs of each length (REPS of each, 5 unless the environment says), elapsed
(perf_counter) and CPU (getrusage of the child). Prints the state hash too.

    python3 scripts/bigmap_ticks.py BIN [BIN ...] -- 1000 8000
    TICKS=20 python3 scripts/bigmap_ticks.py BIN -- 1000 8000

The scenario files are made from scenarios/commons-large.ron as docs/performance.md says
(/tmp/bigmap/big-N.ron)."""
import os, resource, shutil, subprocess, sys, time

REPS = int(os.environ.get("REPS", "5"))
TICKS = int(os.environ.get("TICKS", "100"))


def run(binary, scenario, ticks):
    out = f"/tmp/bigmap/out-{os.getpid()}"
    shutil.rmtree(out, ignore_errors=True)
    r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t = time.perf_counter()
    p = subprocess.run([binary, "run", scenario, "--ticks", str(ticks), "--out", out], capture_output=True, text=True)
    elapsed = time.perf_counter() - t
    r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (r1.ru_utime - r0.ru_utime) + (r1.ru_stime - r0.ru_stime)
    shutil.rmtree(out, ignore_errors=True)
    if p.returncode != 0:
        sys.exit(f"{binary} run {scenario}: {p.stderr.strip()}")
    hashes = [l.split("hash")[-1].strip() for l in p.stdout.splitlines() if "state hash" in l]
    return elapsed, cpu, hashes[0] if hashes else "?"


def main():
    if "--" not in sys.argv:
        sys.exit(__doc__)
    k = sys.argv.index("--")
    binaries, sizes = sys.argv[1:k], sys.argv[k + 1:]
    for size in sizes:
        scenario = f"/tmp/bigmap/big-{size}.ron"
        runs = {b: {0: [], TICKS: []} for b in binaries}
        hashes = {b: "?" for b in binaries}
        for _ in range(REPS):
            for b in binaries:
                for t in (0, TICKS):
                    e, c, h = run(b, scenario, t)
                    runs[b][t].append((e, c))
                    if t == TICKS:
                        hashes[b] = h
        for b in binaries:
            # The fastest run of each length (the least disturbed), then the difference: two
            # whole runs' noise, not the worst of REPS pairs.
            (e0, c0), (e1, c1) = min(runs[b][0]), min(runs[b][TICKS])
            tick = lambda a, z: (z - a) * 1e3 / TICKS
            spread = ", ".join(f"{tick(e0, e):.2f}" for e, _ in runs[b][TICKS])
            print(
                f"{size}² {b}: a tick {tick(e0, e1):.2f} ms elapsed, {tick(c0, c1):.2f} ms CPU (fastest of {REPS} "
                f"runs at 0 and at {TICKS} ticks; each {TICKS}-tick run against the fastest at 0: {spread}); "
                f"hash {hashes[b]}"
            )

if __name__ == "__main__":
    main()
