"""The area profile's headline chips and its table of latest values, formatted for reading."""
from __future__ import annotations

import pandas as pd

from . import data, fmt

SIG_WORDS = {"higher": ("higher than England", "up"), "lower": ("lower than England", "down"),
             "similar": ("similar to England", "off")}


def headline_chips(head: pd.DataFrame) -> list[dict]:
    """One chip per headline measure: the value at the measure's precision (a count shows no decimals); the delta
    line says how the area compares with England and its arrow follows that comparison (none when there is no
    statistical comparison); colour is never the only carrier of meaning."""
    out = []
    for r in head.itertuples():
        meta = data.measure(r.measure_id)
        d = fmt.decimals(meta)
        ok = r.status in data.OK_STATUSES
        value = fmt.num(r.value, d) if ok else data.status_label(r.status, getattr(r, "note", None))
        eng = fmt.num(r.england_value, d)
        delta, arrow, helptext = None, "off", None
        sig = r.sig_england_95 if isinstance(r.sig_england_95, str) else None
        if ok and sig in SIG_WORDS and eng:
            words, arrow = SIG_WORDS[sig]
            delta = f"{words} ({eng})"
            helptext = "Compared with England using 95% confidence intervals; this is not a judgement."
        elif ok and eng:
            delta = f"England {eng}"
        out.append({"label": f"{r.short_title}, {r.period_label}", "value": value, "delta": delta,
                    "delta_arrow": arrow, "delta_color": "off", "help": helptext})
    return out


def latest_table(latest: pd.DataFrame) -> pd.DataFrame:
    """Latest value of every measure, grouped by topic (headline measures first), formatted per measure."""
    order = data.order_measures(list(latest["measure_id"]))
    d = latest.set_index("measure_id").loc[order].reset_index()
    rows = []
    for r in d.itertuples():
        dec = fmt.decimals(data.measure(r.measure_id))
        ok = r.status in data.OK_STATUSES
        rows.append({"Topic": data.topic(r.measure_id), "Measure": r.short_title, "Period": fmt.text(r.period_label),
                     "This area": fmt.num(r.value, dec) if ok else "",
                     "95% CI": fmt.ci(r.lower_95, r.upper_95, dec) if ok else "",
                     "Region": fmt.num(r.region_value, dec), "England": fmt.num(r.england_value, dec),
                     "vs England": {"higher": "▲ higher", "lower": "▼ lower", "similar": "● similar"}.get(
                         r.sig_england_95, "") if isinstance(r.sig_england_95, str) else "",
                     "Status": data.status_label(r.status, r.note), "Note": fmt.text(r.note)})
    out = pd.DataFrame(rows)
    return out[[c for c in out.columns if c in ("Topic", "Measure", "Period") or out[c].ne("").any()]]


def spine_table(rows: pd.DataFrame) -> pd.DataFrame:
    """The spine chart's data: this area, England and the spread of English LAs, at each measure's precision."""
    out = []
    for r in rows.itertuples():
        d = fmt.decimals(data.measure(r.measure_id))
        out.append({"Measure": r.short_title, "Period": fmt.text(r.period_label), "This area": fmt.num(r.value, d),
                    "England": fmt.num(r.england_value, d), "LA min": fmt.num(r.lo, d),
                    "LA lower quartile": fmt.num(r.q1, d), "LA median": fmt.num(r.med, d),
                    "LA upper quartile": fmt.num(r.q3, d), "LA max": fmt.num(r.hi, d),
                    "LAs with a value": fmt.num(r.n, 0)})
    return pd.DataFrame(out)


def by_topic(rows: pd.DataFrame) -> pd.DataFrame:
    """Rows with a measure_id column in the app's topic order (headline measures first)."""
    if rows.empty:
        return rows
    order = {m: i for i, m in enumerate(data.order_measures(list(dict.fromkeys(rows["measure_id"]))))}
    return rows.assign(_o=rows["measure_id"].map(order)).sort_values("_o", kind="stable").drop(columns="_o")


# ---------------------------------------------------------------------------------------------------------------
# the Area profile page's choices (the page only lays them out)
HEAD = "cla_starts_u1_rate"
HEADLINE_IDS = (HEAD, "cla_starts_u1", "live_births")


def valid_to_text(info: dict) -> str:
    """' This code was in force until 31 March 2023.' for an area code no longer in force, else ''."""
    valid = ""
    if info.get("valid_to") is not None and info.get("valid_to") == info.get("valid_to"):
        valid = f" This code was in force until {info['valid_to']:%d %B %Y}."
    return valid


def headline_rows(latest: pd.DataFrame) -> pd.DataFrame:
    return by_topic(latest[latest["measure_id"].isin(list(HEADLINE_IDS))])


def neighbour_set(area: str) -> str:
    """The official statistical neighbours where the area has them, else the atlas's own model set."""
    return data.DEFAULT_COMPARATOR_SET if data.comparators(area) else "atlas_model"


def trend_codes(area: str, info: dict) -> list[str]:
    codes = [area, info.get("region_code"), data.ENGLAND]
    return [c for c in codes if c]


def latest_funnel(mid: str = HEAD):
    """The funnel plot data (points, limits, parameters) of the measure's latest year, or None."""
    yrs = data.measure_years(mid)
    return data.funnel(mid, yrs[-1]) if yrs else None


def funnel_position(pts: pd.DataFrame, area: str) -> str | None:
    me = pts[pts["area_code"] == area]
    if len(me):
        return (f"Outside the 95% limits: {me['flag_95'].iloc[0]}; outside the 99.8% limits: "
                f"{me['flag_998'].iloc[0]}.")
    return None


def deprivation_table(latest: pd.DataFrame) -> pd.DataFrame:
    """The area's deprivation measures (IMD / IDACI), as the latest-values table with their editions."""
    dep = latest[latest["measure_id"].str.contains("imd|idaci", regex=True)] if len(latest) else latest
    if not len(dep):
        return dep
    return latest_table(dep).drop(columns=["Topic"]).rename(columns={"Period": "Edition"})
