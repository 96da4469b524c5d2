"""Downloads: tidy CSV (CSV-injection-safe) and a README/metadata text."""
from __future__ import annotations

import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from pipeline.opendata import LICENCE, neutralise, safe_csv_bytes, safe_frame  # noqa: F401 (re-exported)


def csv_bytes(df: pd.DataFrame) -> bytes:
    """The download's CSV: the extract plus a licence column, neutralised (pipeline.opendata.safe_csv_bytes)."""
    df = df.copy()
    df["licence"] = LICENCE
    return safe_csv_bytes(df)


_FALLBACK_CACHE = Path(tempfile.gettempdir()) / "atlas-releases"


def _make_release_zip() -> Path:
    """This build's release zip (pipeline.release.release_zip): reused when `atlas build` or an earlier click or
    page view made it, else made now."""
    from pipeline import release

    from . import data
    try:
        return release.release_zip(release.default_cache_dir(), data.warehouse_path())
    except OSError:  # a read-only data folder (replicas): a cache folder of this machine instead
        return release.release_zip(_FALLBACK_CACHE, data.warehouse_path())


@st.cache_resource(show_spinner=False, max_entries=2)
def _release_zip(tok: str) -> Path:
    return _make_release_zip()


def release_zip_bytes() -> bytes:
    """The whole open-data release of this build as a zip: made once per build (on disk, named by the build id,
    shared by every session and process using the same cache folder), then reused."""
    from . import data
    path = _release_zip(data.token())
    if not path.exists():  # the cache folder was cleaned: make it again
        _release_zip.clear()
        path = _release_zip(data.token())
    return path.read_bytes()


def prepare_release_zip(name: str) -> None:
    """Start making this build's zip (file `name`) in a background thread unless it is already in the cache, so it
    is ready by the time the researcher clicks (a click meanwhile waits for the same zip). Never fatal."""
    from pipeline import release, release_cache

    from . import data
    try:
        wh = data.warehouse_path()
        if any(release.zip_ready(d / name, wh) for d in (release.default_cache_dir(), _FALLBACK_CACHE)):
            return
        release_cache.in_background(("app", data.token()), _make_release_zip)
    except Exception:  # noqa: BLE001 (never fatal: the click makes the zip)
        pass


def release_file_name() -> str:
    """The release zip's file name (named by the build id). Shown with the download button, so it also starts
    making the zip in the background if this build's zip is not in the cache yet."""
    from pipeline import manifest, release

    from . import data
    name = f"{release.release_name(manifest.build_id(data.build_info().get('fingerprint')))}.zip"
    prepare_release_zip(name)
    return name


def readme_text(df: pd.DataFrame, measures: pd.DataFrame, build: dict, filters: dict) -> str:
    lines = [
        "Infants entering care in England (and Wales): local-authority atlas - data extract",
        "=" * 78,
        "",
        f"Warehouse built: {build.get('built_at', '?')}  code version: {build.get('code_version', '?')}",
        f"Filters: {filters}",
        f"Rows: {len(df)}",
        "",
        "Format: tidy long CSV, one row per measure x area x period.",
        "Columns: measure_id, measure_title, area_code (ONS GSS), area_name, area_type, region_name, year, "
        "period_label, value, unit, numerator, denominator, lower_95, upper_95, lower_998, upper_998 (confidence "
        "limits where computed), sig_england_95 ... (significance vs England/region), status, note, definition, "
        "caveats, source_id, source_title, source_publisher, source_edition, source_licence, source_url, licence.",
        "",
        "Status: ok = published value; denominator_fallback = value computed with a fallback denominator named in "
        "note; suppressed = withheld by the publisher to protect small numbers (value, numerator and confidence "
        "limits are left blank and must not be estimated); not_applicable; not_available.",
        "",
        "Year: year ending 31 March for DfE measures (2020 = April 2019 - March 2020); calendar year for births; "
        "edition year for snapshots.",
        "",
        "Text cells beginning with = + - @ are prefixed with a single quote to keep spreadsheets safe.",
        "",
        "Official: true for official statistics; false for user-supplied measures.",
        "",
        "IMPORTANT: cla_starts_u1_rate (children starting to be looked after aged under 1 per 10,000 live births) is "
        "a proxy for infant entry to care. It includes all under-1s and every legal route into care. It is NOT the "
        "rate of newborns in care proceedings.",
        "",
    ]
    if "official" in df and (df["official"] == False).any():  # noqa: E712
        lines += [
            "USER-SUPPLIED - NOT OFFICIAL STATISTICS: rows with official = false come from a file uploaded (or "
            "imported with `atlas import`) by the user of this session. They are not official statistics, were not "
            "checked by the atlas beyond validation, and are shown after disclosure control (counts 1-4, or the "
            "stricter rule named in each measure's caveats, suppressed together with any cell that would reveal one "
            "by difference from a total). Suppressed cells are blank and must not be estimated.",
            "",
        ]
    lines += [
        "Measures in this extract",
        "------------------------",
    ]
    for r in measures.itertuples():
        lines += [f"{r.measure_id}: {r.title}", f"  Definition: {r.definition}", f"  Unit: {r.unit}",
                  f"  Caveats: {r.caveats}", ""]
    lines += ["Licence", "-------", LICENCE, ""]
    return "\n".join(lines)
