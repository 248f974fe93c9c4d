"""Environment steps per second: parallel_env and VectorEnv from Python, against `polity run`.

    python python/benchmarks/throughput.py [--seconds 5] [--polity target/release/polity]

One environment step is one tick of one world (every agent acting). Actions are random:
drawn by NumPy for VectorEnv (one array a step), by each agent's action space for
parallel_env (PettingZoo's usual loop) and, for comparison, by NumPy too. `polity run` is the
engine alone, writing its outputs, its agents deciding for themselves.
"""

from __future__ import annotations

import argparse
import json
import os
import pathlib
import subprocess
import tempfile
import time

import numpy as np

import polity

REPO = pathlib.Path(__file__).resolve().parents[2]


def timed(step, seconds: float) -> tuple[int, float]:
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        n += step()
    return n, elapsed


def parallel(scenario: str, seconds: float, sample: bool) -> float:
    env = polity.parallel_env(scenario, seed=0)
    env.reset(seed=0)
    rng = np.random.default_rng(0)
    names = env.possible_agents

    def step():
        if not env.agents:
            env.reset()
        if sample:
            acts = {a: env.action_space(a).sample() for a in env.agents}
        else:
            acts = dict(zip(names, rng.integers(0, 5, len(names)).tolist()))
        env.step(acts)
        return 1

    n, s = timed(step, seconds)
    return n / s


def vector(scenario: str, seconds: float, envs: int, own: bool = False) -> float:
    v = polity.VectorEnv(scenario, num_envs=envs, seed=0)
    v.reset()
    rng = np.random.default_rng(0)
    mine = np.full((envs, v.num_agents), -1)

    def step():
        v.step(mine if own else rng.integers(0, 5, size=(envs, v.num_agents)))
        return envs

    n, s = timed(step, seconds)
    return n / s


def rust_run(binary: str, scenario: str, ticks: int) -> float:
    with tempfile.TemporaryDirectory() as d:
        best = 0.0
        for _ in range(3):
            start = time.perf_counter()
            subprocess.run([binary, "run", scenario, "--ticks", str(ticks), "--out", f"{d}/r{time.perf_counter_ns()}"],
                           check=True, capture_output=True)
            best = max(best, ticks / (time.perf_counter() - start))
        return best


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=5.0)
    ap.add_argument("--polity", default=str(REPO / "target" / "release" / "polity"))
    ap.add_argument("--scenarios", default="commons,sed-apple-picking")
    ap.add_argument("--json", help="also write the figures here")
    args = ap.parse_args()
    rows = []
    for scenario in args.scenarios.split(","):
        ticks = 100_000
        rust = rust_run(args.polity, scenario, ticks) if os.path.exists(args.polity) else float("nan")
        figs = {
            "polity run (Rust only)": rust,
            "parallel_env, action_space.sample()": parallel(scenario, args.seconds, True),
            "parallel_env, NumPy actions": parallel(scenario, args.seconds, False),
            "VectorEnv, 64 worlds": vector(scenario, args.seconds, 64),
            "VectorEnv, 64 worlds, agents deciding (-1)": vector(scenario, args.seconds, 64, own=True),
        }
        rows.append((scenario, figs))
        print(f"\n{scenario}  (cores: {os.cpu_count()}; polity run steps one world on one thread)")
        for k, v in figs.items():
            share = f"  ({v / rust:.0%} of polity run)" if rust == rust and k != "polity run (Rust only)" else ""
            print(f"  {k:40s} {v:12,.0f} env steps/s{share}")
        print(f"  {'Melting Pot commons_harvest (reported)':40s} {60:12,.0f} env steps/s")
    if args.json:
        pathlib.Path(args.json).write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
