"""The in-app "Your data" upload: AppTest of the flow (valid, invalid, oversized, session isolation,
CLI-imported datasets) and a disclosure test over every page table, chart summary and download that shows a user
measure."""
from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from tests.helpers import FIXTURES

ROOT = Path(__file__).resolve().parent.parent
APP = str(ROOT / "streamlit_app.py")
VALID = (FIXTURES / "user/valid_extract.csv").read_bytes()
MID = "user.valid_extract.newborn_s31"


@pytest.fixture()
def userdir(tmp_path, monkeypatch):
    d = tmp_path / "user"
    monkeypatch.setenv("ATLAS_USER_DIR", str(d))
    return d


@pytest.fixture()
def downloads(monkeypatch):
    """Capture the bytes of every st.download_button (AppTest keeps them in a mock media store)."""
    from streamlit.runtime.memory_media_file_storage import MemoryMediaFileStorage
    got: dict[str, bytes] = {}
    orig = MemoryMediaFileStorage.load_and_get_id

    def spy(self, path_or_data, mimetype, kind, filename=None):
        if isinstance(path_or_data, (bytes, bytearray)) and filename:
            got[filename] = bytes(path_or_data)
        return orig(self, path_or_data, mimetype, kind, filename)
    monkeypatch.setattr(MemoryMediaFileStorage, "load_and_get_id", spy)
    return got


@pytest.fixture()
def new_session(app_warehouse, userdir, monkeypatch):
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(app_warehouse))
    from streamlit.testing.v1 import AppTest

    def make():
        at = AppTest.from_file(APP, default_timeout=180)
        at.switch_page("pages/your_data.py")
        at.run()
        assert not at.exception, [e.message for e in at.exception]
        return at
    return make


def goto(at, page: str, **params):
    at.query_params.clear()
    at.switch_page(f"pages/{page}.py")
    for k, v in params.items():
        at.query_params[k] = v
    at.run()
    assert not at.exception, (page, [e.message for e in at.exception])
    return at


def upload(at, content: bytes, name: str = "valid_extract.csv"):
    at.file_uploader(key="user_upload").set_value((name, content, "text/csv")).run()
    assert not at.exception, [e.message for e in at.exception]
    return at


def texts(at) -> str:
    parts = [m.value for m in at.markdown] + [c.value for c in at.caption] + [s.value for s in at.success]
    parts += [t.value for t in at.title] + [w.value for w in at.warning] + [i.value for i in at.info]
    parts += [e.value for e in at.error]
    return "\n".join(str(p) for p in parts)


BADGE = "User-supplied — not official statistics"


def test_valid_upload_appears_on_pages_with_badge(new_session, userdir, app_warehouse, downloads):
    before = app_warehouse.stat().st_mtime_ns
    at = upload(new_session(), VALID)
    assert "Your data in this session" in texts(at) and BADGE in texts(at)
    assert not at.error
    assert MID in at.session_state["_user_datasets"]["valid_extract"]["measures"]["measure_id"].tolist()
    # Map: selectable, badge visible, suppressed LA grey/blank in the table
    at = goto(at, "map", measure=MID, year="2020")
    assert at.selectbox(key="w_map_measure").value == MID
    assert BADGE in texts(at) and not at.warning
    tbl = at.dataframe[0].value
    assert "Blackpool" in set(tbl["Area"]) and tbl.loc[tbl["Code"] == "E06000001", "Count"].eq("").all()
    # Trends, North-south (scatter + funnel), Compare, Downloads
    at = goto(at, "trends", measure=MID, areas="E06000009")
    assert at.selectbox(key="w_trends_measure").value == MID and BADGE in texts(at)
    at = goto(at, "north_south", measure=MID, year="2020")
    assert at.selectbox(key="w_ns_measure").value == MID and BADGE in texts(at)
    assert set(at.selectbox(key="w_ns_view").options) == {"Scatter plots", "Funnel plot"}
    at.selectbox(key="w_ns_view").set_value("funnel").run()
    assert not at.exception and BADGE in texts(at)
    at = goto(at, "compare", area="E06000009")
    assert BADGE in texts(at)
    tartan = at.dataframe[0].value
    user_rows = [i for i in tartan.index if "user-supplied" in str(i)]
    assert user_rows and tartan.loc[user_rows[0], "Official"].startswith("no")
    downloads.clear()
    at = goto(at, "downloads", measures=MID)
    assert BADGE in texts(at)
    assert at.dataframe[0].value["official"].eq(False).all()
    csv = pd.read_csv(io.BytesIO(downloads["infant_care_atlas_extract.csv"]))
    assert (csv["official"] == False).all() and (csv["measure_id"] == MID).all()  # noqa: E712
    readme = downloads["README_infant_care_atlas_extract.txt"].decode()
    assert "USER-SUPPLIED - NOT OFFICIAL STATISTICS" in readme
    # nothing written anywhere: no user database, the warehouse untouched
    assert not userdir.exists() or not list(userdir.iterdir())
    assert app_warehouse.stat().st_mtime_ns == before


def test_invalid_upload_lists_problems_and_adds_nothing(new_session):
    hdr = "area_code,year,measure,numerator,denominator\n"
    bad = (hdr + "E06999999,2020,newborn_s31,5,100\n"      # row 2 unknown code
                 "E06000009,2020,newborn_s31,-1,100\n"      # row 3 negative
                 "E06000058,2015,newborn_s31,5,100\n"       # row 4 wrong vintage
                 "E06000009,2021,newborn_s31,500,100\n")    # row 5 numerator > denominator
    at = upload(new_session(), bad.encode(), "bad.csv")
    assert at.error and "4 problem(s); nothing was added" in at.error[0].value
    probs = pd.DataFrame(at.dataframe[0].value)
    got = {(int(r.row), r.column): r.problem for r in probs.itertuples()}
    assert "unknown area code" in got[(2, "area_code")]
    assert "negative" in got[(3, "numerator")]
    assert "not in force" in got[(4, "area_code")]
    assert "greater than the denominator" in got[(5, "numerator")]
    assert set(probs.columns) >= {"row", "column", "value", "problem"}
    assert not at.session_state["_user_datasets"]
    assert "Your data in this session" not in texts(at)
    at = goto(at, "map")
    assert all(not str(o).startswith("⚠️") for o in at.selectbox(key="w_map_measure").options)


def test_oversized_upload_rejected(new_session):
    from pipeline.user_import import DEFAULT_MAX_BYTES
    row = "E06000009,2020,newborn_s31,5,100\n"
    big = ("area_code,year,measure,numerator,denominator\n" + row * (DEFAULT_MAX_BYTES // len(row) + 10)).encode()
    assert len(big) > DEFAULT_MAX_BYTES == 5 * 1024 * 1024
    at = upload(new_session(), big, "big.csv")
    assert at.error and "larger than the limit" in at.dataframe[0].value["problem"][0]
    assert not at.session_state["_user_datasets"]


def test_session_isolation(new_session):
    a = upload(new_session(), VALID)
    assert a.session_state["_user_datasets"]
    goto(a, "map", measure=MID)  # session A has the map figure of its measure
    b = new_session()
    assert "No user data in this session yet" in texts(b)
    b = goto(b, "map", measure=MID, year="2020")
    assert b.selectbox(key="w_map_measure").value != MID
    assert any("not recognised" in w.value for w in b.warning)
    assert BADGE not in texts(b)
    b = goto(b, "downloads", measures=MID)
    assert MID not in b.multiselect(key="w_downloads_measures").options


def test_stricter_rule_and_cli_dataset(new_session, userdir, warehouse):
    from pipeline import user_import
    res, out = user_import.import_file(FIXTURES / "user/valid_extract.csv", "cli_newborn", warehouse=warehouse)
    assert res.ok and out.exists()
    at = new_session()
    at.checkbox(key="user_cli_cli_newborn").check().run()
    assert not at.exception and "user.cli_newborn.newborn_s31" in at.session_state["_user_datasets"]["cli_newborn"][
        "measures"]["measure_id"].tolist()
    # a stricter rule suppresses Knowsley's 10 too; the rule can't go below 4
    at.number_input(key="user_rule_max").set_value(10).run()
    upload(at, VALID)
    v = at.session_state["_user_datasets"]["valid_extract"]["values"].set_index("area_code")
    assert v.at["E08000011", "status"] == "suppressed"
    assert at.number_input(key="user_rule_max").min == 4


# ---------------------------------------------------------------------------------------------------------------
# disclosure: small counts and a region total; nothing in 1-4 and nothing back-calculable anywhere
NE = ["E06000001", "E06000002", "E06000003", "E06000004", "E06000005", "E06000047", "E06000057", "E08000021",
      "E08000022", "E08000023", "E08000024", "E08000037"]
C2020 = [2, 25, 0, 18, 11, 40, 22, 35, 16, 13, 27, 19]
C2021 = [4, 30, 6, 20, 1, 45, 21, 33, 17, 12, 25, 20]
DEN = [937, 1755, 1346, 2001, 1103, 4789, 2903, 3222, 1999, 1497, 2671, 1888]
NW = [("E06000009", 14, 1500), ("E08000011", 3, 2011), ("E06000008", 9, 2100)]


def disclosure_extract() -> tuple[bytes, pd.DataFrame]:
    rows = []
    for year, counts in ((2020, C2020), (2021, C2021)):
        shift = 0 if year == 2020 else 7  # other denominators in 2021, so no rate repeats across years
        for code, n, d in zip(NE, counts, DEN):
            rows.append((code, year, n, d + shift))
        for code, n, d in NW:
            rows.append((code, year, n, d + shift))
    rows.append(("E12000001", 2020, sum(C2020), sum(DEN)))          # NE total in 2020
    rows.append(("E92000001", 2020, 3000, 600000))                  # England total in 2020
    df = pd.DataFrame(rows, columns=["area_code", "year", "numerator", "denominator"]).assign(measure="disc")
    return df.to_csv(index=False).encode(), df


def _cells(frame) -> list:
    df = pd.DataFrame(frame)
    return [x for col in df.columns for x in df[col].tolist()]


COUNT_COLS = re.compile(r"^(numerator|count|observed)$", re.I)


def test_disclosure_in_every_table_and_download(new_session, downloads):
    raw, orig = disclosure_extract()
    at = upload(new_session(), raw, "disc.csv")
    mid = "user.disc.disc"
    v = at.session_state["_user_datasets"]["disc"]["values"]
    hidden = v[v["status"] == "suppressed"]
    assert len(hidden) >= 4
    # the true numbers behind every suppressed cell: counts, rates and CIs must never be shown
    o = orig.set_index(["area_code", "year"])
    secrets_num, secrets_txt = set(), set()
    from pages._lib import charts
    from pipeline import stats
    for r in hidden.itertuples():
        n, d = o.loc[(r.area_code, r.year), ["numerator", "denominator"]]
        rate = n / d * 10000
        lo, hi = stats.byar_ci(np.array([float(n)]), np.array([float(d)]), 10000, 0.95)
        if n == 0:  # a zero hidden as a complementary cell: 0 is too common a value to search for
            continue
        secrets_num |= {round(rate, 6), round(float(lo[0]), 6), round(float(hi[0]), 6)}
        secrets_txt |= {charts.fmt(rate), charts.fmt(float(lo[0])), charts.fmt(float(hi[0]))}
    tables, text = [], []

    def collect(at, only_user_rows=False):
        for df in at.dataframe:
            d = pd.DataFrame(df.value)
            if only_user_rows:
                d = d[[("user-supplied" in str(i)) or ("disc" in str(i)) for i in d.index]]
            tables.append(d)
        text.append(texts(at))

    collect(at)
    goto(at, "map", measure=mid, year="2020")
    collect(at)
    goto(at, "map", measure=mid, year="2021")
    collect(at)
    goto(at, "trends", measure=mid, areas=",".join(NE[:6] + ["E08000011"]))
    collect(at)
    goto(at, "trends", measure=mid, view="regions")
    collect(at)
    goto(at, "north_south", measure=mid, year="2020", view="scatter")
    collect(at)
    goto(at, "north_south", measure=mid, year="2020", view="funnel")
    collect(at)
    for area in ("E06000001", "E06000005", "E08000011"):
        goto(at, "compare", area=area)
        collect(at, only_user_rows=True)
    downloads.clear()
    goto(at, "downloads", measures=mid, levels="la,region,england", **{"from": "2020", "to": "2021"})
    collect(at)
    csv = pd.read_csv(io.BytesIO(downloads["infant_care_atlas_extract.csv"]))
    tables.append(csv)
    readme = downloads["README_infant_care_atlas_extract.txt"].decode()
    text.append(readme)

    assert len(tables) >= 10
    for t in tables:
        for c in t.columns:
            col = t[c]
            if COUNT_COLS.match(str(c)):
                num = pd.to_numeric(col, errors="coerce").dropna()
                assert not ((num >= 1) & (num <= 4)).any(), (c, num[(num >= 1) & (num <= 4)])
            for x in col.tolist():
                if isinstance(x, (int, float, np.integer, np.floating)) and not pd.isna(x):
                    assert round(float(x), 6) not in secrets_num, (c, x)
                elif isinstance(x, str):
                    for s in secrets_txt:
                        assert not re.search(rf"(?<![\d.,]){re.escape(s)}(?![\d])", x), (c, x, s)
    alltext = "\n".join(text)
    for s in secrets_txt:
        assert not re.search(rf"(?<![\d.,]){re.escape(s)}(?![\d])", alltext), s
    # the CSV: no back-calculation from the totals in the file, no totals made up by the atlas
    assert (csv["official"] == False).all()  # noqa: E712
    assert set(csv.loc[csv["area_type"] != "la", "area_code"]) == {"E12000001", "E92000001"}
    assert set(csv.loc[csv["area_type"] != "la", "year"]) == {2020}
    c20 = csv[csv["year"] == 2020]
    ne = c20[c20["area_code"].isin(NE)]
    eng_units = pd.concat([c20[c20["area_code"] == "E12000001"],
                           c20[(c20["area_type"] == "la") & ~c20["area_code"].isin(NE)]])
    for members in (ne, eng_units, c20[c20["area_type"] == "la"]):
        assert members["numerator"].isna().sum() != 1
    # one note for every suppressed cell (primary and complementary are indistinguishable)
    assert csv.loc[csv["status"] == "suppressed", "note"].nunique() == 1
    assert math.isnan(csv.loc[(csv["area_code"] == "E08000011") & (csv["year"] == 2020), "numerator"].iloc[0])
