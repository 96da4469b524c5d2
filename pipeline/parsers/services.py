"""Perinatal service sources (seeds under data/seeds/services/) -> staging tables, each checked:
`stg_mmhs_icb`, `stg_utla_icb`, `stg_family_hubs`, `stg_separation_programmes` (the mother and baby units themselves
are located by the reference step pipeline/reference/services.py -> `services_points`).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..errors import SourceError
from .common import read_csv

REQUIRES = ()
PRODUCES = ("stg_mmhs_icb", "stg_utla_icb", "stg_family_hubs", "stg_separation_programmes")
ICB_RE = re.compile(r"^E54\d{6}$")
LA_RE = re.compile(r"^[EW]\d{8}$")


def _num(ctx, sid, df, col, allow_blank=True) -> pd.Series:
    out = pd.to_numeric(df[col].replace("", np.nan), errors="coerce")
    bad = df[(df[col] != "") & out.isna()] if allow_blank else df[out.isna()]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(sid, ctx.rel(sid), "not a number", column=col, row=int(r["_line"]), value=r[col])
    return out


def _check_codes(ctx, sid, df, col, pattern, allow_blank=False):
    bad = df[~df[col].str.match(pattern) & ~((df[col] == "") & allow_blank)]
    if len(bad):
        r = bad.iloc[0]
        raise SourceError(sid, ctx.rel(sid), "not a valid code", column=col, row=int(r["_line"]), value=r[col])


def load(ctx: BuildContext) -> None:
    m = read_csv(ctx, "mmhs_icb", required=["area_as_stated", "icb_code", "icb_name", "programme_status",
                                            "go_live_as_stated", "source_url", "as_of"])
    _check_codes(ctx, "mmhs_icb", m, "icb_code", ICB_RE)
    ctx.put("stg_mmhs_icb", m)

    ui = read_csv(ctx, "utla_icb", required=["utla_code", "icb_code", "icb_name", "n_postcodes",
                                             "share_of_utla_postcodes", "is_primary"])
    _check_codes(ctx, "utla_icb", ui, "utla_code", LA_RE)
    _check_codes(ctx, "utla_icb", ui, "icb_code", ICB_RE)
    ui["n_postcodes"] = _num(ctx, "utla_icb", ui, "n_postcodes", False)
    ui["share_of_utla_postcodes"] = _num(ctx, "utla_icb", ui, "share_of_utla_postcodes", False)
    ctx.put("stg_utla_icb", ui)

    fh = read_csv(ctx, "family_hubs", required=["la_name_as_listed", "utla21cd_matched", "utla21nm_matched",
                                                "status_as_stated", "as_of", "source_url"])
    _check_codes(ctx, "family_hubs", fh, "utla21cd_matched", LA_RE)
    ctx.put("stg_family_hubs", fh)

    req = ["programme", "area_as_stated", "utla21cd_matched", "fact_as_stated", "date_as_stated", "source_url",
           "source_title", "as_of"]
    parts = []
    for sid in ("separation_programmes", "separation_programmes_2026"):
        sp = read_csv(ctx, sid, required=req)
        _check_codes(ctx, sid, sp, "utla21cd_matched", LA_RE, allow_blank=True)
        parts.append(sp)
    ctx.put("stg_separation_programmes", pd.concat(parts, ignore_index=True))
