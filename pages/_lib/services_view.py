"""Services next to the rates: the nearest mother and baby unit of an area (with how precisely the unit is located)
and the "Services and rates" view (infant care entry against perinatal service access, by year, and its model).
Data from `mbu_nearest`, `services_points`, `services_summary`, `services_models` (pipeline/marts/services.py,
pipeline/post/services_models.py)."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import charts, data, ui

LEVEL_TEXT = {"site": "site-level (postcode of the unit's own address)",
              "postcode": "postcode-level (postcode of the hospital site or contact address)",
              "district": "district-level (APPROXIMATE: only the town is sourced; placed at its district's "
                          "representative point)"}
ACCESS_IDS = ["mbu_distance_km", "mbu_beds_60km_per_10k_births", "mbu_beds_100km_per_10k_births",
              "mmhs_exposure_years"]
MODEL_LABELS = {"a_northing": "Northing only", "c_both": "Northing + deprivation",
                "e_services": "+ MBU distance + MMHS exposure", "f_services_beds": "+ MBU beds within 100 km + MMHS"}
TERM_LABELS = {"northing_per_100km": "per 100 km further north", "imd2019_score_per_point": "per IMD 2019 point",
               "mbu_distance_per_10km": "per 10 km further from the nearest MBU",
               "mbu_beds_100km_per_10k_births": "per MBU bed within 100 km per 10,000 births",
               "mmhs_exposure_per_year": "per year of early MMHS exposure"}
CAVEATS = (
    "**Read with care.** This compares *areas*, not families (an ecological comparison): it cannot show that a "
    "nearer unit lowers any family's chance of care entry. Services are often placed where need is high, so an "
    "association can run from need to services rather than the other way. There are few units (17 open in "
    "England in 2025, 12-13 before 2018), so distance varies in big steps and a few units drive the result. Four "
    "units are located only at district level, and nine have no opening date in the sources (assumed open "
    "throughout), which overstates access in the early 2010s. Maternal Mental Health Service exposure is known "
    "only for 13 early sites (0 elsewhere means 'no early/known service', not 'none').")


def nearest_unit(code: str, year: int | None = None) -> dict | None:
    """The nearest open unit for an LA in `year` (the latest year with a row up to it; the latest year when None).
    None if the build has no `mbu_nearest` row for it."""
    d = data.query("SELECT * FROM mbu_nearest WHERE area_code = ? AND year <= ? ORDER BY year DESC LIMIT 1",
                   [code, 9999 if year is None else int(year)])
    return None if d.empty else d.iloc[0].to_dict()


def nearest_sentence(code: str, year: int | None = None) -> str | None:
    r = nearest_unit(code, year)
    if r is None:
        return None
    s = (f"Nearest open mother and baby unit at 31 March {int(r['year'])}: **{r['unit_name']}** ({r['town']}), "
         f"**{charts.fmt(r['distance_km'])} km** as the crow flies from the area's representative point. Its location "
         f"is **{LEVEL_TEXT.get(r['location_level'], r['location_level'])}**, confidence "
         f"{r['location_confidence']}, within about {charts.fmt(r['error_radius_km'])} km.")
    if r["location_level"] == "district" and r["site_postcode_unit_id"] != r["unit_id"]:
        s += (f" Counting only units with a sourced postcode, the nearest would be "
              f"{charts.fmt(r['site_postcode_distance_km'])} km away.")
    return s


NEAREST_COLS = {"name": "Unit", "town": "Town", "country": "Country", "status": "Status",
                "opened": "Opened (basis in the notes)", "beds": "Beds", "location_level": "Location level",
                "location_confidence": "Confidence", "error_radius_km": "Within about (km)",
                "distance_km": "Distance (km)", "opened_basis": "Opening date basis"}


def units_near(code: str, n: int = 5, year: int | None = None) -> pd.DataFrame:
    """The `n` units nearest to the LA's representative point among those open at 31 March `year` (all units when
    `year` is None)."""
    return data.nearest_mbus(code, n, year)[list(NEAREST_COLS)].rename(columns=NEAREST_COLS)


def show_nearest(code: str, key: str, year: int | None = None) -> None:
    """Profile and Services pages: the sentence naming the nearest unit, then the nearest units as a table (units
    open at 31 March `year`; the latest year and every listed unit when `year` is None)."""
    tbl = units_near(code, year=year)
    s = nearest_sentence(code, year)
    if s is None:
        st.info("The nearest-unit measures cover English local authorities only; the table lists the units nearest "
                "to this area's representative point.")
    else:
        st.markdown(s)
    if len(tbl):
        st.dataframe(tbl, hide_index=True, width="stretch", key=key)


# ---------------------------------------------------------------------------------------------------------------
# Services and rates
def rates_vs_access(measure_id: str, year: int, access_id: str) -> pd.DataFrame:
    return data.query("""
        SELECT i.area_code, a.area_name, a.region_name, i.value, i.status, s.value AS access,
               coalesce(i.denominator, NULL) AS births, n.unit_name AS nearest_unit, n.location_level AS nearest_level
        FROM indicator_values i JOIN areas a USING (area_code)
        JOIN indicator_values s ON s.area_code = i.area_code AND s.year = i.year AND s.measure_id = ?
        LEFT JOIN mbu_nearest n ON n.area_code = i.area_code AND n.year = i.year
        WHERE i.measure_id = ? AND i.year = ? AND a.area_type = 'la' AND a.country = 'England'
        ORDER BY a.area_name""", [access_id, measure_id, int(year)])


def model_tables() -> tuple[pd.DataFrame, pd.DataFrame]:
    return data.query("SELECT * FROM services_summary"), data.query("SELECT * FROM services_models")


def render_rates_section(ps, mid: str, year: int, unit: str) -> None:
    """North-south page, view "Services and rates": scatter by year (with its table), model, caveats."""
    have = [a for a in ACCESS_IDS if a in data.measure_ids() and data.measure_years(a)]
    acc = ps.choice("access", "Service access measure", have, have[0], format_func=ui.measure_label,
                    what="service access measure")
    ps.show_notices()
    yrs = data.measure_years(acc)
    if year not in yrs:
        st.info(f"{ui.measure_label(acc)} is computed for {yrs[0]}-{yrs[-1]}; choose a year in that range.")
        return
    am = data.measure(acc)
    d = rates_vs_access(mid, year, acc)
    st.markdown(f"Each circle is a local authority (size = live births; colour **and** symbol = region), "
                f"{data.period_label(mid, year)}, against {am.get('short_title', acc)} in the same year (units "
                f"open at 31 March {year}). The black line is a straight-line fit, for description only.")
    if d["value"].notna().any() and d["access"].notna().any():
        st.plotly_chart(charts.scatter(d, "access", "value", f"{am.get('short_title', acc)} ({am.get('unit', '')})",
                                       unit), width="stretch", key="services_rates_scatter")
    n_d = int((d["nearest_level"] == "district").sum())
    st.markdown(f"{int(d['value'].notna().sum())} local authorities have a rate; for {n_d} of them the nearest unit "
                "is located only at district level (approximate distance).")
    ui.table_alternative(d.rename(columns={"value": f"rate ({unit})", "access": f"{acc} ({am.get('unit', '')})"}),
                         "Table: the data in this chart", key="services_rates_table")

    st.markdown("#### Model: is infant care entry lower where services are nearer, after deprivation and northing?")
    mt = model_tables()
    if mt[0].empty:
        ui.not_shown("The services model", "no year had enough local authorities to fit it")
    else:
        sm, mm = mt
        st.caption("Negative-binomial models of children starting to be looked after aged under 1, with live births "
                   "as the exposure, fitted for each year and pooled over 2014-2023 with year effects; service "
                   "terms are matched to the year. Rate ratios: 1 = no association.")
        for p in dict.fromkeys([str(year), sm["period"].iloc[-1]]):
            r = sm[sm["period"] == p]
            if len(r):
                st.markdown(r["text"].iloc[0])
        show = mm[mm["period"].isin([str(year), sm["period"].iloc[-1]])].assign(
            model=lambda x: x["model"].map(MODEL_LABELS).fillna(x["model"]),
            term=lambda x: x["term"].map(TERM_LABELS).fillna(x["term"]))
        st.dataframe(show[["period", "model", "term", "rate_ratio", "ci_lower", "ci_upper", "p_value", "n_areas"]]
                     .rename(columns={"period": "Period", "model": "Model", "term": "Term", "rate_ratio": "Rate ratio",
                                      "ci_lower": "95% CI lower", "ci_upper": "95% CI upper", "p_value": "p",
                                      "n_areas": "LAs"}), hide_index=True, width="stretch", key="services_models")
        share = sm[["period", "northing_rr_unadjusted", "northing_rr_deprivation", "northing_rr_services",
                    "share_explained_deprivation", "share_explained_services_beyond_deprivation",
                    "share_explained_total"]].rename(columns={
            "period": "Period", "northing_rr_unadjusted": "North-south RR per 100 km (unadjusted)",
            "northing_rr_deprivation": "after deprivation", "northing_rr_services": "after deprivation + services",
            "share_explained_deprivation": "Share explained by deprivation",
            "share_explained_services_beyond_deprivation": "Further share explained by services",
            "share_explained_total": "Share explained, total"})
        ui.table_alternative(share, "Table: the north-south gradient with and without service terms, by year",
                             key="services_share_table")
    st.markdown(CAVEATS)


def points_summary(pts: pd.DataFrame, shown: pd.DataFrame | None = None, year: int | None = None) -> str:
    """Services page: how many units, how precisely each is located and, for a year, how many were open then
    (`shown`, the units open at 31 March `year`: data.services_points_open)."""
    if "location_level" not in pts:
        return f"{len(pts)} units; {int(pts['lat'].notna().sum())} with a location."
    n = pts["location_level"].value_counts()
    s = (f"{len(pts)} units, all located: {n.get('site', 0)} at the postcode of the unit's own address "
         f"(site-level), {n.get('postcode', 0)} at a hospital-site or contact postcode (postcode-level), "
         f"{n.get('district', 0)} at the representative point of the district containing the town the sources "
         "name (district-level: approximate, see `error_radius_km`). `location_level`, `location_confidence` "
         "and `notes` say how each point was placed; `opened` and `opened_basis` give the opening date used "
         "for the yearly measures.")
    return s if shown is None or year is None else s + "\n\n" + open_summary(pts, shown, year)


def open_summary(pts: pd.DataFrame, shown: pd.DataFrame, year: int) -> str:
    """How many of the listed units were open at 31 March `year` (the map's points and the table), which were not
    yet open, and that undated units are assumed open throughout."""
    n_eng = int(shown["used_in_measures"].fillna(False).astype(bool).sum()) if "used_in_measures" in shown else None
    undated = int(pts["opened"].isna().sum()) if "opened" in pts else 0
    s = (f"**{len(shown)} of the {len(pts)} units were open at 31 March {year}**"
         + (f" ({n_eng} in England, the units the yearly measures count)" if n_eng is not None else "")
         + f": the map's points and the table below show these. {undated} units have no opening date in the "
         "sources and are assumed open throughout, which may overstate access in the early years.")
    later = pts[~pts["unit_id"].isin(shown["unit_id"])] if "unit_id" in pts else pts.iloc[:0]
    if len(later):
        s += " Not yet open then: " + "; ".join(
            f"{r['name']} (opened {pd.Timestamp(r['opened']):%-d %B %Y})" if pd.notna(r.get("opened"))
            else str(r["name"]) for _, r in later.sort_values("opened").iterrows()) + "."
    return s


def points_caption(shown: pd.DataFrame, year: int) -> str:
    """The line under the services map saying which units its points are."""
    return (f"Black points: the {len(shown)} mother and baby units open at 31 March {year} (units without an "
            "opening date in the sources are assumed open throughout; \"MBU (approx.)\" = district-level location).")


# ---------------------------------------------------------------------------------------------------------------
# the Services page's choices (the page only lays them out)
SERVICE_IDS = ["mbu_distance_km", "mbu_beds_60km_per_10k_births", "mbu_beds_100km_per_10k_births",
               "mmhs_exposure_years", "family_hubs_funded", "pause_evidenced", "fdac_evidenced"]


def service_measures() -> list[str]:
    """The service measures this build has values for."""
    return [m for m in SERVICE_IDS if m in data.measure_ids() and data.measure_years(m)]


def colour_options(have: list[str]) -> list[str]:
    """The service measures, then the first mapped measure that is not one (infant care entry)."""
    return have + [m for m in data.map_measure_ids() if m not in have][:1]


def clicked_area(ev) -> str | None:
    """The area code a click on the services map selected, if it is a known area."""
    p = (ev or {}).get("selection", {}).get("points", []) if ev else []
    if p and p[0].get("location") in data.area_names():
        return p[0]["location"]
    return None
