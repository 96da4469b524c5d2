"""User-supplied data beyond the shared queries: the session's rows of one measure, the extract's own comparator,
its funnel plot (flags computed at import), its download rows (with their own provenance), and validating,
computing and loading uploads with the same code as `atlas import` (pipeline/user_import.py)."""
from __future__ import annotations

from pathlib import Path

import pandas as pd

from .. import userdata
from .connection import CI_COLS, SIG_COLS, _cursor, token
from .measures import user_meta
from .usersession import session

USER_SUPPRESSED_NOTE = userdata.SUPPRESSED_NOTE
_VALUE_COLS = ["area_code", "area_name", "area_type", "region_code", "region_name", "country", "year", "period_label",
               "value", "numerator", "denominator", "status", "note", "source_id", *CI_COLS, *SIG_COLS]
_SERIES_COLS = ["area_code", "area_name", "area_type", "year", "period_label", "value", "numerator", "denominator",
                "status", "note", *CI_COLS, *SIG_COLS]


def user_frame(measure_id: str) -> pd.DataFrame:
    """One user measure's disclosure-controlled rows joined with `areas` (usersession.user_rows)."""
    if userdata.frame(measure_id).empty:
        return pd.DataFrame(columns=list(dict.fromkeys(_VALUE_COLS + _SERIES_COLS + ["measure_id", "comparator"])))
    rows = session(token())["rows"]
    return rows[rows["measure_id"] == measure_id]


def user_comparator(measure_id: str, year: int) -> tuple[str | None, float | None]:
    d = user_frame(measure_id)
    d = d[(d["year"] == int(year)) & d["comparator"].notna()]
    if d.empty:
        return None, None
    return str(d["comparator"].iloc[0]), float(d["comparator_value"].iloc[0])


def user_funnel(measure_id: str, year: int):
    """(points, limits, params) for a user measure: the flags computed at import (pipeline.user_import.compute,
    around the extract's comparator); limits from pipeline.stats. Suppressed LAs are not plotted."""
    from pipeline import stats
    comp, target = user_comparator(measure_id, year)
    d = user_frame(measure_id)
    d = d[(d["year"] == int(year)) & (d["area_type"] == "la") & d["value"].notna()]
    if target is None or d.empty:
        return None
    mult = float(user_meta(measure_id).get("multiplier") or 10000)
    pts = d[["area_code", "area_name", "region_name", "numerator", "denominator", "value"]].assign(
        flag_95=d["funnel_flag_95"].values, flag_998=d["funnel_flag_998"].values).sort_values("denominator")
    lo_d, hi_d = max(1.0, float(d["denominator"].min()) * 0.8), float(d["denominator"].max()) * 1.2
    grid = pd.Series(sorted(set(float(x) for x in pd.Series(range(0, 201)) / 200 * (hi_d - lo_d) + lo_d)))
    lim = pd.DataFrame({"denominator": grid})
    for lvl, sfx in ((0.95, "95"), (0.998, "998")):
        lo, hi = stats.funnel_limits(target / mult, grid.to_numpy(), lvl)
        lim[f"lower_{sfx}"], lim[f"upper_{sfx}"] = lo * mult, hi * mult
    par = pd.DataFrame([{"measure_id": measure_id, "year": int(year), "target": target, "method": comp,
                         "n_areas": len(pts)}])
    return pts.reset_index(drop=True), lim, par


def user_download(measure_id: str, codes: list[str], y0: int, y1: int) -> pd.DataFrame:
    d = user_frame(measure_id)
    d = d[d["area_code"].isin(codes) & d["year"].between(int(y0), int(y1))]
    if d.empty:
        return pd.DataFrame()
    m = user_meta(measure_id)
    d = d.sort_values(["area_type", "area_name", "year"])
    out = pd.DataFrame({
        "measure_id": d["measure_id"], "measure_title": m["title"], "area_code": d["area_code"],
        "area_name": d["area_name"], "area_type": d["area_type"], "region_name": d["region_name"],
        "year": d["year"], "period_label": d["period_label"], "value": d["value"], "unit": m["unit"],
        "numerator": d["numerator"], "denominator": d["denominator"],
        **{c: d[c] for c in CI_COLS}, **{c: d[c] for c in SIG_COLS},
        "status": d["status"], "note": d["note"], "definition": m["definition"], "caveats": m["caveats"],
        "source_id": "user-supplied", "source_title": f"user file {m['file_name']}",
        "source_publisher": "user-supplied (not official statistics)", "source_edition": None,
        "source_licence": "as agreed with the data owner", "source_url": None,
        "comparator": d["comparator"], "comparator_value": d["comparator_value"],
        "sig_comparator_95": d["sig_comparator_95"], "sig_comparator_998": d["sig_comparator_998"],
        "funnel_flag_95": d["funnel_flag_95"], "funnel_flag_998": d["funnel_flag_998"],
        "official": False, "badge": userdata.BADGE})
    return out.reset_index(drop=True)


# validation and computation of an upload: the same code as `atlas import`, on this app's read-only connection
def validate_upload(data: bytes, max_bytes: int):
    from pipeline import user_import
    return user_import.validate_extract(data, _cursor(token()), max_bytes=max_bytes)


def compute_upload(values: pd.DataFrame, rule):
    from pipeline import user_import
    return user_import.compute(values, _cursor(token()), rule)


def user_dir() -> Path:
    from pipeline import user_import
    return user_import.user_db_path("x").parent


def imported_datasets() -> list[str]:
    """Names of datasets imported with `atlas import` (data/user/*.duckdb or $ATLAS_USER_DIR)."""
    d = user_dir()
    return sorted(p.stem for p in d.glob("*.duckdb")) if d.is_dir() else []


def load_imported(name: str) -> tuple[pd.DataFrame, pd.DataFrame, dict]:
    """Read a CLI-imported dataset read-only (it already holds only disclosure-controlled values)."""
    import duckdb

    from pipeline import user_import
    if name not in imported_datasets():
        raise FileNotFoundError(name)
    con = duckdb.connect(str(user_import.user_db_path(name)), read_only=True)
    try:
        v = con.execute("SELECT * FROM user_values").df()
        m = con.execute("SELECT * FROM user_measures").df()
        info = con.execute("SELECT * FROM import_info").df().iloc[0].to_dict()
    finally:
        con.close()
    return v, m, info
