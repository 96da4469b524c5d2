"""What a user sees of the services layer (AppTest on the real warehouse): the nearest unit named with its distance
and location level on Profile and Services, and the "Services and rates" view with its table, model and caveats."""
from __future__ import annotations

from pathlib import Path

from tests.app_support import table_with

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")


def _md(at) -> str:
    return "\n".join(str(m.value) for m in at.markdown)


def test_profile_names_nearest_unit_with_location_level(app):
    at = app("profile", area="E06000009")  # Blackpool
    text = _md(at)
    assert "Nearest open mother and baby unit" in text and "Ribblemere" in text
    assert "Andersen" not in text.split("Nearest open mother and baby unit")[1].split("\n")[0]
    assert "postcode-level" in text
    at = app("profile", area="E10000024")  # Nottinghamshire: the Nottingham unit is district-level
    text = _md(at)
    assert "Margaret Oates" in text and "district-level (APPROXIMATE" in text
    at = app("profile", area="W06000015")  # Cardiff: no England nearest-unit measure, said in words
    assert any("English local authorities only" in i.value for i in at.info)


def test_services_page_nearest_unit_and_all_units_located(app):
    at = app("services", area="E10000020")  # Norfolk
    text = _md(at)
    assert "Kingfisher" in text and "site-level" in text
    assert "19 units, all located" in text
    tbl = table_with(at, "Location level")
    assert {"Location level", "Within about (km)", "Distance (km)"} <= set(tbl.columns)
    assert tbl["Unit"].iloc[0].startswith("Kingfisher")


def test_services_and_rates_view(app):
    at = app("north_south", view="services", year="2019")
    text = _md(at)
    assert "per 10 km further from the nearest open mother and baby unit" in text
    assert "ecological" in text and "placed where need is high" in text and "few units" in text
    assert table_with(at, "Rate ratio")["Rate ratio"].notna().all()
    assert len(table_with(at, "nearest_level")) > 140  # table alternative of the scatter
    assert "mbu_distance_km" in str(at.query_params["access"])
    at.selectbox(key="w_ns_access").set_value("mbu_beds_100km_per_10k_births").run()
    assert not at.exception and "mbu_beds_100km_per_10k_births" in str(at.query_params["access"])
    at = app("north_south", view="scatter")
    assert "access" not in at.query_params
