"""Perinatal service tables and measures (real warehouse) and unit tests of the service helpers."""
from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import shapely
from shapely.geometry import shape

from pipeline.marts.services import mmhs_start, open_at, two_step
from pipeline.reference.services import _confidence, interpretation, unit_status

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


def test_location_confidence_and_opening_rule():
    assert _confidence("high: unit address") == "high"
    assert _confidence("medium: site-level (hospital postcode)") == "medium"
    assert _confidence("low-medium: service contact address") == "low"
    assert _confidence("medium-low: site-level; link from a non-NHS page") == "low"
    u = pd.DataFrame({"unit_id": ["a", "b", "c"], "opened": [None, dt.date(2019, 1, 28), dt.date(2019, 4, 1)]})
    assert list(open_at(u, 2018)["unit_id"]) == ["a"]
    assert list(open_at(u, 2019)["unit_id"]) == ["a", "b"]  # open by 31 March 2019
    assert list(open_at(u, 2020)["unit_id"]) == ["a", "b", "c"]


def test_two_step_floating_catchment():
    # two LAs 50 km apart, one 10-bed unit next to the first: both within 60 km share its beds by births
    d = np.array([[1.0], [50.0]])
    acc, pop = two_step(d, np.array([10.0]), np.array([3000.0, 1000.0]), 60)
    assert pop[0] == 4000 and np.allclose(acc, [25.0, 25.0])
    acc, _ = two_step(d, np.array([10.0]), np.array([3000.0, 1000.0]), 20)
    assert np.allclose(acc, [10 / 3000 * 10_000, 0.0])


def test_interpretation_covers_every_unit_with_a_basis(mirror):
    it = interpretation()
    with open(mirror / "services" / "mother_baby_units.csv", encoding="utf-8-sig") as f:
        ids = {r["unit_id"] for r in csv.DictReader(f)}
    assert set(it.index) == ids and (it["opened_basis"] != "").all()
    assert (it.loc[it["district_code"] != "", "district_basis"] != "").all()
    assert it.at["MBU15", "opened_date"] == dt.date(2019, 1, 28)


def test_services_files_are_seeds_identical_to_the_compiled_copies(mirror):
    from pipeline import config
    from pipeline.fetch import sha256_file
    from pipeline.registry import load_sources, source_file
    srcs = [s for s in load_sources().values() if s.family == "services"]
    assert len(srcs) == 14 and all(s.seed for s in srcs)
    for s in srcs:
        p = source_file(s, "/nonexistent-raw")
        assert p == config.seeds_dir() / s.path and sha256_file(p) == s.sha256 == sha256_file(mirror / s.path)
    assert (config.seeds_dir() / "services" / "PROVENANCE.md").is_file()


def test_fetch_reads_seeds_in_place(tmp_path, monkeypatch):
    import hashlib

    from pipeline.errors import MissingSourceError
    from pipeline.fetch import fetch
    from pipeline.registry import Source
    seeds = tmp_path / "seeds"
    (seeds / "s").mkdir(parents=True)
    (seeds / "s" / "t.csv").write_bytes(b"a\n1\n")
    monkeypatch.setenv("ATLAS_SEEDS", str(seeds))
    src = Source(id="t", family="services", title="T", publisher="P", edition="E", licence="L", landing_page="",
                 url="", path="s/t.csv", sha256=hashlib.sha256(b"a\n1\n").hexdigest(), seed=True)
    rep = fetch(raw=tmp_path / "raw", mirror=None, sources={"t": src}, progress=False)
    assert rep.present == ["t"] and not rep.warnings and not (tmp_path / "raw").exists()
    (seeds / "s" / "t.csv").unlink()
    with pytest.raises(MissingSourceError):
        fetch(raw=tmp_path / "raw", mirror=None, sources={"t": src}, progress=False)


@pytest.mark.integration
def test_every_mbu_point_traces_to_a_source_row(con, mirror):
    geo = {}
    for name in ("mbu_site_postcode_geocodes.csv", "mbu_site_postcode_geocodes_additions_2026.csv"):
        with open(mirror / "services" / name, encoding="utf-8-sig") as f:
            for r in csv.DictReader(f):
                geo.setdefault(r["unit_id"], []).append(r)
    with open(mirror / "services" / "mother_baby_units.csv", encoding="utf-8-sig") as f:
        units = {r["unit_id"]: r for r in csv.DictReader(f)}
    pts = con.execute("SELECT * FROM services_points").df()
    assert sorted(pts["unit_id"]) == sorted(units)
    assert pts["lat"].notna().all() and pts["lon"].notna().all()  # every unit located
    for r in pts.itertuples():
        if r.unit_id in geo:  # a postcode centroid exactly as the source row gives it
            g = [x for x in geo[r.unit_id] if x["postcode"] == r.postcode]
            assert len(g) == 1, r.unit_id
            assert (r.lat, r.lon) == (float(g[0]["lat_wgs84_derived"]), float(g[0]["lon_wgs84_derived"]))
            assert r.location_level in ("site", "postcode") and r.location_confidence in ("high", "medium", "low")
            assert (r.location_level == "site") == (r.location_confidence == "high")
        else:  # no sourced postcode: district-level, flagged, with its radius; never a postcode
            assert r.location_level == "district" and r.location_confidence == "district", r.unit_id
            assert pd.isna(r.postcode) and r.error_radius_km > 2 and "APPROXIMATE" in r.notes
    p = pts.set_index("unit_id")
    assert set(p.index[p["location_level"] == "district"]) == {"MBU05", "MBU06", "MBU13", "MBU17", "MBU19"}
    assert p.at["MBU12", "location_confidence"] == "low"
    assert p.at["MBU16", "postcode"] == "BH4 8EP" and "St Ann's" in p.at["MBU16", "notes"]  # confirmed 2019 site
    assert p.at["MBU18", "name"] == "Seren Lodge" and p.at["MBU18", "status"] == "open"
    assert p.at["MBU18", "used_in_measures"] and str(p.at["MBU18", "opened"])[:4] == "2026"
    assert not p.at["MBU19", "used_in_measures"]  # Welsh unit: not in the England measures
    assert p["used_in_measures"].sum() == 18


@pytest.mark.integration
def test_district_points_lie_in_their_district(con, mirror):
    import geopandas as gpd
    g = gpd.read_file(mirror / "geography" / "topojson_source" / "onsvisual_uk-topojson_output_topo.json",
                      layer="ltla")
    g = g[g["end"].isna()].set_index("areacd")
    for uid, code, lon, lat, radius in con.execute(
            "SELECT unit_id, district_code, lon, lat, error_radius_km FROM services_points "
            "WHERE location_level = 'district'").fetchall():
        geom = g.loc[code, "geometry"]
        assert geom.contains(shapely.Point(lon, lat)), uid
        assert radius < 25, uid
    # the stated towns: Birmingham, Nottingham, Dartford, Bristol, Neath Port Talbot
    assert dict(con.execute("SELECT unit_id, district_code FROM services_points WHERE location_level='district'")
                .fetchall()) == {"MBU05": "E08000025", "MBU06": "E06000018", "MBU13": "E07000107",
                                 "MBU17": "E06000023", "MBU19": "W06000012"}


@pytest.mark.real_data("real district boundaries (nearest unit distances)")
@pytest.mark.integration
def test_nearest_open_unit_blackpool_norfolk(con):
    near = con.execute("SELECT * FROM mbu_nearest").df().set_index(["area_code", "year"])
    bp, nf = near.loc[("E06000009", 2025)], near.loc[("E10000020", 2025)]
    assert bp["unit_name"].startswith("Ribblemere") and bp["distance_km"] < 40
    assert nf["unit_name"].startswith("Kingfisher") and nf["distance_km"] < 30
    assert bp["location_level"] == "postcode" and nf["location_level"] == "site"
    # before Ribblemere (late 2018) and Kingfisher (January 2019) opened, the nearest units were further away
    assert near.loc[("E06000009", 2018), "unit_name"].startswith("Andersen") and \
        near.loc[("E06000009", 2018), "distance_km"] > 60
    assert near.loc[("E10000020", 2018), "distance_km"] > 80
    notts = near.loc[("E10000024", 2025)]  # Nottinghamshire: the Nottingham unit, district-level
    assert notts["unit_id"] == "MBU06" and notts["location_level"] == "district" and notts["distance_km"] < 30
    assert notts["site_postcode_distance_km"] > 60  # without district-level units it would be Stafford
    iv = dict(con.execute("SELECT area_code, note FROM indicator_values WHERE measure_id='mbu_distance_km' "
                          "AND year=2025").fetchall())
    assert "Ribblemere" in iv["E06000009"] and "postcode-level" in iv["E06000009"]
    assert "DISTRICT-LEVEL" in iv["E10000024"] and "within about 7.9 km" in iv["E10000024"]


@pytest.mark.integration
def test_mbu_measures_every_year_with_opening_dates(con):
    iv = con.execute("SELECT measure_id, area_code, year, value, note FROM indicator_values WHERE measure_id IN "
                     "('mbu_distance_km', 'mbu_beds_60km_per_10k_births', 'mbu_beds_100km_per_10k_births', "
                     "'mmhs_exposure_years', 'family_hubs_funded')").df()
    for m, g in iv.groupby("measure_id"):
        assert sorted(g["year"].unique()) == list(range(2011, 2026)), m
        assert g.groupby("year")["area_code"].nunique().between(151, 153).all(), m
    n_open = con.execute("SELECT year, max(n_units_open) FROM mbu_nearest GROUP BY 1").fetchall()
    n_open = dict(n_open)
    assert n_open[2011] == 12 and n_open[2012] == 13 and n_open[2019] == 17 and n_open[2025] == 17
    assert n_open[2018] < n_open[2019]
    fh = iv[iv["measure_id"] == "family_hubs_funded"]
    assert (fh.loc[fh["year"] < 2023, "value"] == 0).all()
    assert fh.loc[fh["year"] == 2023, "value"].sum() == 75
    assert fh.loc[fh["year"] == 2025, "value"].sum() >= 75
    mm = iv[iv["measure_id"] == "mmhs_exposure_years"]
    assert (mm.loc[mm["year"] < 2021, "value"].dropna() == 0).all() and mm["value"].notna().mean() > 0.9
    b100 = iv[(iv["measure_id"] == "mbu_beds_100km_per_10k_births") & (iv["year"] == 2025)]
    assert b100["note"].str.contains("level location").any()


@pytest.mark.integration
def test_sensitivity_district_units_dropped(con):
    s = con.execute("SELECT * FROM mbu_sensitivity").df().set_index("scenario")
    r = s.loc["district-level units dropped"]
    assert r["n_las"] == 153 and 10 <= r["n_changed_over_20km"] <= 40
    assert "Nottinghamshire" in r["las_changed"] and "Bristol" in r["las_changed"]
    assert s.loc["Dorset unit at the planned St Ann's site (BH13 7LN)", "n_changed_over_20km"] == 0


@pytest.mark.real_data("the services models need the full set of LAs")
@pytest.mark.integration
def test_services_models(con):
    from pipeline.post.stats import NS_POOLED
    pooled = f"{NS_POOLED[0]}-{NS_POOLED[1]}"
    sm = con.execute("SELECT * FROM services_summary").df().set_index("period")
    assert {pooled, "2025"} <= set(sm.index)
    r = sm.loc[pooled]
    assert r["mbu_lower"] < r["mbu_rr_per_10km"] < r["mbu_upper"]
    assert r["mmhs_lower"] < r["mmhs_rr_per_year"] < r["mmhs_upper"]
    assert r["n_areas"] > 140 and "per 10 km" in r["text"]
    assert abs(r["share_explained_total"] - (1 - (1 - r["share_explained_deprivation"]) *
                                             (1 - r["share_explained_services_beyond_deprivation"]))) < 1e-9
    assert sm["mmhs_rr_per_year"].loc[[str(y) for y in range(2011, 2022)]].isna().all()  # no variation yet
    mm = con.execute("SELECT * FROM services_models").df()
    assert set(mm["model"]) >= {"c_both", "e_services", "f_services_beds"}
    assert (mm["ci_lower"] <= mm["rate_ratio"]).all() and (mm["rate_ratio"] <= mm["ci_upper"]).all()


@pytest.mark.integration
@pytest.mark.real_data("MBU postcodes lie inside their real LA boundaries")
def test_mbu_distance_small_for_las_containing_a_located_unit(con):
    fc = json.loads(con.execute("SELECT geojson FROM boundary_layers WHERE layer_id='la_england_2023'").fetchone()[0])
    polys = {f["id"]: shape(f["geometry"]) for f in fc["features"]}
    dist = dict(con.execute("SELECT area_code, value FROM indicator_values WHERE measure_id='mbu_distance_km' "
                            "AND year = 2025").fetchall())
    found = {}
    for uid, lon, lat in con.execute("SELECT unit_id, lon, lat FROM services_points WHERE used_in_measures "
                                     "AND location_level <> 'district' AND year(opened) IS DISTINCT FROM 2026"
                                     ).fetchall():
        hits = [c for c, p in polys.items() if p.contains(shapely.Point(lon, lat))]
        assert len(hits) == 1, uid
        found[uid] = hits[0]
    assert found["MBU03"] == "E09000012" and found["MBU04"] == "E10000028" and found["MBU07"] == "E08000003"
    for uid, code in found.items():
        # Northumberland (5,000 km2): its ONS representative point lies 28 km from Morpeth
        bound = 35 if code == "E06000057" else 25
        assert dist[code] < bound, (uid, code, dist[code])
    assert dist["E09000012"] < 5
    assert 60 < dist["E06000052"] < 100  # Cornwall: nearest unit is the Exeter proxy site
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
    assert flags.loc[flags["value"] == 0, "note"].str.contains("no evidence found|not among|not yet running").all()
    assert not iv["note"].fillna("").str.contains("absent", case=False).any()
    fh = flags[(flags["measure_id"] == "family_hubs_funded") & (flags["year"] == 2023)]
    assert fh["value"].sum() == 75 and len(fh) == 152
    pause = flags[flags["measure_id"] == "pause_evidenced"].set_index("area_code")
    assert pause.at["E09000012", "value"] == 1 and "2013" in pause.at["E09000012", "note"]
    mm = iv[iv["measure_id"] == "mmhs_exposure_years"].set_index(["area_code", "year"])
    assert mm.at[("E10000008", 2025), "value"] == pytest.approx(4.24, abs=0.01)  # Devon, live Jan 2021
    assert mm.at[("E08000025", 2021), "value"] == 0  # Birmingham: started April 2021
    assert 0 < mm.at[("E10000030", 2025), "value"] < 3.0  # Surrey: split Surrey Heartlands / Frimley
    iv25 = iv[iv["year"] == 2025]
    b60 = iv25[iv25["measure_id"] == "mbu_beds_60km_per_10k_births"].set_index("area_code")["value"]
    b100 = iv25[iv25["measure_id"] == "mbu_beds_100km_per_10k_births"].set_index("area_code")["value"]
    assert b60["E09000012"] > 0 and b60["E06000052"] == 0 < b100["E06000052"]  # Cornwall 85 km from Exeter
    assert (b60 >= 0).all() and (b100 >= 0).all()


def test_caveats_count_the_undated_units_as_the_data_do(con):
    """The services caveats (measure registry, page caveats, methods) say how many units have no opening date: the
    number must be the count in services_points (it said ten while the data had nine)."""
    import re

    from pages._lib import services_view
    n = con.execute("SELECT count(*) FROM services_points WHERE opened IS NULL").fetchone()[0]
    words = {1: "one", 2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
             10: "ten", 11: "eleven", 12: "twelve"}
    caveat = con.execute("SELECT caveats FROM measures WHERE measure_id = 'mbu_distance_km'").fetchone()[0]
    assert re.search(rf"\b{n} units with no opening date", caveat)
    assert f"{words[n]} have no opening date" in services_view.CAVEATS
    methods = (Path(__file__).resolve().parent.parent / "docs" / "methods.md").read_text(encoding="utf-8")
    assert f"the {words[n]} units with no opening date" in methods
