"""Perinatal service tables and measures (real warehouse) and unit tests of the service helpers."""
from __future__ import annotations

import csv
import datetime as dt
import json

import pytest
import shapely
from shapely.geometry import shape

from pipeline.marts.services import mmhs_start
from pipeline.parsers.services import unit_status

SERVICE_MEASURES = ["mbu_distance_km", "mbu_beds_60km_per_10k_births", "mbu_beds_100km_per_10k_births",
                    "mmhs_exposure_years", "family_hubs_funded", "pause_evidenced", "fdac_evidenced"]


def test_unit_status_and_mmhs_start():
    assert unit_status("open (per source)") == "open"
    assert unit_status("PLANNED as of May 2023; opening not confirmed here") == "planned"
    assert unit_status("UNCERTAIN: current site") == "uncertain"
    assert mmhs_start("early implementer", "went live January 2021", "2021-04-06") == dt.date(2021, 1, 1)
    assert mmhs_start("pilot", "officially launched November 2022", "undated") == dt.date(2022, 11, 1)
    assert mmhs_start("early implementer", "from April 2021 (next few months)", "2021-04-08") == dt.date(2021, 4, 1)
    assert mmhs_start("fast follower", 'available "from next year" (i.e. 2022)', "undated") == dt.date(2022, 4, 1)


@pytest.mark.integration
def test_every_mbu_point_traces_to_a_source_row(con, mirror):
    with open(mirror / "services" / "mbu_site_postcode_geocodes.csv", encoding="utf-8-sig") as f:
        geo = {r["unit_id"]: r for r in csv.DictReader(f)}
    with open(mirror / "services" / "mother_baby_units.csv", encoding="utf-8-sig") as f:
        units = {r["unit_id"]: r for r in csv.DictReader(f)}
    pts = con.execute("SELECT * FROM services_points").df()
    assert sorted(pts["unit_id"]) == sorted(units)
    for r in pts.itertuples():
        if r.unit_id in geo:
            g = geo[r.unit_id]
            assert (r.lat, r.lon) == (float(g["lat_wgs84_derived"]), float(g["lon_wgs84_derived"]))
            assert r.postcode == g["postcode"] and r.location_confidence in ("high", "medium", "low")
        else:  # no invented coordinates
            assert r.lat != r.lat and r.lon != r.lon  # NaN
            assert r.location_confidence == "none" and not r.used_in_measures
            assert "no sourced postcode" in r.notes
    assert pts.set_index("unit_id").at["MBU12", "location_confidence"] == "low"
    assert not pts.set_index("unit_id").at["MBU18", "used_in_measures"]  # planned unit
    assert pts["used_in_measures"].sum() == 6


@pytest.mark.integration
@pytest.mark.real_data("MBU postcodes lie inside their real LA boundaries")
def test_mbu_distance_small_for_las_containing_a_located_unit(con):
    fc = json.loads(con.execute("SELECT geojson FROM boundary_layers WHERE layer_id='la_england_2023'").fetchone()[0])
    polys = {f["id"]: shape(f["geometry"]) for f in fc["features"]}
    dist = dict(con.execute("SELECT area_code, value FROM indicator_values WHERE measure_id='mbu_distance_km'").fetchall())
    found = {}
    for uid, lon, lat in con.execute("SELECT unit_id, lon, lat FROM services_points WHERE used_in_measures").fetchall():
        hits = [c for c, p in polys.items() if p.contains(shapely.Point(lon, lat))]
        assert len(hits) == 1, uid
        found[uid] = hits[0]
    assert found["MBU03"] == "E09000012" and found["MBU04"] == "E10000028" and found["MBU07"] == "E08000003"
    for uid, code in found.items():
        # Northumberland (5,000 km2): its ONS representative point lies 28 km from Morpeth
        bound = 35 if code == "E06000057" else 25
        assert dist[code] < bound, (uid, code, dist[code])
    assert dist["E09000012"] < 5
    assert 60 < dist["E06000052"] < 100  # Cornwall: nearest located unit is the Exeter proxy site
    assert dist["E06000053"] > 200  # Isles of Scilly


@pytest.mark.integration
@pytest.mark.real_data("distances from the real MBU sites to real LA positions")
def test_service_measures_registered_and_coherent(con):
    meas = con.execute("SELECT measure_id, value_type, caveats FROM measures").df().set_index("measure_id")
    for m in SERVICE_MEASURES:
        assert m in meas.index
        assert meas.at[m, "caveats"].startswith("Confidence:")
    iv = con.execute(f"SELECT * FROM indicator_values WHERE measure_id IN {tuple(SERVICE_MEASURES)}").df()
    flags = iv[iv["measure_id"].isin(["family_hubs_funded", "pause_evidenced", "fdac_evidenced"])]
    assert set(flags["value"].dropna()) == {0.0, 1.0}
    assert flags.loc[flags["value"] == 0, "note"].str.contains("no evidence found|not among").all()
    assert not iv["note"].str.contains("absent", case=False).any()
    fh = flags[flags["measure_id"] == "family_hubs_funded"]
    assert fh["value"].sum() == 75 and len(fh) == 152
    pause = flags[flags["measure_id"] == "pause_evidenced"].set_index("area_code")
    assert pause.at["E09000012", "value"] == 1 and "2013" in pause.at["E09000012", "note"]
    mm = iv[iv["measure_id"] == "mmhs_exposure_years"].set_index(["area_code", "year"])
    assert mm.at[("E10000008", 2025), "value"] == pytest.approx(4.24, abs=0.01)  # Devon, live Jan 2021
    assert mm.at[("E08000025", 2021), "value"] == 0  # Birmingham: started April 2021
    assert 0 < mm.at[("E10000030", 2025), "value"] < 3.0  # Surrey: split Surrey Heartlands / Frimley
    b60 = iv[iv["measure_id"] == "mbu_beds_60km_per_10k_births"].set_index("area_code")["value"]
    b100 = iv[iv["measure_id"] == "mbu_beds_100km_per_10k_births"].set_index("area_code")["value"]
    assert b60["E09000012"] > 0 and b60["E06000052"] == 0 < b100["E06000052"]  # Cornwall 85 km from Exeter
    assert (b60 >= 0).all() and (b100 >= 0).all()
