"""Bad input stops the build with one error naming source, file, column and row; the previous warehouse stays."""
import hashlib
import shutil

import pytest

from tests.conftest import copy_mirror, run_atlas

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def good(mirror, tmp_path_factory):
    d = tmp_path_factory.mktemp("bad")
    m = copy_mirror(mirror, d / "mirror")
    env = {"ATLAS_MIRROR": str(m), "ATLAS_RAW": str(d / "raw"), "ATLAS_WAREHOUSE": str(d / "atlas.duckdb")}
    r = run_atlas(["build"], env)
    assert r.returncode == 0, r.stderr
    return d, m, env


def _digest(p):
    return hashlib.sha256(p.read_bytes()).hexdigest()


SFR17 = "care/dfe_cla_starts/sfr_underlying_2011_2017/2017_SFR50_ADM2017.csv"
EES22 = "care/dfe_cla_starts/ees/la_cla_who_started_to_be_looked_after_2018_2022.csv"


def _rename_col(t):
    return t.replace("SCLA_U1", "SCLA_UNDER1", 1)


def _unknown_code(t):
    return t.replace("E06000009", "E06999999", 1)


def _dup_row(t):
    lines = t.splitlines(keepends=True)
    return "".join(lines + [lines[5]])


def _bad_count(t):
    lines = t.splitlines(keepends=True)
    parts = lines[20].split(",")
    parts[9] = "twelve"
    lines[20] = ",".join(parts)
    return "".join(lines)


def _truncate(t):
    return t[: len(t) // 2]


@pytest.mark.parametrize("name, path, mutate, expect", [
    ("renamed column", SFR17, _rename_col, ["2017_SFR50_ADM2017.csv", "column 'SCLA_U1'", "missing column"]),
    ("unknown code", SFR17, _unknown_code, ["unknown LA code 'E06999999'", "column 'New_geog_code'", "row "]),
    ("duplicated row", EES22, _dup_row, ["duplicate row", "la_cla_who_started", "row "]),
    ("non-numeric count", SFR17, _bad_count, ["'twelve'", "row 21", "column 'SCLA_U1'"]),
    ("truncated file", EES22, _truncate, ["truncated", "row "]),
])
def test_bad_input_keeps_previous_warehouse(good, name, path, mutate, expect):
    d, m, env = good
    wh = d / "atlas.duckdb"
    before = _digest(wh)
    orig = (m / path).read_bytes()
    try:
        (m / path).write_text(mutate(orig.decode("latin-1")), encoding="latin-1")
        (d / "raw" / path).unlink(missing_ok=True)
        r = run_atlas(["build"], env)
        assert r.returncode == 2, (name, r.stdout, r.stderr)
        err = r.stderr.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error: source "), r.stderr
        for e in expect:
            assert e in r.stderr, (name, e, r.stderr)
        assert _digest(wh) == before
        assert not list(d.glob(".atlas.duckdb.tmp-*"))
    finally:
        (m / path).write_bytes(orig)
        shutil.copyfile(m / path, d / "raw" / path)
