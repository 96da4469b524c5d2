"""Concurrency: 20 simultaneous sessions against ONE `streamlit run` on loopback, each changing the map's
measure / year 10 times, as Streamlit websocket clients (benchmarks/st_client.py speaks the browser's protocol:
BackMsg rerun_script with widget states; it reads every ForwardMsg until script_finished).

Asserts correctness only: every rerun finishes, no exception or st.error element in any session, and each
session's URL follows its own choices (no cross-talk between sessions). Prints p50/p95 round-trip times per rerun
(server time + loopback). Bounded: 20 x (1 + 10) reruns, 60 s per rerun at most, pytest-timeout 600 s.
"""
from __future__ import annotations

import asyncio
import json
import os
import statistics
from pathlib import Path

import pytest

from tests.app_support import with_geometry

pytestmark = pytest.mark.slow
N_SESSIONS = 20
N_CHANGES = 10


@pytest.fixture(scope="module")
def server(warehouse, tmp_path_factory):
    pytest.importorskip("websockets")
    from benchmarks.st_client import free_port, start_streamlit, stop
    wh, _ = with_geometry(warehouse, tmp_path_factory.mktemp("concwh") / "atlas.duckdb")
    port = free_port()
    env = dict(os.environ, ATLAS_WAREHOUSE=str(wh))
    log = tmp_path_factory.mktemp("conclog") / "streamlit.log"
    proc = start_streamlit(port, env, log)
    yield {"ws": f"ws://127.0.0.1:{port}", "log": log, "proc": proc}
    stop(proc)


async def one_session(base: str, i: int, times: list[float], problems: list[str]) -> None:
    from benchmarks.st_client import Session
    s = Session(base, timeout=60)
    await s.connect()
    try:
        r = await s.run("")
        if r.status != "FINISHED_SUCCESSFULLY" or r.errors:
            problems.append(f"session {i} first run: {r.status} {r.errors}")
            return
        years = s.options("w_map_year")[-4:]
        measures = s.options("w_map_measure")[:2]
        seen_measures = set()
        for k in range(N_CHANGES):
            if k % 2 == 0:
                label = years[(i + k) % len(years)]
                s.set("w_map_year", label)
            else:
                s.set("w_map_measure", measures[(i + k // 2) % 2])
            r = await s.run()
            times.append(r.seconds)
            if r.status != "FINISHED_SUCCESSFULLY" or r.errors:
                problems.append(f"session {i} change {k}: {r.status} {r.errors}")
                continue
            q = dict(p.split("=", 1) for p in s.query_string.split("&") if "=" in p)
            if k % 2 == 0 and "/" in label and q.get("year") != str(int(label[:4]) + 1):
                problems.append(f"session {i} change {k}: chose {label}, URL says year={q.get('year')}")
            if k % 2 == 1:
                seen_measures.add(q.get("measure"))
        if len(seen_measures) != 2:
            problems.append(f"session {i}: measure changes not reflected in its URL: {seen_measures}")
    finally:
        await s.close()


@pytest.mark.timeout(600)
def test_twenty_sessions_change_measure_and_year(server, capsys):
    times: list[float] = []
    problems: list[str] = []

    async def main():
        await asyncio.gather(*(one_session(server["ws"], i, times, problems) for i in range(N_SESSIONS)))
    asyncio.run(asyncio.wait_for(main(), timeout=540))

    assert server["proc"].poll() is None, "streamlit died"
    log = Path(server["log"]).read_text(errors="replace")
    assert "Traceback" not in log, log[-3000:]
    assert not problems, problems[:10]
    assert len(times) == N_SESSIONS * N_CHANGES
    ms = sorted(t * 1000 for t in times)
    p50 = statistics.median(ms)
    p95 = ms[int(0.95 * (len(ms) - 1))]
    out = {"sessions": N_SESSIONS, "changes_per_session": N_CHANGES, "reruns": len(ms),
           "p50_ms": round(p50, 1), "p95_ms": round(p95, 1), "max_ms": round(ms[-1], 1)}
    art = Path(__file__).resolve().parent / "artifacts"
    art.mkdir(exist_ok=True)
    (art / "concurrency.json").write_text(json.dumps(out, indent=2))
    with capsys.disabled():
        print(f"\nconcurrency: {N_SESSIONS} sessions x {N_CHANGES} measure/year changes on one streamlit process: "
              f"0 errors; round trip p50 {p50:.0f} ms, p95 {p95:.0f} ms, max {ms[-1]:.0f} ms")
