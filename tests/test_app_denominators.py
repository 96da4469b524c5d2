"""The app says which denominator a rate used when it is not live births of the year before (map tooltip, caption
and table), and shows the over-dispersion-widened decile / SII intervals with their phi."""
from __future__ import annotations

from pathlib import Path

from pipeline.denominator_notes import age0_note, denominator_basis, nearest_births_note

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def test_denominator_basis_round_trips_the_notes():
    assert denominator_basis(age0_note(2024), "denominator_fallback") == "ONS mid-2024 population aged 0"
    assert denominator_basis("x; " + nearest_births_note(2022, 2024), "denominator_fallback") == "live births 2022"
    assert denominator_basis(age0_note(2024), "ok") is None
    assert denominator_basis(None, "denominator_fallback") is None



def _captions(at) -> str:
    return "\n".join(str(c.value) for c in at.caption)


def test_map_2025_states_the_mid_2024_age_0_denominator(app):
    at = app("map", measure="cla_starts_u1_rate", year="2025")
    assert "ONS mid-2024 population aged 0" in _captions(at)
    table = next(df.value for df in at.dataframe if "Denominator used" in df.value.columns)
    row = table[table["Code"] == "E06000009"].iloc[0]
    assert row["Denominator used"] == "ONS mid-2024 population aged 0"
    at = app("map", measure="cla_starts_u1_rate", year="2024")  # 2023 births: nothing to flag
    assert "population aged 0" not in _captions(at)
    assert not any("Denominator used" in df.value.columns for df in at.dataframe)


def test_map_tooltip_names_the_fallback_denominator(app_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    from pages._lib import charts, data
    df = data.values("cla_starts_u1_rate", 2025, "la")
    hov = charts._hover_frame(df)
    txt = hov.loc[hov["area_code"] == "E06000009", "status_txt"].iloc[0]
    assert "denominator: ONS mid-2024 population aged 0" in txt


def test_deciles_section_shows_widened_intervals(app):
    at = app("north_south")
    at.selectbox(key="w_ns_view").set_value("deciles").run()
    assert not at.exception
    cap = _captions(at)
    assert "over-dispersion φ =" in cap and "times as wide" in cap


def test_trend_tooltip_names_the_fallback_denominator():
    import pandas as pd

    from pages._lib import charts
    d = pd.DataFrame({"area_code": ["X"] * 2, "area_name": ["Xshire"] * 2, "area_type": ["la"] * 2,
                      "year": [2024, 2025], "period_label": ["2023/24", "2024/25"], "value": [90.0, 88.0],
                      "status": ["ok", "denominator_fallback"], "note": [None, age0_note(2024)]})
    fig = charts.trend(d, unit="per 10,000")
    cd = [t for t in fig.data if t.name == "Xshire"][0].customdata
    assert cd[0][2] == "ok" and cd[1][2] == "denominator_fallback (denominator: ONS mid-2024 population aged 0)"
