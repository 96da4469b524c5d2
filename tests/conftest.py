from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# Nothing outside 127.0.0.1 is ever contacted by a test. Any download a test (or a subprocess it starts) attempts is
# rewritten to the discard port on loopback, where it fails at once; tests of the download path set their own rewrite
# to a local server. In this process, a connection to any other address raises.
os.environ["ATLAS_URL_REWRITE"] = "https://=http://127.0.0.1:9/;http://=http://127.0.0.1:9/"


def _loopback_only(connect):
    def guarded(self, address, *args, **kwargs):
        host = address[0] if isinstance(address, tuple) else None
        if host is not None and host not in ("127.0.0.1", "::1", "localhost"):
            raise OSError(f"tests may only contact 127.0.0.1, not {host}")
        return connect(self, address, *args, **kwargs)
    return guarded


socket.socket.connect = _loopback_only(socket.socket.connect)
socket.socket.connect_ex = _loopback_only(socket.socket.connect_ex)


SYNTHETIC_RAW = ROOT / "tests" / "fixtures" / "synthetic_raw"
REAL_DATA_REASON = "checks the publishers' real figures: needs the raw mirror (set ATLAS_MIRROR)"


def mirror_path() -> Path | None:
    """The real raw mirror (ATLAS_MIRROR, else ../shared/data/raw next to the checkout); None on a clone without it,
    or when ATLAS_NO_MIRROR=1 (to run the suite as such a clone would)."""
    if os.environ.get("ATLAS_NO_MIRROR") == "1":
        return None
    m = os.environ.get("ATLAS_MIRROR")
    cands = [Path(m)] if m else []
    cands.append(ROOT.parent / "shared" / "data" / "raw")
    for c in cands:
        if c.is_dir():
            return c.resolve()
    return None


def synthetic_mirror(dest: Path) -> Path:
    """A mirror made of the synthetic raw files (official layouts, synthetic numbers; tests/synthetic/make_raw.py)
    plus copies of the project's seeds at their paths (the real mirror holds the compiled tables too; the pipeline
    still reads seeds from data/seeds/ unless ATLAS_SEEDS points elsewhere), and a copy of the source registry whose
    checksums are those of these files (written next to dest as <dest name>_sources.toml): the synthetic edition builds
    with the real pipeline and no checksum warnings."""
    import hashlib
    import re
    shutil.copytree(SYNTHETIC_RAW, dest)
    text = (ROOT / "data" / "sources.toml").read_text(encoding="utf-8")
    import tomllib
    for s in tomllib.loads(text)["source"]:
        f = dest / s["path"]
        if s.get("seed"):
            f.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(ROOT / "data" / "seeds" / s["path"], f)
        elif f.is_file():
            digest = hashlib.sha256(f.read_bytes()).hexdigest()
            text = re.sub(rf'(path = "{re.escape(s["path"])}"\nsha256 = )"[0-9a-f]{{64}}"', rf'\1"{digest}"', text)
    (dest.parent / f"{dest.name}_sources.toml").write_text(text, encoding="utf-8")
    return dest


@pytest.fixture(scope="session")
def real_mirror() -> Path:
    """The publishers' files; tests whose point is the real published figures use this and skip without it."""
    m = mirror_path()
    if m is None:
        pytest.skip(REAL_DATA_REASON)
    return m


@pytest.fixture(scope="session")
def mirror(tmp_path_factory) -> Path:
    """The raw files the pipeline is built from: the real mirror when present, otherwise the synthetic edition
    (same formats, synthetic numbers), with ATLAS_SOURCES pointing at its registry for this session and its
    subprocesses."""
    m = mirror_path()
    if m is not None:
        return m
    d = synthetic_mirror(tmp_path_factory.mktemp("synthetic") / "raw")
    os.environ["ATLAS_SOURCES"] = str(d.parent / f"{d.name}_sources.toml")
    return d


# True when the tests run on the publishers' files (all areas); False on the synthetic edition (a subset of areas)
FULL = mirror_path() is not None


@pytest.fixture(scope="session")
def warehouse(mirror, tmp_path_factory) -> Path:
    """Build the real warehouse once per test session (from the mirror into a temporary raw cache)."""
    d = tmp_path_factory.mktemp("wh")
    out = d / "atlas.duckdb"
    env = dict(os.environ, ATLAS_RAW=str(d / "raw"), ATLAS_MIRROR=str(mirror), ATLAS_WAREHOUSE=str(out))
    r = subprocess.run([sys.executable, "-m", "pipeline.cli", "build"], cwd=ROOT, env=env, capture_output=True,
                       text=True, timeout=600)
    assert r.returncode == 0, r.stderr + r.stdout
    return out


@pytest.fixture()
def con(warehouse):
    import duckdb
    c = duckdb.connect(str(warehouse), read_only=True)
    yield c
    c.close()


def run_atlas(args: list[str], env_extra: dict, timeout: int = 600) -> subprocess.CompletedProcess:
    env = dict(os.environ, **env_extra)
    return subprocess.run([sys.executable, "-m", "pipeline.cli", *args], cwd=ROOT, env=env, capture_output=True,
                          text=True, timeout=timeout)


def copy_mirror(mirror: Path, dest: Path) -> Path:
    shutil.copytree(mirror, dest)
    for p in dest.rglob("*"):
        p.chmod(0o755 if p.is_dir() else 0o644)
    return dest


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """Expose each phase's report as item.rep_<phase> (the browser tests screenshot failures)."""
    outcome = yield
    rep = outcome.get_result()
    setattr(item, "rep_" + rep.when, rep)


@pytest.fixture(scope="session")
def app_warehouse(warehouse, tmp_path_factory) -> Path:
    """A copy of the session warehouse for the app tests (with real boundary layers)."""
    from tests.app_support import with_geometry
    path, _ = with_geometry(warehouse, tmp_path_factory.mktemp("appwh") / "atlas.duckdb")
    return path


def pytest_runtest_setup(item):
    """A test marked `real_data("...")` checks the publishers' real figures: without the raw mirror it is skipped
    with its one-line reason (every other test runs on the synthetic edition)."""
    m = item.get_closest_marker("real_data")
    if m is not None and mirror_path() is None:
        reason = m.args[0] if m.args else "checks the publishers' real figures"
        pytest.skip(f"real figures ({reason}); needs the raw mirror (set ATLAS_MIRROR)")


@pytest.fixture()
def app(app_warehouse, monkeypatch):
    """The app on a copy of the session warehouse: app(page, at=None, **url_params) -> AppTest
    (tests/app_support.py)."""
    from tests.app_support import app_factory
    return app_factory(app_warehouse, monkeypatch)
