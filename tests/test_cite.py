"""Build-pinned permalinks and "Cite this view" (AppTest on a copy of the real warehouse): every page's URL carries
the build id; a link made on another build warns, naming what differs when the warehouse knows that build (measures
added/removed, source editions changed) and saying so when it does not; every page ends with a copyable citation."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import duckdb
import pytest

from pages._lib import registry

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
OLD = "0123456789ab"


@pytest.fixture(scope="module")
def cite_warehouse(app_warehouse, tmp_path_factory) -> tuple[Path, str, str]:
    """A copy whose build_manifests also knows an earlier build OLD: one measure fewer, an older births edition."""
    wh = tmp_path_factory.mktemp("citewh") / "atlas.duckdb"
    shutil.copyfile(app_warehouse, wh)
    with duckdb.connect(str(wh)) as con:
        cur = json.loads(con.execute("SELECT manifest FROM build_manifests ORDER BY built_at DESC LIMIT 1")
                         .fetchone()[0])
        old = json.loads(json.dumps(cur))
        old.update(build_id=OLD, fingerprint=OLD + "0" * 52, built_at="2025-06-30T12:00:00+00:00", code_version="old")
        dropped = sorted(old["measures"])[-1]
        del old["measures"][dropped]
        sid = "nomis_births_utla" if "nomis_births_utla" in old["sources"] else sorted(old["sources"])[0]
        old["sources"][sid]["edition"] = "an older edition"
        con.execute("INSERT INTO build_manifests VALUES (?, ?, ?, ?)",
                    [OLD, old["built_at"], "old", json.dumps(old)])
    return wh, cur["build_id"], dropped


@pytest.fixture()
def app(cite_warehouse, monkeypatch):
    from tests.app_support import app_factory
    return app_factory(cite_warehouse[0], monkeypatch)


def _q(at, k):
    v = at.query_params.get(k)
    return v[0] if isinstance(v, list) else v


def _cite(at) -> str:
    codes = [c.value for c in at.code]
    assert codes, "no 'Cite this view' block"
    return codes[-1]


@pytest.mark.parametrize("page", [p.name for p in registry.menu(exclude=("newborns",))])
def test_every_page_carries_build_id_and_citation(app, cite_warehouse, page):
    _, cur, _ = cite_warehouse
    at = app(page)
    assert any("Cite this view" in m.value for m in at.markdown)
    text = _cite(at)
    assert f"build {cur}" in text and "Accessed " in text and "Sources:" in text
    if page != "your_data":  # a page with URL state: the link pins the build
        assert _q(at, "build") == cur
        assert f"build={cur}" in text
    assert not [w.value for w in at.warning if "link was made" in w.value]


def test_citation_names_measure_period_areas_and_sources(app):
    at = app("trends", measure="cla_starts_u1_rate", areas="E06000001,E08000025")
    text = _cite(at)
    assert text.startswith("Trends. ")
    assert "(cla_starts_u1_rate)" in text and "Hartlepool" in text and "Birmingham" in text
    assert "/trends?" in text and "measure=cla_starts_u1_rate" in text and "areas=E06000001,E08000025" in text
    assert "Department for Education" in text  # the measure's source publisher
    assert "2010/11–2024/25" in text  # the period a trend shows
    at = app("map", measure="cla_starts_u1", year="2019")
    assert "2018/19" in _cite(at)


def test_link_from_known_earlier_build_says_what_changed(app, cite_warehouse):
    _, cur, dropped = cite_warehouse
    at = app("map", measure="cla_starts_u1", year="2019", build=OLD)
    notes = [w.value for w in at.warning if "link was made" in w.value]
    assert len(notes) == 1, [w.value for w in at.warning]
    n = notes[0]
    assert "Figures may have changed since this link was made on 2025-06-30" in n
    assert "measures added:" in n and f"({dropped})" in n
    assert "source edition changed" in n and "an older edition" in n
    assert _q(at, "build") == cur  # the URL now describes this build
    # the view itself is restored
    assert at.selectbox(key="w_map_measure").value == "cla_starts_u1"
    at.select_slider(key="w_map_year").set_value(2018).run()
    assert [w.value for w in at.warning if "link was made" in w.value]  # still said after a change on the page


def test_link_from_unknown_build_says_it_is_unknown(app, cite_warehouse):
    _, cur, _ = cite_warehouse
    at = app("profile", area="E06000001", build="fedcba987654")
    n = [w.value for w in at.warning if "link was made" in w.value]
    assert len(n) == 1 and "fedcba987654" in n[0] and "does not know" in n[0] and cur in n[0]


def test_same_build_and_bad_build_id(app, cite_warehouse):
    _, cur, _ = cite_warehouse
    at = app("map", build=cur)
    assert not at.warning
    at = app("map", build="'; DROP TABLE x;--")
    ws = [w.value for w in at.warning]
    assert any("build id is not recognised" in w for w in ws) and not any("DROP" in w for w in ws)
    assert _q(at, "build") == cur
