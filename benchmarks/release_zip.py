"""Benchmark: the whole open-data release as one zip (the "Download the whole release" button of Data & downloads).

Prints the time to get the zip's bytes on the first click after a build (cold: no zip for this build id in the
release cache yet) and on a later click (warm: the zip is on disk), the zip's size, and with --stages where the cold
time goes (Parquet writing, CSV frames, CSV bytes, zipping by compression level). With --after-build it also times
`atlas build --force` into a scratch folder and the first click after it (the build leaves the zip in the cache).

Target: the first click after `atlas build` returns the bytes in well under 1 s (no generation at click time).
Usage: python benchmarks/release_zip.py [--warehouse data/atlas.duckdb] [--runs 3] [--stages] [--after-build]
"""
from __future__ import annotations

import argparse
import io
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from pipeline import release  # noqa: E402

CPU: list[float] = []  # CPU seconds (all threads of this process) of each click


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def click(cache: Path, warehouse: Path) -> tuple[float, int]:
    """What the download button's data function does: the zip's path (made if missing), then its bytes."""
    t, c = time.perf_counter(), time.process_time()
    data = release.release_zip(cache, warehouse).read_bytes()
    CPU.append(time.process_time() - c)
    return time.perf_counter() - t, len(data)


def cold_warm(warehouse: Path, runs: int) -> None:
    cold, warm, size, cold_cpu = [], [], 0, []
    for _ in range(runs):
        with tempfile.TemporaryDirectory() as d:
            s, size = click(Path(d), warehouse)
            cold.append(s)
            cold_cpu.append(CPU[-1])
            warm += [click(Path(d), warehouse)[0] for _ in range(3)]
    print(f"cold (no zip for this build yet; median of {runs}): {statistics.median(cold):.2f} s "
          f"(runs {'/'.join(f'{x:.2f}' for x in cold)}); CPU {statistics.median(cold_cpu):.2f} s")
    print(f"warm (zip on disk; median of {len(warm)}): {statistics.median(warm) * 1000:.0f} ms")
    print(f"zip size: {size / 1e6:.1f} MB")


def stages(warehouse: Path) -> None:
    """Where the cold time goes: each stage over every public table, then zipping the folder several ways."""
    import duckdb

    from pipeline.opendata import safe_csv_bytes
    t: dict[str, float] = dict.fromkeys(("parquet", "frame", "csv_bytes"), 0.0)
    with tempfile.TemporaryDirectory() as d, duckdb.connect(str(warehouse), read_only=True) as con:
        for tab in release.public_tables(con):
            cols = release._columns(con, tab)
            rel = release._relation(con, tab, cols)
            t0 = time.perf_counter()
            rel.write_parquet(f"{d}/{tab}.parquet")
            t1 = time.perf_counter()
            df = release._csv_frame(rel, cols)
            t2 = time.perf_counter()
            safe_csv_bytes(df)
            t3 = time.perf_counter()
            t["parquet"] += t1 - t0
            t["frame"] += t2 - t1
            t["csv_bytes"] += t3 - t2
    print(f"  Parquet files: {t['parquet']:.2f} s; CSV frames: {t['frame']:.2f} s; CSV bytes (neutralise + "
          f"to_csv): {t['csv_bytes']:.2f} s")
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        folder = release.write_release(Path(d), warehouse)
        print(f"  write_release (folder, all of the above + descriptor): {time.perf_counter() - t0:.2f} s")
        files = [p for p in sorted(folder.rglob("*")) if p.is_file()]
        for label, level, parquet_stored in (("deflate 6, everything", 6, False), ("deflate 1, everything", 1, False),
                                             ("deflate 6, Parquet stored", 6, True),
                                             ("deflate 1, Parquet stored", 1, True)):
            buf = io.BytesIO()
            t0 = time.perf_counter()
            with zipfile.ZipFile(buf, "w") as z:
                for p in files:
                    stored = parquet_stored and p.suffix == ".parquet"
                    z.write(p, arcname=str(p.relative_to(folder.parent)),
                            compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED,
                            compresslevel=None if stored else level)
            print(f"  zip {label}: {time.perf_counter() - t0:.2f} s, {buf.tell() / 1e6:.1f} MB")
    print("  frictionless validation at click time: none (release_zip never validates)")


def after_build(runs: int) -> None:
    """`atlas build --force` into a scratch folder (the release cache next to it), then the first click."""
    mirror = os.environ.get("ATLAS_MIRROR", str(ROOT.parent / "shared/data/raw"))
    with tempfile.TemporaryDirectory() as d:
        wh, cache = Path(d) / "atlas.duckdb", Path(d) / "releases"
        env = dict(os.environ, ATLAS_MIRROR=mirror, ATLAS_RAW=str(ROOT / "data" / "raw"), ATLAS_WAREHOUSE=str(wh),
                   ATLAS_RELEASE_CACHE=str(cache))
        builds, clicks, zips = [], [], []
        for _ in range(runs):
            t = time.perf_counter()
            r = subprocess.run([sys.executable, "-m", "pipeline.cli", "build", "--force"], cwd=ROOT, env=env,
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(r.stderr)
            builds.append(time.perf_counter() - t)
            zips += [float(m) for m in re.findall(r"^release zip .* ready \((\d+\.\d+) s\)$", r.stdout, re.M)]
            ready = any(cache.glob("atlas-release-*.zip"))
            s, _ = click(cache, wh)
            clicks.append(s)
            shutil.rmtree(cache, ignore_errors=True)
        print(f"atlas build --force (median of {runs}): {statistics.median(builds):.2f} s "
              f"(runs {'/'.join(f'{x:.1f}' for x in builds)}); zip in the cache after the build: {ready}")
        if zips:
            print(f"  of which writing the release zip (as the build reports it): {statistics.median(zips):.2f} s")
        print(f"first click after the build (median of {runs}): {statistics.median(clicks):.2f} s")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--warehouse", default=str(ROOT / "data" / "atlas.duckdb"))
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--stages", action="store_true", help="break the cold time down by stage")
    ap.add_argument("--after-build", action="store_true", help="time `atlas build --force` and the click after it")
    ap.add_argument("--level", type=int, help="deflate level of the zip (default: release.ZIP_LEVEL; 6 before)")
    a = ap.parse_args()
    wh = Path(a.warehouse)
    if a.level is not None:
        release.ZIP_LEVEL = a.level
    print(f"deflate level {release.ZIP_LEVEL}")
    print(f"load average before: {load()}")
    cold_warm(wh, a.runs)
    if a.stages:
        stages(wh)
    if a.after_build:
        after_build(a.runs)
    print(f"machine: {os.cpu_count()} CPUs, load average after: {load()}")


if __name__ == "__main__":
    main()
