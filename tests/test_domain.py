"""Domain rules written once in pipeline/domain.py."""
from __future__ import annotations

import datetime as dt

import numpy as np
import pandas as pd
import pytest

from pipeline import domain as D
from pipeline.errors import ValidationError


def test_in_force_uses_1_april_before_the_dfe_year_with_any_date_type():
    start, end = dt.date(2019, 4, 1), dt.date(2023, 3, 31)
    for vf, vt in ((start, end), (pd.Timestamp(start), pd.Timestamp(end)), (np.datetime64(start), np.datetime64(end))):
        assert not D.in_force(vf, vt, 2019)          # 1 April 2018: before the code existed
        assert D.in_force(vf, vt, 2020) and D.in_force(vf, vt, 2023)
        assert not D.in_force(vf, vt, 2024)          # 1 April 2023: replaced
    assert D.in_force(None, pd.NaT, 2011) and D.in_force(float("nan"), None, 2025)
    sql, params = D.in_force_sql(2020, "a")
    assert sql == "(a.valid_from IS NULL OR a.valid_from <= ?) AND (a.valid_to IS NULL OR a.valid_to >= ?)"
    assert params == [dt.date(2019, 4, 1)] * 2


def test_in_force_on_a_date_is_the_same_rule_with_any_reference_day():
    start, end = dt.date(2019, 4, 1), dt.date(2023, 3, 31)
    assert D.in_force_on(start, end, dt.date(2019, 7, 1))       # 1 July (calendar-year figures)
    assert D.in_force_on(start, end, start) and D.in_force_on(start, end, end)  # both ends included
    assert not D.in_force_on(start, end, dt.date(2019, 3, 31)) and not D.in_force_on(start, end, dt.date(2023, 4, 1))
    assert D.in_force_on(None, pd.NaT, dt.date(2000, 1, 1))
    for y in range(2018, 2026):
        assert D.in_force(start, end, y) == D.in_force_on(start, end, D.fy_start(y))


def test_carried_forward_only_to_codes_without_their_own_value():
    succ = pd.DataFrame({"old_code": ["A", "A", "B"], "new_code": ["X", "Y", "Z"]})
    assert [(s.old_code, s.new_code) for s in D.carried_forward({"A", "Y"}, succ)] == [("A", "X")]
    assert D.successor_map(succ) == {"A": ["X", "Y"], "B": ["Z"]}


def test_rate_with_status_keeps_reasons_and_never_invents_a_value():
    counts = pd.DataFrame({"value": [5.0, np.nan, 3.0, 2.0], "status": ["ok", "suppressed", "ok", "ok"],
                           "note": [None, "c: small", "n", None]})
    r = D.rate_with_status(counts, [1000, 1000, None, 400], 10000,
                           den_status=["ok", None, None, "denominator_fallback"],
                           den_note=[None, None, None, "fallback births"], missing_note="no denominator")
    assert r["value"].tolist()[0] == 50.0 and np.isnan(r["value"].iloc[1]) and np.isnan(r["value"].iloc[2])
    assert r["value"].iloc[3] == 50.0
    assert r["status"].tolist() == ["ok", "suppressed", "not_available", "denominator_fallback"]
    assert r["note"].tolist() == [None, "c: small", "n; no denominator", "fallback births"]
    assert np.isnan(r["numerator"].iloc[1]) and r["numerator"].iloc[2] == 3.0 and np.isnan(r["denominator"].iloc[2])
    rep = D.rate_with_status(counts.iloc[[2]], [0], 100, missing_note="total missing", replace_note_when_missing=True)
    assert rep["note"].tolist() == ["total missing"] and rep["status"].tolist() == ["not_available"]


def test_ci_by_value_type():
    lo, hi = D.ci("rate", 10, 1, 1, 0.95)
    assert (round(lo, 2), round(hi, 2)) == (4.79, 18.39)
    lo, hi = D.ci("proportion", 5, 20, 1, 0.95)
    assert (round(lo, 4), round(hi, 4)) == (0.1119, 0.4687)
    with pytest.raises(ValueError, match="count"):
        D.ci("count", 1, 2, 1)


def test_multipliers_come_from_the_registry():
    assert D.multiplier("cla_starts_u1_rate") == 10000.0
    assert D.multiplier("cla_starts_ico_share") == 100.0


def test_build_check_names_the_measure_area_and_year_of_a_wrong_rate():
    measures = [dict(measure_id="r", value_type="rate", multiplier=10000), dict(measure_id="c", value_type="count",
                                                                               multiplier=1)]
    iv = pd.DataFrame({"measure_id": ["r", "r", "c"], "area_code": ["E06000001", "E06000002", "E06000001"],
                       "year": [2020, 2021, 2020], "value": [50.0, 51.0, 7.0], "numerator": [5.0, 5.0, np.nan],
                       "denominator": [1000.0, 1000.0, np.nan]})
    D.check_rates(iv.iloc[[0, 2]], measures)
    with pytest.raises(ValidationError,
                       match=r"r E06000002 2021: value 51 is not numerator / denominator x multiplier"):
        D.check_rates(iv, measures)
