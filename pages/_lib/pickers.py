"""Area pickers: labels that tell old and new codes apart, and presets (an area with its statistical neighbours,
all local authorities in a region). The filtering rules live here, not in the pages."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from . import data, ui


def _in_force(row) -> str:
    """'from Apr 2025' / 'to Mar 2025' / 'Apr 2009–Mar 2025' / '' (in force throughout the atlas's years)."""
    f, t = row.get("valid_from"), row.get("valid_to")
    f = None if f is None or pd.isna(f) else pd.Timestamp(f)
    t = None if t is None or pd.isna(t) else pd.Timestamp(t)
    if f is not None and t is not None:
        return f"{f:%b %Y}–{t:%b %Y}"
    if f is not None:
        return f"from {f:%b %Y}"
    if t is not None:
        return f"to {t:%b %Y}"
    return ""


@st.cache_data(show_spinner=False)
def _labels(tok: str) -> dict[str, str]:
    a = data.areas()
    out = {}
    for r in a.to_dict("records"):
        when = _in_force(r)
        out[r["area_code"]] = f"{r['area_name']} · {r['area_code']}" + (f" · {when}" if when else "")
    return out


def area_label(code) -> str:
    """Name, code and years in force, e.g. 'Barnsley · E08000038 · from Apr 2025'. Safe for any value (a
    tampered client can send anything back)."""
    try:
        return _labels(data.token()).get(str(code), str(code))
    except Exception:
        return str(code)


def region_options() -> list[str]:
    """Region codes in name order."""
    a = data.areas()
    r = a[a["area_type"] == "region"].sort_values("area_name")
    return list(r["area_code"])


def las_in_region(region_code: str, current_only: bool = False) -> list[str]:
    a = data.areas()
    a = a[(a["area_type"] == "la") & (a["region_code"] == region_code)]
    if current_only:
        a = a[a["valid_to"].isna()]
    return list(a.sort_values(["area_name", "area_code"])["area_code"])


def download_pool(levels: list[str], region: str | None) -> list[str]:
    """Area codes of the chosen area types, restricted to one region when given (its local authorities and the
    region itself; England and Wales rows are kept when chosen, as comparators)."""
    a = data.areas()
    a = a[a["area_type"].isin(levels)]
    if region:
        keep = (a["area_type"].isin(["england", "country"]) | (a["area_code"] == region)
                | ((a["area_type"] == "la") & (a["region_code"] == region)))
        a = a[keep]
    return list(a.sort_values(["area_type", "area_name", "area_code"])["area_code"])


def presets(anchor: str | None) -> dict[str, str]:
    """Preset id -> label for an area picker: the anchor LA with its statistical neighbours, and each region."""
    out: dict[str, str] = {}
    names = data.area_names()
    if anchor and data.comparators(anchor):  # the default comparator set (DfE statistical neighbours)
        out[f"nb:{anchor}"] = f"{names.get(anchor, anchor)} and its statistical neighbours"
    for r in region_options():
        out[f"rg:{r}"] = f"All local authorities in {names.get(r, r)}"
    return out


def preset_codes(preset: str, options: list[str]) -> list[str]:
    """The area codes a preset selects, limited to the picker's options (in the preset's order)."""
    kind, _, code = preset.partition(":")
    if kind == "nb":
        codes = data.area_with_neighbours(code)
    elif kind == "rg":
        codes = las_in_region(code, current_only=True)
    else:
        codes = []
    opts = set(options)
    return [c for c in codes if c in opts]


def preset_picker(ps, key: str, options: list[str], anchor: str | None, *, max_n: int, container=None,
                  exclude: str | None = None) -> None:
    """A 'Quick selection' box above a multi-area picker: choosing a preset replaces the picker's selection
    (call before the picker is drawn). Without an anchor, the picker's first selected area (else the area last
    chosen in the session) is the one whose statistical neighbours are offered."""
    wkey = ps._wkey(key)
    if anchor is None:
        cur = st.session_state.get(wkey)
        anchor = cur[0] if isinstance(cur, list) and cur else st.session_state.get("g_area")
    opts = presets(anchor if anchor in set(options) | {exclude} else None)
    if not opts:
        return
    pkey = f"preset_{ps.page}_{key}"

    def apply():
        p = st.session_state.get(pkey)
        if not p or p not in opts:
            return
        codes = [c for c in preset_codes(p, options) if c != exclude]
        if len(codes) > max_n:
            st.session_state[f"{pkey}_note"] = (f"{opts[p]}: {len(codes)} areas; the first {max_n} are selected "
                                                f"(at most {max_n} fit this view).")
        else:
            st.session_state.pop(f"{pkey}_note", None)
        st.session_state[wkey] = codes[:max_n]
        st.session_state[pkey] = ""

    c = container or st
    c.selectbox("Quick selection", [""] + list(opts), key=pkey, on_change=apply,
                format_func=lambda p: "Choose a preset…" if p == "" else opts.get(p, str(p)),
                filter_mode="contains")
    note = st.session_state.pop(f"{pkey}_note", None)
    if note:
        c.caption(note)


def year_bounds(measure_ids: list[str]) -> tuple[int, int]:
    """First and last year with data for these measures (the whole warehouse's range when none or a user
    measure is among them)."""
    if not measure_ids or any(data.is_user(m) for m in measure_ids):
        return data.year_range()
    ys = [y for m in measure_ids for y in data.measure_years(m)]
    return (min(ys), max(ys)) if ys else data.year_range()


def remembered_default(options, fallback=""):
    """The area chosen on another page (state.remembered_area) if it is one of `options`, else `fallback` (e.g. ""
    for a prompt to choose)."""
    from .state import remembered_area
    rem = remembered_area()
    return rem if rem in options else fallback


def measure_and_year(ps, ids: list[str], measure_box, year_box, **year_kw) -> tuple[str, dict, object]:
    """A page's measure picker (one of `ids`, shared across pages) and year picker (that measure's years, the latest
    by default, shared across pages), drawn in these containers. Returns (measure id, its registry row, year)."""
    mid = ps.choice("measure", "Measure", ids, data.default_measure(), format_func=ui.measure_label, shared="measure",
                    container=measure_box, what="measure")
    meta = data.measure(mid)
    years = data.measure_years(mid)
    year = ps.choice("year", "Year", years, years[-1] if years else None,
                     format_func=lambda y: data.period_label(mid, y),
                     shared="year", container=year_box, what="year", **year_kw)
    return mid, meta, year
