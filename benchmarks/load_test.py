"""Loopback load test: throughput of 1 vs 2 app processes (stateless replicas on one warehouse file).

N concurrent sessions (Streamlit websocket clients, benchmarks/st_client.py) each open the map and then change
measure / year K times, closed loop (next change as soon as the previous rerun finished). With 2 processes the
sessions are assigned round-robin (session i -> process i % 2), which is what a sticky load balancer does
(a Streamlit session lives on one process). Prints interactions/s and sessions/s for each setup, with p50/p95.

Through HAProxy (--mode haproxy, or both): deploy/replicas.py starts 1, 2 and 3 replicas behind HAProxy on
127.0.0.1; each session first GETs the page through the balancer to receive its stickiness cookie (ATLAS_REPLICA),
then opens its websocket with that cookie, so the balancer (not the client) spreads the sessions. Also reports each
replica's resident memory (after warm-up and peak) and the load average before and after each run.

Usage: ATLAS_WAREHOUSE=data/atlas.duckdb python benchmarks/load_test.py [--sessions 12] [--changes 8]
       [--mode direct|haproxy|both] [--replicas 1,2,3]
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


async def session(base: str, i: int, changes: int, times: list[float], errors: list[str],
                  cookie: str | None = None) -> None:
    s = Session(base, timeout=120, cookie=cookie)
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


def _summary(times: list[float], errors: list[str], wall: float) -> dict:
    ms = sorted(t * 1000 for t in times)
    return {"reruns": len(ms), "wall_s": round(wall, 2), "interactions_per_s": round(len(ms) / wall, 2),
            "p50_ms": round(statistics.median(ms), 1) if ms else None,
            "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 1) if ms else None, "errors": len(errors),
            "error_samples": errors[:3]}


def _sticky_cookie(http_base: str) -> str:
    """GET the app through the balancer, as a browser does first; return its stickiness cookie."""
    import urllib.request
    with urllib.request.urlopen(http_base + "/", timeout=60) as r:
        for h in r.headers.get_all("Set-Cookie") or []:
            if h.startswith("ATLAS_REPLICA="):
                return h.split(";", 1)[0]
    raise RuntimeError("the balancer set no ATLAS_REPLICA cookie")


def run_haproxy(n_rep: int, sessions: int, changes: int, env: dict, tmp: Path) -> dict:
    """Closed loop through HAProxy in front of n_rep replicas (deploy/replicas.py)."""
    from deploy import replicas
    load0 = os.getloadavg()
    dep = replicas.start(n_rep, warehouse=Path(env["ATLAS_WAREHOUSE"]), run_dir=tmp / f"lb{n_rep}", env=env)
    try:
        ws = f"ws://127.0.0.1:{dep.lb_port}"

        async def warm():  # one session pinned to each replica first: caches warm
            await asyncio.gather(*(session(ws, 0, 8, [], [], cookie=f"ATLAS_REPLICA=r{k + 1}") for k in range(n_rep)))
        asyncio.run(warm())
        rss_warm = dep.rss_kb()
        times: list[float] = []
        errors: list[str] = []
        placed: dict[str, int] = {}

        async def one(i: int):
            cookie = await asyncio.to_thread(_sticky_cookie, dep.url)
            placed[cookie.split("=", 1)[1]] = placed.get(cookie.split("=", 1)[1], 0) + 1
            try:
                await session(ws, i, changes, times, errors, cookie=cookie)
            except Exception as exc:  # noqa: BLE001 - a failed session is an error of the run, not of the script
                errors.append(f"session {i}: {type(exc).__name__}: {exc}"[:300])

        async def main_():
            await asyncio.gather(*(one(i) for i in range(sessions)))
        t0 = time.perf_counter()
        asyncio.run(main_())
        wall = time.perf_counter() - t0
        rss = dep.rss_kb()
    finally:
        dep.stop()
    r = {"replicas": n_rep, "sessions": sessions, "changes": changes, **_summary(times, errors, wall),
         "sessions_per_replica": dict(sorted(placed.items())),
         "rss_mb_after_warmup": {k: round(v[0] / 1024) for k, v in sorted(rss_warm.items())},
         "rss_mb_peak": {k: round(v[1] / 1024) for k, v in sorted(rss.items())},
         "load_avg_before": [round(x, 2) for x in load0], "load_avg_after": [round(x, 2) for x in os.getloadavg()]}
    return r


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sessions", type=int, default=12)
    ap.add_argument("--changes", type=int, default=8)
    ap.add_argument("--mode", choices=["direct", "haproxy", "both"], default="both")
    ap.add_argument("--replicas", default="1,2,3", help="replica counts behind HAProxy (default 1,2,3)")
    args = ap.parse_args()
    if not (1 <= args.sessions <= 60 and 0 <= args.changes <= 40):
        ap.error("keep the run bounded: --sessions 1-60, --changes 0-40")
    env = dict(os.environ)
    env.setdefault("ATLAS_WAREHOUSE", str(ROOT / "data" / "atlas.duckdb"))
    print(f"cores: {os.cpu_count()}  load average: {os.getloadavg()}")
    if args.mode in ("haproxy", "both"):
        lb = []
        with tempfile.TemporaryDirectory() as td:
            for n in [int(x) for x in args.replicas.split(",")]:
                r = run_haproxy(n, args.sessions, args.changes, env, Path(td))
                lb.append(r)
                print(f"HAProxy + {n} replica{'s' if n > 1 else ''}: {r['sessions']} sessions x (1 + {args.changes}) "
                      f"reruns in {r['wall_s']} s -> {r['interactions_per_s']} interactions/s; p50 {r['p50_ms']} ms, "
                      f"p95 {r['p95_ms']} ms; errors {r['errors']}; sessions per replica {r['sessions_per_replica']}; "
                      f"RSS after warm-up {r['rss_mb_after_warmup']} MB, peak {r['rss_mb_peak']} MB; load average "
                      f"{r['load_avg_before']} -> {r['load_avg_after']}")
        d = ROOT / "benchmarks" / "results"
        d.mkdir(parents=True, exist_ok=True)
        (d / "load_test_haproxy.json").write_text(json.dumps(lb, indent=2))
    if args.mode == "haproxy":
        return 0
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
