"""The whole-release zip is ready before the researcher clicks "Download the whole release": `atlas build` leaves it
in the release cache, a view of Data & downloads makes a missing one in the background, the download's data
function then only reads it; concurrent makers produce one whole zip, and a failure never leaves a partial one."""
from __future__ import annotations

import io
import json
import shutil
import threading
import time
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipeline import manifest, release, release_cache


def _zip_of(warehouse: Path, cache: Path) -> Path:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        bid = manifest.build_id(con.execute("SELECT fingerprint FROM build_info").fetchone()[0])
    return cache / f"{release.release_name(bid)}.zip"


def _check_zip(path: Path, warehouse: Path) -> None:
    with duckdb.connect(str(warehouse), read_only=True) as con:
        tables = release.public_tables(con)
    root = path.name.removesuffix(".zip")
    with zipfile.ZipFile(path) as z:
        assert z.testzip() is None
        names = set(z.namelist())
        pkg = json.loads(z.read(f"{root}/datapackage.json"))
    assert {r["name"] for r in pkg["resources"]} == set(tables)
    for r in pkg["resources"]:
        assert f"{root}/{r['path']}" in names and f"{root}/{r['parquet']['path']}" in names
    assert f"{root}/README.md" in names


def _fake_writer(calls: list, pause: float = 0.0):
    """A stand-in for release.write_release: a small release folder, counting calls (the real one takes seconds)."""
    def write(out_dir, warehouse=None):
        calls.append(threading.get_ident())
        time.sleep(pause)
        folder = Path(out_dir) / "atlas-release-test"
        (folder / "data").mkdir(parents=True)
        (folder / "datapackage.json").write_text("{}", encoding="utf-8")
        (folder / "data" / "t.csv").write_bytes(b"a,b\r\n" * 50_000)
        return folder
    return write


@pytest.mark.integration
def test_build_leaves_the_release_zip_in_the_cache(warehouse):
    """`atlas build` (the session fixture runs it) writes this build's zip into releases/ next to the warehouse."""
    path = _zip_of(warehouse, warehouse.parent / "releases")
    assert path.is_file() and release.zip_ready(path, warehouse)
    _check_zip(path, warehouse)
    assert not [p for p in path.parent.iterdir() if ".tmp-" in p.name or p.name.startswith(".work")]


@pytest.mark.integration
def test_download_reads_the_built_zip_without_generating(warehouse, monkeypatch):
    """The download button's data function returns the zip `atlas build` made; nothing is generated at click time."""
    from pages._lib import export

    def boom(*a, **k):
        raise AssertionError("the release was generated at click time")
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(warehouse))
    monkeypatch.delenv("ATLAS_RELEASE_CACHE", raising=False)
    monkeypatch.setattr(release, "write_release", boom)
    export._release_zip.clear()
    try:
        data = export.release_zip_bytes()
    finally:
        export._release_zip.clear()
    assert data == _zip_of(warehouse, warehouse.parent / "releases").read_bytes()
    assert zipfile.ZipFile(io.BytesIO(data)).testzip() is None


@pytest.mark.integration
def test_page_view_makes_a_missing_zip_in_the_background(app_warehouse, tmp_path, monkeypatch):
    """A warehouse without a zip in its cache (e.g. a deployment's own cache folder): showing Data & downloads starts
    making it, so it is ready when the researcher clicks."""
    from tests.app_support import app_factory
    wh = tmp_path / "atlas.duckdb"
    shutil.copyfile(app_warehouse, wh)
    cache = tmp_path / "cache"
    monkeypatch.setenv("ATLAS_RELEASE_CACHE", str(cache))
    app_factory(wh, monkeypatch)("downloads")
    workers = [t for t in threading.enumerate() if t.name.startswith("release-zip-")]
    assert workers, "no background release zip was started"
    for t in workers:
        t.join(300)
    path = _zip_of(wh, cache)
    assert path.is_file()
    _check_zip(path, wh)


@pytest.mark.integration
def test_concurrent_makers_produce_one_whole_zip(warehouse, tmp_path, monkeypatch):
    calls: list = []
    monkeypatch.setattr(release, "write_release", _fake_writer(calls, pause=0.5))
    out: list = []
    threads = [threading.Thread(target=lambda: out.append(release.release_zip(tmp_path, warehouse)))
               for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(calls) == 1 and len(out) == 4 and len(set(out)) == 1
    with zipfile.ZipFile(out[0]) as z:
        assert z.testzip() is None and "atlas-release-test/data/t.csv" in z.namelist()
    assert sorted(p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")) == [out[0].name]


@pytest.mark.integration
def test_a_failed_zip_leaves_nothing_behind(warehouse, tmp_path, monkeypatch):
    monkeypatch.setattr(release, "write_release", _fake_writer([]))

    def broken_write(self, *a, **k):
        raise OSError("disk full")
    monkeypatch.setattr(zipfile.ZipFile, "write", broken_write)
    with pytest.raises(OSError):
        release.release_zip(tmp_path, warehouse)
    assert [p.name for p in tmp_path.iterdir() if not p.name.endswith(".lock")] == []
    res = release_cache.prepare(warehouse, tmp_path)  # the build's call: never fatal
    assert res.path is None and "disk full" in res.error


@pytest.mark.integration
def test_zip_older_than_the_warehouse_is_made_again(warehouse, tmp_path, monkeypatch):
    """A forced rebuild keeps the build id: a zip made before the warehouse was written is stale."""
    calls: list = []
    monkeypatch.setattr(release, "write_release", _fake_writer(calls))
    path = release.release_zip(tmp_path, warehouse)
    assert release.release_zip(tmp_path, warehouse) == path and len(calls) == 1
    old = warehouse.stat().st_mtime_ns - 10**9
    import os
    os.utime(path, ns=(old, old))
    assert release.release_zip(tmp_path, warehouse) == path and len(calls) == 2


@pytest.mark.integration
def test_prewarm_release_makes_the_zip(warehouse, tmp_path, monkeypatch):
    from pipeline.prewarm import prewarm_release
    monkeypatch.setattr(release, "write_release", _fake_writer([]))
    t = prewarm_release(warehouse, tmp_path)
    assert t is not None
    t.join(60)
    assert _zip_of(warehouse, tmp_path).is_file()


def test_prune_keeps_the_most_recent_zips(tmp_path):
    paths = []
    for i in range(5):
        p = tmp_path / f"atlas-release-{i:012d}.zip"
        p.write_bytes(b"x")
        (tmp_path / f".{p.name}.lock").write_bytes(b"")
        t = 1_700_000_000 + i
        import os
        os.utime(p, (t, t))
        paths.append(p)
    removed = release_cache.prune(tmp_path, paths[0], keep=3)  # the current zip is kept whatever its age
    assert sorted(removed) == paths[1:3]
    assert sorted(p.name for p in tmp_path.glob("atlas-release-*.zip")) == [paths[i].name for i in (0, 3, 4)]
    assert not (tmp_path / f".{paths[1].name}.lock").exists()


def test_background_runs_once_at_a_time_and_never_retries_a_failure():
    gate, runs = threading.Event(), []

    def slow():
        runs.append(1)
        gate.wait(10)
    t = release_cache.in_background("k-slow", slow)
    assert t is not None and release_cache.in_background("k-slow", slow) is None  # still running: not twice
    gate.set()
    t.join(10)
    again = release_cache.in_background("k-slow", slow)  # finished (e.g. the cache folder was cleaned since)
    assert again is not None
    again.join(10)
    assert len(runs) == 2

    def fail():
        runs.append(1)
        raise RuntimeError("no space")
    release_cache.in_background("k-fail", fail).join(10)
    assert release_cache.in_background("k-fail", fail) is None and len(runs) == 3


def test_noop_build_finds_the_current_zip_without_pandas_or_making_it(tmp_path, monkeypatch):
    """A no-op `atlas build` only checks that this build's zip is in the cache: that check imports no pandas (the
    no-op rebuild stays ~0.2 s) and never calls the zip maker when the zip is current."""
    import subprocess
    import sys
    code = ("import sys, pipeline.release_paths as p; "
            "assert 'pandas' not in sys.modules, 'release_paths imports pandas'")
    r = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent,
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    from pipeline import cli, release_paths
    wh = tmp_path / "atlas.duckdb"
    with duckdb.connect(str(wh)) as con:
        con.execute("CREATE TABLE build_info AS SELECT 'abcdef1234567890' AS fingerprint")
    monkeypatch.setenv("ATLAS_RELEASE_CACHE", str(tmp_path / "rel"))
    z = release_paths.zip_path(tmp_path / "rel", wh)
    z.parent.mkdir()
    z.write_bytes(b"zip")
    monkeypatch.setattr(release_cache, "prepare", lambda *a, **k: pytest.fail("zip remade although current"))
    cli._release_zip(wh)
    assert release_paths.current_zip(wh) == z
    newer = z.stat().st_mtime_ns + 10**9  # a newer warehouse (forced rebuild, same build id): the zip is stale
    import os
    os.utime(wh, ns=(newer, newer))
    assert release_paths.current_zip(wh) is None
