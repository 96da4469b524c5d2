"""A build killed with SIGKILL at any point leaves the previous warehouse intact, and the next build succeeds."""
import hashlib
import os
import signal
import subprocess
import sys
import time

import duckdb
import pytest

from tests.conftest import ROOT, run_atlas

pytestmark = pytest.mark.integration


def _digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


def test_sigkill_during_build_keeps_previous_warehouse(mirror, tmp_path):
    env = {"ATLAS_MIRROR": str(mirror), "ATLAS_RAW": str(tmp_path / "raw"),
           "ATLAS_WAREHOUSE": str(tmp_path / "atlas.duckdb")}
    r = run_atlas(["build"], env)
    assert r.returncode == 0, r.stderr
    wh = tmp_path / "atlas.duckdb"
    before = _digest(wh)
    con = duckdb.connect(str(wh), read_only=True)
    n_rows, england_2025 = con.execute(
        "SELECT count(*), max(value) FILTER (WHERE area_code='E92000001' AND year=2025) FROM indicator_values "
        "WHERE measure_id='cla_starts_u1'").fetchone()
    con.close()
    assert n_rows > 400 and england_2025 > 0
    full_env = dict(os.environ, **env)
    killed_mid_build = 0
    for delay in (0.3, 0.9, 1.6, 2.4):
        p = subprocess.Popen([sys.executable, "-m", "pipeline.cli", "build", "--force"], cwd=ROOT, env=full_env,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        if p.poll() is None:
            p.send_signal(signal.SIGKILL)
            killed_mid_build += 1
        p.wait()
        if p.returncode == -signal.SIGKILL:
            assert _digest(wh) == before, f"warehouse changed after SIGKILL at {delay}s"
        else:  # the build finished before the kill: the new warehouse must be complete
            before = _digest(wh)
        con = duckdb.connect(str(wh), read_only=True)
        assert con.execute("SELECT count(*) FROM indicator_values WHERE measure_id='cla_starts_u1'"
                           ).fetchone()[0] == n_rows
        con.close()
    assert killed_mid_build >= 2
    # the next build cleans up the dead builds' temporary files and succeeds
    r = run_atlas(["build", "--force"], env)
    assert r.returncode == 0, r.stderr
    assert not list(tmp_path.glob(".atlas.duckdb.tmp-*"))
    con = duckdb.connect(str(wh), read_only=True)
    assert con.execute("SELECT value FROM indicator_values WHERE measure_id='cla_starts_u1' AND area_code='E92000001' "
                       "AND year=2025").fetchone()[0] == england_2025
    con.close()
