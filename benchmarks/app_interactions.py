"""Server time per interaction in the Streamlit app (AppTest: the full script run on the server, no browser),
against a NAIVE BASELINE (benchmarks/naive_app.py: re-reads the raw GeoJSON and CSVs on every rerun).

Usage:
    ATLAS_MIRROR=../shared/data/raw ATLAS_WAREHOUSE=data/atlas.duckdb python benchmarks/app_interactions.py [--repeat 3]
Prints the median and max milliseconds per interaction after the caches are warm (first visit excluded) for the
atlas and the naive app, and the ratio naive / atlas; writes benchmarks/results/app_interactions.json.
Targets: atlas <= 100 ms median per change of year / measure / selected LA; naive / atlas >= 10x.
Data-access layer alone (no Streamlit script run): the same interactions as the pages/_lib/data calls.
"""
from __future__ import annotations

import argparse
import json
import os
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
    assert not at.exception, [e.message for e in at.exception]
    return dt


def drive_map(at, years: list[int], measures: list[str], las: list[str], repeat: int,
              warm: bool = True) -> dict[str, list[float]]:
    """Change year, measure and selected LA on a map page (atlas or naive: same widget keys)."""
    res: dict[str, list[float]] = {}
    slider = lambda: at.select_slider(key="w_map_year")  # noqa: E731
    if warm:  # warm every (measure, year) once, as a user session would after a few clicks
        for m in measures:
            at.selectbox(key="w_map_measure").set_value(m)
            timed(at)
            for y in years:
                slider().set_value(int(y))
                timed(at)
    for _ in range(repeat):
        for m in measures:
            at.selectbox(key="w_map_measure").set_value(m)
            res.setdefault("change measure", []).append(timed(at))
            for y in years:
                slider().set_value(int(y))
                res.setdefault("change year", []).append(timed(at))
        for code in las:
            at.selectbox(key="w_map_area").set_value(code)
            res.setdefault("select an LA", []).append(timed(at))
    return res


def data_layer(repeat: int) -> dict[str, list[float]]:
    """The data-access calls the map page makes for one interaction (cached), timed without Streamlit."""
    from pages._lib import data
    res: dict[str, list[float]] = {}
    mids = ["cla_starts_u1_rate", "cla_starts_u1"]
    for _ in range(repeat + 1):
        for m in mids:
            for y in data.measure_years(m)[-4:]:
                t = time.perf_counter()
                data.measure(m)
                data.values(m, y, "la")
                data.values(m, y, "england")
                data.layer_for(y, "la", ("England",))
                data.period_label(m, y)
                res.setdefault("data layer: values + layer for (measure, year)", []).append(
                    (time.perf_counter() - t) * 1000)
    return res


def summarise(res: dict[str, list[float]]) -> dict:
    return {k: {"median_ms": round(statistics.median(v), 1), "max_ms": round(max(v), 1), "n": len(v)}
            for k, v in res.items()}


def main() -> int:
    from streamlit.testing.v1 import AppTest
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--no-naive", action="store_true")
    args = ap.parse_args()
    os.environ.setdefault("ATLAS_WAREHOUSE", str(ROOT / "data" / "atlas.duckdb"))
    years = [2022, 2023, 2024, 2025]
    las = ["E06000001", "E08000025", "E09000001"]
    measures = ["cla_starts_u1_rate", "cla_starts_u1"]

    at = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    at.switch_page("pages/map.py")
    t0 = time.perf_counter()
    at.run()
    first = (time.perf_counter() - t0) * 1000
    atlas = drive_map(at, years, measures, las, args.repeat)
    out: dict = {"atlas_first_visit_ms": round(first, 1), "atlas": summarise(atlas)}
    out["data_layer"] = summarise(data_layer(args.repeat))
    tr = AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=120)
    tr.switch_page("pages/trends.py")
    tr.run()
    from pages._lib import data
    opts = data.la_codes()
    trends: dict[str, list[float]] = {}
    for i in range(args.repeat + 1):
        for sel in (opts[:1], opts[:3]):
            tr.multiselect(key="w_trends_areas").set_value(sel)
            dt = timed(tr)
            if i:
                trends.setdefault("trends: change areas", []).append(dt)
    out["atlas"].update(summarise(trends))

    print(f"atlas: first visit to the map (cold caches): {first:.0f} ms")
    for k, v in out["atlas"].items():
        print(f"atlas  {k:26s} median {v['median_ms']:7.1f} ms   max {v['max_ms']:7.1f} ms   (n={v['n']})")
    for k, v in out["data_layer"].items():
        print(f"atlas  {k:26s} median {v['median_ms']:7.1f} ms   max {v['max_ms']:7.1f} ms   (n={v['n']})")

    if not args.no_naive:
        nv = AppTest.from_file(str(ROOT / "benchmarks" / "naive_app.py"), default_timeout=120)
        t0 = time.perf_counter()
        nv.run()
        nfirst = (time.perf_counter() - t0) * 1000
        assert not nv.exception, [e.message for e in nv.exception]
        naive = drive_map(nv, years, ["number", "percentage"], las, max(1, args.repeat - 1), warm=False)
        out["naive_first_visit_ms"] = round(nfirst, 1)
        out["naive"] = summarise(naive)
        out["ratio_naive_over_atlas"] = {}
        print(f"naive: first visit: {nfirst:.0f} ms")
        for k, v in out["naive"].items():
            ratio = v["median_ms"] / out["atlas"][k]["median_ms"]
            out["ratio_naive_over_atlas"][k] = round(ratio, 1)
            print(f"naive  {k:26s} median {v['median_ms']:7.1f} ms   max {v['max_ms']:7.1f} ms   (n={v['n']})"
                  f"   ratio naive/atlas {ratio:5.1f}x")
    d = ROOT / "benchmarks" / "results"
    d.mkdir(parents=True, exist_ok=True)
    (d / "app_interactions.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
