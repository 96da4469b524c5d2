"""Cold start to map visible in headless Chromium, and peak memory of the app with N sessions open.

Cold start: start `streamlit run streamlit_app.py` fresh (new process, empty caches), open the map in a new
headless Chromium page as soon as the process is started, and time from process start until the map's MapLibre
canvas is visible and its choropleth trace is drawn. Median of --runs (default 5). Target <= 2.5 s (quiet
machine). --prewarm starts the app as `atlas up` does (a headless pre-warm session runs the map page).

Memory: one fresh server, --sessions (default 10) browser pages opened on the map (each a separate Streamlit
session), each changes the year once; prints the app process's RSS and peak RSS (VmHWM from /proc).

Usage: ATLAS_WAREHOUSE=data/atlas.duckdb python benchmarks/cold_start.py [--runs 5] [--sessions 10]
Needs Playwright and Debian's /usr/bin/chromium. Writes benchmarks/results/cold_start.json.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from benchmarks.st_client import free_port, peak_rss_kb, stop, wait_healthy  # noqa: E402

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
MAP_DRAWN = """() => {
  const gd = document.querySelector('[data-testid="stPlotlyChart"] .js-plotly-plot');
  if (!gd || !gd._fullLayout || !gd._fullLayout.map) return false;
  const c = gd.querySelector('canvas');
  if (!c || c.getBoundingClientRect().width < 100) return false;
  const sp = gd._fullLayout.map._subplot;
  return !!(sp && sp.map && sp.map.loaded() && gd.querySelectorAll('.legend, .colorbar').length >= 0);
}"""


def launch(port: int, env: dict, log) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT)


def cold_start(browser, env: dict, tmp: Path, prewarm_on: bool = False) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    ctx = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = ctx.new_page()
    log = open(tmp / f"cold_{port}.log", "w")
    t0 = time.perf_counter()
    proc = launch(port, env, log)
    try:
        healthy = wait_healthy(base, proc, 60)
        warm = None
        if prewarm_on:  # as `atlas up` does: a headless session runs the map page while the browser loads
            import threading

            from pipeline.prewarm import prewarm
            warm = threading.Thread(target=prewarm, args=(base,), daemon=True)
            warm.start()
        page.goto(base + "/", wait_until="commit", timeout=60_000)
        page.wait_for_selector('[data-testid="stPlotlyChart"] canvas', state="visible", timeout=60_000)
        page.wait_for_function(MAP_DRAWN, timeout=60_000, polling=50)
        total = time.perf_counter() - t0
        assert page.locator('[data-testid="stException"]').count() == 0
        return {"server_healthy_s": round(healthy, 2), "map_visible_s": round(total, 2)}
    finally:
        ctx.close()
        proc._log = log  # type: ignore[attr-defined]
        stop(proc)


def memory(browser, env: dict, tmp: Path, n: int) -> dict:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    log = open(tmp / f"mem_{port}.log", "w")
    proc = launch(port, env, log)
    proc._log = log  # type: ignore[attr-defined]
    pages = []
    try:
        wait_healthy(base, proc, 60)
        rss0 = peak_rss_kb(proc.pid)
        for i in range(n):
            ctx = browser.new_context(viewport={"width": 1200, "height": 900})
            pg = ctx.new_page()
            pg.goto(base + f"/?year={2025 - (i % 4)}", timeout=60_000)
            pg.wait_for_selector('[data-testid="stPlotlyChart"] canvas', state="visible", timeout=90_000)
            pages.append((ctx, pg))
        for ctx, pg in pages:  # each session changes the year once (per-session state + cached figures)
            s = pg.get_by_role("slider").first
            s.focus()
            pg.keyboard.press("ArrowLeft")
        for ctx, pg in pages:
            pg.wait_for_function("() => !document.querySelector('[data-testid=\"stStatusWidget\"]')",
                                 timeout=90_000)
            assert pg.locator('[data-testid="stException"]').count() == 0
        time.sleep(2)
        rss, hwm = peak_rss_kb(proc.pid)
        return {"sessions": n, "rss_idle_mb": round(rss0[0] / 1024, 1), "rss_mb": round(rss / 1024, 1),
                "peak_rss_mb": round(hwm / 1024, 1)}
    finally:
        for ctx, _ in pages:
            ctx.close()
        stop(proc)


def main() -> int:
    from playwright.sync_api import sync_playwright
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sessions", type=int, default=10)
    ap.add_argument("--prewarm", action="store_true", help="start as `atlas up` does (pre-warm session)")
    args = ap.parse_args()
    env = dict(os.environ)
    env.setdefault("ATLAS_WAREHOUSE", str(ROOT / "data" / "atlas.duckdb"))
    out: dict = {}
    with tempfile.TemporaryDirectory() as td, sync_playwright() as p:
        tmp = Path(td)
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        # warm the OS file cache and Python's bytecode once (a "cold start" is a fresh process, not a cold disk)
        cold_start(browser, env, tmp, args.prewarm)
        runs = [cold_start(browser, env, tmp, args.prewarm) for _ in range(args.runs)]
        vis = [r["map_visible_s"] for r in runs]
        out["load_average"] = os.getloadavg()
        out["prewarm"] = args.prewarm
        out["cold_start"] = {"runs": runs, "median_map_visible_s": round(statistics.median(vis), 2),
                             "max_map_visible_s": max(vis)}
        print("cold start to map visible (s): " + ", ".join(f"{v:.2f}" for v in vis)
              + f"   median {statistics.median(vis):.2f} s (target <= 2.5 s); server healthy after median "
              f"{statistics.median(r['server_healthy_s'] for r in runs):.2f} s; "
              f"pre-warm {'on' if args.prewarm else 'off'}; "
              f"load average {' '.join(f'{x:.1f}' for x in os.getloadavg())}")
        if args.sessions:
            m = memory(browser, env, tmp, args.sessions)
            out["memory"] = m
            print(f"memory: app process RSS {m['rss_idle_mb']} MB idle -> {m['rss_mb']} MB with {m['sessions']} "
                  f"browser sessions open; peak RSS {m['peak_rss_mb']} MB")
        browser.close()
    d = ROOT / "benchmarks" / "results"
    d.mkdir(parents=True, exist_ok=True)
    (d / "cold_start.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
