"""Take docs/img/map.png: a screenshot of the app's Map page (headless Debian Chromium via Playwright).

Usage: python benchmarks/screenshot_map.py [--url-query "measure=cla_starts_u1_rate&colour=significance"]
       python benchmarks/screenshot_map.py --phone            (docs/img/map_phone.png, 390 x 844)
       python benchmarks/screenshot_map.py --dark --out docs/img/map_dark.png
Uses the warehouse at $ATLAS_WAREHOUSE or data/atlas.duckdb (build it first).
"""
from __future__ import annotations

import argparse
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--url-query", default="measure=cla_starts_u1_rate&colour=significance")
    ap.add_argument("--out", default=None)
    ap.add_argument("--phone", action="store_true", help="a phone-sized screenshot (390 x 844)")
    ap.add_argument("--dark", action="store_true", help="the dark colour scheme")
    a = ap.parse_args()
    a.out = a.out or str(ROOT / "docs" / "img" / ("map_phone.png" if a.phone else "map.png"))
    w, h = (390, 844) if a.phone else (1300, 1150)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(ROOT / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1", "--server.headless", "true",
                             "--browser.gatherUsageStats", "false"], cwd=ROOT, env=dict(os.environ),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        base = f"http://127.0.0.1:{port}"
        for _ in range(120):
            try:
                if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read().strip() == b"ok":
                    break
            except OSError:
                time.sleep(0.5)
        from playwright.sync_api import sync_playwright
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path="/usr/bin/chromium", headless=True, args=ARGS)
            pg = b.new_page(viewport={"width": w, "height": h}, color_scheme="dark" if a.dark else "light",
                            is_mobile=a.phone, has_touch=a.phone)
            pg.goto(f"{base}/?{a.url_query}")
            pg.wait_for_selector('[data-testid="stPlotlyChart"] canvas', timeout=90_000)
            pg.wait_for_timeout(4000)
            Path(a.out).parent.mkdir(parents=True, exist_ok=True)
            if a.phone:  # the map, fitted to the phone's width, as a person scrolls to it
                pg.locator('[data-testid="stPlotlyChart"]').first.scroll_into_view_if_needed()
                pg.wait_for_timeout(1500)
            pg.screenshot(path=a.out, clip={"x": 0, "y": 0, "width": w, "height": h})
            b.close()
        print(f"wrote {a.out}")
    finally:
        proc.terminate()
        proc.wait(timeout=15)
    return 0


if __name__ == "__main__":
    sys.exit(main())
