"""North-south model (d): the distance to a mother and baby unit is the one of the row's own year (units open at
31 March of the DfE year), carried across LA recodes within that year only."""
import math
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import pytest

from pipeline.context import BuildContext
from pipeline.post.stats.covariates import extend_by_successors_per_year, measure_by_code_year
from pipeline.post.stats.north_south import write_north_south

RR_PER_10KM = 1.10  # planted rate ratio per 10 km further from the nearest open unit
N_LA = 60


def _frame(years=(2018, 2019), seed=4):
    """LAs whose nearest unit is 50 km nearer from 2019 for every other LA (a unit opens during 2018-19); the rate
    depends on the distance of the same year."""
    rng = np.random.default_rng(seed)
    codes = [f"E0600{i:04d}" for i in range(N_LA)]
    north = rng.uniform(0, 600, N_LA)  # km
    imd = rng.uniform(5, 45, N_LA)
    d2019 = rng.uniform(5, 80, N_LA)
    dist = {2018: d2019 + np.where(np.arange(N_LA) % 2 == 0, 50.0, 0.0), 2019: d2019}
    rows = []
    for y in years:
        births = rng.uniform(3000, 15000, N_LA)
        mu = births * 0.004 * 1.15 ** (north / 100) * 1.03 ** imd * RR_PER_10KM ** (dist.get(y, d2019) / 10)
        n = rng.poisson(mu * rng.gamma(400, 1 / 400, N_LA))
        rows += [dict(measure_id="cla_starts_u1_rate", area_code=c, year=y, value=k / b * 1e4, numerator=k,
                      denominator=b, status="ok") for c, k, b in zip(codes, n, births)]
        if y in dist:
            rows += [dict(measure_id="mbu_distance_km", area_code=c, year=y, value=v, numerator=np.nan,
                          denominator=np.nan, status="ok") for c, v in zip(codes, dist[y])]
    rows += [dict(measure_id="imd2019_score", area_code=c, year=2019, value=v, numerator=np.nan, denominator=np.nan,
                  status="ok") for c, v in zip(codes, imd)]
    iv = pd.DataFrame(rows)
    areas = pd.DataFrame({"area_code": codes, "area_type": "la", "country": "England"})
    geo = pd.DataFrame({"area_code": codes, "north_south_km": north})
    return iv, areas, geo


def _run(iv, areas, geo, succ=None):
    con = duckdb.connect()
    con.register("_geo", geo)
    con.execute("CREATE TABLE la_geo AS SELECT * FROM _geo")
    ctx = BuildContext(con=con, raw=Path("."), sources={})
    succ = succ if succ is not None else pd.DataFrame(columns=["old_code", "new_code", "change_type", "additive"])
    write_north_south(ctx, iv, areas, succ)
    return con.execute("SELECT * FROM ns_models WHERE family = 'negative_binomial'").df(), ctx.warnings


def _mbu(m, period):
    r = m[(m["period"] == period) & (m["model"] == "d_services") & (m["term"] == "mbu_distance_per_10km")]
    assert len(r) == 1
    return r.iloc[0]


def test_model_d_uses_the_distance_of_the_same_year():
    m, warnings = _run(*_frame())
    assert not warnings
    for period in ("2018", "2019", "2014-2024"):
        r = _mbu(m, period)
        assert r["coef"] == pytest.approx(RR_PER_10KM, abs=0.01), period
        assert r["ci_lower"] < RR_PER_10KM < r["ci_upper"]
        assert r["n_areas"] == N_LA
    assert _mbu(m, "2014-2024")["n"] == 2 * N_LA


def test_year_without_a_distance_has_no_model_d_and_no_warning():
    iv, areas, geo = _frame(years=(2017, 2018, 2019))
    iv = iv[~((iv["measure_id"] == "mbu_distance_km") & (iv["year"] == 2017))]
    m, warnings = _run(iv, areas, geo)
    assert not warnings
    assert set(m.loc[m["period"] == "2017", "model"]) == {"a_northing", "b_imd", "c_both"}
    pooled = _mbu(m, "2014-2024")
    assert pooled["n"] == 2 * N_LA  # the pooled model (d) leaves out the LA-years without a distance
    assert m.loc[(m["period"] == "2014-2024") & (m["model"] == "c_both"), "n"].iloc[0] == 3 * N_LA


def test_recoded_la_takes_the_distance_of_its_predecessor_in_the_same_year():
    iv, areas, geo = _frame()
    old, new = "E0600NEW0", "E06000000"  # the care rows are on the new code; the distance only on the old one
    mbu = iv["measure_id"] == "mbu_distance_km"
    iv.loc[mbu & (iv["area_code"] == new), "area_code"] = old
    succ = pd.DataFrame([dict(old_code=old, new_code=new, change_type="recode", additive=True)])
    m, _ = _run(iv, areas, geo, succ)
    assert _mbu(m, "2018")["n_areas"] == N_LA and _mbu(m, "2014-2024")["n"] == 2 * N_LA


def test_extend_by_successors_per_year_never_crosses_years():
    vals = {("OLD", 2018): 10.0, ("OLD", 2019): 20.0, ("A", 2019): 4.0, ("B", 2019): 8.0}
    succ = pd.DataFrame([dict(old_code="OLD", new_code="NEW", change_type="recode", additive=True),
                         dict(old_code="CTY", new_code="A", change_type="split", additive=True),
                         dict(old_code="CTY", new_code="B", change_type="split", additive=True)])
    out = extend_by_successors_per_year(vals, succ)
    assert out[("NEW", 2018)] == 10.0 and out[("NEW", 2019)] == 20.0
    assert out[("CTY", 2019)] == 6.0 and ("CTY", 2018) not in out and ("A", 2018) not in out


def test_measure_by_code_year_keeps_each_year_and_drops_suppressed():
    iv = pd.DataFrame([dict(measure_id="mbu_distance_km", area_code="X", year=2018, value=70.0, status="ok"),
                       dict(measure_id="mbu_distance_km", area_code="X", year=2019, value=20.0, status="ok"),
                       dict(measure_id="mbu_distance_km", area_code="Y", year=2019, value=math.nan,
                            status="suppressed")])
    assert measure_by_code_year(iv, "mbu_distance_km") == {("X", 2018): 70.0, ("X", 2019): 20.0}
