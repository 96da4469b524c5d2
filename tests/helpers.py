"""Test helpers: a build context over a fixture raw directory, with a small `areas` table."""
from __future__ import annotations

import datetime as dt
from pathlib import Path

import duckdb
import pandas as pd

from pipeline.context import BuildContext
from pipeline.registry import load_sources

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_RAW = FIXTURES / "raw"

# a small areas table in the warehouse format (codes used by the fixtures)
AREAS = [
    ("E92000001", "England", "england", None, None, None, None),
    ("E12000001", "North East", "region", "E12000001", None, None, None),
    ("E12000004", "East Midlands", "region", "E12000004", None, None, None),
    ("E08000020", "Gateshead", "la", "E12000001", None, dt.date(2013, 3, 31), "390"),
    ("E08000037", "Gateshead", "la", "E12000001", dt.date(2013, 4, 1), None, "390"),
    ("E06000048", "Northumberland", "la", "E12000001", None, dt.date(2013, 3, 31), "929"),
    ("E06000057", "Northumberland", "la", "E12000001", dt.date(2013, 4, 1), None, "929"),
    ("E09000001", "City of London", "la", "E12000007", None, None, None),
    ("E06000039", "Slough", "la", "E12000008", None, None, None),
    ("E10000021", "Northamptonshire", "la", "E12000004", None, dt.date(2021, 3, 31), "928"),
    ("E06000061", "North Northamptonshire", "la", "E12000004", dt.date(2021, 4, 1), None, "940"),
    ("E06000062", "West Northamptonshire", "la", "E12000004", dt.date(2021, 4, 1), None, "941"),
]


def make_ctx(raw: Path = FIXTURE_RAW, with_areas: bool = True) -> BuildContext:
    con = duckdb.connect(":memory:")
    ctx = BuildContext(con=con, raw=Path(raw), sources=load_sources(), seeds=Path(raw))  # fixtures hold seeds too
    if with_areas:
        df = pd.DataFrame(AREAS, columns=["area_code", "area_name", "area_type", "region_code", "valid_from",
                                          "valid_to", "dfe_la_code"])
        df["country"] = "England"
        df["region_name"] = None
        ctx.put("areas", df)
    return ctx
