"""Loopback load test: throughput of 1 vs 2 app processes (stateless replicas on one warehouse file).

N concurrent sessions (Streamlit websocket clients, benchmarks/st_client.py) each open the map and then change
measure / year K times, closed loop (next change as soon as the previous rerun finished). With 2 processes the
sessions are assigned round-robin (session i -> process i % 2), which is what a sticky load balancer does
(a Streamlit session lives on one process). Prints interactions/s and sessions/s for each setup, with p50/p95.

Usage: ATLAS_WAREHOUSE=data/atlas.duckdb python benchmarks/load_test.py [--sessions 12] [--changes 8]
Writes benchmarks/results/load_test.json. Each replica is a separate Python process, so 2 replicas can use 2 cores
(one Streamlit process runs all its sessions' scripts in threads under one GIL).
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.st_client import Session, free_port, start_streamlit, stop  # noqa: E402


async def session(base: str, i: int, changes: int, times: list[float], errors: list[str]) -> None:
    s = Session(base, timeout=120)
    await s.connect()
    try:
        r = await s.run("")
        times.append(r.seconds)
        errors += r.errors
        years, measures = s.options("w_map_year")[-4:], s.options("w_map_measure")[:2]
        for k in range(changes):
            if k % 2 == 0:
                s.set("w_map_year", years[(i + k) % len(years)])
            else:
                s.set("w_map_measure", measures[(i + k // 2) % 2])
            r = await s.run()
            times.append(r.seconds)
            errors += r.errors + ([] if r.status == "FINISHED_SUCCESSFULLY" else [r.status])
    finally:
        await s.close()


def run_setup(n_proc: int, sessions: int, changes: int, env: dict, tmp: Path) -> dict:
    ports = [free_port() for _ in range(n_proc)]
    procs = []
    try:
        for p in ports:
            procs.append(start_streamlit(p, env, tmp / f"st_{p}.log"))
        bases = [f"ws://127.0.0.1:{p}" for p in ports]

        async def warm():  # one session per process first: caches warm, as on a server that has been up a while
            await asyncio.gather(*(session(b, 0, 8, [], []) for b in bases))
        asyncio.run(warm())
        times: list[float] = []
        errors: list[str] = []

        async def main():
            await asyncio.gather(*(session(bases[i % n_proc], i, changes, times, errors) for i in range(sessions)))
        t0 = time.perf_counter()
        asyncio.run(main())
        wall = time.perf_counter() - t0
    finally:
        for pr in procs:
            stop(pr)
    ms = sorted(t * 1000 for t in times)
    return {"processes": n_proc, "sessions": sessions, "reruns": len(ms), "wall_s": round(wall, 2),
            "interactions_per_s": round(len(ms) / wall, 2), "sessions_per_s": round(sessions / wall, 3),
            "p50_ms": round(statistics.median(ms), 1), "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1),
            "errors": len(errors)}


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=12)
    ap.add_argument("--changes", type=int, default=8)
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("ATLAS_WAREHOUSE", str(ROOT / "data" / "atlas.duckdb"))
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()}")
    out = []
    with tempfile.TemporaryDirectory() as td:
        for n in (1, 2):
            r = run_setup(n, args.sessions, args.changes, env, Path(td))
            out.append(r)
            print(f"{n} process{'es' if n > 1 else ''}: {r['sessions']} sessions x (1 + {args.changes}) reruns in "
                  f"{r['wall_s']} s -> {r['interactions_per_s']} interactions/s, {r['sessions_per_s']} sessions/s; "
                  f"round trip p50 {r['p50_ms']} ms, p95 {r['p95_ms']} ms; errors {r['errors']}")
    print(f"speed-up 2 vs 1 process: {out[1]['interactions_per_s'] / out[0]['interactions_per_s']:.2f}x")
    d = ROOT / "benchmarks" / "results"
    d.mkdir(parents=True, exist_ok=True)
    (d / "load_test.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
