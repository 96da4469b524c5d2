"""Deciles are whole deciles (never averages) and the decile gradient / SII / RII intervals allow for over-dispersion
(quasi-Poisson scaling by the Pearson phi of the one-rate-per-decile fit). Known answers on small constructed data."""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from pipeline import stats as S
from pipeline.post.stats import covariates as P


def test_decile_dispersion_known_answer():
    # decile A: two LAs with 10/100 and 30/100 -> rate 0.2, expected 20 each, X^2 = 100/20 + 100/20 = 10
    # decile B: two LAs with 5/50 each -> X^2 = 0.  N - G = 4 - 2 = 2  ->  phi = 10 / 2 = 5
    phi = S.decile_dispersion([10, 30, 5, 5], [100, 100, 50, 50], ["A", "A", "B", "B"])
    assert phi == pytest.approx(5.0)
    # no extra variation -> floored at 1 (no credit for under-dispersion)
    assert S.decile_dispersion([10, 10, 5, 5], [100, 100, 50, 50], [1, 1, 2, 2]) == 1.0
    # binomial variance n p (1 - p): decile A p = 0.2, V = 100 * 0.2 * 0.8 = 16 -> X^2 = 2 * 100 / 16 = 12.5
    assert S.decile_dispersion([10, 30, 5, 5], [100, 100, 50, 50], ["A", "A", "B", "B"], "binomial") == \
        pytest.approx(12.5 / 2)


def test_scale_interval_known_answer():
    lo, hi = S.scale_interval([100.0, 10.0], [90.0, 4.0], [112.0, 17.0], [4.0, 9.0])
    assert list(lo) == [80.0, 0.0] and list(hi) == [124.0, 31.0]  # sqrt(4) = 2, sqrt(9) = 3, floored at 0
    lo, hi = S.scale_interval(100.0, 90.0, 112.0, 0.5)  # phi < 1 never narrows
    assert (float(lo), float(hi)) == (90.0, 112.0)


def test_sii_interval_widens_by_sqrt_phi():
    o = np.array([40, 55, 60, 80, 95, 120, 130, 150, 170, 210], dtype=float)
    n = np.array([10000, 9800, 10200, 9900, 10100, 10000, 9700, 10300, 9900, 10100], dtype=float)
    base = S.sii_rii(o, n, 10000)
    wide = S.sii_rii(o, n, 10000, phi=4.0)
    assert wide["sii"] == base["sii"] and wide["rii"] == base["rii"]
    # the slope is linear in the numerators: the interval is exactly sqrt(4) = 2 times as wide on each side
    assert wide["sii_upper"] - wide["sii"] == pytest.approx(2 * (base["sii_upper"] - base["sii"]))
    assert wide["sii"] - wide["sii_lower"] == pytest.approx(2 * (base["sii"] - base["sii_lower"]))
    assert wide["rii_upper"] - wide["rii_lower"] == pytest.approx(2 * (base["rii_upper"] - base["rii_lower"]), rel=0.05)


SUCC = pd.DataFrame([
    ("OLD_CTY", "NEW_A", "split", True),   # county split into A + B (additive: they make it up exactly)
    ("OLD_CTY", "NEW_B", "split", True),
    ("DORSET", "NEW_C", "split", False),    # split, one part merged with other areas: not additive
    ("DORSET", "NEW_D", "split", False),
    ("REC_OLD", "REC_NEW", "recode", True),
], columns=["old_code", "new_code", "change_type", "additive"])


def test_split_county_gets_a_whole_decile_from_its_population_weighted_score():
    scores = {f"L{i}": 40 - 2 * i for i in range(20)}  # L0 most deprived ... L19 least
    deciles = {f"L{i}": i // 2 + 1 for i in range(20)}
    scores.update(NEW_A=31.0, NEW_B=21.0, NEW_C=10.0, NEW_D=12.0, REC_OLD=25.0)
    deciles.update(NEW_A=5, NEW_B=10, NEW_C=10, NEW_D=10, REC_OLD=8)
    weights = {"NEW_A": 300.0, "NEW_B": 100.0}
    out, excluded = P.extend_deciles(deciles, scores, SUCC, weights)
    # weighted score (31 x 300 + 21 x 100) / 400 = 28.5 -> between L5 (30, decile 3) and L6 (28, decile 4): decile 4
    # (the mean of the deciles, 7.5, is not a decile)
    assert out["OLD_CTY"] == 4 and isinstance(out["OLD_CTY"], int)
    assert "DORSET" not in out and excluded == {"DORSET"}
    assert out["REC_NEW"] == 8
    assert all(float(v).is_integer() and 1 <= v <= 10 for v in out.values())


def test_decile_of_score_uses_the_editions_cut_points():
    scores = {"a": 50.0, "b": 40.0, "c": 30.0, "d": 20.0}
    deciles = {"a": 1, "b": 4, "c": 7, "d": 10}
    assert P.decile_of_score(45.0, scores, deciles) == 4
    assert P.decile_of_score(50.0, scores, deciles) == 1
    assert P.decile_of_score(19.0, scores, deciles) == 10
    assert all(P.decile_of_score(scores[c], scores, deciles) == deciles[c] for c in scores)


def test_imd_deciles_never_average():
    iv = pd.DataFrame([("imd2025_decile", c, 2025, float(d), "ok") for c, d in
                       [("NEW_A", 5), ("NEW_B", 7), ("X1", 1), ("X2", 6), ("X3", 10)]]
                      + [("imd2025_score", c, 2025, s, "ok") for c, s in
                         [("NEW_A", 20.0), ("NEW_B", 16.0), ("X1", 40.0), ("X2", 18.5), ("X3", 8.0)]],
                      columns=["measure_id", "area_code", "year", "value", "status"])
    out = P.imd_deciles(iv, SUCC, {"NEW_A": 1.0, "NEW_B": 1.0})["IoD2025"]
    # score 18 -> below X2's 18.5 (decile 6), at/above NEW_B's 16 (decile 7): decile 7, not (5 + 7) / 2 = 6
    assert out["OLD_CTY"] == 7


@pytest.mark.integration
def test_warehouse_deciles_integer_and_intervals_widened(con):
    assert con.execute("SELECT count(*) FROM deprivation_gradient WHERE decile <> round(decile) OR decile NOT "
                       "BETWEEN 1 AND 10").fetchone()[0] == 0
    assert con.execute("SELECT max(n_deciles) FROM inequality_indices").fetchone()[0] <= 10
    bad = con.execute("""SELECT g.measure_id, g.year, g.imd_edition, count(DISTINCT g.decile), i.n_deciles
                         FROM deprivation_gradient g JOIN inequality_indices i USING (measure_id, year, imd_edition,
                         period_label) GROUP BY ALL HAVING count(DISTINCT g.decile) <> i.n_deciles""").fetchall()
    assert bad == []
    r = con.execute("""SELECT phi, sii_lower, sii_upper, sii_lower_poisson, sii_upper_poisson FROM inequality_indices
                       WHERE measure_id='cla_starts_u1_rate' AND year=2024 AND imd_edition='IoD2025'""").fetchone()
    assert r[0] > 2  # LAs vary well beyond Poisson within deciles
    assert r[2] - r[1] == pytest.approx((r[4] - r[3]) * r[0] ** 0.5, rel=1e-6)
    g = con.execute("""SELECT count(*) FILTER (WHERE upper_95 - lower_95 < upper_95_poisson - lower_95_poisson - 1e-9)
                       FROM deprivation_gradient""").fetchone()[0]
    assert g == 0
