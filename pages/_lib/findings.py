"""Key findings: the answer up front for one measure and year, in plain language.

Highest and lowest areas (with 95% confidence intervals), England, the range across regions, and - for the measure
the north-south models are fitted to - the north-south rate ratio per 100 km and the share of it explained by
deprivation, for the selected year first and the pooled period second. Every figure comes from the warehouse
(indicator_values, ns_summary); nothing is computed here beyond choosing and wording.
"""
from __future__ import annotations

import pandas as pd

from . import data, denominators, fmt, map_view

# the measure of the north-south models: pipeline.post.stats.NS_MEASURE (not imported: the statistics module pulls
# in the model libraries; tests/test_findings.py checks the two agree)
NS_MEASURE = "cla_starts_u1_rate"
N_NAMED = 3


def _area(r, d: int, unit: str) -> str:
    s = f"{r['area_name']} {fmt.num(r['value'], d)}"
    c = fmt.ci(r.get("lower_95"), r.get("upper_95"), d)
    return s + (f" (95% CI {c})" if c else "")


def _ns_period_label(period: str, mid: str) -> str:
    if "-" in period:
        a, b = period.split("-", 1)
        return f"{data.period_label(mid, int(a))} to {data.period_label(mid, int(b))} pooled"
    return data.period_label(mid, int(period))


def _share_phrase(share) -> str:
    if fmt.missing(share):
        return ""
    if 0 <= share <= 1:
        return f"deprivation (IMD 2019) accounts for about **{share * 100:.0f}%** of it"
    if share > 1:
        return "once deprivation (IMD 2019) is accounted for, the gradient reverses"
    return "accounting for deprivation (IMD 2019) steepens rather than explains it"


def north_south_lines(mid: str, year: int) -> list[str]:
    """The north-south rate ratio and share explained by deprivation: selected year, then the pooled period."""
    if mid != NS_MEASURE:
        name = data.measure(NS_MEASURE).get("short_title", NS_MEASURE)
        return [f"**North–south and deprivation:** modelled for *{name}* only (see the North–south page)."]
    sm = data.ns_summary()
    if sm is None or sm.empty:
        return []
    out = []
    this = sm[sm["period"] == str(int(year))]
    pooled = sm[sm["period"].str.contains("-")]
    for label, rows in (("this year", this), ("pooled", pooled)):
        if rows.empty:
            continue
        r = rows.iloc[0]
        rr, lo, hi = r["northing_rr_unadjusted"], r["unadjusted_lower"], r["unadjusted_upper"]
        when = _ns_period_label(str(r["period"]), mid)
        pct = (rr - 1) * 100
        direction = "higher" if rr >= 1 else "lower"
        s = (f"each 100 km further north, the rate is **{rr:.2f} times** ({abs(pct):.0f}% {direction}; 95% CI "
             f"{lo:.2f}–{hi:.2f})")
        sh = _share_phrase(r["share_explained"])
        if label == "this year":
            out.append(f"**North–south, {when}:** {s}; {sh}." if sh else f"**North–south, {when}:** {s}.")
        else:
            short = f"{rr:.2f} per 100 km" + (f", about {r['share_explained'] * 100:.0f}% explained by deprivation"
                                               if 0 <= r["share_explained"] <= 1 else "")
            out.append(f"**{when[0].upper()}{when[1:]}:** {short}.")
    if this.empty and len(pooled):
        out.insert(0, f"No north–south model for {data.period_label(mid, year)} (too few areas with a value).")
    return out


def key_findings(mid: str, year: int) -> tuple[str, list[str]]:
    """(heading, markdown bullet lines) for the measure and year."""
    meta = data.measure(mid)
    d = fmt.decimals(meta)
    unit = meta.get("unit", "")
    period = data.period_label(mid, year)
    heading = f"Key findings: {meta.get('short_title', mid)}, {period}"
    level = map_view.level_of(meta)
    df = data.values(mid, year, level)
    ok = df[df["value"].notna()].sort_values("value", ascending=False)
    what = map_view.level_words(level)
    lines = []
    if ok.empty:
        return heading, [f"No {what} have a published value for {period}."]
    n = min(N_NAMED, max(1, len(ok) // 2))
    hi = "; ".join(_area(r, d, unit) for _, r in ok.head(n).iterrows())
    lo = "; ".join(_area(r, d, unit) for _, r in ok.tail(n).iloc[::-1].iterrows())
    lines.append(f"**Highest:** {hi}.")
    lines.append(f"**Lowest:** {lo}.")
    eng = data.values(mid, year, "england")
    eng_txt = ""
    if len(eng) and not fmt.missing(eng["value"].iloc[0]):
        e = eng.iloc[0]
        c = fmt.ci(e.get("lower_95"), e.get("upper_95"), d)
        eng_txt = f"**England:** {fmt.num(e['value'], d)}" + (f" (95% CI {c})" if c else "")
    elif data.is_user(mid):
        comp, val = data.user_comparator(mid, year)
        if comp and val is not None:
            eng_txt = f"**{comp}:** {fmt.num(val, d)}"
    if level == "la":
        reg = data.values(mid, year, "region")
        reg = reg[reg["value"].notna()].sort_values("value")
        if len(reg) > 1:
            rl, rh = reg.iloc[0], reg.iloc[-1]
            eng_txt += ("; " if eng_txt else "") + (
                f"**regions** range from {fmt.num(rl['value'], d)} ({rl['area_name']}) to "
                f"{fmt.num(rh['value'], d)} ({rh['area_name']})")
    if eng_txt:
        lines.append(eng_txt + ".")
    if "sig_england_95" in ok and ok["sig_england_95"].isin(["higher", "lower"]).any():
        c = ok["sig_england_95"].value_counts()
        lines.append(f"Compared with England (95% CI): **{c.get('higher', 0)}** {what} higher, "
                     f"{c.get('similar', 0)} similar, **{c.get('lower', 0)}** lower.")
    if level == "la" and not data.is_user(mid):
        lines += north_south_lines(mid, year)
    n_miss = int(df["value"].isna().sum())
    # a rate whose denominator is not live births of the year before says so, in the map caption's words
    tail = denominators.note(df) or (f"Values are {unit}." if unit else "")
    if n_miss:
        tail += f" {n_miss} {what} have no published value (suppressed or not available)."
    if tail:
        lines.append(tail.strip())
    return heading, lines


def show(container, mid: str, year: int | None) -> None:
    """Render the key-findings box into `container` (a placeholder created at the top of the page)."""
    if year is None or not mid:
        return
    heading, lines = key_findings(mid, int(year))
    box = container.container(border=True, key="key_findings")
    box.markdown(f"**{heading}**")
    box.markdown("\n".join(f"- {x}" for x in lines))


# ---------------------------------------------------------------------------------------------------------------
# the north-south models in words (never a raw coefficient table)
MODELS = {"a_northing": "Distance north only", "b_imd": "Deprivation only", "c_both": "Distance north + deprivation",
          "d_services": "Distance north + deprivation + distance to the nearest mother and baby unit open that year"}
TERMS = {"northing_per_100km": "per 100 km further north", "imd2019_score_per_point": "per IMD 2019 score point",
         "mbu_distance_per_10km": "per 10 km further from the nearest open mother and baby unit"}
FAMILY = {"negative_binomial": "negative binomial (main)", "poisson": "Poisson (for comparison)"}


def period_text(period: str, mid: str = NS_MEASURE) -> str:
    return _ns_period_label(str(period), mid)


def model_table(mm: pd.DataFrame, periods: list[str] | None = None, main_only: bool = True) -> pd.DataFrame:
    """The model coefficients as people read them: model, factor, rate ratio with its 95% CI and in words."""
    d = mm if periods is None else mm[mm["period"].astype(str).isin([str(p) for p in periods])]
    if main_only:
        d = d[d["family"] == "negative_binomial"]
    rows = []
    for r in d.itertuples():
        pct = (r.coef - 1) * 100
        words = (f"{abs(pct):.1f}% {'higher' if pct >= 0 else 'lower'} {TERMS.get(r.term, r.term)}"
                 + ("" if r.ci_lower > 1 or r.ci_upper < 1 else " (could be chance: the interval includes 1)"))
        rows.append({"Period": period_text(r.period), "Model": MODELS.get(r.model, r.model),
                     "Factor": TERMS.get(r.term, r.term), "Rate ratio": f"{r.coef:.3f}",
                     "95% CI": f"{r.ci_lower:.3f}–{r.ci_upper:.3f}", "In words": words,
                     "Model type": FAMILY.get(r.family, r.family), "Areas": f"{int(r.n_areas)}"})
    return pd.DataFrame(rows)


def summary_paragraph(r) -> str:
    """One period of ns_summary in words (selected year or pooled)."""
    when = period_text(str(r.period))
    s = (f"**{when[0].upper()}{when[1:]}.** Per 100 km further north the rate is multiplied by "
         f"{r.northing_rr_unadjusted:.2f} (95% CI {r.unadjusted_lower:.2f}–{r.unadjusted_upper:.2f}) before and "
         f"{r.northing_rr_adjusted:.2f} (95% CI {r.adjusted_lower:.2f}–{r.adjusted_upper:.2f}) after accounting for "
         "deprivation")
    sh = _share_phrase(r.share_explained)
    return s + (f"; {sh}." if sh else ".")


def last_year(period: str) -> int:
    """The last data year of an ns_summary / ns_expected period ('2024' or '2014-2023')."""
    return int(str(period).split("-")[-1])


def oe_frame(oe: pd.DataFrame) -> pd.DataFrame:
    """ns_expected rows in the shape of a map frame (value = observed / expected)."""
    return oe.rename(columns={"oe_ratio": "value", "oe_lower_95": "lower_95", "oe_upper_95": "upper_95",
                              "observed": "numerator"}).assign(status="ok")


def oe_table(oe: pd.DataFrame) -> pd.DataFrame:
    d = oe.sort_values("oe_ratio", ascending=False)
    return fmt.frame(d[["area_name", "area_code", "observed", "expected", "oe_ratio", "oe_lower_95", "oe_upper_95"]],
                     {"observed": 0, "expected": 1, "oe_ratio": 2}, {"95% CI": ("oe_lower_95", "oe_upper_95", 2)}
                     ).rename(columns={"area_name": "Area", "area_code": "Code", "observed": "Observed",
                                       "expected": "Expected", "oe_ratio": "Observed / expected"})


def trend_lines(t: pd.DataFrame, names: dict) -> list[str]:
    """Rows of the `trends` table in words: 'Hartlepool: rising 6% a year (95% CI +4% to +8% a year), 2013 to
    2025 (from 71.9 to 114.3)'."""
    out = []
    for r in t.itertuples():
        s = fmt.trend_sentence(r.rate_ratio_per_year, r.rr_lower, r.rr_upper, bool(r.significant)
                               if not fmt.missing(r.significant) else None, r.first_year, r.last_year)
        ends = ""
        if not fmt.missing(r.first_value) and not fmt.missing(r.last_value):
            ends = f" (from {fmt.num(r.first_value, 1)} to {fmt.num(r.last_value, 1)})"
        out.append(f"**{names.get(r.area_code, r.area_code)}:** {s}{ends}.")
    return out


# ---------------------------------------------------------------------------------------------------------------
# the North-south page's table alternatives, formatted (no ids, no raw statistics)
FLAG_WORDS = {"high": "above the upper limit", "higher": "above the upper limit", "low": "below the lower limit",
              "lower": "below the lower limit"}


def _flag(f) -> str:
    return FLAG_WORDS.get(str(f).lower(), "within the limits") if not fmt.missing(f) else ""


def scatter_table(sd: pd.DataFrame, meta: dict) -> pd.DataFrame:
    d = fmt.decimals(meta)
    cols = {"area_name": "Area", "area_code": "Code", "region_name": "Region",
            "value": f"Value ({meta.get('unit', '')})", "numerator": "Count", "births": "Live births",
            "north_south_km": "km north", "imd_score": "IMD 2019 score"}
    t = sd[[c for c in cols if c in sd]]
    return fmt.frame(t, {"value": d, "numerator": 0, "births": 0, "north_south_km": 0, "imd_score": 1}).rename(
        columns=cols)


def decile_table(dg: pd.DataFrame, meta: dict) -> pd.DataFrame:
    d = fmt.decimals(meta)
    t = dg[["decile", "n_areas", "numerator", "denominator", "rate", "lower_95", "upper_95"]]
    return fmt.frame(t, {"decile": 0, "n_areas": 0, "numerator": 0, "denominator": 0, "rate": d},
                     {"95% CI": ("lower_95", "upper_95", d)}).rename(columns={
        "decile": "IMD decile (1 = most deprived)", "n_areas": "Local authorities", "numerator": "Count",
        "denominator": "Denominator", "rate": f"Rate ({meta.get('unit', '')})"})


def funnel_target(par: pd.DataFrame):
    """The funnel plot's centre line (England, or a user file's comparator), or None."""
    return par["target"].iloc[0] if len(par) else None


def funnel_table(pts: pd.DataFrame, meta: dict) -> pd.DataFrame:
    d = fmt.decimals(meta)
    t = pts.assign(f95=[_flag(x) for x in pts.get("flag_95", [None] * len(pts))],
                   f998=[_flag(x) for x in pts.get("flag_998", [None] * len(pts))])
    t = t[[c for c in ("area_name", "area_code", "numerator", "denominator", "value", "f95", "f998") if c in t]]
    return fmt.frame(t, {"numerator": 0, "denominator": 0, "value": d}).rename(columns={
        "area_name": "Area", "area_code": "Code", "numerator": "Count", "denominator": "Denominator",
        "value": f"Value ({meta.get('unit', '')})", "f95": "95% limits", "f998": "99.8% limits"})
