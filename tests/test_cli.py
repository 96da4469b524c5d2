"""CLI behaviour: `atlas up` builds only when sources or code changed; `atlas build` no-op; export."""
import pytest

from tests.conftest import run_atlas

pytestmark = pytest.mark.integration


def test_up_and_build_skip_when_unchanged(mirror, tmp_path):
    env = {"ATLAS_MIRROR": str(mirror), "ATLAS_RAW": str(tmp_path / "raw"),
           "ATLAS_WAREHOUSE": str(tmp_path / "a.duckdb")}
    r = run_atlas(["up", "--no-serve"], env)
    assert r.returncode == 0 and "built " in r.stdout, r.stderr
    r = run_atlas(["up", "--no-serve"], env)
    assert r.returncode == 0 and "up to date" in r.stdout
    r = run_atlas(["build"], env)
    assert "up to date" in r.stdout
    # a changed source file (new edition) triggers a rebuild, with a checksum warning naming the file
    f = tmp_path / "raw/care/dfe_cla_context/cla_number_and_rate_per_10k_children_2025ed.csv"
    f.write_bytes(f.read_bytes() + b"\n")
    r = run_atlas(["build", "--mirror", str(tmp_path / "nomirror")], env)
    assert r.returncode == 0 and "built " in r.stdout, r.stderr
    assert "cla_number_and_rate_per_10k_children_2025ed.csv" in r.stdout and "checksum" in r.stdout
    # seeds are read from data/seeds/, never copied into the raw cache
    assert not (tmp_path / "raw/care/reference_figures.csv").exists()
    r = run_atlas(["export", str(tmp_path / "pq")], env)
    assert r.returncode == 0 and len(list(tmp_path.glob("pq/atlas-release-*/data/indicator_values.parquet"))) == 1


def test_missing_source_message(tmp_path):
    env = {"ATLAS_MIRROR": str(tmp_path / "empty"), "ATLAS_RAW": str(tmp_path / "raw"),
           "ATLAS_WAREHOUSE": str(tmp_path / "a.duckdb")}
    (tmp_path / "empty").mkdir()
    r = run_atlas(["fetch", "--offline"], env)
    assert r.returncode == 2
    assert "sources missing" in r.stderr and "landing page" in r.stderr and str(tmp_path / "raw") in r.stderr
    assert not (tmp_path / "a.duckdb").exists()
