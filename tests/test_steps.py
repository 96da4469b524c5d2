"""The build order comes from each step's REQUIRES / PRODUCES declarations (pipeline/steps.py)."""
from __future__ import annotations

import duckdb
import pandas as pd
import pytest

from pipeline import build as B
from pipeline import steps as S
from pipeline.context import BuildContext
from pipeline.errors import ValidationError


def step(name, requires=(), produces=(), run=None, layer=None):
    layer = layer or name.split(".")[0]
    return S.Step(name, layer, run, tuple(requires), tuple(produces))


def test_every_step_runs_after_the_producers_of_what_it_requires():
    plan = B.build_steps()
    pos = {s.name: i for i, s in enumerate(plan)}
    producers = {}
    for s in plan:
        for p in s.produces:
            producers.setdefault(p, []).append(s.name)
    for s in plan:
        for r in s.requires:
            assert all(pos[p] < pos[s.name] for p in producers[r]), (s.name, r, producers[r])
    names = [s.name for s in plan]
    assert names.index("reference.areas") < names.index("parsers.dfe_cla_starts")
    assert names.index("build.indicator_values") < names.index("post.stats") < names.index("post.continuity")
    assert {s.layer for s in plan} == {"parsers", "reference", "marts", "build", "post"}


def test_parsers_declare_only_staging_tables():
    for s in S.discover():
        if s.layer == "parsers":
            assert s.produces and all(p.startswith("stg_") for p in s.produces), s.name
    with pytest.raises(ValidationError, match=r"parser parsers\.x declares \['areas'\]: parsers write only stg_"):
        S.order([step("parsers.x", produces=["areas"])])


def test_order_follows_declarations_not_names():
    steps = [step("marts.a", ["stg_z"], ["indicators"]), step("parsers.z", [], ["stg_z"]),
             step("post.b", ["t"], ["u"]), step("reference.c", ["indicators"], ["t"])]
    assert [s.name for s in S.order(steps)] == ["parsers.z", "marts.a", "reference.c", "post.b"]


def test_ties_are_broken_by_module_name():
    steps = [step("parsers.b", [], ["stg_b"]), step("parsers.a", [], ["stg_a"]), step("marts.c", [], ["indicators"])]
    assert [s.name for s in S.order(steps)] == ["parsers.a", "parsers.b", "marts.c"]


def test_missing_producer_and_cycle_are_clear_errors():
    with pytest.raises(ValidationError, match=r"marts\.a requires \['stg_q'\], which no step produces"):
        S.order([step("marts.a", ["stg_q"], ["indicators"])])
    with pytest.raises(ValidationError, match=r"cycle: reference\.a, reference\.b"):
        S.order([step("reference.a", ["y"], ["x"]), step("reference.b", ["x"], ["y"])])


def test_plan_with_targets_keeps_only_what_they_need():
    steps = [step("parsers.g", [], ["stg_g"]), step("reference.areas", ["stg_g"], ["areas"]),
             step("parsers.other", [], ["stg_o"]), step("parsers.cin", ["areas"], ["stg_cin"])]
    assert [s.name for s in S.plan(steps, ["cin"])] == ["parsers.g", "reference.areas", "parsers.cin"]
    with pytest.raises(ValidationError, match="no build step named 'nope'"):
        S.plan(steps, ["nope"])


def test_a_step_writing_an_undeclared_table_stops_the_build(tmp_path):
    ctx = BuildContext(con=duckdb.connect(), raw=tmp_path, sources={})

    def run(c):
        c.put("stg_declared", pd.DataFrame({"x": [1]}))
        c.put("stg_secret", pd.DataFrame({"x": [1]}))
    B._run_step(step("parsers.ok", [], ["stg_declared", "stg_secret"], run), ctx, [])
    ctx = BuildContext(con=duckdb.connect(), raw=tmp_path, sources={})
    with pytest.raises(ValidationError, match=r"parsers\.liar wrote \['stg_secret'\] without declaring"):
        B._run_step(step("parsers.liar", [], ["stg_declared"], run), ctx, [])


def test_every_source_family_has_a_parser_of_that_name():
    from pipeline.registry import load_sources
    families = {s.family for s in load_sources().values()}
    parsers = {s.module for s in S.discover() if s.layer == "parsers"}
    assert families and families <= parsers, sorted(families - parsers)


def test_births_editions_are_found_by_id_within_the_births_family(tmp_path):
    """Registry-driven editions of the births family: `ons_births_<year>` and `ons_mye_<year>` (not the named
    sources, not another family's)."""
    from pipeline.context import BuildContext
    from pipeline.parsers import births
    from pipeline.registry import Source

    def src(sid, fam="births"):
        return Source(id=sid, family=fam, title=sid, publisher="ONS", edition="E", licence="OGL", landing_page="",
                      url="", path=f"{sid}.xlsx", sha256="")
    sources = {s.id: s for s in (src("ons_births_2024"), src("ons_births_summary_2022"), src("ons_mye_2025"),
                                 src("nomis_mye_single_year"), src("ons_births_2025", "other"))}
    ctx = BuildContext(con=duckdb.connect(), raw=tmp_path, sources=sources)
    assert births._editions(ctx, births.REG_ID) == ["ons_births_2024"]
    assert births._editions(ctx, births.MYE_ID) == ["ons_mye_2025"]
