"""What a person reads first (AppTest on the real warehouse): key findings for the selected measure and year, the
infant-care caveat only where it applies, measures grouped by topic, formatted tables and translated statistics,
areas across reorganisations, the observed/expected map, who suppressed a value, the profile's chips and the
pages' default area."""
from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pandas as pd
import pytest

from pipeline.post.stats import NS_POOLED
from tests.helpers import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")



@pytest.fixture()
def wh(app_warehouse):
    con = duckdb.connect(str(app_warehouse), read_only=True)
    yield con
    con.close()


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    parts += [t.value for t in at.title] + [w.value for w in at.warning] + [i.value for i in at.info]
    return "\n".join(str(p) for p in parts)


def key_findings(at) -> str:
    md = [str(m.value) for m in at.markdown]
    i = next(i for i, t in enumerate(md) if t.startswith("**Key findings"))
    return md[i] + "\n" + md[i + 1]


def frames(at) -> list[pd.DataFrame]:
    return [pd.DataFrame(d.value) for d in at.dataframe]


# ---------------------------------------------------------------------------------------------------------------
@pytest.mark.real_data("North-south key findings for each year need the full set of LAs")
@pytest.mark.parametrize("page", ["map", "north_south"])
def test_key_findings_first_for_selected_year(app, wh, page):
    key = "w_map_year" if page == "map" else "w_ns_year"
    at = app(page, measure="cla_starts_u1_rate", year="2024")
    kf = key_findings(at)
    assert kf.startswith("**Key findings: Infant care starts per 10,000 live births, 2023/24**")
    # the box is the first content under the title (before the selectors' output and the map)
    first = str(at.markdown[0].value)
    assert first.startswith("**Key findings"), first
    top = wh.execute("""SELECT a.area_name, i.value, i.lower_95, i.upper_95 FROM indicator_values i JOIN areas a
                        USING (area_code) WHERE measure_id = 'cla_starts_u1_rate' AND year = 2024 AND a.area_type = 'la'
                        AND i.value IS NOT NULL ORDER BY value DESC LIMIT 1""").fetchone()
    assert f"**Highest:** {top[0]} {top[1]:,.1f} (95% CI {top[2]:,.1f}–{top[3]:,.1f})" in kf
    eng = wh.execute("SELECT value FROM indicator_values WHERE measure_id = 'cla_starts_u1_rate' AND year = 2024 "
                     "AND area_code = 'E92000001'").fetchone()[0]
    assert f"**England:** {eng:,.1f}" in kf and "**regions** range from" in kf
    ns = wh.execute("SELECT northing_rr_unadjusted, share_explained FROM ns_summary WHERE period = '2024'").fetchone()
    pooled = wh.execute("SELECT period, northing_rr_unadjusted FROM ns_summary WHERE period LIKE '%-%'").fetchone()
    assert f"**North–south, 2023/24:** each 100 km further north, the rate is **{ns[0]:.2f} times**" in kf
    assert f"about **{ns[1] * 100:.0f}%**" in kf
    assert f"{pooled[1]:.2f} per 100 km" in kf and "pooled" in kf
    assert kf.index("North–south, 2023/24") < kf.index("pooled")  # selected year first
    # another year: the box follows it
    at.select_slider(key=key).set_value(2019).run() if page == "map" else at.selectbox(key=key).set_value(2019).run()
    kf2 = key_findings(at)
    assert "2018/19" in kf2.split("\n")[0] and "**North–south, 2018/19:**" in kf2


@pytest.mark.real_data("north-south models for every year since 2010/11 need the full set of LAs")
def test_model_view_selected_year_first_others_in_expander(app):
    at = app("north_south", measure="cla_starts_u1_rate", year="2020", view="models")
    main = [str(m.value) for m in at.markdown if str(m.value).startswith("**20")]
    assert main[0].startswith("**2019/20.**") and "pooled" in main[1]
    exp = [e for e in at.expander if e.label.startswith("Other years")]
    assert exp and "2010/11" in "\n".join(str(m.value) for m in exp[0].markdown)
    for f in frames(at):  # no raw statistics table
        assert not {"p_value", "measure_id", "aic", "coef", "deviance"} & set(f.columns), f.columns


def test_caveat_only_where_it_applies(app):
    at = app("map", measure="cla_starts_u1_rate")
    assert any("not the number of newborns in care proceedings" in str(i.value) for i in at.info)
    at = app("map", measure="cin_referrals_rate")
    assert not any("newborns in care proceedings" in str(i.value) for i in at.info)
    assert any(str(c.value).startswith("**CIN referrals per 10k children:**") for c in at.caption)


def test_measures_grouped_by_topic_with_headline_first(app):
    from pages._lib import topics  # noqa: F401
    from pipeline.registry import TOPICS, load_measures
    reg = load_measures()
    assert all(m.get("topic") in TOPICS[:-1] for m in reg)
    at = app("map")
    opts = at.selectbox(key="w_map_measure").options
    tops = [o.split(" › ")[0] for o in opts]
    assert opts[0] == "Infants entering care › Infant care starts per 10,000 live births"
    seen = list(dict.fromkeys(tops))
    assert seen == [t for t in TOPICS if t in seen], seen  # each topic once, in topic order
    cin = [o for o in opts if o.startswith("Children in need")]
    heads = {f"Children in need and risk factors › {m['short_title']}" for m in reg
             if m.get("headline") and m["topic"] == "Children in need and risk factors"}
    assert heads and set(cin[:len(heads)]) == heads  # headline measures first within their topic
    at = app("methods")
    heads = [str(m.value)[5:] for m in at.markdown if str(m.value).startswith("#### ")]
    assert heads == [t for t in TOPICS if t in heads] and "Deprivation" in heads
    at = app("profile", area="E06000009")
    t = frames(at)[0]
    assert list(dict.fromkeys(t["Topic"])) == [x for x in TOPICS if x in set(t["Topic"])]
    at = app("compare", area="E06000009")
    t = frames(at)[0]
    assert list(dict.fromkeys(t["Topic"])) == [x for x in TOPICS if x in set(t["Topic"])]


def test_tables_are_formatted(app):
    at = app("map", measure="cla_starts_u1_rate", year="2024")
    t = frames(at)[0]
    assert "95% CI" in t.columns and t["95% CI"].str.contains("–").any()
    assert not t.isin(["None", "nan", "NaN"]).any().any() and not t.isna().any().any()
    v = t["Value (per 10,000 live births)"]
    assert v[v != ""].str.fullmatch(r"[\d,]+\.\d").all()
    at = app("map", measure="cla_starts_u1", year="2024")
    v = frames(at)[0]["Value (children)"]
    assert v[v != ""].str.fullmatch(r"[\d,]+").all()  # counts without decimals


def test_trends_statistics_in_words(app):
    at = app("trends", measure="cla_starts_u1_rate", areas="E06000009")
    for f in frames(at):
        assert not {"p_value", "measure_id", "rate_ratio_per_year"} & set(f.columns), f.columns
    txt = texts(at)
    assert "**Blackpool:** rising" in txt or "**Blackpool:** falling" in txt
    assert "a year (95% CI" in txt


def test_area_that_did_not_exist_that_year_is_named(app):
    at = app("map", measure="cla_starts_u1_rate", year="2023", area="E06000065")
    w = " ".join(str(x.value) for x in at.warning)
    assert "not recognised" not in w
    assert "North Yorkshire (E06000065) did not exist in 2022/23" in w and "E10000023" in w
    assert at.selectbox(key="w_map_area").value == "E10000023"
    # in session: Cumberland chosen in 2024/25, then the year moves to 2022/23 (before it existed)
    at = app("map", measure="cla_starts_u1_rate", year="2025", area="E06000063")
    assert at.selectbox(key="w_map_area").value == "E06000063"
    at.select_slider(key="w_map_year").set_value(2023).run()
    w = " ".join(str(x.value) for x in at.warning)
    assert "Cumberland (E06000063) did not exist in 2022/23" in w and "Cumbria (E10000006)" in w


@pytest.mark.parametrize("period,codes", [("2024", ["E06000063", "E06000064", "E06000065", "E06000066"]),
                                          # a pooled period is drawn on the boundaries of its last year
                                          ("-".join(map(str, NS_POOLED)), ["E06000063", "E06000065", "E06000066"])])
def test_observed_expected_map_layer_and_scale(app, wh, period, codes):
    at = app("north_south", measure="cla_starts_u1_rate", view="oe", period=period)
    spec = json.loads(at.get("plotly_chart")[0].proto.spec)
    main = next(t for t in spec["data"] if t.get("showscale", True) and t.get("colorbar"))
    have = set(main["locations"])
    want = {c for (c,) in wh.execute("SELECT area_code FROM ns_expected WHERE period = ?", [period]).fetchall()}
    assert set(codes) <= have and set(codes) <= want
    # diverging log scale centred on 1: symmetric around log(1) = 0, tick labels are ratios >= 0
    assert main["zmid"] == 0 and main["zmin"] == -main["zmax"]
    labels = main["colorbar"]["ticktext"]
    assert "1" in labels and all(float(x) > 0 for x in labels)
    assert "RdBu" in json.dumps(main["colorscale"]) or main["colorscale"]


@pytest.mark.real_data("profile chips follow the published comparator lists")
def test_profile_chips_follow_the_comparison_and_counts_have_no_decimals(app, wh):
    at = app("profile", area="E06000009")  # Blackpool: higher than England
    m = {x.label: x for x in at.get("metric")}
    rate = next(v for k, v in m.items() if k.startswith("Infant care starts per 10,000"))
    assert rate.delta.startswith("higher than England") and _arrow(rate) == "up"
    count = next(v for k, v in m.items() if k.startswith("Infant care starts (count)"))
    assert "." not in count.value
    at = app("profile", area="E09000031")  # Waltham Forest: lower than England
    m = {x.label: x for x in at.get("metric")}
    rate = next(v for k, v in m.items() if k.startswith("Infant care starts per 10,000"))
    sig = wh.execute("""SELECT sig_england_95 FROM indicator_values WHERE measure_id = 'cla_starts_u1_rate'
                        AND area_code = 'E09000031' ORDER BY year DESC LIMIT 1""").fetchone()[0]
    assert rate.delta.startswith(f"{sig} than England") or rate.delta.startswith(f"{sig} to England")
    assert _arrow(rate) == {"higher": "up", "lower": "down", "similar": "none"}[sig]


def _arrow(metric) -> str:
    from streamlit.proto.Metric_pb2 import Metric
    return Metric.MetricDirection.Name(metric.proto.direction).lower()


def test_pages_open_on_the_last_selected_area_else_prompt(app):
    for page in ("profile", "compare"):
        at = app(page)
        assert any("Choose a local authority" in str(i.value) for i in at.info), page
    at = app("trends")
    assert at.multiselect(key="w_trends_areas").value == []
    assert any("Choose one or more local authorities" in str(i.value) for i in at.info)
    at = app("map", measure="cla_starts_u1_rate")
    at.selectbox(key="w_map_area").set_value("E06000009").run()
    for page in ("profile", "compare"):
        at = app(page, at=at)
        assert "Blackpool" in texts(at), page
    at = app("trends", at=at)
    assert at.multiselect(key="w_trends_areas").value == ["E06000009"]


def test_findings_model_measure_is_the_statistics_step_measure():
    from pages._lib import findings
    from pipeline.post.stats import NS_MEASURE
    assert findings.NS_MEASURE == NS_MEASURE


def test_user_data_says_who_suppressed(app_warehouse, monkeypatch, tmp_path):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    monkeypatch.setenv("ATLAS_USER_DIR", str(tmp_path / "user"))
    from streamlit.testing.v1 import AppTest
    at = AppTest.from_file(APP, default_timeout=180)
    at.switch_page("pages/your_data.py")
    at.run()
    at.file_uploader(key="user_upload").set_value(
        ("valid_extract.csv", (FIXTURES / "user/valid_extract.csv").read_bytes(), "text/csv")).run()
    assert not at.exception
    at.query_params.clear()
    at.switch_page("pages/map.py")
    at.query_params["measure"] = "user.valid_extract.newborn_s31"
    at.query_params["year"] = "2020"
    at.run()
    assert not at.exception, [e.message for e in at.exception]
    spec = at.get("plotly_chart")[0].proto.spec
    table = frames(at)[0]
    assert "publisher" not in spec and "publisher" not in " ".join(table["Status"])
    sup = table[table["Code"] == "E06000001"]
    assert sup["Status"].str.contains("atlas's disclosure control").all()
    assert "atlas's disclosure control" in spec
