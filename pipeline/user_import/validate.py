"""Validate a user extract against the warehouse's codes and years: every problem at once, as (row, column, value,
problem). One function per check: the file (size, encoding, CSV, rows), the header, and each row's measure, period,
area and counts, then duplicates and definitions across rows."""
from __future__ import annotations

import csv
import io
import re
from typing import Callable

import duckdb
import pandas as pd

from ..domain import in_force
from .schema import (
    DEFAULT_MAX_BYTES,
    DEFINITION_FIELDS,
    MAX_ROWS,
    MAX_YEAR,
    MIN_YEAR,
    NAME_RE,
    OPTIONAL,
    PERIOD_RE,
    REQUIRED,
    ImportResult,
    Problem,
    decode,
)

Add = Callable[[str, str, str], None]  # add(column, value, problem) for the row being checked


class _Rejected(Exception):
    """The file cannot be read as an extract at all: the result says why."""

    def __init__(self, problem: Problem):
        super().__init__(problem.problem)
        self.result = ImportResult(False, [problem])


def _areas(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, dict]:
    areas = con.execute("SELECT area_code, area_name, area_type, region_code, valid_from, valid_to FROM areas").df()
    dfe = con.execute("SELECT dfe_la_code, area_code, first_year, last_year FROM area_dfe_codes").df()
    by_dfe: dict[str, list] = {}
    for r in dfe.itertuples():
        by_dfe.setdefault(r.dfe_la_code, []).append(r)
    return areas.set_index("area_code"), by_dfe


def _in_force(a: pd.Series, year: int) -> bool:
    return in_force(a["valid_from"], a["valid_to"], year)


def _int(s: str) -> int | None:
    s = s.strip().replace(",", "")
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if re.fullmatch(r"-?\d+\.0+", s):
        return int(float(s))
    return None


def _read_rows(data: bytes, max_bytes: int) -> tuple[list[str], list[list[str]]]:
    """(header, data rows) of a CSV extract, blank rows dropped; a file that cannot be one raises `_Rejected`."""
    if len(data) > max_bytes:
        raise _Rejected(Problem(None, None, f"{len(data):,} bytes",
                                f"file is larger than the limit of {max_bytes:,} bytes"))
    if not data.strip():
        raise _Rejected(Problem(None, None, None, "file is empty"))
    text, why = decode(data)
    if text is None:
        raise _Rejected(Problem(None, None, None, why))
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        raise _Rejected(Problem(None, None, None, f"not a readable CSV: {exc}")) from None
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        raise _Rejected(Problem(None, None, None, "file is empty"))
    header = [h.strip().lower() for h in rows[0]]
    body = rows[1:]
    if not body:
        raise _Rejected(Problem(1, None, None, "file has a header but no data rows"))
    if len(body) > MAX_ROWS:
        raise _Rejected(Problem(None, None, f"{len(body):,} rows", f"more than {MAX_ROWS:,} rows"))
    return header, body


def _check_header(header: list[str]) -> tuple[list[Problem], list[str]]:
    """Problems with the header (missing or repeated columns) and notices (columns ignored)."""
    P = [Problem(1, c, None, f"missing required column {c!r}") for c in REQUIRED if c not in header]
    if "area_code" not in header and "old_la_code" not in header:
        P.append(Problem(1, "area_code", None, "missing column: give area_code (ONS code) or old_la_code (DfE number)"))
    if "year" not in header and "period_label" not in header:
        P.append(Problem(1, "year", None,
                         "missing column: give year (year ending 31 March) or period_label (e.g. 2019/20)"))
    dup_cols = sorted({h for h in header if header.count(h) > 1})
    if dup_cols:
        P.append(Problem(1, dup_cols[0], None, "column appears twice"))
    extra = [h for h in header if h not in REQUIRED + OPTIONAL]
    return P, [f"ignored columns: {', '.join(extra)}"] if extra else []


def _check_measure(rec: dict, official_ids: set[str], add: Add) -> str:
    m = rec["measure"]
    if not NAME_RE.match(m):
        add("measure", m, "measure id must be lower-case letters, digits and _ (max 40), starting with a letter")
    elif m in official_ids:
        add("measure", m, "clashes with an official measure id; choose another name")
    return m


def _check_period(rec: dict, add: Add) -> int | None:
    """The year ending 31 March, from `year` or `period_label`; None if neither gives one."""
    year = None
    if rec.get("year"):
        year = _int(rec["year"])
        if year is None:
            add("year", rec["year"], "year is not a whole number")
    elif rec.get("period_label"):
        mm = PERIOD_RE.match(rec["period_label"])
        if not mm:
            add("period_label", rec["period_label"], "period_label must look like 2019/20")
        else:
            year = int(mm.group(1)) + 1
            end = mm.group(2)
            if int(end[-2:]) != year % 100:
                add("period_label", rec["period_label"], "period_label years are not consecutive")
    else:
        add("year", "", "year (or period_label) is empty")
    if year is not None and not (MIN_YEAR <= year <= MAX_YEAR):
        add("year", str(year), f"year outside {MIN_YEAR}-{MAX_YEAR}")
    return year


def _check_area(rec: dict, year: int | None, areas: pd.DataFrame, by_dfe: dict, add: Add) -> str:
    """The ONS code of the row's area in force in `year` (from `area_code`, or from the DfE number `old_la_code`)."""
    code = rec.get("area_code", "")
    if not code and rec.get("old_la_code"):
        cands = by_dfe.get(rec["old_la_code"].zfill(3), [])
        hit = [c for c in cands if year is not None and c.first_year <= year <= c.last_year] or \
              [c for c in cands if year is not None and _in_force(areas.loc[c.area_code], year)]
        if not cands:
            add("old_la_code", rec["old_la_code"], "unknown DfE LA number")
        elif not hit and year is not None:
            add("old_la_code", rec["old_la_code"], f"this LA number had no code in force in {year}")
        elif hit:
            code = hit[0].area_code
    elif not code:
        add("area_code", "", "area_code (or old_la_code) is empty")
    elif code not in areas.index:
        add("area_code", code, "unknown area code (not an England/Wales LA, region or country code)")
    elif year is not None and MIN_YEAR <= year <= MAX_YEAR and not _in_force(areas.loc[code], year):
        a = areas.loc[code]
        add("area_code", code, f"code not in force in the year ending 31 March {year} "
                               f"(valid {a['valid_from'] or '...'} to {a['valid_to'] or '...'}): "
                               f"use the code of that year's geography")
    return code


def _check_counts(rec: dict, add: Add) -> tuple[int | None, int | None]:
    num = _int(rec["numerator"]) if rec["numerator"] else None
    if rec["numerator"] == "":
        add("numerator", "", "numerator is empty")
    elif num is None:
        add("numerator", rec["numerator"], "numerator is not a whole number")
    elif num < 0:
        add("numerator", rec["numerator"], "numerator is negative")
    den = None
    if rec.get("denominator"):
        den = _int(rec["denominator"])
        if den is None:
            add("denominator", rec["denominator"], "denominator is not a whole number")
        elif den <= 0:
            add("denominator", rec["denominator"], "denominator must be greater than 0")
        elif num is not None and num >= 0 and num > den:
            add("numerator", rec["numerator"], f"numerator is greater than the denominator ({den})")
    return num, den


def _check_row(i: int, rec: dict, areas: pd.DataFrame, by_dfe: dict, official_ids: set[str]
               ) -> tuple[list[Problem], dict | None]:
    """Problems of data row `i` (1 = header) and, if it has none, the row as a value record."""
    P: list[Problem] = []

    def add(column, value, problem):
        P.append(Problem(i, column, value, problem))

    m = _check_measure(rec, official_ids, add)
    year = _check_period(rec, add)
    code = _check_area(rec, year, areas, by_dfe, add)
    num, den = _check_counts(rec, add)
    if P:
        return P, None
    return P, dict(row=i, measure_id=m, area_code=code, year=year, numerator=num, denominator=den,
                   definition=rec.get("definition", ""), source=rec.get("source", ""),
                   **{f: rec.get(f, "") for f in DEFINITION_FIELDS})


def _check_rows(header: list[str], body: list[list[str]], areas: pd.DataFrame, by_dfe: dict,
                official_ids: set[str]) -> tuple[list[dict], list[Problem]]:
    """(valid value records, problems) of the data rows; a repeated (measure, area, year) is a problem."""
    P: list[Problem] = []
    out = []
    seen: dict[tuple, int] = {}
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            P.append(Problem(i, None, None, f"row has {len(r)} fields, the header has {len(header)}"))
            continue
        rec = {h: c.strip() for h, c in zip(header, r)}
        problems, row = _check_row(i, rec, areas, by_dfe, official_ids)
        P += problems
        if row is None:
            continue
        key = (row["measure_id"], row["area_code"], row["year"])
        if key in seen:
            P.append(Problem(i, "area_code", row["area_code"],
                             f"duplicate of row {seen[key]} (same measure, area and year)"))
            continue
        seen[key] = i
        out.append(row)
    return out, P


def _check_definitions(out: list[dict]) -> list[Problem]:
    """A measure never mixes definitions: one value of each definition field per measure id."""
    P = []
    for f in DEFINITION_FIELDS:
        first: dict[str, tuple[int, str]] = {}
        for o in out:
            if o["measure_id"] in first and first[o["measure_id"]][1] != o[f]:
                P.append(Problem(o["row"], f, o[f], f"measure {o['measure_id']!r} mixes definitions ({f} "
                                                    f"{first[o['measure_id']][1]!r} in row "
                                                    f"{first[o['measure_id']][0]}): "
                                                    "give each definition its own measure id"))
            first.setdefault(o["measure_id"], (o["row"], o[f]))
    return P


def validate_extract(data: bytes, con: duckdb.DuckDBPyConnection, max_bytes: int = DEFAULT_MAX_BYTES,
                     official_ids: set[str] | None = None) -> ImportResult:
    """Validate a user extract against the warehouse's codes and years. Returns every problem found."""
    try:
        header, body = _read_rows(data, max_bytes)
    except _Rejected as r:
        return r.result
    P, notices = _check_header(header)
    if P:
        return ImportResult(False, P, notices=notices)
    areas, by_dfe = _areas(con)
    official_ids = official_ids if official_ids is not None else set(
        con.execute("SELECT measure_id FROM measures").df()["measure_id"])
    out, P = _check_rows(header, body, areas, by_dfe, official_ids)
    P += _check_definitions(out)
    if P:
        return ImportResult(False, P, notices=notices)
    return ImportResult(True, [], values=pd.DataFrame(out), notices=notices)
