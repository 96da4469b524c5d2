"""`atlas build`: staging -> reference -> marts -> post-processing, written atomically to data/atlas.duckdb.

Steps are discovered by module (pipeline/steps.py): parsers `load(ctx)` write `stg_*` tables; reference steps
`build(ctx)` write areas, geometry, services and denominators; marts `build(ctx)` queue indicator rows (validated and
written to `indicator_values` with the registry as `measures` by the built-in step below); post steps `run(ctx)` add
tables or columns (never remove). Each declares REQUIRES / PRODUCES and the build runs them in topological order, so
adding a source or a step needs no edit here. Then `sources` and `build_info`.
The warehouse is built in a temporary file next to the target and moved into place with os.replace, so a
failed or killed build leaves the previous warehouse untouched.
"""
from __future__ import annotations

import datetime as dt
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pandas as pd

from . import config, manifest
from . import steps as steps_mod
from .context import BuildContext
from .domain import HAS_VALUE, check_rates
from .errors import ValidationError
from .fetch import FetchReport, fetch
from .fingerprint import code_fingerprint, fingerprint, stored_fingerprint  # noqa: F401 (re-exported)
from .marts.common import IV_COLS, STATUSES
from .registry import load_measures, load_sources
from .steps import Step

INDICATORS = Step("build.indicator_values", "build", None, ("indicators", "areas"), ("indicator_values", "measures"))


def build_steps(only: list[str] | None = None) -> list[Step]:
    """Every step in the order the build runs them (with `only`: those steps and the steps they need)."""
    return steps_mod.plan([*steps_mod.discover(), INDICATORS], only)


def _tables(con: duckdb.DuckDBPyConnection) -> set[str]:
    return {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}


def _run_step(step: Step, ctx: BuildContext, measures: list[dict]) -> None:
    before = _tables(ctx.con)
    if step is INDICATORS:
        _indicator_values(ctx, measures)
    else:
        step.run(ctx)
    extra = sorted(_tables(ctx.con) - before - step.tables)
    if extra:
        raise ValidationError(f"build step {step.name} wrote {extra} without declaring them in PRODUCES")


def _indicator_values(ctx: BuildContext, measures: list[dict]) -> None:
    iv = pd.concat(ctx.indicator_frames, ignore_index=True)[IV_COLS]
    iv["year"] = iv["year"].astype(int)
    for c in ("value", "numerator", "denominator"):
        iv[c] = pd.to_numeric(iv[c], errors="coerce").astype(float)
    validate_indicators(iv, ctx, measures)
    iv = iv.sort_values(["measure_id", "area_code", "year"]).reset_index(drop=True)
    ctx.put("indicator_values", iv)
    ctx.put("measures", _measures_table(measures, iv))


def code_version() -> str:
    try:
        out = subprocess.run(["git", "describe", "--always", "--dirty"], cwd=config.ROOT, capture_output=True,
                             text=True, timeout=5)
        if out.returncode == 0:
            return out.stdout.strip()
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


@dataclass
class BuildResult:
    path: Path
    summary: dict
    warnings: list[str]
    seconds: float


def validate_indicators(iv: pd.DataFrame, ctx: BuildContext, measures: list[dict]) -> None:
    ids = {m["measure_id"] for m in measures}
    unknown = sorted(set(iv["measure_id"]) - ids)
    if unknown:
        raise ValidationError(f"indicator rows for measures not in data/measures.toml: {unknown}")
    codes = set(ctx.df("SELECT area_code FROM areas")["area_code"])
    bad = iv[~iv["area_code"].isin(codes)]
    if len(bad):
        r = bad.iloc[0]
        raise ValidationError(f"indicator rows for unknown area codes, e.g. {r['area_code']} "
                              f"({r['measure_id']} {r['year']}, "
                              f"source {r['source_id']})")
    bad = iv[~iv["status"].isin(STATUSES)]
    if len(bad):
        raise ValidationError(f"unknown status {bad['status'].iloc[0]!r} in {bad['measure_id'].iloc[0]}")
    dup = iv.duplicated(["measure_id", "area_code", "year", "period_label"], keep=False)
    if dup.any():
        r = iv[dup].iloc[0]
        raise ValidationError(f"two values for {r['measure_id']} {r['area_code']} {r['period_label']} "
                              f"(sources "
                              f"{sorted(set(iv[dup & (iv['area_code'] == r['area_code'])]['source_id'].astype(str)))})")
    has_value = iv["status"].isin(HAS_VALUE)
    bad = iv[has_value & iv["value"].isna()]
    if len(bad):
        r = bad.iloc[0]
        raise ValidationError(f"{r['measure_id']} {r['area_code']} {r['year']}: status {r['status']} without a value")
    bad = iv[~has_value & iv["value"].notna()]
    if len(bad):
        r = bad.iloc[0]
        raise ValidationError(f"{r['measure_id']} {r['area_code']} {r['year']}: status {r['status']} "
                              "but a value is set")
    check_rates(iv, measures)


def _measures_table(measures: list[dict], iv: pd.DataFrame) -> pd.DataFrame:
    ok = iv[iv["status"].isin(HAS_VALUE)]
    yrs = ok.groupby("measure_id")["year"].agg(["min", "max"])
    rows = []
    for m in measures:
        mid = m["measure_id"]
        rows.append(dict(
            measure_id=mid, title=m["title"], short_title=m.get("short_title", m["title"]), definition=m["definition"],
            numerator=m["numerator"], denominator=m["denominator"], unit=m["unit"], multiplier=float(m["multiplier"]),
            polarity=m["polarity"], source_ids=", ".join(m["source_ids"]),
            first_year=int(yrs.at[mid, "min"]) if mid in yrs.index else None,
            last_year=int(yrs.at[mid, "max"]) if mid in yrs.index else None,
            caveats=m["caveats"], value_type=m.get("value_type"), period_type=m.get("period_type"),
            official=bool(m.get("official", True)), topic=m.get("topic", "Context"),
            headline=bool(m.get("headline", False)),
            decimals=int(m["decimals"]) if m.get("decimals") is not None else None))
    return pd.DataFrame(rows)


def _cleanup_stale(target: Path) -> None:
    for p in target.parent.glob(f".{target.name}.tmp-*"):
        try:
            pid = int(p.name.rsplit("-", 1)[1].split(".")[0])
            os.kill(pid, 0)  # still running: leave it
        except (ValueError, ProcessLookupError, PermissionError):
            p.unlink(missing_ok=True)


def build(out: Path | None = None, raw: Path | None = None, mirror: Path | None = None,
          progress: bool = True, fetch_report: FetchReport | None = None,
          only: list[str] | None = None) -> BuildResult:
    """Build the warehouse. With `only` (step names), run just those steps and the steps they need into a scratch
    file that is then deleted: a quick check of one source or step; the warehouse is never replaced."""
    t0 = time.time()
    plan = build_steps(only)
    out = Path(out or config.warehouse_path())
    raw = Path(raw or config.raw_dir())
    sources = load_sources()
    report = fetch_report or fetch(raw=raw, mirror=mirror, sources=sources, progress=progress)
    measures = load_measures()
    out.parent.mkdir(parents=True, exist_ok=True)
    _cleanup_stale(out)
    tmp = out.parent / f".{out.name}.tmp-{os.getpid()}"
    tmp.unlink(missing_ok=True)
    con = duckdb.connect(str(tmp))
    ok = False
    try:
        ctx = BuildContext(con=con, raw=raw, sources=sources, warnings=list(report.warnings))
        for step in plan:
            _run_step(step, ctx, measures)
        if only:
            return BuildResult(tmp, {}, ctx.warnings, time.time() - t0)  # scratch file removed below
        src_rows = []
        for s in sources.values():
            actual = report.checksums.get(s.id)
            src_rows.append(dict(id=s.id, family=s.family, title=s.title, publisher=s.publisher, edition=s.edition,
                                 licence=s.licence, landing_page=s.landing_page, url=s.url,
                                 path=f"data/seeds/{s.path}" if s.seed else s.path, sha256=actual,
                                 registry_sha256=s.sha256, checksum_ok=(actual == s.sha256),
                                 used=s.id in ctx.used_sources))
        ctx.put("sources", pd.DataFrame(src_rows))
        info = pd.DataFrame([dict(built_at=dt.datetime.now(dt.timezone.utc).replace(microsecond=0).isoformat(),
                                  code_version=code_version(), mirror=str(mirror or config.mirror_dir() or ""),
                                  raw_dir=str(raw), warnings="\n".join(ctx.warnings),
                                  fingerprint=fingerprint(report.checksums), build_seconds=round(time.time() - t0, 2))])
        ctx.put("build_info", info)
        manifest.record(con, out)  # this build's manifest + the replaced warehouse's history (permalink notices)
        summary = summarise(con)
        con.execute("CHECKPOINT")
        con.close()
        os.replace(tmp, out)
        ok = True
        return BuildResult(out, summary, ctx.warnings, time.time() - t0)
    finally:
        if not ok:
            try:
                con.close()
            except Exception:  # noqa: BLE001
                pass
            tmp.unlink(missing_ok=True)
            Path(str(tmp) + ".wal").unlink(missing_ok=True)


def summarise(con: duckdb.DuckDBPyConnection) -> dict:
    tables = [r[0] for r in con.execute("SELECT table_name FROM duckdb_tables() WHERE NOT temporary "
                                        "ORDER BY 1").fetchall()]
    counts = {t: con.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}
    yr = con.execute("SELECT min(year), max(year) FROM indicator_values").fetchone()
    las = con.execute("SELECT count(DISTINCT area_code) FROM indicator_values v JOIN areas a USING (area_code) "
                      "WHERE a.area_type='la'").fetchone()[0]
    per_measure = dict(con.execute("SELECT measure_id, count(*) FROM indicator_values "
                                   "GROUP BY 1 ORDER BY 1").fetchall())
    return {"tables": counts, "years": list(yr), "las": las, "measures": per_measure}


def print_summary(res: BuildResult, stream=sys.stdout) -> None:
    s = res.summary
    print(f"built {res.path} in {res.seconds:.1f} s", file=stream)
    print(f"  years {s['years'][0]}-{s['years'][1]}, {s['las']} local authorities with values", file=stream)
    for t, n in s["tables"].items():
        if not t.startswith("stg_"):
            print(f"  {t:<28} {n:>8,} rows", file=stream)
    staging = {t: n for t, n in s["tables"].items() if t.startswith("stg_")}
    print(f"  staging: {len(staging)} tables, {sum(staging.values()):,} rows", file=stream)
    print(f"  warnings: {len(res.warnings)}", file=stream)
    for w in res.warnings[:20]:
        print(f"    - {w}", file=stream)
