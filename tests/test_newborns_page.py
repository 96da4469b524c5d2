"""The Newborns in care proceedings page (AppTest on the real warehouse): every row of both reference seeds is shown,
no chart mixes definitions, the England series and the regional rates are drawn, the 2016/17 proxy comparison is
stated, the page is linked from the Map and Methods pages, and its permalink works."""
from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.registry import load_sources

pytestmark = pytest.mark.integration
ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")



def _figure_ids() -> set[str]:
    out = set()
    for sid in ("nfjo_reference_figures", "reference_figures_additions_2026"):
        p = load_sources()[sid].path
        rows = list(csv.DictReader(io.StringIO((ROOT / "data/seeds" / p).read_text(encoding="utf-8"))))
        out |= {f"{p.rsplit('/', 1)[-1]}:{i + 2}" for i in range(len(rows))}
    return out


def _plain(o):
    """Plotly's JSON packs arrays as base64 ('bdata'); decode them to lists."""
    if isinstance(o, dict):
        if "bdata" in o and "dtype" in o:
            import base64

            import numpy as np
            return np.frombuffer(base64.b64decode(o["bdata"]), dtype=o["dtype"]).tolist()
        return {k: _plain(v) for k, v in o.items()}
    if isinstance(o, list):
        return [_plain(v) for v in o]
    return o


def _specs(at) -> list[dict]:
    return [_plain(json.loads(c.proto.spec)) for c in at.get("plotly_chart")]


def _title(spec) -> str:
    t = spec.get("layout", {}).get("title", {})
    return t.get("text", "") if isinstance(t, dict) else str(t or "")


def test_every_reference_row_is_shown(app):
    at = app("newborns")
    shown = set()
    for df in (d.value for d in at.dataframe):
        if "Row" in df.columns:
            for c in ("Definition", "Geography", "Period", "Value", "Source (citation)", "Link"):
                assert c in df.columns and df[c].astype(str).str.len().gt(0).all(), c
            shown |= set(df["Row"])
    expected = _figure_ids()
    assert len(expected) == 97
    assert shown == expected, (sorted(expected - shown)[:5], sorted(shown - expected)[:5])
    # one table per definition class, each with one definition only
    class_tables = [d.value for d in at.dataframe if "Row" in d.value.columns and len(d.value) > 0]
    assert all(t["Definition"].nunique() == 1 for t in class_tables)
    # within a definition, the figures are grouped by source type (one table per type)
    by_type = [t for t in class_tables if t["Source type"].nunique() == 1]
    assert {t["Source type"].iloc[0] for t in by_type} == {"report", "news release", "secondary summary"}
    heads = "\n".join(m.value for m in at.markdown)
    assert "From the publishers' news releases of the reports" in heads and "From secondary summaries" in heads


def test_no_chart_mixes_definitions(app, con):
    at = app("newborns")
    ref = con.execute("SELECT geography, quantity_label, definition_label, year_end, value FROM reference_figures").df()
    series_charts = 0
    for spec in _specs(at):
        title = _title(spec)
        if "<sup>" not in title:
            continue
        series_charts += 1
        geo, rest = title.split(":", 1)
        quantity = rest.split("<br>")[0].strip()
        definition = title.split("<sup>")[1].split("</sup>")[0]
        classes = set()
        for tr in spec["data"]:
            if "markers" not in tr.get("mode", ""):
                continue
            for x, y in zip(tr["x"], tr["y"]):
                hit = ref[(ref["geography"] == geo) & (ref["quantity_label"] == quantity) & (ref["year_end"] == x)
                          & (ref["value"] == y)]
                assert len(hit), (title, x, y)
                classes |= set(hit["definition_label"])
        assert classes == {definition}, (title, classes)
    assert series_charts >= 15


def test_england_newborn_series_each_its_own_panel(app):
    at = app("newborns")
    specs = _specs(at)

    def chart_with(*labels):
        hits = [s for s in specs if all(any(lab in (tr.get("text") or []) for tr in s["data"]) for lab in labels)]
        return hits
    counts = [s for s in chart_with("1,039", "2,447") if "under 7 days" in _title(s)]
    rates = [s for s in chart_with("15", "35") if "under 7 days" in _title(s) and "rate" in _title(s)]
    assert counts and rates
    assert counts[0] is not rates[0]
    assert "England: Newborns in s.31 proceedings" in _title(counts[0])
    assert "per 10,000 live births" in json.dumps(rates[0]["layout"]["yaxis"])
    # the 2021 report's under-2-weeks series is a separate panel, never on the <7 days axis
    u2w = chart_with("2,425", "2,914")
    assert u2w and "under 2 weeks" in _title(u2w[0]) and "1,039" not in json.dumps(u2w[0]["data"])


def test_regional_rates_on_the_region_map(app):
    at = app("newborns")
    maps = [s for s in _specs(at) if any(tr.get("type") == "choroplethmap" for tr in s["data"])]
    names = [tr.get("name", "") for s in maps for tr in s["data"]]
    assert "18 (news release):<br>London" in names and "20 (news release):<br>South East" in names
    # two reports of one figure: both values, both source types, on the regions they concern
    assert "above 30 (news release); 39 (secondary summary):<br>Yorkshire and The Humber, North West" in names
    # the regional infant care-start rate is beside it, on its own map and scale
    starts = [s for s in maps if any(tr.get("colorbar") for tr in s["data"])]
    assert starts and all("per 10,000 live births" in json.dumps(tr.get("colorbar")) for tr in starts[0]["data"]
                          if tr.get("colorbar"))
    md = "\n".join(m.value for m in at.markdown)
    assert "A different measure: infant (under 1) care starts per 10,000 live births, 2010/11 to 2016/17 pooled" in md


@pytest.mark.real_data("the published 2016/17 under-1 care starts for England")
def test_proxy_comparison_2016_17(app):
    at = app("newborns")
    info = "\n".join(i.value for i in at.info)
    assert "about **41%** of infant care starts in 2016/17" in info and "2,447 newborns vs 5,980" in info
    assert "never used to estimate local authorities" in info
    t = next(d.value for d in at.dataframe if "Newborns as % of infant care starts" in d.value.columns)
    row = t[t["Financial year"] == "2016/17"].iloc[0]
    assert (row["Newborns in proceedings"], row["Infant (<1) care starts, England (DfE)"],
            row["Newborns as % of infant care starts"]) == (2447, 5980, 41)
    # 2007/08 has no DfE starts in this build: no ratio, said so
    assert pd.isna(t[t["Financial year"] == "2007/08"]["Newborns as % of infant care starts"].iloc[0])
    out = next(d.value for d in at.dataframe if "Region" in d.value.columns and any(
        "2016/17" in c for c in d.value.columns))
    assert out.iloc[:, 1].sum() == 16
    assert any("Same year, different measures" in m.value for m in at.markdown)


def test_permalink_and_links(app):
    at = app("newborns", definition="first_week_care_entry")
    tables = [d.value for d in at.dataframe if "Row" in d.value.columns]
    shown: dict[str, set] = {}
    for t in tables:
        if len(t):
            shown.setdefault(t["Definition"].iloc[0], set()).update(t["Row"])
    # the England newborn panels stay; of the definition sections only the chosen one is shown, all its rows
    assert len(shown["Babies entering care in their first week, any legal route"]) == 9
    assert "Care applications and proceedings, all ages" not in shown
    assert "Infants under 1 entering care, any legal route" not in shown
    assert at.query_params["definition"] == ["first_week_care_entry"] or \
        at.query_params["definition"] == "first_week_care_entry"
    bad = app("newborns", definition="'; DROP TABLE x;--")
    assert bad.warning and "not recognised" in bad.warning[0].value
    # a shared link to a user extract cannot bring the data (session only): said so, nothing else shown
    other = app("newborns", extract="user.someone.newborn_s31")
    assert any("live only in the browser session" in w.value for w in other.warning)
    assert not any("Your newborn extract by local authority" in h.value for h in other.subheader)
    for page in ("map", "methods"):
        links = app(page).get("page_link")
        assert any(p.proto.page == "newborns" for p in links), page
    # the route to LA-level figures: holders, import spec and the synthetic example
    md = "\n".join(m.value for m in at.markdown)
    assert "Family Justice Data Partnership" in md and "SAIL" in md and "Secure Research Service" in md
    spec = next(d.value for d in at.dataframe if "column" in d.value.columns and "required" in d.value.columns)
    assert {"age_at_issue", "proceedings_type", "area_code", "period_label", "numerator", "denominator"} <= set(
        spec["column"])


def test_series_hold_one_definition_and_plain_periods(con):
    """Pure check of the grouping rule on the real table: one class/study/quantity/unit/geography per series, only
    single years or financial years as points (a 'decade to 2018 (start)' figure is never placed at 2018)."""
    from pages._lib import newborns as nb
    figs = con.execute("SELECT * FROM reference_figures").df()
    groups = nb.series_groups(figs)
    assert groups
    for g in groups:
        rows = g["rows"]
        for c in nb.SERIES_KEY:
            assert rows[c].nunique() == 1, (c, rows[c].unique())
        assert rows["period_key"].str.match(r"^\d{4}(-\d{2})?$").all(), rows["period"].tolist()
    assert not any((g["rows"]["period"] == "decade to 2018 (start)").any() for g in groups)
    eng = nb.england_newborn_series(figs)
    assert [(s["definition_class"], s["quantity"]) for s in eng][:2] == [("newborn_u7d_s31", "newborns"),
                                                                         ("newborn_u7d_s31", "newborn_rate")]
    assert [v for v in eng[0]["rows"]["value"]] == [1039, 2447] and [v for v in eng[1]["rows"]["value"]] == [15, 35]


def test_download_holds_every_figure(con):
    from pages._lib import newborns as nb
    figs = con.execute("SELECT * FROM reference_figures").df()
    d = pd.read_csv(io.BytesIO(nb.csv_all(figs)))
    assert len(d) == 97 and set(d["figure_id"]) == _figure_ids()
    assert {"definition_label", "source_type", "page_url", "period", "geography"} <= set(d.columns)
