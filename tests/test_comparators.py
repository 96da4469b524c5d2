"""Official comparator sets (DfE statistical neighbours May 2025 / April 2021, ONS similar areas 2026, the atlas's
own model) in the warehouse, and the Compare/Profile pages that use them."""
from __future__ import annotations

import pandas as pd
import pytest

from tests.test_app_pages import texts

BLACKPOOL, HARTLEPOOL, MIDDLESBROUGH = "E06000009", "E06000001", "E06000002"
# Blackpool's May 2025 DfE neighbours as published (DfE numbers 805, 806, 394, 341, 393, 807, 354, 880, 355, 861)
BLACKPOOL_SN = ["E06000001", "E06000002", "E08000024", "E08000012", "E08000023", "E06000003", "E08000005",
                "E06000027", "E08000006", "E06000021"]
# April 2021 edition as published: 805, 806, 876 Halton, 807, 861, 393, 810 Hull, 812 NE Lincolnshire, 340 Knowsley,
# 357 Tameside
BLACKPOOL_SN_2021 = ["E06000001", "E06000002", "E06000006", "E06000003", "E06000021", "E08000023", "E06000010",
                     "E06000012", "E08000011", "E08000008"]


def _set(con, set_id, code):
    return [r[0] for r in con.execute("SELECT neighbour_code FROM comparator_sets WHERE set_id = ? AND area_code = ? "
                                      "ORDER BY rank", [set_id, code]).fetchall()]


@pytest.mark.real_data("the published DfE statistical neighbours of Blackpool")
def test_blackpool_first_dfe_neighbour_is_hartlepool(con):
    assert _set(con, "dfe_sn_2025", BLACKPOOL) == BLACKPOOL_SN
    assert _set(con, "dfe_sn_2025", BLACKPOOL)[0] == HARTLEPOOL
    # Middlesbrough 806 -> 890, 805, 861, 354, 391, 336, 335, 393, 341, 355 (PROVENANCE check row)
    assert _set(con, "dfe_sn_2025", MIDDLESBROUGH)[:3] == [BLACKPOOL, HARTLEPOOL, "E06000021"]


@pytest.mark.real_data("all 153 LAs of the published DfE neighbour lists")
def test_all_153_current_las_have_ten_dfe_neighbours(con):
    # the 153 English upper-tier LAs of the latest DfE year (2024/25: codes in force on 1 April 2024)
    current = {r[0] for r in con.execute(
        "SELECT area_code FROM areas WHERE area_type = 'la' AND country = 'England' "
        "AND (valid_from IS NULL OR valid_from <= DATE '2024-04-01') "
        "AND (valid_to IS NULL OR valid_to >= DATE '2024-04-01')").fetchall()}
    assert len(current) == 153
    n = dict(con.execute("SELECT area_code, count(DISTINCT neighbour_code) FROM comparator_sets "
                         "WHERE set_id = 'dfe_sn_2025' AND alias_of IS NULL GROUP BY 1").fetchall())
    assert all(n.get(c) == 10 for c in current), {c: n.get(c) for c in current if n.get(c) != 10}
    # every neighbour is one of the 153; the only other rows are the five predecessor LAs of the "Old SNs" block
    nb = {r[0] for r in con.execute("SELECT DISTINCT neighbour_code FROM comparator_sets "
                                    "WHERE set_id = 'dfe_sn_2025' AND note IS NULL").fetchall()}
    assert nb <= current
    old = set(n) - current
    assert old == {"E10000009", "E06000029", "E06000028", "E10000021", "E10000006"}
    # DfE's closeness bands as published (PROVENANCE counts for the 153 LAs)
    bands = dict(con.execute("SELECT closeness, count(*) FROM comparator_sets WHERE set_id = 'dfe_sn_2025' "
                             "AND alias_of IS NULL AND note IS NULL GROUP BY 1").fetchall())
    assert bands == {"Extremely close": 12, "Very close": 820, "Close": 513, "Somewhat close": 136, "Not close": 49}
    # the 2025 recodes find the same set under either code (alias rows)
    assert _set(con, "dfe_sn_2025", "E08000038") == _set(con, "dfe_sn_2025", "E08000016")


@pytest.mark.real_data("the published April 2021 DfE neighbour lists")
def test_april_2021_edition_is_on_pre_2023_codes(con):
    nyorks = _set(con, "dfe_sn_2021", "E10000023")  # North Yorkshire county council (815)
    assert len(nyorks) == 10 and _set(con, "dfe_sn_2021", "E06000065") == nyorks
    assert len(_set(con, "dfe_sn_2021", "E10000006")) == 10  # Cumbria
    assert _set(con, "dfe_sn_2021", "E06000063") == []  # Cumberland: placeholder row without neighbours
    assert _set(con, "dfe_sn_2021", BLACKPOOL) == BLACKPOOL_SN_2021 != BLACKPOOL_SN  # editions differ


def test_ons_similar_areas_are_filtered_to_english_upper_tier(con):
    bad = con.execute("""SELECT s.neighbour_code FROM comparator_sets s """
                      """LEFT JOIN areas a ON a.area_code = s.neighbour_code
                         WHERE s.set_id = 'ons_similar_2026' AND (a.area_type IS DISTINCT FROM 'la'
                               OR a.country IS DISTINCT FROM 'England')""").fetchall()
    assert bad == []
    ons = con.execute("SELECT neighbour_code, rank, source_rank FROM comparator_sets WHERE set_id = 'ons_similar_2026' "
                      "AND area_code = ? ORDER BY rank", [BLACKPOOL]).df()
    # published: Hull, Torbay, Nottingham, Plymouth, Stoke-on-Trent, Great Yarmouth (a district: removed), Doncaster
    assert list(ons["neighbour_code"][:6]) == ["E06000010", "E06000027", "E06000018", "E06000026", "E06000021",
                                               "E08000017"]
    assert list(ons["source_rank"][:6]) == [1, 2, 3, 4, 5, 7] and list(ons["rank"][:6]) == [1, 2, 3, 4, 5, 6]
    eds = dict(con.execute("SELECT set_id, any_value(edition) FROM comparator_sets GROUP BY 1").fetchall())
    assert eds == {"dfe_sn_2025": "May 2025", "dfe_sn_2021": "April 2021 (LGR version)", "ons_similar_2026": "2026",
                   "atlas_model": "built with the warehouse"}
    info = con.execute("SELECT set_id, is_default, official FROM comparator_set_info ORDER BY set_id").fetchall()
    assert info == [("atlas_model", False, False), ("dfe_sn_2021", False, True), ("dfe_sn_2025", True, True),
                    ("ons_similar_2026", False, True)]


# ---------------------------------------------------------------------------------------------------------------
# app
@pytest.fixture()
def at_factory(app_warehouse, monkeypatch):
    from tests.app_support import app_factory
    return app_factory(app_warehouse, monkeypatch)


def _url_list(at, key):
    v = at.query_params.get(key)
    v = v[0] if isinstance(v, list) else v
    return [x for x in str(v or "").split(",") if x]


@pytest.mark.real_data("the published DfE neighbours of Blackpool and Middlesbrough")
def test_compare_area_change_resets_comparators_to_the_new_areas(at_factory):
    """Open Compare on one area, choose Blackpool in the same session: the chips and the URL must hold Blackpool's
    own default comparators (as if Compare had been opened on Blackpool), not the first area's."""
    fresh = at_factory("compare", area=BLACKPOOL)
    blackpool_default = fresh.multiselect(key="w_compare_with").value
    assert blackpool_default[0] == HARTLEPOOL

    at = at_factory("compare", area="E08000025")  # Birmingham
    first = at.multiselect(key="w_compare_with").value
    assert first and first != blackpool_default
    at.selectbox(key="w_compare_area").set_value(BLACKPOOL).run()
    assert not at.exception
    assert at.multiselect(key="w_compare_with").value == blackpool_default
    assert _url_list(at, "with") == blackpool_default
    assert _url_list(at, "area") == [BLACKPOOL]
    table = pd.DataFrame(at.dataframe[0].value)
    assert "Hartlepool" in table.columns and not set(map(str, first)) & set(table.columns)
    assert "Neighbour group: mean / median (neighbours with a value)" in table.columns

    # a user's own edit for an area is kept when they come back to it in the session
    mine = blackpool_default[:3]
    at.multiselect(key="w_compare_with").set_value(mine).run()
    at.selectbox(key="w_compare_area").set_value(MIDDLESBROUGH).run()
    assert at.multiselect(key="w_compare_with").value[0] == BLACKPOOL  # Middlesbrough's own neighbours
    at.selectbox(key="w_compare_area").set_value(BLACKPOOL).run()
    assert at.multiselect(key="w_compare_with").value == mine and _url_list(at, "with") == mine


@pytest.mark.real_data("the published ONS similar areas and DfE neighbours of Blackpool")
def test_compare_set_choice_and_permalink(at_factory):
    at = at_factory("compare", area=BLACKPOOL, set="ons_similar_2026")
    assert at.multiselect(key="w_compare_with").value[:2] == ["E06000010", "E06000027"]
    assert "English upper-tier LAs only" in texts(at)
    at.selectbox(key="w_compare_set").set_value("dfe_sn_2021").run()
    assert not at.exception and "is meant for figures up to 2022/23" in texts(at)
    with_2021 = at.multiselect(key="w_compare_with").value  # the set changed: comparators follow it
    assert with_2021 == BLACKPOOL_SN_2021 != BLACKPOOL_SN
    assert _url_list(at, "set") == ["dfe_sn_2021"] and _url_list(at, "with") == with_2021
    at.selectbox(key="w_compare_set").set_value("atlas_model").run()
    assert not at.exception and "not an official set" in texts(at)
    # an unknown set in a link falls back to the default, with a notice
    at = at_factory("compare", area=BLACKPOOL, set="nope")
    assert at.selectbox(key="w_compare_set").value == "dfe_sn_2025" and at.warning
    assert at.multiselect(key="w_compare_with").value[0] == HARTLEPOOL
    # a shared link with its own comparators restores them
    at = at_factory("compare", area=BLACKPOOL, **{"with": "E06000001,E06000002"})
    assert at.multiselect(key="w_compare_with").value == [HARTLEPOOL, MIDDLESBROUGH]


def test_compare_area_without_a_set_says_so(at_factory):
    at = at_factory("compare", area="W06000015")  # Cardiff: the DfE and ONS sets cover English LAs only
    assert at.multiselect(key="w_compare_with").value == []
    assert "none for Cardiff" in texts(at)
    at = at_factory("profile", area="W06000015")
    assert "No statistical neighbours for this area" in texts(at)


@pytest.mark.real_data("the published DfE neighbours of Blackpool")
def test_profile_shows_dfe_neighbours_and_group_row(at_factory):
    at = at_factory("profile", area=BLACKPOOL)
    assert "DfE children's services statistical neighbours (May 2025): Hartlepool, Middlesbrough" in texts(at)
    tables = [pd.DataFrame(d.value) for d in at.dataframe]
    nb = next(t for t in tables if "Neighbours' mean" in t.columns)
    row = nb[nb["Measure"].str.contains("per 10,000", na=False)].iloc[0]
    assert row["Neighbours with a value"].endswith("of 10")


@pytest.mark.real_data("the published DfE neighbours of an LA")
def test_area_with_neighbours_preset(app_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    from pages._lib import data
    assert data.area_with_neighbours(BLACKPOOL) == [BLACKPOOL, *BLACKPOOL_SN]
    assert data.area_with_neighbours(BLACKPOOL, "atlas_model")[0] == BLACKPOOL
    assert len(data.area_with_neighbours(BLACKPOOL, "atlas_model")) == 11
    latest = data.area_latest(BLACKPOOL)
    grp = data.neighbour_group(BLACKPOOL, latest).set_index("measure_id")
    r = grp.loc["cla_starts_u1_rate"]
    vals = data.compare(BLACKPOOL_SN, latest[latest["measure_id"] == "cla_starts_u1_rate"])
    v = vals.loc[vals["status"].isin(data.OK_STATUSES), "value"]
    assert r["nb_n"] == len(v) and r["nb_total"] == 10
    assert r["nb_mean"] == pytest.approx(v.mean()) and r["nb_median"] == pytest.approx(v.median())


@pytest.mark.real_data("the published DfE neighbours of Blackpool")
def test_comparator_queries_are_parameterised(app_warehouse, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    from pages._lib import data
    inj = "'; DROP TABLE comparator_sets;--"
    assert data.comparators(inj) == [] and data.comparators(BLACKPOOL, inj) == []
    assert data.area_with_neighbours(inj) == [inj]
    latest = data.area_latest(BLACKPOOL)
    assert data.neighbour_group(inj, latest).empty
    bad = latest.head(3).assign(period_label=inj)
    assert data.neighbour_group(BLACKPOOL, bad)["nb_n"].eq(0).all()
    assert data.comparators(BLACKPOOL)[0] == HARTLEPOOL  # table still there
