"""Bring your own extract: validate a user CSV of LA-level counts (e.g. newborns in s.31 proceedings), compute rates,
CIs, significance and funnel flags with the same statistics code as the official measures, apply disclosure control,
and store it in a separate database `data/user/NAME.duckdb` — never in the official warehouse.

The same `validate_extract` runs for `atlas import` and for the app's upload, so both report the same problems:
every problem at once, as (row, column, value, problem); nothing is written if any row is invalid.
"""
from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd

from . import config
from .domain import ENGLAND, in_force  # noqa: F401 (ENGLAND re-exported)

DEFAULT_MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 100_000
MIN_YEAR, MAX_YEAR = 2000, 2030
NAME_RE = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
REQUIRED = ["measure", "numerator"]
OPTIONAL = ["area_code", "old_la_code", "year", "period_label", "denominator", "definition", "source",
            "age_at_issue", "proceedings_type"]
# definition fields of a newborn extract (docs/import.md): one value per measure, so a measure never mixes definitions
DEFINITION_FIELDS = ["age_at_issue", "proceedings_type"]
PERIOD_RE = re.compile(r"^(\d{4})[/-](\d{2}|\d{4})$")
TEMPLATE = """area_code,year,measure,numerator,denominator,definition,source
E06000009,2020,newborn_s31,14,,Newborns (under 7 days) subject to s.31 care proceedings,Local case records (example)
E08000011,2020,newborn_s31,9,1932,Newborns (under 7 days) subject to s.31 care proceedings,Local case records (example)
E92000001,2020,newborn_s31,2914,610505,Newborns (under 7 days) subject to s.31 care proceedings,Local case records (example)
"""


@dataclass
class DisclosureRule:
    """Suppress counts from `min_count` to `max_count` (default 1-4) and any cell that would let one be recovered
    by difference from a total shown beside it (complementary suppression within each region and England)."""
    min_count: int = 1
    max_count: int = 4

    def primary(self, n: float) -> bool:
        return not pd.isna(n) and self.min_count <= n <= self.max_count


def suppressed_note(rule: DisclosureRule) -> str:
    return (f"suppressed by disclosure control (counts {rule.min_count}-{rule.max_count}, and any cell that would "
            "reveal one by difference from a total)")


@dataclass
class Problem:
    row: int | None
    column: str | None
    value: str | None
    problem: str

    def as_dict(self) -> dict:
        return {"row": self.row, "column": self.column, "value": self.value, "problem": self.problem}


@dataclass
class ImportResult:
    ok: bool
    problems: list[Problem] = field(default_factory=list)
    values: pd.DataFrame | None = None
    measures: pd.DataFrame | None = None
    notices: list[str] = field(default_factory=list)

    def problems_frame(self) -> pd.DataFrame:
        return pd.DataFrame([p.as_dict() for p in self.problems], columns=["row", "column", "value", "problem"])


def decode(data: bytes) -> tuple[str | None, str | None]:
    """UTF-8 (with or without BOM), then latin-1. Returns (text, None) or (None, reason)."""
    if data[:2] in (b"\xff\xfe", b"\xfe\xff") or b"\x00" in data[:4096]:
        return None, "file is not UTF-8 or latin-1 text (it looks like UTF-16 or a binary file); save it as CSV UTF-8"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        pass
    text = data.decode("latin-1")
    if sum(1 for ch in text if ord(ch) < 32 and ch not in "\r\n\t") > 0:
        return None, "file contains control characters: not a text CSV"
    return text, None


def _int(s: str) -> int | None:
    s = s.strip().replace(",", "")
    if re.fullmatch(r"-?\d+", s):
        return int(s)
    if re.fullmatch(r"-?\d+\.0+", s):
        return int(float(s))
    return None


def _areas(con: duckdb.DuckDBPyConnection) -> tuple[pd.DataFrame, dict]:
    areas = con.execute("SELECT area_code, area_name, area_type, region_code, valid_from, valid_to FROM areas").df()
    dfe = con.execute("SELECT dfe_la_code, area_code, first_year, last_year FROM area_dfe_codes").df()
    by_dfe: dict[str, list] = {}
    for r in dfe.itertuples():
        by_dfe.setdefault(r.dfe_la_code, []).append(r)
    return areas.set_index("area_code"), by_dfe


def _in_force(a: pd.Series, year: int) -> bool:
    return in_force(a["valid_from"], a["valid_to"], year)


def validate_extract(data: bytes, con: duckdb.DuckDBPyConnection, max_bytes: int = DEFAULT_MAX_BYTES,
                     official_ids: set[str] | None = None) -> ImportResult:
    """Validate a user extract against the warehouse's codes and years. Returns every problem found."""
    P: list[Problem] = []
    if len(data) > max_bytes:
        return ImportResult(False, [Problem(None, None, f"{len(data):,} bytes",
                                            f"file is larger than the limit of {max_bytes:,} bytes")])
    if not data.strip():
        return ImportResult(False, [Problem(None, None, None, "file is empty")])
    text, why = decode(data)
    if text is None:
        return ImportResult(False, [Problem(None, None, None, why)])
    try:
        rows = list(csv.reader(io.StringIO(text)))
    except csv.Error as exc:
        return ImportResult(False, [Problem(None, None, None, f"not a readable CSV: {exc}")])
    rows = [r for r in rows if any(c.strip() for c in r)]
    if not rows:
        return ImportResult(False, [Problem(None, None, None, "file is empty")])
    header = [h.strip().lower() for h in rows[0]]
    body = rows[1:]
    if not body:
        return ImportResult(False, [Problem(1, None, None, "file has a header but no data rows")])
    if len(body) > MAX_ROWS:
        return ImportResult(False, [Problem(None, None, f"{len(body):,} rows", f"more than {MAX_ROWS:,} rows")])
    for c in REQUIRED:
        if c not in header:
            P.append(Problem(1, c, None, f"missing required column {c!r}"))
    if "area_code" not in header and "old_la_code" not in header:
        P.append(Problem(1, "area_code", None, "missing column: give area_code (ONS code) or old_la_code (DfE number)"))
    if "year" not in header and "period_label" not in header:
        P.append(Problem(1, "year", None, "missing column: give year (year ending 31 March) or period_label (e.g. 2019/20)"))
    dup_cols = sorted({h for h in header if header.count(h) > 1})
    if dup_cols:
        P.append(Problem(1, dup_cols[0], None, "column appears twice"))
    notices = []
    extra = [h for h in header if h not in REQUIRED + OPTIONAL]
    if extra:
        notices.append(f"ignored columns: {', '.join(extra)}")
    if P:
        return ImportResult(False, P, notices=notices)
    areas, by_dfe = _areas(con)
    official_ids = official_ids if official_ids is not None else set(
        con.execute("SELECT measure_id FROM measures").df()["measure_id"])
    out = []
    seen: dict[tuple, int] = {}
    for i, r in enumerate(body, start=2):
        if len(r) != len(header):
            P.append(Problem(i, None, None, f"row has {len(r)} fields, the header has {len(header)}"))
            continue
        rec = {h: c.strip() for h, c in zip(header, r)}
        bad = False

        def add(column, value, problem, _row=i):
            P.append(Problem(_row, column, value, problem))
            return True

        m = rec["measure"]
        if not NAME_RE.match(m):
            bad = add("measure", m, "measure id must be lower-case letters, digits and _ (max 40), starting with a letter")
        elif m in official_ids:
            bad = add("measure", m, "clashes with an official measure id; choose another name")
        # period
        year = None
        if rec.get("year"):
            year = _int(rec["year"])
            if year is None:
                bad = add("year", rec["year"], "year is not a whole number")
        elif rec.get("period_label"):
            mm = PERIOD_RE.match(rec["period_label"])
            if not mm:
                bad = add("period_label", rec["period_label"], "period_label must look like 2019/20")
            else:
                year = int(mm.group(1)) + 1
                end = mm.group(2)
                if int(end[-2:]) != year % 100:
                    bad = add("period_label", rec["period_label"], "period_label years are not consecutive")
        else:
            bad = add("year", "", "year (or period_label) is empty")
        if year is not None and not (MIN_YEAR <= year <= MAX_YEAR):
            bad = add("year", str(year), f"year outside {MIN_YEAR}-{MAX_YEAR}")
        # area
        code = rec.get("area_code", "")
        if not code and rec.get("old_la_code"):
            cands = by_dfe.get(rec["old_la_code"].zfill(3), [])
            hit = [c for c in cands if year is not None and c.first_year <= year <= c.last_year] or \
                  [c for c in cands if year is not None and _in_force(areas.loc[c.area_code], year)]
            if not cands:
                bad = add("old_la_code", rec["old_la_code"], "unknown DfE LA number")
            elif not hit and year is not None:
                bad = add("old_la_code", rec["old_la_code"], f"this LA number had no code in force in {year}")
            elif hit:
                code = hit[0].area_code
        elif not code:
            bad = add("area_code", "", "area_code (or old_la_code) is empty")
        elif code not in areas.index:
            bad = add("area_code", code, "unknown area code (not an England/Wales LA, region or country code)")
        elif year is not None and MIN_YEAR <= year <= MAX_YEAR and not _in_force(areas.loc[code], year):
            a = areas.loc[code]
            bad = add("area_code", code, f"code not in force in the year ending 31 March {year} "
                                         f"(valid {a['valid_from'] or '...'} to {a['valid_to'] or '...'}): "
                                         f"use the code of that year's geography")
        # counts
        num = _int(rec["numerator"]) if rec["numerator"] else None
        if rec["numerator"] == "":
            bad = add("numerator", "", "numerator is empty")
        elif num is None:
            bad = add("numerator", rec["numerator"], "numerator is not a whole number")
        elif num < 0:
            bad = add("numerator", rec["numerator"], "numerator is negative")
        den = None
        if rec.get("denominator"):
            den = _int(rec["denominator"])
            if den is None:
                bad = add("denominator", rec["denominator"], "denominator is not a whole number")
            elif den <= 0:
                bad = add("denominator", rec["denominator"], "denominator must be greater than 0")
            elif num is not None and num >= 0 and num > den:
                bad = add("numerator", rec["numerator"], f"numerator is greater than the denominator ({den})")
        if not bad:
            key = (m, code, year)
            if key in seen:
                P.append(Problem(i, "area_code", code, f"duplicate of row {seen[key]} (same measure, area and year)"))
                continue
            seen[key] = i
            out.append(dict(row=i, measure_id=m, area_code=code, year=year, numerator=num, denominator=den,
                            definition=rec.get("definition", ""), source=rec.get("source", ""),
                            **{f: rec.get(f, "") for f in DEFINITION_FIELDS}))
    for f in DEFINITION_FIELDS:
        first: dict[str, tuple[int, str]] = {}
        for o in out:
            if o["measure_id"] in first and first[o["measure_id"]][1] != o[f]:
                P.append(Problem(o["row"], f, o[f], f"measure {o['measure_id']!r} mixes definitions ({f} "
                                                    f"{first[o['measure_id']][1]!r} in row {first[o['measure_id']][0]}): "
                                                    "give each definition its own measure id"))
            first.setdefault(o["measure_id"], (o["row"], o[f]))
    if P:
        return ImportResult(False, P, notices=notices)
    return ImportResult(True, [], values=pd.DataFrame(out), notices=notices)


# ---------------------------------------------------------------------------------------------------------------------
# Rates, CIs, significance and funnel flags (same statistics code as the official measures), disclosure control
# ---------------------------------------------------------------------------------------------------------------------
VALUE_COLS = ["measure_id", "area_code", "year", "period_label", "value", "numerator", "denominator", "status", "note",
              "source_id", "lower_95", "upper_95", "lower_998", "upper_998", "comparator", "comparator_value",
              "sig_comparator_95", "sig_comparator_998", "funnel_flag_95", "funnel_flag_998"]


def add_denominators(v: pd.DataFrame, con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Fill missing denominators with live births under the foundation alignment rule (births_denominators)."""
    den = con.execute("SELECT area_code, year, denominator AS bd, status AS bd_status, note AS bd_note "
                      "FROM births_denominators").df()
    v = v.merge(den, on=["area_code", "year"], how="left")
    given = v["denominator"].notna()
    v["status"] = "ok"
    v["note"] = None
    v.loc[given, "note"] = "denominator supplied by the user"
    use = ~given & v["bd"].notna()
    v.loc[use, "denominator"] = v.loc[use, "bd"]
    v.loc[use, "status"] = v.loc[use, "bd_status"]
    v.loc[use, "note"] = v.loc[use, "bd_note"].fillna("denominator: live births of the year before (alignment rule)")
    none = ~given & v["bd"].isna()
    v.loc[none, "status"] = "not_available"
    v.loc[none, "note"] = "no denominator supplied and no live-births denominator for this area and year"
    return v.drop(columns=["bd", "bd_status", "bd_note"])


def apply_disclosure(v: pd.DataFrame, areas: pd.DataFrame, rule: DisclosureRule) -> pd.DataFrame:
    """Primary suppression of counts in the rule's range, then complementary suppression: wherever a total
    supplied in the extract has exactly one suppressed member, the smallest other member is suppressed too,
    repeated until no shown total has exactly one.

    Members of a total: for a region (or Wales) its LAs; for England, each region whose own total is in the extract
    (as one unit, so England minus the shown region totals minus the other shown LAs cannot reveal a cell) plus the
    English LAs of regions without a total. LAs are preferred over region totals as complementary cells."""
    v = v.copy()
    v["suppressed"] = v["numerator"].map(rule.primary)
    v["why"] = np.where(v["suppressed"], f"suppressed by disclosure control (count {rule.min_count}-{rule.max_count})",
                        None)
    kind = v["area_code"].map(areas["area_type"])
    region = v["area_code"].map(areas["region_code"])
    changed = True
    while changed:
        changed = False
        for (m, y), g in v.groupby(["measure_id", "year"]):
            gk = kind.loc[g.index]
            las = g[gk == "la"]
            totals = g[gk.isin(["england", "region", "country"])]
            for t in totals.itertuples():
                if v.at[t.Index, "suppressed"]:
                    continue
                if kind.at[t.Index] == "england":
                    regs = g[gk == "region"]
                    eng_las = las[region.loc[las.index].fillna("").str.startswith("E12")]
                    members = pd.concat([regs, eng_las[~region.loc[eng_las.index].isin(set(regs["area_code"]))]])
                else:
                    members = las[region.loc[las.index] == t.area_code]
                members = v.loc[members.index]
                hidden = members["suppressed"] & ~members["numerator"].isna()
                if hidden.sum() == 1:
                    rest = members[~members["suppressed"]]
                    rest = rest.assign(_reg=(kind.loc[rest.index] != "la")).sort_values(["_reg", "numerator"])
                    j = rest.index[0] if len(rest) else t.Index
                    v.at[j, "suppressed"] = True
                    v.at[j, "why"] = "suppressed so that a suppressed count cannot be worked out from a total"
                    changed = True
                    break
            if changed:
                break
    return v


def compute(values: pd.DataFrame, con: duckdb.DuckDBPyConnection, rule: DisclosureRule | None = None,
            multiplier: float = 10000, source_label: str = "user-supplied") -> tuple[pd.DataFrame, pd.DataFrame]:
    """Rates per `multiplier`, 95%/99.8% CIs (Byar / exact Poisson), comparison with England (the extract's England
    row if given, else the pooled rate of the extract's unsuppressed LAs) and funnel flags. Disclosure control is
    applied before anything is derived, so no output depends on a suppressed count."""
    from . import stats
    from .domain import ci
    rule = rule or DisclosureRule()
    areas = con.execute("SELECT area_code, area_type, region_code FROM areas").df().set_index("area_code")
    v = add_denominators(values.copy(), con)
    v = apply_disclosure(v, areas, rule)
    v["period_label"] = v["year"].map(lambda y: f"{y - 1}/{str(y)[-2:]}")
    v["source_id"] = source_label
    num = v["numerator"].astype(float).where(~v["suppressed"])
    den = v["denominator"].astype(float)
    have = num.notna() & den.notna() & (den > 0) & (v["status"] != "not_available")
    v["value"] = np.where(have, num / den * multiplier, np.nan)
    for lvl, sfx in ((0.95, "95"), (0.998, "998")):
        lo, hi = ci("rate", num.where(have).to_numpy(), den.where(have).to_numpy(), multiplier, lvl)
        v[f"lower_{sfx}"], v[f"upper_{sfx}"] = lo, hi
    kind = v["area_code"].map(areas["area_type"])
    comp_vals = {}
    for (m, y), g in v.groupby(["measure_id", "year"]):
        eng = g[(kind.loc[g.index] == "england") & have.loc[g.index]]
        if len(eng):
            comp_vals[(m, y)] = ("England (from the extract)", float(eng["value"].iloc[0]))
        else:
            la = g[(kind.loc[g.index] == "la") & have.loc[g.index]]
            if len(la) >= 2:
                comp_vals[(m, y)] = ("all LAs in the extract (pooled, suppressed cells excluded)",
                                     float(la["numerator"].sum() / la["denominator"].sum() * multiplier))
    v["comparator"] = [comp_vals.get((m, y), (None, np.nan))[0] for m, y in zip(v["measure_id"], v["year"])]
    v["comparator_value"] = [comp_vals.get((m, y), (None, np.nan))[1] for m, y in zip(v["measure_id"], v["year"])]
    for sfx in ("95", "998"):
        sig = stats.significance(v[f"lower_{sfx}"], v[f"upper_{sfx}"], v["comparator_value"])
        v[f"sig_comparator_{sfx}"] = np.where(kind == "la", sig, "not_compared")
    for lvl, sfx in ((0.95, "95"), (0.998, "998")):
        flags = []
        for r in v.itertuples():
            if not (have.at[r.Index] and kind.at[r.Index] == "la" and not np.isnan(r.comparator_value)):
                flags.append("not_compared")
                continue
            lo, hi = stats.funnel_limits(r.comparator_value / multiplier, np.array([r.denominator]), lvl)
            flags.append(str(stats.funnel_flag([r.value / multiplier], lo, hi)[0]))
        v[f"funnel_flag_{sfx}"] = flags
    sup = v["suppressed"]
    v.loc[sup, ["value", "numerator", "lower_95", "upper_95", "lower_998", "upper_998"]] = np.nan
    v.loc[sup, ["sig_comparator_95", "sig_comparator_998", "funnel_flag_95", "funnel_flag_998"]] = "not_compared"
    v.loc[sup, "status"] = "suppressed"
    # one note for every suppressed cell: saying which cells were primary (count in the rule's range) and which
    # were complementary would narrow the hidden counts (total - shown = primary + complementary)
    v.loc[sup, "note"] = suppressed_note(rule)
    for f in DEFINITION_FIELDS:
        if f not in v:
            v[f] = ""
    meas = (v.groupby("measure_id").agg(definition=("definition", "first"), source=("source", "first"),
                                        first_year=("year", "min"), last_year=("year", "max"),
                                        **{f: (f, "first") for f in DEFINITION_FIELDS}).reset_index())
    meas["title"] = meas["measure_id"].str.replace("_", " ") + " (user-supplied)"
    meas["unit"] = f"per {multiplier:,.0f} live births" if multiplier == 10000 else f"per {multiplier:,.0f}"
    meas["multiplier"] = multiplier
    meas["official"] = False
    meas["disclosure_rule"] = f"counts {rule.min_count}-{rule.max_count} suppressed, with complementary suppression"
    return v[VALUE_COLS].reset_index(drop=True), meas


def user_db_path(name: str) -> Path:
    return Path(os.environ.get("ATLAS_USER_DIR", config.DATA / "user")) / f"{name}.duckdb"


def store(name: str, values: pd.DataFrame, measures: pd.DataFrame, file_name: str) -> Path:
    """Write the user database atomically (temporary file, then os.replace)."""
    if not NAME_RE.match(name):
        raise ValueError("name must be lower-case letters, digits and _ (max 40), starting with a letter")
    out = user_db_path(name)
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    try:
        for t, df in (("user_values", values), ("user_measures", measures)):
            con.register("_df", df)
            con.execute(f"CREATE TABLE {t} AS SELECT * FROM _df")
            con.unregister("_df")
        con.execute("CREATE TABLE import_info AS SELECT ? AS name, ? AS file_name, ? AS imported_at, "
                    "'user-supplied, not official statistics' AS badge",
                    [name, file_name, dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat()])
        con.close()
        os.replace(tmp, out)
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    return out


def import_file(path: Path, name: str, warehouse: Path | None = None, max_bytes: int = DEFAULT_MAX_BYTES,
                rule: DisclosureRule | None = None) -> tuple[ImportResult, Path | None]:
    path = Path(path)
    if not NAME_RE.match(name):
        return ImportResult(False, [Problem(None, "--as", name, "name must be lower-case letters, digits and _ "
                                                                "(max 40), starting with a letter")]), None
    size = path.stat().st_size
    if size > max_bytes:
        return ImportResult(False, [Problem(None, None, f"{size:,} bytes",
                                            f"file is larger than the limit of {max_bytes:,} bytes")]), None
    con = duckdb.connect(str(warehouse or config.warehouse_path()), read_only=True)
    try:
        res = validate_extract(path.read_bytes(), con, max_bytes=max_bytes)
        if not res.ok:
            return res, None
        values, measures = compute(res.values, con, rule)
    finally:
        con.close()
    res.values, res.measures = values, measures
    return res, store(name, values, measures, path.name)
