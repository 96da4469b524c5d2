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


def mirror_path() -> Path | None:
    m = os.environ.get("ATLAS_MIRROR")
    cands = [Path(m)] if m else []
    cands.append(ROOT.parent / "shared" / "data" / "raw")
    for c in cands:
        if c.is_dir():
            return c.resolve()
    return None


@pytest.fixture(scope="session")
def mirror() -> Path:
    m = mirror_path()
    if m is None:
        pytest.skip("raw mirror not available (set ATLAS_MIRROR)")
    return m


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
