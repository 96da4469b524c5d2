"""Open-data release (`atlas export DIR`): a Frictionless Data Package that the `frictionless` library accepts, named
by the build id, with Parquet and CSV per public table, suppressed cells blank, injection-safe CSVs, and one zip per
build for the app. Build manifests: what changed between two builds."""
from __future__ import annotations

import csv
import io
import json
import shutil
import zipfile
from pathlib import Path

import duckdb
import pytest

from pipeline import manifest, release
from tests.conftest import run_atlas

frictionless = pytest.importorskip("frictionless")


def _read_csv(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8"), newline="")))


@pytest.fixture(scope="module")
def exported(warehouse, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("release")
    r = run_atlas(["export", str(out)], {"ATLAS_WAREHOUSE": str(warehouse)})
    assert r.returncode == 0, r.stderr
    (folder,) = out.glob("atlas-release-*")
    return folder


@pytest.mark.integration
def test_release_is_a_valid_data_package(exported, warehouse):
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fp, code = con.execute("SELECT fingerprint, code_version FROM build_info").fetchone()
        tables = [t for t in release.public_tables(con)]
        counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    assert exported.name == f"atlas-release-{fp[:12]}"
    report = frictionless.validate(str(exported / "datapackage.json"))
    assert report.valid, report.flatten(["resourceName", "rowNumber", "fieldName", "type", "note"])[:10]
    pkg = json.loads((exported / "datapackage.json").read_text(encoding="utf-8"))
    assert pkg["fingerprint"] == fp and pkg["code_version"] == code and pkg["version"] == fp[:12]
    assert {r["name"] for r in pkg["resources"]} == set(tables) and not any(t.startswith("stg_") for t in tables)
    for r in pkg["resources"]:
        t = r["name"]
        assert (exported / f"data/{t}.csv").is_file() and (exported / r["parquet"]["path"]).is_file()
        pq = str(exported / r["parquet"]["path"])
        assert duckdb.sql("SELECT count(*) FROM read_parquet(?)", params=[pq]).fetchall()[0][0] == counts[t], t
    iv = next(r for r in pkg["resources"] if r["name"] == "indicator_values")
    assert iv["schema"]["primaryKey"] == ["measure_id", "area_code", "year"]
    assert {fk["reference"]["resource"] for fk in iv["schema"]["foreignKeys"]} == {"measures", "areas", "sources"}
    types = {f["name"]: f["type"] for f in iv["schema"]["fields"]}
    assert types["value"] == "number" and types["year"] == "integer" and types["status"] == "string"
    desc = {f["name"]: f.get("description", "") for f in iv["schema"]["fields"]}
    assert "year ending 31 March" in desc["year"] and "suppressed" in desc["status"]  # from docs/warehouse.md
    # sources: publisher, edition, licence, checksum of the file used
    src = {s["id"]: s for s in pkg["sources"]}
    assert all(s["title"] and s["publisher"] and s["licence"] and "edition" in s for s in src.values())
    assert all(s["checksum"].startswith("sha256:") for s in src.values() if s["used"])
    # the measure registry: definitions travel with the data
    ms = {m["measure_id"]: m for m in pkg["measures"]}
    assert "per 10,000 live births" in ms["cla_starts_u1_rate"]["title"] + ms["cla_starts_u1_rate"]["unit"]
    readme = (exported / "README.md").read_text(encoding="utf-8")
    assert fp[:12] in readme and "NOT the rate of newborns in care proceedings" in readme
    assert "/work/" not in (exported / "data/build_info.csv").read_text()  # no local paths of the build machine


@pytest.mark.integration
def test_release_suppressed_cells_blank_with_status(exported):
    rows = _read_csv(exported / "data/indicator_values.csv")
    sup = [r for r in rows if r["status"] == "suppressed"]
    assert len(sup) > 100
    assert all(r["value"] == "" and r["numerator"] == "" and r["lower_95"] == "" for r in sup)
    assert all(r["note"] for r in sup)  # the reason travels with the blank


@pytest.mark.integration
def test_release_blanks_values_of_suppressed_rows_and_neutralises_csv(warehouse, tmp_path):
    """A warehouse row marked suppressed that still holds figures, and a hostile note: the release blanks the
    figures (CSV and Parquet) and the CSV neutralises the formula, while Parquet keeps the exact text."""
    wh = tmp_path / "atlas.duckdb"
    shutil.copyfile(warehouse, wh)
    with duckdb.connect(str(wh)) as con:
        mid, code, year = con.execute("SELECT measure_id, area_code, year FROM indicator_values WHERE status = 'ok' "
                                      "AND numerator IS NOT NULL ORDER BY ALL LIMIT 1").fetchone()
        con.execute("UPDATE indicator_values SET status = 'suppressed', note = ? WHERE measure_id = ? AND "
                    "area_code = ? AND year = ?", ["=HYPERLINK(\"http://x\")", mid, code, year])
    folder = release.write_release(tmp_path / "out", wh)
    rows = [r for r in _read_csv(folder / "data/indicator_values.csv")
            if (r["measure_id"], r["area_code"], r["year"]) == (mid, code, str(year))]
    assert len(rows) == 1 and rows[0]["value"] == "" and rows[0]["numerator"] == "" and rows[0]["upper_95"] == ""
    assert rows[0]["note"] == "'=HYPERLINK(\"http://x\")"
    pq = duckdb.sql("SELECT value, numerator, note FROM read_parquet(?) WHERE measure_id = ? AND area_code = ? AND "
                    "year = ?", params=[str(folder / "data/indicator_values.parquet"), mid, code, year]).fetchall()[0]
    assert pq == (None, None, "=HYPERLINK(\"http://x\")")


@pytest.mark.integration
def test_validation_rejects_a_broken_release(exported, tmp_path):
    """The validation above can fail: a duplicated primary-key row is reported."""
    broken = tmp_path / "broken"
    shutil.copytree(exported, broken)
    p = broken / "data/area_successors.csv"
    lines = p.read_bytes().decode("utf-8").split("\r\n")
    lines.insert(2, lines[1])  # duplicate the first data row
    p.write_bytes("\r\n".join(lines).encode("utf-8"))
    pkg = json.loads((broken / "datapackage.json").read_text(encoding="utf-8"))
    pkg["resources"] = [r for r in pkg["resources"] if r["name"] in ("areas", "area_successors")]
    for r in pkg["resources"]:
        r.pop("hash", None)
        r.pop("bytes", None)
    (broken / "datapackage.json").write_text(json.dumps(pkg), encoding="utf-8")
    report = frictionless.validate(str(broken / "datapackage.json"))
    assert not report.valid
    assert "primary-key" in {e[0] for e in report.flatten(["type"])}


@pytest.mark.integration
def test_release_zip_made_once_per_build(warehouse, tmp_path):
    z1 = release.release_zip(tmp_path / "cache", warehouse)
    m1 = z1.stat().st_mtime_ns
    z2 = release.release_zip(tmp_path / "cache", warehouse)
    assert z2 == z1 and z2.stat().st_mtime_ns == m1  # reused, not rebuilt
    with zipfile.ZipFile(z1) as z:
        names = z.namelist()
    root = z1.name.removesuffix(".zip")
    assert f"{root}/datapackage.json" in names and f"{root}/data/indicator_values.parquet" in names
    assert not [p for p in (tmp_path / "cache").iterdir() if p.name.startswith(".work")]


def test_manifest_diff_names_what_changed():
    old = {"build_id": "a", "code_version": "v1", "measures": {"m1": "One", "m2": "Two"},
           "sources": {"s1": {"title": "Births", "edition": "2022", "sha256": "aa"},
                       "s2": {"title": "Care", "edition": "2024", "sha256": "bb"}}}
    new = {"build_id": "b", "code_version": "v2", "measures": {"m1": "One", "m3": "Three"},
           "sources": {"s1": {"title": "Births", "edition": "2023", "sha256": "cc"},
                       "s2": {"title": "Care", "edition": "2024", "sha256": "dd"}}}
    d = manifest.diff(old, new)
    assert "measures added: Three (m3)" in d and "measures removed: Two (m2)" in d
    assert "source edition changed: Births: 2022 → 2023" in d
    assert "source file changed (same edition 2024): Care" in d
    assert manifest.diff(old, old) == []
    assert manifest.diff(old, {**old, "code_version": "v2"})[0].startswith("code changed")


@pytest.mark.integration
def test_build_carries_manifests_of_replaced_warehouse(warehouse, tmp_path):
    """`build_manifests` keeps the history of the warehouse it replaces (so later builds know earlier build ids)."""
    wh = tmp_path / "atlas.duckdb"
    shutil.copyfile(warehouse, wh)
    with duckdb.connect(str(wh)) as con:
        con.execute("UPDATE build_info SET fingerprint = 'feedfacecafe0000'")
        manifest.record(con, warehouse)  # as if `wh` were built replacing `warehouse`
        known = manifest.known(con)
    with duckdb.connect(str(warehouse), read_only=True) as con:
        fp = con.execute("SELECT fingerprint FROM build_info").fetchone()[0]
    assert "feedfacecafe" in known
    assert fp[:12] in known and known[fp[:12]]["measures"]
