"""Newborns in care proceedings: the logic behind pages/newborns.py.

Every public figure compiled by hand (the `reference_figures` table, built from the seeds in data/seeds/care/) is
shown with its definition, geography, period, source and link, grouped by definition class. Rules kept here:
- a chart holds ONE series: one definition class, one study, one quantity, one unit and one geography
  (`series_groups`); figures with different definitions are never drawn on one axis;
- reports that differ about one figure are shown together (both values, both sources), never resolved;
- the proxy ratio (newborns in proceedings / infant care starts, England, same financial year) is a national
  comparison only: it is never applied to local authorities;
- a researcher's own LA newborn extract (pipeline/user_import/, definition fields `age_at_issue`,
  `proceedings_type`) is shown only after the import's disclosure control, always badged as not official
  (newborn_extracts.py).
"""
from __future__ import annotations

import re

import numpy as np
import pandas as pd
import plotly.express as px
import plotly.graph_objects as go

from . import charts, data, export

STARTS = "cla_starts_u1"
STARTS_RATE = "cla_starts_u1_rate"
SOURCE_TYPES = ("report", "news release", "secondary summary")
SOURCE_SYMBOLS = {"report": "circle", "news release": "square", "secondary summary": "diamond"}
NEWBORN_CLASSES = ("newborn_u7d_s31", "newborn_u2w_proceedings", "newborn_age_not_stated")
FY = re.compile(r"^\d{4}-\d{2}$")
ONE_YEAR = re.compile(r"^\d{4}(-\d{2})?$")  # a year or a financial year: the only periods drawn as points of a series
PROXY_CAVEAT = ("different measures: infant care starts count every child who started to be looked after aged "
                "under 1 (including s.20 voluntary accommodation and police protection, and babies of any age up to "
                "1), while proceedings count babies subject to care proceedings, including some never looked after "
                "(e.g. placed with a parent under a supervision order)")
OUTLIER_CAVEAT = ("Same year, different measures: the report counts local authorities significantly above the "
                  "England rate of newborns (under 7 days) in s.31 proceedings (2016 data year); the atlas counts "
                  "local authorities significantly above England (95% confidence interval) on infant (under 1) care "
                  "starts per 10,000 live births in 2016/17 (April 2016 to March 2017).")
REGION_STARTS_YEARS = (2011, 2017)  # DfE LA starts files begin in 2010/11: the nearest to the report's 2008-2016

TABLE_COLS = {"geography": "Geography", "period": "Period", "quantity_label": "What is stated",
              "value_text": "Value", "unit": "Unit", "source_type": "Source type", "definition_label": "Definition",
              "source": "Source (citation)", "table": "Part of the source", "page_url": "Link", "notes": "Notes",
              "flags": "Flags", "conflict_group": "Reports differ (group)", "figure_id": "Row"}


# ---------------------------------------------------------------------------------------------------------------
def load() -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    return data.reference_figures()


def display_table(figs: pd.DataFrame) -> pd.DataFrame:
    """One row per figure with its definition, geography, period, value, source and link (for st.dataframe)."""
    return figs[list(TABLE_COLS)].rename(columns=TABLE_COLS).reset_index(drop=True)


def csv_all(figs: pd.DataFrame) -> bytes:
    """Every figure with its definition class, source type and flags (formula-like cells neutralised)."""
    cols = ["figure_id", "definition_class", "definition_label", "study", "quantity", "quantity_label", "source_type",
            "source", "table", "geography", "period", "year_start", "year_end", "measure", "value_qualifier",
            "value_as_published", "value", "unit", "page_url", "notes", "flags", "conflict_group"]
    d = figs[cols].copy()
    d["licence"] = "figures cited from publications: see each row's source"
    return export.safe_frame(d).to_csv(index=False, lineterminator="\r\n").encode("utf-8")


def by_class(figs: pd.DataFrame, classes: pd.DataFrame) -> list[tuple[dict, pd.DataFrame]]:
    """[(class row, its figures)] in the classes' order, including classes with no figure."""
    return [(c, figs[figs["definition_class"] == c["definition_class"]]) for c in classes.to_dict("records")]


SOURCE_TYPE_HEADINGS = {"report": "From the reports themselves (or their authors' / publishers' own pages)",
                        "news release": "From the publishers' news releases of the reports",
                        "secondary summary": "From secondary summaries (news, trade press, law-firm and other pages)"}


def by_source_type(rows: pd.DataFrame) -> list[tuple[str, pd.DataFrame]]:
    """[(heading, rows)] of one definition class, report first, then news release, then secondary summary."""
    return [(SOURCE_TYPE_HEADINGS[t], rows[rows["source_type"] == t]) for t in SOURCE_TYPES
            if (rows["source_type"] == t).any()]


def source_type_counts(figs: pd.DataFrame) -> pd.DataFrame:
    t = figs.groupby(["definition_label", "source_type"]).size().unstack(fill_value=0)
    for s in SOURCE_TYPES:
        if s not in t:
            t[s] = 0
    return t[list(SOURCE_TYPES)].reset_index().rename(columns={"definition_label": "Definition"})


SERIES_KEY = ["definition_class", "study", "quantity", "unit", "geography"]


def series_groups(figs: pd.DataFrame, min_periods: int = 2) -> list[dict]:
    """Chartable series: rows sharing class, study, quantity, unit and geography, over >= min_periods periods
    (multi-year 'overall' figures, cumulative totals and vague periods such as 'decade to 2018 (start)' are left to
    the tables)."""
    out = []
    single = figs[(figs["year_start"] == figs["year_end"]) & figs["period_key"].str.match(ONE_YEAR)]
    for key, g in single.groupby(SERIES_KEY, sort=False):
        if g["period_key"].nunique() >= min_periods:
            out.append(dict(zip(SERIES_KEY, key), rows=g.sort_values(["year_end", "line"]),
                            definition_label=g["definition_label"].iloc[0], quantity_label=g["quantity_label"].iloc[0]))
    return out


def series_title(s: dict) -> str:
    return f"{s['geography']}: {s['quantity_label']} — {s['definition_label']}"


def series_figure(s: dict) -> go.Figure:
    """One series, one axis: markers by source type (symbol + legend text), values labelled, hover with source."""
    d = s["rows"]
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=d["year_end"], y=d["value"], mode="lines", line=dict(color="#0072B2", width=1.5),
                             name="series", showlegend=False, hoverinfo="skip"))
    for i, t in enumerate(SOURCE_TYPES):
        p = d[d["source_type"] == t]
        if p.empty:
            continue
        fig.add_trace(go.Scatter(
            x=p["year_end"], y=p["value"], mode="markers+text", name=f"read from: {t}",
            marker=dict(symbol=SOURCE_SYMBOLS[t], size=11, color=charts.OKABE_ITO[i], line=dict(width=1, color="#000")),
            text=p["value_text"], textposition="top center",
            customdata=np.array([p["period"], p["value_text"], p["source"].str.slice(0, 90), p["page_url"]],
                                dtype=object).T,
            hovertemplate="%{customdata[0]}: <b>%{customdata[1]}</b><br>%{customdata[2]}<br>%{customdata[3]}"
                          "<extra></extra>"))
    unit = str(d["unit"].iloc[0])
    top = float(d["value"].max()) * 1.25 if len(d) else 1
    fig.update_layout(height=330, margin=dict(l=10, r=10, t=70, b=10), yaxis_title=unit,
                      yaxis_range=[0, top] if float(d["value"].min()) >= 0 else None,
                      xaxis_title="year (end year of the published period)", title=dict(
                          text=f"{s['geography']}: {s['quantity_label']}<br><sup>{s['definition_label']}</sup>",
                          font=dict(size=14)),
                      legend=dict(orientation="h", y=-0.3))
    fig.update_xaxes(tickmode="array", tickvals=list(d["year_end"]), ticktext=list(d["period"].str.slice(0, 12)))
    return fig


def series_sources(s: dict) -> str:
    """One line under a chart: the study and, per page read, its source type, the periods taken from it and a link."""
    d = s["rows"]
    parts = [f"{g['source_type'].iloc[0]} [{_host(url)}]({url}) ({', '.join(g['period'])})"
             for url, g in d.groupby("page_url", sort=False)]
    return f"{s['study']}. Read from: " + "; ".join(parts) + "."


def series_table(s: dict) -> pd.DataFrame:
    return display_table(s["rows"])


def other_series(rows: pd.DataFrame) -> list[dict]:
    """A definition's series other than England's newborn series (those are drawn at the top of the page)."""
    return [s for s in series_groups(rows) if not (s["geography"] == "England" and
                                                   s["definition_class"] in NEWBORN_CLASSES)]


def england_newborn_series(figs: pd.DataFrame) -> list[dict]:
    """England's newborn series (each definition and quantity its own panel), <7 days first."""
    out = [s for s in series_groups(figs) if s["geography"] == "England" and s["definition_class"] in NEWBORN_CLASSES]
    order = {c: i for i, c in enumerate(NEWBORN_CLASSES)}
    first = {"newborns": 0, "newborn_rate": 1}
    return sorted(out, key=lambda s: (order[s["definition_class"]], first.get(s["quantity"], 2)))


def conflicts(figs: pd.DataFrame) -> list[pd.DataFrame]:
    """Groups of rows reporting one figure differently (both values and both sources kept)."""
    c = figs[figs["conflict_group"].notna()]
    return [g for _, g in c.groupby("conflict_group", sort=False)]


def conflict_text(g: pd.DataFrame) -> str:
    r0 = g.iloc[0]
    parts = [f"**{r.value_text}** ({r.source_type}: {r.table}; [{_host(r.page_url)}]({r.page_url}))"
             for r in g.itertuples()]
    return (f"{r0['geography']}, {r0['period']} — {r0['quantity_label']} ({r0['definition_label']}): "
            + " vs ".join(parts) + ". Both are shown; the atlas does not choose between them.")


def _host(url: str) -> str:
    m = re.match(r"https?://(?:www\.)?([^/]+)", str(url))
    return m.group(1) if m else str(url)


# ---------------------------------------------------------------------------------------------------------------
# regions
def regional_newborn_rates(figs: pd.DataFrame) -> pd.DataFrame:
    """The report's overall 2008-2016 regional newborn rates, one row per region, every report of it in one label
    (a region with two differing reports shows both)."""
    d = figs[(figs["quantity"] == "newborn_rate_overall") & figs["area_code"].notna()]
    rows = []
    for code, g in d.groupby("area_code", sort=False):
        label = "; ".join(f"{r.value_text} ({r.source_type})" for r in g.itertuples())
        rows.append(dict(area_code=code, area_name=g["geography"].iloc[0], label=label,
                         low=float(g["value"].min()), n_reports=len(g), period=g["period"].iloc[0],
                         sources="; ".join(f"{r.table} <{r.page_url}>" for r in g.itertuples()),
                         unit=g["unit"].iloc[0], definition=g["definition_label"].iloc[0]))
    return pd.DataFrame(rows, columns=["area_code", "area_name", "label", "low", "n_reports", "period", "sources",
                                       "unit", "definition"])


def half_width(layer: dict) -> dict:
    """The layer zoomed out to fit a half-width column (two maps side by side)."""
    return dict(layer, zoom=max(0.0, float(layer["zoom"]) - 0.4))


def region_layer(year: int = 2017) -> dict | None:
    """The region boundaries for the two side-by-side region maps (the report's last year, 2016/17), or None."""
    layer = data.layer_for(year, "region")
    return half_width(layer) if layer is not None else None


def region_category_map(rates: pd.DataFrame, layer: dict, region_names: dict) -> go.Figure:
    """Categorical region map: regions with the same reported value(s) share a category, whose legend entry gives
    the value(s) and the regions; regions the report does not quote are grey. Categories, not a colour scale,
    because two regions are published only as bounds."""
    traces = []
    cats = rates.groupby("label", sort=False).agg(low=("low", "min"), codes=("area_code", list),
                                                  names=("area_name", list), unit=("unit", "first"),
                                                  period=("period", "first")).reset_index().sort_values("low")
    cols = px.colors.sample_colorscale("Cividis", [i / max(1, len(cats) - 1) for i in range(len(cats))])
    line = dict(width=0.6, color="#ffffff")
    for row, colour in zip(cats.itertuples(), cols):
        traces.append(go.Choroplethmap(
            geojson=charts._subset(layer, row.codes), locations=row.codes, featureidkey="id", z=[1] * len(row.codes),
            colorscale=[[0, colour], [1, colour]], showscale=False, name=f"{row.label}:<br>{', '.join(row.names)}",
            showlegend=True, marker_line=line, marker_opacity=0.9,
            customdata=np.array([[n] for n in row.names], dtype=object),
            hovertemplate=f"<b>%{{customdata[0]}}</b><br>{row.label}<br>{row.unit}, {row.period}<extra></extra>"))
    rest = sorted(c for c in layer["codes"] if c not in set(rates["area_code"]))
    if rest:
        traces.append(go.Choroplethmap(
            geojson=charts._subset(layer, rest), locations=rest, featureidkey="id", z=[0] * len(rest),
            colorscale=[[0, charts.MISSING_COLOUR], [1, charts.MISSING_COLOUR]], showscale=False,
            name="Not quoted in the compiled pages", showlegend=True, marker_line=line,
            customdata=np.array([[region_names.get(c, c)] for c in rest], dtype=object),
            hovertemplate="<b>%{customdata[0]}</b><br>not quoted<extra></extra>"))
    fig = go.Figure(traces)
    fig.update_layout(map=dict(style="white-bg", center=layer["center"], zoom=layer["zoom"]), height=640,
                      margin=dict(l=0, r=0, t=0, b=120),
                      legend=dict(yanchor="top", y=-0.01, xanchor="left", x=0.0, bgcolor="rgba(255,255,255,0.85)"))
    return fig


def regional_starts_pooled(years: tuple[int, int] = REGION_STARTS_YEARS) -> pd.DataFrame:
    """Regional infant (under 1) care-start rate per 10,000 live births pooled over `years` (sum of starts / sum of
    births, years with a published regional count only)."""
    s = data.level_series(STARTS_RATE, "region")
    s = s[s["year"].between(*years) & s["numerator"].notna() & s["denominator"].notna()]
    g = s.groupby(["area_code", "area_name"]).agg(numerator=("numerator", "sum"), denominator=("denominator", "sum"),
                                                  n_years=("year", "nunique")).reset_index()
    g["value"] = g["numerator"] / g["denominator"] * 10000
    g["status"] = "ok"
    g["period"] = f"{years[0] - 1}/{str(years[0])[-2:]} to {years[1] - 1}/{str(years[1])[-2:]} pooled"
    g["note"] = ("infant care starts (DfE, children starting to be looked after aged under 1) summed over "
                 + g["n_years"].astype(str) + " years / live births summed over the same years")
    return g


# ---------------------------------------------------------------------------------------------------------------
# outliers 2016 vs 2016/17
def outliers_by_region(parts: pd.DataFrame, year: int = 2017) -> pd.DataFrame:
    """The report's outlier LAs by region beside the atlas's LAs significantly above England (95%) on infant care
    starts in the same year. Two different measures in two columns, never summed or compared as one."""
    la = data.values(STARTS_RATE, year, "la")
    above = la[la["sig_england_95"] == "higher"].groupby("region_name").size()
    n_la = la[la["value"].notna()].groupby("region_name").size()
    regions = sorted(set(n_la.index) | set(parts["region_name"]))
    rep = parts.set_index("region_name")["count"] if len(parts) else pd.Series(dtype=int)
    return pd.DataFrame({
        "Region": regions,
        "Report: LAs significantly above England, newborns <7 days in s.31 proceedings (2016)":
            [int(rep.get(r, 0)) for r in regions],
        f"Atlas: LAs significantly above England, infant care starts per 10,000 births ({year - 1}/{str(year)[-2:]})":
            [int(above.get(r, 0)) for r in regions],
        "LAs with an infant care-start rate that year": [int(n_la.get(r, 0)) for r in regions]})


def bar_figure(df: pd.DataFrame, col: str, colour: str) -> go.Figure:
    fig = go.Figure(go.Bar(x=df[col], y=df["Region"], orientation="h", marker_color=colour, text=df[col],
                           textposition="outside", hovertemplate="%{y}: %{x}<extra></extra>"))
    fig.update_layout(height=360, margin=dict(l=10, r=30, t=10, b=10), xaxis_title="local authorities",
                      yaxis=dict(autorange="reversed"))
    return fig


# ---------------------------------------------------------------------------------------------------------------
# proxy ratio
def proxy_ratios(figs: pd.DataFrame) -> pd.DataFrame:
    """England newborn counts in proceedings beside DfE infant care starts for the SAME financial year, with the
    ratio. National only: never applied to local authorities."""
    eng = data.level_series(STARTS, "england")
    starts = dict(zip(eng["year"].astype(int), eng["numerator"].where(eng["numerator"].notna(), eng["value"])))
    d = figs[(figs["quantity"] == "newborns") & (figs["geography"] == "England")
             & figs["definition_class"].isin(NEWBORN_CLASSES) & figs["period_key"].str.match(FY)]
    rows = []
    for r in d.itertuples():
        s = starts.get(int(r.year_end))
        rows.append({"Newborn definition": r.definition_label, "Financial year": r.period,
                     "Newborns in proceedings": r.value, "Infant (<1) care starts, England (DfE)": s,
                     "Newborns as % of infant care starts": round(r.value / s * 100) if s else None,
                     "Source of the newborn figure": f"{r.source_type}: {r.table} <{r.page_url}>",
                     "Note": PROXY_CAVEAT if s else "no infant care starts for this year in this build "
                                                    "(DfE LA files start in 2010/11)"})
    return pd.DataFrame(rows)


def proxy_sentence(ratios: pd.DataFrame) -> str | None:
    r = ratios[(ratios["Financial year"] == "2016/17") & ratios["Newborns as % of infant care starts"].notna()]
    if r.empty:
        return None
    r = r.iloc[0]
    return (f"Newborn (under 7 days) s.31 cases were about **{r['Newborns as % of infant care starts']:.0f}%** of "
            f"infant care starts in 2016/17 ({r['Newborns in proceedings']:,.0f} newborns vs "
            f"{r['Infant (<1) care starts, England (DfE)']:,.0f} under-1 starts) — {PROXY_CAVEAT}. The ratio is for "
            "England as a whole and is never used to estimate local authorities' newborn figures.")
