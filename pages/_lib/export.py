"""Downloads: tidy CSV (CSV-injection-safe) and a README/metadata text."""
from __future__ import annotations

import re

import pandas as pd

LICENCE = ("Contains public sector information licensed under the Open Government Licence v3.0 "
           "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/). Nuffield Family Justice "
           "Observatory figures: see the source's own terms. Crown copyright and database rights.")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value):
    """OWASP CSV injection: prefix a text cell that starts with = + - @ TAB or CR with a single quote.

    Numbers (numeric dtypes, or text that is exactly a number such as "-3.5") are left unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_DANGEROUS) and not _NUMBER.match(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def csv_bytes(df: pd.DataFrame) -> bytes:
    df = df.copy()
    df["licence"] = LICENCE
    return safe_frame(df).to_csv(index=False, lineterminator="\n").encode("utf-8")


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
