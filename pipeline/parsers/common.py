"""Shared reading and validation helpers for the source parsers.

Suppression symbols stay missing-with-a-reason: `parse_counts` turns each cell into (value, status, note)
and stops with a SourceError on anything that is neither a number nor a known symbol.
"""
from __future__ import annotations

import csv
import io
import re
import zipfile

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..errors import SourceError

# symbol -> (status, reason). Status values follow the warehouse contract.
SYMBOLS_EES = {
    "c": ("suppressed", "c: confidential (small number or secondary suppression)"),
    "x": ("not_available", "x: not available"),
    "z": ("not_applicable", "z: not applicable"),
    "k": ("suppressed", "k: rounds to zero but is not zero"),
    "u": ("not_available", "u: low reliability (data-quality problem in the LA return)"),
    "..": ("not_available", "..: not available"),
    "[c]": ("suppressed", "[c]: confidential"),
    "[x]": ("not_available", "[x]: not available"),
    "[z]": ("not_applicable", "[z]: not applicable"),
}
SYMBOLS_SFR = {
    "x": ("suppressed", "x: 1 to 5, or suppressed to stop a small number being worked out (secondary suppression)"),
    "..": ("not_available", "..: not available"),
}
_NUM_RE = re.compile(r"^-?\d+(\.\d+)?$")


def read_text(ctx: BuildContext, source_id: str) -> tuple[str, str]:
    """Read a text file, trying UTF-8 (with or without BOM) then latin-1 (old SFR files)."""
    path = ctx.path(source_id)
    data = path.read_bytes()
    if not data.strip():
        raise SourceError(source_id, ctx.rel(source_id), "file is empty")
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        raise SourceError(source_id, ctx.rel(source_id), "file is not UTF-8 or Latin-1 text (it looks UTF-16 encoded "
                                                         "or binary); save it as a UTF-8 CSV")
    try:
        return data.decode("utf-8-sig"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def read_csv(ctx: BuildContext, source_id: str, required: list[str] | None = None, skiprows: int = 0) -> pd.DataFrame:
    """Read a CSV as text: header names stripped, cells stripped, every row checked for its full width.

    Adds `_line` = the line number of each row in the file (header = line skiprows + 1).
    """
    text, _ = read_text(ctx, source_id)
    rel = ctx.rel(source_id)
    rows = list(csv.reader(io.StringIO(text)))
    rows = rows[skiprows:]
    if not rows:
        raise SourceError(source_id, rel, "file has no header row")
    header = [h.strip() for h in rows[0]]
    # drop trailing empty header columns (the 2013 SFR file has 9)
    while header and header[-1] == "":
        header.pop()
    width = len(header)
    body = []
    lines = []
    for i, r in enumerate(rows[1:], start=skiprows + 2):
        if len(r) != width:  # rare: checked cell by cell (rows of the right width are checked per column below)
            if not any(c.strip() for c in r):
                continue
            if len(r) < width:
                raise SourceError(source_id, rel, f"row has {len(r)} fields, the header has {width} (truncated file?)",
                                  row=i)
            if any(c.strip() for c in r[width:]):
                hint = "; is there an extra line above the header row?" if not body else ""
                raise SourceError(source_id, rel, f"row has more fields than the header ({len(r)} > {width}){hint}",
                                  row=i)
            r = r[:width]
        body.append(r)
        lines.append(i)
    dupes = {h for h in header if header.count(h) > 1}
    cols = [[c.strip() for c in col] for col in zip(*body)] if body else [[] for _ in header]
    if body:
        blank = np.ones(len(body), dtype=bool)
        for c in cols:
            blank &= np.asarray(c, dtype=object) == ""
        if blank.any():  # rows of empty cells (e.g. ",,,,") are skipped
            keep = ~blank
            cols = [[v for v, k in zip(c, keep) if k] for c in cols]
            lines = [v for v, k in zip(lines, keep) if k]
    if not lines:
        raise SourceError(source_id, rel, "file has a header but no data rows")
    if dupes:
        raise SourceError(source_id, rel, f"duplicate column names: {sorted(dupes)}")
    df = pd.DataFrame(dict(zip(header, cols)), columns=header)
    df["_line"] = lines
    apply_corrections(ctx, df, source_id)
    if required:
        require_columns(df, required, source_id, rel)
    return df


def apply_corrections(ctx: BuildContext, df: pd.DataFrame, source_id: str, sheet: str = "") -> None:
    """Apply the explicit, evidenced cell corrections in data/source_corrections.csv (each one warns).

    A correction applies only if the cell still holds the value it was written for, so a corrected
    new edition of the file is left alone.
    """
    for c in _corrections():
        if c["source_id"] != source_id or c["sheet"] != sheet or c["column"] not in df.columns:
            continue
        hit = df.index[(df["_line"] == int(c["line"])) & (df[c["column"]].astype(str).str.strip() == c["found"])]
        for i in hit:
            df.at[i, c["column"]] = c["corrected"]
            ctx.warn(f"{ctx.rel(source_id)} {sheet + ' ' if sheet else ''}line {c['line']} column {c['column']!r}: "
                     f"corrected {c['found']!r} -> {c['corrected']!r} ({c['evidence']})")


_CORR: list[dict] | None = None


def _corrections() -> list[dict]:
    global _CORR
    if _CORR is None:
        from .. import config
        with open(config.DATA / "source_corrections.csv", encoding="utf-8") as fh:
            _CORR = list(csv.DictReader(fh))
    return _CORR


def require_columns(df: pd.DataFrame, required: list[str], source_id: str, rel: str) -> None:
    missing = [c for c in required if c not in df.columns]
    if missing:
        raise SourceError(source_id, rel, f"missing column(s) {missing}; found {list(df.columns)[:20]}",
                          column=missing[0])


try:  # the fast Rust reader (pandas' engine "calamine"), used where a parser asks for it
    from python_calamine import CalamineError as _CalamineError
except ImportError:  # pragma: no cover - a declared dependency
    _CalamineError = ValueError


def read_excel(ctx: BuildContext, source_id: str, sheet: str, header: int = 0,
               required: list[str] | None = None, engine: str | None = None) -> pd.DataFrame:
    """Read one sheet as objects (only empty cells missing). `engine="calamine"` reads large workbooks ~10x faster
    than openpyxl with identical cells (checked for the ONS births and population workbooks)."""
    path = ctx.path(source_id)
    rel = ctx.rel(source_id)
    try:
        xl = pd.ExcelFile(path, engine=engine)
    except (zipfile.BadZipFile, ValueError, OSError, KeyError, _CalamineError) as exc:
        raise SourceError(source_id, rel, f"cannot open workbook ({exc.__class__.__name__}: {exc}); "
                                          f"is the file truncated or not an Excel/ODS file?") from exc
    if sheet not in xl.sheet_names:
        raise SourceError(source_id, rel, f"sheet {sheet!r} not found; sheets are {xl.sheet_names}")
    # only empty cells are missing: text such as 'n/a' or 'NA' in a count cell is reported as written
    df = pd.read_excel(xl, sheet_name=sheet, header=header, dtype=object, keep_default_na=False, na_values=[""])
    df.columns = [str(c).strip() for c in df.columns]
    df["_line"] = np.arange(len(df)) + header + 2
    apply_corrections(ctx, df, source_id, sheet)
    if required:
        require_columns(df, required, source_id, rel)
    return df


def parse_counts(df: pd.DataFrame, column: str, source_id: str, rel: str, symbols: dict,
                 integer: bool = True, allow_negative: bool = False) -> pd.DataFrame:
    """Return a frame with value (float, NaN when a symbol), status, note for one column."""
    vals = np.full(len(df), np.nan)
    status = np.array(["ok"] * len(df), dtype=object)
    note = np.array([None] * len(df), dtype=object)
    for i, (raw, line) in enumerate(zip(df[column].tolist(), df["_line"].tolist())):
        s = "" if raw is None or (isinstance(raw, float) and np.isnan(raw)) else str(raw).strip()
        if isinstance(raw, (int, float, np.integer, np.floating)) and not (isinstance(raw, float) and np.isnan(raw)):
            v = float(raw)
        elif s in symbols:
            status[i], note[i] = symbols[s]
            continue
        elif s == "":
            raise SourceError(source_id, rel, "empty cell where a number or a suppression symbol is expected",
                              column=column, row=line)
        elif _NUM_RE.match(s.replace(",", "")):
            v = float(s.replace(",", ""))
        else:
            raise SourceError(source_id, rel, f"not a number and not a known suppression symbol "
                                              f"(known: {', '.join(sorted(symbols))})",
                              column=column, row=line, value=s)
        if integer and v != int(v):
            raise SourceError(source_id, rel, "count is not a whole number", column=column, row=line, value=s or raw)
        if v < 0 and not allow_negative:
            raise SourceError(source_id, rel, "negative count", column=column, row=line, value=s or raw)
        vals[i] = v
    return pd.DataFrame({"value": vals, "status": status, "note": note}, index=df.index)


def fy_label(year: int) -> str:
    """DfE year ending 31 March `year` -> '2019/20' style label."""
    return f"{year - 1}/{str(year)[-2:]}"


def join_notes(*parts) -> str | None:
    """Join non-empty note parts with '; ' (NaN/None/'' are skipped)."""
    out = [str(p) for p in parts if p is not None and not (isinstance(p, float) and np.isnan(p)) and str(p) != ""]
    return "; ".join(out) or None
