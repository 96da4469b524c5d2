"""Hand-compiled reference figures kept as seeds (data/seeds/care/) and the `reference_figures` table built from
them: every row of both files loaded (counted), each with one definition class and source type; reports that
differ grouped; the NFJO newborn measures still built from the seed."""
from __future__ import annotations

import csv
import hashlib
import io
import shutil
from pathlib import Path

import pytest

from pipeline.errors import MissingSourceError, SourceError
from pipeline.fetch import fetch
from pipeline.marts.reference_figures import CLASSES, classify, source_type, study_of
from pipeline.registry import load_sources

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "data" / "seeds"
SOURCES = load_sources()
SEED_IDS = ("nfjo_reference_figures", "reference_figures_additions_2026")


def _rows(path: Path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


# ---------- seeds
def test_seeds_are_registered_exact_copies():
    for sid in SEED_IDS:
        s = SOURCES[sid]
        assert s.seed, sid
        data = (SEEDS / s.path).read_bytes()
        assert hashlib.sha256(data).hexdigest() == s.sha256, f"data/seeds/{s.path} differs from its registry sha256"
    assert len(_rows(SEEDS / "care/reference_figures.csv")) == 43
    assert len(_rows(SEEDS / "care/reference_figures_additions_2026.csv")) == 54
    assert (SEEDS / "care" / "PROVENANCE.md").is_file()


def test_fetch_reads_seeds_in_place(tmp_path, monkeypatch):
    """Seeds are never copied into the raw cache; a missing seed is one clear error; an edited one is warned."""
    srcs = {sid: SOURCES[sid] for sid in SEED_IDS}
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    monkeypatch.setenv("ATLAS_SEEDS", str(seeds))
    rep = fetch(raw=tmp_path / "raw", mirror=tmp_path / "nomirror", sources=srcs, progress=False)
    assert set(rep.present) == set(SEED_IDS) and not rep.warnings
    assert not (tmp_path / "raw").exists() or not any((tmp_path / "raw").rglob("*.csv"))
    f = seeds / "care/reference_figures_additions_2026.csv"
    f.write_bytes(f.read_bytes() + b"\n")
    rep = fetch(raw=tmp_path / "raw", sources=srcs, progress=False)
    assert any("data/seeds/care/reference_figures_additions_2026.csv" in w for w in rep.warnings)
    f.unlink()
    with pytest.raises(MissingSourceError) as e:
        fetch(raw=tmp_path / "raw", sources=srcs, progress=False)
    assert "reference_figures_additions_2026" in str(e.value) and str(f) in str(e.value)


def test_seed_error_names_the_seed_file(tmp_path):
    from pipeline.parsers import reference_figures
    from tests.helpers import make_ctx
    seeds = tmp_path / "seeds"
    shutil.copytree(SEEDS, seeds)
    f = seeds / "care/reference_figures_additions_2026.csv"
    lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
    lines[3] = lines[3].replace(",41,percent,", ",forty-one,percent,")
    assert "forty-one" in lines[3]
    f.write_text("".join(lines), encoding="utf-8")
    with pytest.raises(SourceError) as e:
        reference_figures.load(make_ctx(seeds))
    msg = str(e.value)
    assert "data/seeds/care/reference_figures_additions_2026.csv" in msg and "row 4" in msg and "column 'value'" in msg


# ---------- classification rules
def test_rules_separate_definitions():
    assert classify(study_of("Broadhurst K, Alrouh B (2018) Born into care"),
                    "newborns subject of s.31 care proceedings")[0] == "newborn_u7d_s31"
    # the earlier Lancaster analysis (age cut-off not stated) is not folded into the <7-day series
    assert classify(study_of("Broadhurst K et al., Lancaster University: first national figures on newborns"),
                    "newborn babies involved in care proceedings")[0] == "newborn_age_not_stated"
    assert classify(study_of("Pattinson R, Broadhurst K (2021)"), "newborn incidence rate in care proceedings")[0] \
        == "newborn_u2w_proceedings"
    assert classify(study_of("Bilson A, Bywaters P (2020) Born into care: evidence of a failed state"),
                    "born-into-care rate (entered care within first week of life)")[0] == "first_week_care_entry"
    assert classify(study_of("Cafcass care demand statistics"), "unknown thing") is None
    assert source_type("Cafcass LA rates as reported by Family Law", "LA rates") == "secondary summary"
    assert source_type("Broadhurst K", "headline (news release)") == "news release"
    assert source_type("Pearson RJ et al. (2020)", "abstract") == "report"


# ---------- the warehouse table


@pytest.mark.integration
def test_every_row_of_both_seeds_is_in_the_warehouse(con):
    rows = con.execute("SELECT source_id, line, source, geography, period, measure, value_as_published "
                       "FROM reference_figures").fetchall()
    assert len(rows) == 43 + 54
    got = {(r[0], r[1]) for r in rows}
    for sid in SEED_IDS:
        file_rows = _rows(SEEDS / SOURCES[sid].path)
        assert {(sid, i + 2) for i in range(len(file_rows))} <= got, sid
        by_line = {r[1]: r for r in rows if r[0] == sid}
        for i, fr in enumerate(file_rows):  # text kept exactly as typed in
            r = by_line[i + 2]
            assert (r[2], r[3], r[4], r[5], r[6]) == (fr["source"], fr["geography"], fr["period"], fr["measure"],
                                                      fr["value"])


@pytest.mark.integration
def test_each_row_has_one_known_class_and_source_type(con):
    bad = con.execute("SELECT count(*) FROM reference_figures WHERE definition_class NOT IN "
                      f"({','.join(repr(c) for c in CLASSES)}) OR source_type NOT IN "
                      "('report', 'news release', 'secondary summary') OR page_url = '' OR source = ''").fetchone()[0]
    assert bad == 0
    per = dict(con.execute("SELECT definition_class, count(*) FROM reference_figures GROUP BY 1").fetchall())
    assert per["newborn_u7d_s31"] == 17 and per["newborn_u2w_proceedings"] == 15
    assert per["first_week_care_entry"] == 9 and per["newborn_age_not_stated"] == 2
    assert con.execute("SELECT count(*) FROM reference_definition_classes").fetchone()[0] == len(CLASSES)


@pytest.mark.integration
def test_differing_reports_are_grouped_not_resolved(con):
    g = con.execute("SELECT conflict_group, list(value_text ORDER BY source_id), list(source_type ORDER BY source_id) "
                    "FROM reference_figures WHERE conflict_group IS NOT NULL AND geography = 'Yorkshire and The "
                    "Humber' GROUP BY 1").fetchall()
    assert len(g) == 1 and g[0][1] == ["above 30", "39"] and g[0][2] == ["news release", "secondary summary"]
    apps = con.execute("SELECT list(value ORDER BY value) FROM reference_figures WHERE conflict_group IS NOT NULL "
                       "AND quantity = 'applications' AND period_key = '2013-14'").fetchone()[0]
    assert apps == [10606, 10620]
    # 'decade to 2018 (start)' and '2018' are different periods, not two reports of one figure
    assert con.execute("SELECT count(*) FROM reference_figures WHERE quantity = 'rate' AND "
                       "definition_class = 'first_week_care_entry' AND conflict_group IS NOT NULL").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM reference_figures WHERE flags LIKE '%truncated%'").fetchone()[0] == 2


@pytest.mark.integration
def test_outlier_breakdown_adds_up(con):
    parts = dict(con.execute("SELECT region_code, count FROM reference_figure_breakdowns").fetchall())
    assert sum(parts.values()) == 16 and parts["E12000002"] == 6 and parts["E12000003"] == 3


@pytest.mark.integration
def test_nfjo_measures_still_read_from_the_seed(con):
    v = con.execute("SELECT year, value FROM indicator_values WHERE measure_id = 'nfjo_newborns_s31_u7d' AND "
                    "area_code = 'E92000001' ORDER BY year").fetchall()
    assert v == [(2008, 1039.0), (2017, 2447.0)]
    r = con.execute("SELECT list(value ORDER BY year) FROM indicator_values WHERE "
                    "measure_id = 'nfjo_newborns_s31_u7d_rate' AND area_code = 'E92000001'").fetchone()[0]
    assert r == [15.0, 35.0]
    src = con.execute("SELECT path, used, checksum_ok FROM sources WHERE id IN ('nfjo_reference_figures', "
                      "'reference_figures_additions_2026') ORDER BY id").fetchall()
    assert src == [("data/seeds/care/reference_figures.csv", True, True),
                   ("data/seeds/care/reference_figures_additions_2026.csv", True, True)]
