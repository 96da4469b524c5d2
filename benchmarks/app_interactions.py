"""Server time per interaction in the Streamlit app (AppTest: the full script run on the server, no browser).

Usage: ATLAS_WAREHOUSE=data/atlas.duckdb python benchmarks/app_interactions.py [--repeat 5]
Prints the median and max milliseconds per interaction after the caches are warm (first visit excluded), and
writes benchmarks/results/app_interactions.json. Target: <= 100 ms for a change of year or measure.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def timed(at) -> float:
    t = time.perf_counter()
    at.run()
    dt = (time.perf_counter() - t) * 1000
    assert not at.exception, at.exception
    return dt


def main() -> int:
    from streamlit.testing.v1 import AppTest
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    res: dict[str, list[float]] = {}
    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page("pages/map.py")
    t0 = time.perf_counter(); at.run(); first = (time.perf_counter() - t0) * 1000
    slider = lambda: at.select_slider(key="w_map_year")  # noqa: E731
    years = [int(y) for y in at.query_params.get('year', ['2025'])][:1]
    years = list(range(years[0] - 3, years[0] + 1))
    measures = list(at.selectbox(key="w_map_measure").options)
    # warm every (measure, year) once, as a user session would after a few clicks
    for _ in range(2):
        for y in years[-4:]:
            slider().set_value(int(y)); timed(at)
    for _ in range(args.repeat):
        for y in years[-4:]:
            slider().set_value(int(y)); res.setdefault("map: change year", []).append(timed(at))
        for mode in ("quantile", "continuous"):
            at.radio(key="w_map_colour").set_value(mode); res.setdefault("map: change colouring", []).append(timed(at))
    ids = ["cla_starts_u1", "cla_starts_u1_rate"]
    for _ in range(args.repeat + 1):
        for m in ids:
            at.selectbox(key="w_map_measure").set_value(m)
            res.setdefault("map: change measure", []).append(timed(at))
    res["map: change measure"] = res["map: change measure"][len(ids):]  # first pass warms the caches
    tr = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    tr.switch_page("pages/trends.py"); tr.run()
    from pages._lib import data
    opts = data.la_codes()
    for _ in range(args.repeat + 1):
        for sel in (opts[:1], opts[:3]):
            tr.multiselect(key="w_trends_areas").set_value(sel)
            res.setdefault("trends: change areas", []).append(timed(tr))
    out = {"first_visit_ms": round(first, 1)}
    print(f"first visit to the map (cold caches): {first:.0f} ms")
    for k, v in res.items():
        out[k] = {"median_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1), "n": len(v)}
        print(f"{k:28s} median {statistics.median(v):6.1f} ms   max {max(v):6.1f} ms   (n={len(v)})")
    d = ROOT / "benchmarks" / "results"
    d.mkdir(parents=True, exist_ok=True)
    (d / "app_interactions.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
