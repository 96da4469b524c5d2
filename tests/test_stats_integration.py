"""Integration: the statistics post step on the real warehouse built from the mirror."""
import pytest

from tests.conftest import FULL

pytestmark = pytest.mark.integration

SIG = {"higher", "similar", "lower", "not_compared"}


def test_ci_columns_added_after_contract_columns(con):
    cols = [r[0] for r in con.execute("DESCRIBE indicator_values").fetchall()]
    assert cols[:10] == ["measure_id", "area_code", "year", "period_label", "value", "numerator", "denominator",
                         "status", "note", "source_id"]
    assert set(cols[10:]) >= {"lower_95", "upper_95", "lower_998", "upper_998", "sig_england_95", "sig_england_998",
                              "sig_region_95", "sig_region_998"}


def test_every_la_rate_has_ci_and_significance(con):
    n, bad_ci, bad_sig, bad_order = con.execute("""
        SELECT count(*),
               count(*) FILTER (WHERE lower_95 IS NULL OR upper_998 IS NULL),
               count(*) FILTER (WHERE sig_england_95 NOT IN ('higher','similar','lower')
                                   OR sig_region_998 IS NULL
                                   OR (sig_region_998 = 'not_compared' AND EXISTS (
                                       SELECT 1 FROM indicator_values r WHERE r.measure_id = v.measure_id
                                       AND r.year = v.year AND r.area_code = a.region_code AND r.value IS NOT NULL))),
               count(*) FILTER (WHERE NOT (lower_998 <= lower_95 AND lower_95 <= value + 1e-9
                                           AND value <= upper_95 + 1e-9 AND upper_95 <= upper_998))
        FROM indicator_values v JOIN areas a USING (area_code) JOIN measures m USING (measure_id)
        WHERE a.area_type = 'la' AND a.country = 'England' AND m.value_type = 'rate'
          AND v.status IN ('ok', 'denominator_fallback') AND v.numerator IS NOT NULL AND v.denominator > 0"""
    ).fetchone()
    assert n > 2000 and bad_ci == 0 and bad_sig == 0 and bad_order == 0
    # non-rates have no CI and NULL flags; England is never compared with itself
    assert con.execute("SELECT count(*) FROM indicator_values WHERE measure_id IN ('live_births','imd2019_score', "
                       "'idaci2019_score') AND (lower_95 IS NOT NULL OR sig_england_95 IS NOT NULL)").fetchone()[0] == 0
    assert set(r[0] for r in con.execute(
        "SELECT DISTINCT sig_england_95 FROM indicator_values "
        "WHERE area_code='E92000001' AND measure_id='cla_starts_u1_rate'").fetchall()) \
        == {"not_compared"}


def test_significance_consistent_with_england_value(con):
    # an LA flagged 'higher' at 99.8% must have its lower 99.8% limit above England's rate that year
    bad = con.execute("""SELECT count(*) FROM indicator_values v
        JOIN indicator_values e ON e.measure_id = v.measure_id AND e.year = v.year AND e.area_code = 'E92000001'
        WHERE v.measure_id = 'cla_starts_u1_rate' AND ((v.sig_england_998 = 'higher' AND v.lower_998 <= e.value)
           OR (v.sig_england_998 = 'lower' AND v.upper_998 >= e.value)
           OR (v.sig_england_998 = 'similar' AND NOT (v.lower_998 <= e.value AND e.value <= v.upper_998)))"""
    ).fetchone()
    assert bad[0] == 0
    n_high = con.execute("SELECT count(*) FROM indicator_values WHERE measure_id='cla_starts_u1_rate' "
                         "AND sig_england_998='higher'").fetchone()[0]
    assert n_high > 100  # infant entry varies far more than chance


def test_funnels(con):
    pts = con.execute("SELECT count(*), count(DISTINCT year) FROM funnel_points "
                      "WHERE measure_id='cla_starts_u1_rate'").fetchone()
    assert pts[0] > (2000 if FULL else 400) and pts[1] == 15
    assert con.execute("SELECT count(*) FROM funnel_points WHERE flag_95 IS NULL OR flag_od_998 IS NULL"
                       ).fetchone()[0] == 0
    # over-dispersion widens the limits, so fewer LAs fall outside them
    out, out_od = con.execute("SELECT count(*) FILTER (WHERE flag_998 <> 'similar'), "
                              "count(*) FILTER (WHERE flag_od_998 <> 'similar') FROM funnel_points").fetchone()
    assert out_od < out
    phi = con.execute("SELECT min(phi), min(tau2) FROM funnel_params WHERE measure_id='cla_starts_u1_rate'").fetchone()
    assert phi[0] > 1 and phi[1] > 0
    lim = con.execute("SELECT denominator, lower_95, upper_95, upper_998, upper_998_od, target FROM funnel_limits "
                      "WHERE measure_id='cla_starts_u1_rate' AND year=2023 ORDER BY denominator").fetchall()
    assert lim[0][2] > lim[-1][2] > lim[-1][5] > lim[-1][1]  # narrows with the denominator, around the target
    assert all(r[4] >= r[3] - 1e-9 for r in lim)


def test_trends_respect_reorganisations(con):
    r = con.execute("SELECT first_year, last_year, n_years, direction FROM trends "
                    "WHERE measure_id='cla_starts_u1_rate' AND area_code='E06000059'").fetchone()
    assert r[0] == 2020 and r[1] == 2025 and r[2] == 6  # Dorset unitary exists from April 2019
    r = con.execute("SELECT last_year FROM trends WHERE area_code='E10000021' AND measure_id='cla_starts_u1_rate'"
                    ).fetchone()
    assert r[0] <= 2021  # Northamptonshire ends with its abolition
    assert con.execute("SELECT count(*) FROM trends WHERE direction NOT IN "
                       "('increasing','decreasing','no_change','not_tested')").fetchone()[0] == 0


@pytest.mark.real_data("the real deprivation gradient in infant care entry")
def test_deprivation_gradient_and_sii(con):
    d1, d10 = con.execute("""SELECT sum(numerator) FILTER (WHERE decile=1) / sum(denominator) FILTER (WHERE decile=1),
                                    sum(numerator) FILTER (WHERE decile=10) / sum(denominator) FILTER (WHERE decile=10)
                             FROM deprivation_gradient WHERE measure_id='cla_starts_u1_rate'""").fetchone()
    assert d1 > 1.5 * d10
    rows = con.execute("SELECT sii, sii_lower, sii_upper, rii FROM inequality_indices "
                       "WHERE measure_id='cla_starts_u1_rate' AND imd_edition='IoD2019'").fetchall()
    assert len(rows) == 15 and all(r[1] > 0 and r[1] < r[0] < r[2] and r[3] > 0 for r in rows)


@pytest.mark.real_data("the real north-south and IMD associations")
def test_imd_coefficient_positive_and_northing_partly_explained(con):
    rows = con.execute("SELECT family, coef, ci_lower FROM ns_models WHERE period='2014-2024' "
                       "AND term='imd2019_score_per_point'").fetchall()
    assert len(rows) >= 4 and all(r[1] > 1 and r[2] > 1 for r in rows)  # models b, c (+ d) x 2 families
    s = con.execute("SELECT northing_rr_unadjusted, northing_rr_adjusted, share_explained, text FROM ns_summary "
                    "WHERE period='2014-2024'").fetchone()
    assert s[0] > s[1] > 1 and 0 < s[2] < 1 and "after accounting for deprivation" in s[3]
    e = con.execute("SELECT count(*), sum(observed) / sum(expected) FROM ns_expected WHERE period='2014-2024'"
                    ).fetchone()
    assert e[0] > 140 and e[1] == pytest.approx(1, abs=0.1)


def test_statistical_neighbours(con):
    rows = con.execute("""SELECT area_code, count(*), count(DISTINCT neighbour_code),
                                 count(*) FILTER (WHERE neighbour_code = area_code)
                          FROM stat_neighbours GROUP BY 1""").fetchall()
    assert len(rows) >= (150 if FULL else 30)
    assert all(r[1] == 10 and r[2] == 10 and r[3] == 0 for r in rows)
    current = {r[0] for r in con.execute("SELECT area_code FROM areas WHERE area_type='la' AND country='England' "
                                         "AND valid_to IS NULL").fetchall()}
    assert {r[0] for r in rows} <= current
    assert con.execute("SELECT count(*) FROM stat_neighbour_variables").fetchone()[0] >= 4


def _model_d_frame_2016(con, latest: bool):
    """Independently of the pipeline: 2015/16 LA rows with northing, IMD 2019 score and an MBU distance that is either
    the one of 2016 (units open at 31 March 2016) or each code's latest."""
    dist = ("SELECT area_code, arg_max(value, year) AS km FROM indicator_values WHERE measure_id = 'mbu_distance_km' "
            "AND value IS NOT NULL GROUP BY 1" if latest else
            "SELECT area_code, value AS km FROM indicator_values WHERE measure_id = 'mbu_distance_km' AND year = 2016 "
            "AND value IS NOT NULL")
    return con.execute(f"""
        SELECT c.numerator AS y, c.denominator AS births, g.north_south_km / 100 AS north, i.value AS imd,
               m.km / 10 AS mbu
        FROM indicator_values c JOIN areas a USING (area_code) JOIN la_geo g USING (area_code)
        JOIN indicator_values i ON i.measure_id = 'imd2019_score' AND i.area_code = c.area_code
        JOIN ({dist}) m ON m.area_code = c.area_code
        WHERE c.measure_id = 'cla_starts_u1_rate' AND c.year = 2016 AND c.status IN ('ok', 'denominator_fallback')
          AND c.numerator IS NOT NULL AND c.denominator > 0 AND a.area_type = 'la' AND a.country = 'England'""").df()


def _nb_mbu_rr(d) -> float:
    import warnings

    import numpy as np
    import statsmodels.api as sm
    X = sm.add_constant(d[["north", "imd", "mbu"]].astype(float))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        r = sm.NegativeBinomial(d["y"].astype(float), X, offset=np.log(d["births"].astype(float)),
                                loglike_method="nb2").fit(disp=0, maxiter=200)
    return float(np.exp(r.params["mbu"]))


@pytest.mark.real_data("model (d) of 2015/16 on the real distances of 2016")
def test_model_d_2016_uses_the_distances_of_2016(con):
    row = con.execute("SELECT coef, ci_lower, ci_upper, n, n_areas FROM ns_models WHERE period = '2016' "
                      "AND model = 'd_services' AND term = 'mbu_distance_per_10km' AND family = 'negative_binomial'"
                      ).fetchone()
    matched, latest = _model_d_frame_2016(con, False), _model_d_frame_2016(con, True)
    assert row[3] == row[4] == len(matched) == 144  # every 2015/16 LA row has a 2016 distance
    assert row[0] == pytest.approx(_nb_mbu_rr(matched), rel=1e-4)
    assert row[0] == pytest.approx(1.0578, abs=5e-4)  # this build: 1.058 (95% CI 1.041-1.075) per 10 km
    # the latest distances (units opened in 2018-19: Exeter, Dartford, Chorley, Norwich) give another slope, 1.069
    assert _nb_mbu_rr(latest) == pytest.approx(1.0689, abs=5e-4)
    assert abs(_nb_mbu_rr(latest) - row[0]) > 0.01
    # from 2019 every unit counted in 2025 was open, so the latest year's model (d) is the same either way
    same = con.execute("SELECT count(*) FROM indicator_values a JOIN indicator_values b USING (measure_id, area_code) "
                       "WHERE measure_id = 'mbu_distance_km' AND a.year = 2019 AND b.year = 2025 "
                       "AND a.value <> b.value").fetchone()[0]
    assert same == 0
