"""Benchmark: full `atlas build` from a warm raw cache, and a no-op rebuild (nothing changed).

Targets: full build <= 15 s on 2 cores; no-op rebuild <= 2 s.
Usage: ATLAS_MIRROR=../shared/data/raw python benchmarks/build_time.py [--runs 3] [--no-release-zip]
(`atlas build` also writes the whole-release zip after the swap, ~2.3 s CPU; --no-release-zip times the build alone.)
"""
from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


CPU: list[tuple[float, float]] = []  # (user, sys) CPU seconds of each timed run


def timed(args, env) -> float:
    t = time.perf_counter()
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, env=env, capture_output=True, text=True)
    if r.returncode != 0:
        sys.exit(r.stderr)
    ru2 = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append((ru2.ru_utime - ru.ru_utime, ru2.ru_stime - ru.ru_stime))
    return time.perf_counter() - t


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--no-release-zip", action="store_true",
                    help="time the build alone, without writing the whole-release zip after it")
    a = ap.parse_args()
    extra = ["--no-release-zip"] if a.no_release_zip else []
    mirror = os.environ.get("ATLAS_MIRROR", str(ROOT.parent / "shared/data/raw"))
    with tempfile.TemporaryDirectory() as d:
        env = dict(os.environ, ATLAS_MIRROR=mirror, ATLAS_RAW=f"{d}/raw", ATLAS_WAREHOUSE=f"{d}/atlas.duckdb")
        cold = timed(["build", *extra], env)  # fills the raw cache too
        full = [timed(["build", "--force", *extra], env) for _ in range(a.runs)]
        full_cpu = CPU[-a.runs:]
        noop = [timed(["build", *extra], env) for _ in range(a.runs)]
        noop_cpu = CPU[-a.runs:]

    def cpu(c):
        return (f"user {statistics.median(u for u, _ in c):.2f} s, sys {statistics.median(s for _, s in c):.2f} s CPU; "
                f"wall runs {'/'.join(f'{x:.1f}' for x in (full if c is full_cpu else noop))}")
    print(f"first build incl. copying the raw cache: {cold:.2f} s")
    print(f"full build, warm raw cache (median of {a.runs}): {statistics.median(full):.2f} s wall  (target <= 15 s); "
          f"{cpu(full_cpu)}")
    print(f"no-op rebuild (median of {a.runs}): {statistics.median(noop):.2f} s wall  (target <= 2 s); {cpu(noop_cpu)}")
    print(f"machine: {os.cpu_count()} CPUs, load average {' '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
