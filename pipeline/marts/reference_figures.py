"""The `reference_figures` table: every row of the two hand-compiled seeds (stg_reference_figures), each tagged with
its definition class, the quantity it states, the study it comes from and the kind of page it was read from.

Definition classes (`reference_definition_classes`) are never mixed: a newborn aged under 7 days at the issue of s.31
proceedings, a newborn under 2 weeks in care proceedings, a baby entering care in its first week by any legal route,
an infant under 1 and a care application for a child of any age are different things. A row that matches no rule
stops the build (nothing is dropped silently).

Source type: `report` (the publication itself, or its authors' / publisher's own page or abstract), `news release`
(the publisher's news release of the report), `secondary summary` (a third party's account: news, trade press,
law-firm or campaign pages).

Reports that differ: rows stating the same quantity, for the same definition, study, geography and period, with
different values (or one as a bound, e.g. 'above 30') share a `conflict_group`; both values and both sources are
kept and shown, never resolved by choosing one.

`reference_figure_breakdowns`: the regional breakdown of the '16 local authorities significantly above England'
finding, read from that row's notes (the counts must add up to the row's value).
"""
from __future__ import annotations

import re

import pandas as pd

from ..context import BuildContext
from ..errors import SourceError

REQUIRES = ("areas", "stg_reference_figures")
PRODUCES = ("reference_figures",
            "reference_definition_classes", "reference_figure_breakdowns")

# id -> (order, label, definition)
CLASSES = {
    "newborn_u7d_s31": (1, "Newborns under 7 days in s.31 care proceedings",
                        "Babies aged under 7 days at the issue of local authority s.31 care proceedings (Cafcass "
                        "records; Born into care, England 2018). Counts, rates per 10,000 live births and shares."),
    "newborn_u2w_proceedings": (2, "Newborns under 2 weeks in care proceedings",
                                "Babies within two weeks of birth in care proceedings (Cafcass / Cafcass Cymru; Born "
                                "into care Wales 2019, and the 2021 urgent-proceedings report as summarised "
                                "by secondary sources)."),
    "newborn_age_not_stated": (3, "Newborns in care proceedings, age cut-off not stated",
                               "An earlier Lancaster University analysis of newborn babies in care proceedings; the "
                               "stored excerpt does not state the age cut-off, so it is kept apart from both "
                               "series above."),
    "first_week_care_entry": (4, "Babies entering care in their first week, any legal route",
                              "Children who started to be looked after within the first week of life (DfE SSDA903 "
                              "data via FOI; Bilson & Bywaters). Includes s.20 voluntary accommodation and police "
                              "protection; not care proceedings."),
    "infant_u1_proceedings": (5, "Infants under 1 in care proceedings",
                              "Children aged under 1 year at the issue of care proceedings. The compiled pages give "
                              "no count or rate of this on its own: only newborns as a share of it (see the newborn "
                              "classes)."),
    "infant_u1_care_entry": (6, "Infants under 1 entering care, any legal route",
                             "Children who started to be looked after aged under 1 (DfE SSDA903): the definition of "
                             "the atlas's own local-authority measure."),
    "all_age_care_applications": (7, "Care applications and proceedings, all ages",
                                  "Section 31 care applications received by Cafcass / Cafcass Cymru (one application "
                                  "can cover several children), children in them, and care-proceedings incidence "
                                  "and outcomes, for children of every age. Not newborn-specific."),
}
SOURCE_TYPES = ("report", "news release", "secondary summary")
_SECONDARY = re.compile(r"secondary summary|as reported|as summarised|as quoted|republished|news item", re.I)

# study rules: (source starts with / contains) -> study label. First match wins.
STUDIES = [
    (r"^Broadhurst K et al\., Lancaster", "Lancaster University, first national figures on newborns in care "
                                          "proceedings (Broadhurst et al.)"),
    (r"^Broadhurst K", "Born into care: Newborns in care proceedings in England (Broadhurst et al. 2018, "
                       "Nuffield FJO)"),
    (r"^Alrouh B", "Born into care: Newborns and infants in care proceedings in Wales (Alrouh et al. 2019, "
                   "Nuffield FJO)"),
    (r"^Pattinson R", "Born into care: Newborn babies in urgent care proceedings in England and Wales (Pattinson et "
                      "al. 2021, Nuffield FJO)"),
    (r"^Harwin J", "Regional variation in care proceedings (Harwin, Broadhurst et al., Centre for Child and Family "
                   "Justice Research)"),
    (r"^Bilson A|^University of Huddersfield", "Born into care: evidence of a failed state (Bilson & Bywaters 2020, "
                                               "DfE data via FOI)"),
    (r"^Pearson RJ", "Pearson et al. (2020), BMJ Open: maternal adversity and infant entry to care"),
    (r"^Cafcass Cymru", "Cafcass Cymru care applications"),
    (r"^Cafcass (press release|care demand)", "Cafcass care demand statistics"),
    (r"^Cafcass .*rates", "Cafcass care application rates per 10,000 children"),
]

# quantity rules: (study starts with, measure regex) -> (definition class, quantity id, quantity label).
# First match wins; `None` as study matches any study.
QUANTITIES = [
    ("Lancaster", r"^newborn babies involved in care proceedings$",
     ("newborn_age_not_stated", "newborns", "Newborns in care proceedings (number)")),
    ("Born into care: Newborns in care", r"cumulative$",
     ("newborn_u7d_s31", "newborns_cumulative", "Newborns in s.31 proceedings, total over the period")),
    ("Born into care: Newborns in care", r"^newborns subject of s\.31 care proceedings$",
     ("newborn_u7d_s31", "newborns", "Newborns in s.31 proceedings (number in the year)")),
    ("Born into care: Newborns in care", r"^newborns as share of all infant",
     ("newborn_u7d_s31", "newborn_share_of_infants", "Newborns as a share of infants (<1) in s.31 proceedings")),
    ("Born into care: Newborns in care", r"^newborn incidence rate in s\.31",
     ("newborn_u7d_s31", "newborn_rate", "Newborn rate per 10,000 live births")),
    ("Born into care: Newborns in care", r"^overall newborn incidence rate in s\.31",
     ("newborn_u7d_s31", "newborn_rate_overall", "Regional overall newborn rate, 2008-2016")),
    ("Born into care: Newborns in care", r"^number of LAs significantly above",
     ("newborn_u7d_s31", "outlier_las", "Local authorities significantly above the England newborn rate")),
    ("Born into care: Newborns in care", r"lowest of the 16 outlier",
     ("newborn_u7d_s31", "outlier_rate_lowest", "Newborn rate, lowest of the outlier local authorities")),
    ("Born into care: Newborns in care", r"highest of the 16 outlier",
     ("newborn_u7d_s31", "outlier_rate_highest", "Newborn rate, highest of the outlier local authorities")),
    ("Born into care: Newborns in care", r"subsequent infants",
     ("newborn_u7d_s31", "subsequent_infant_share", "Share of newborn cases that were 'subsequent infants'")),
    ("Born into care: Newborns and infants in care proceedings in Wales", r"^newborn incidence rate",
     ("newborn_u2w_proceedings", "newborn_rate", "Newborn rate per 10,000 births")),
    ("Born into care: Newborns and infants in care proceedings in Wales", r"^newborns \(<2 weeks\) as share",
     ("newborn_u2w_proceedings", "newborn_share_of_infants", "Newborns as a share of infants (<1) in proceedings")),
    ("Born into care: Newborn babies in urgent", r"^newborn babies in care proceedings$",
     ("newborn_u2w_proceedings", "newborns", "Newborns in care proceedings (number in the year)")),
    ("Born into care: Newborn babies in urgent", r"^newborn incidence rate",
     ("newborn_u2w_proceedings", "newborn_rate", "Newborn rate per 10,000 live births")),
    ("Born into care: Newborn babies in urgent", r"same day|same-day|zero days' notice",
     ("newborn_u2w_proceedings", "same_day_hearing_share",
      "Share of newborn cases heard the day they were issued (zero days' notice)")),
    ("Born into care: evidence", r"^change in born-into-care rate",
     ("first_week_care_entry", "rate_change", "Change in the first-week care-entry rate")),
    ("Born into care: evidence", r"expressed as 1 in N",
     ("first_week_care_entry", "one_in_n_births", "One baby entering care in its first week per N births")),
    ("Born into care: evidence", r"^share of live births taken into care",
     ("first_week_care_entry", "share_of_births", "Share of live births entering care within a week")),
    ("Born into care: evidence", r"born-into-care rate|^children born into care$",
     ("first_week_care_entry", "rate", "First-week care entries per 10,000 live births")),
    ("Pearson", r"infant \(<1\) entry into care",
     ("infant_u1_care_entry", "mean_la_rate", "Mean local-authority rate of infant (<1) entry to care")),
    ("Regional variation in care proceedings", r"^incidence of care proceedings",
     ("all_age_care_applications", "proceedings_incidence", "Care-proceedings incidence per 10,000 (all ages)")),
    ("Regional variation in care proceedings", r"^care orders as share",
     ("all_age_care_applications", "care_order_share", "Care orders as a share of applications (all ages)")),
    ("Regional variation in care proceedings", r"foster care or being placed for adoption",
     ("all_age_care_applications", "foster_adoption_share",
      "Applications ending in foster care or placement for adoption (all ages)")),
    ("Regional variation in care proceedings", r"supervision orders",
     ("all_age_care_applications", "supervision_order_share",
      "Children returned to their families on supervision orders (all ages)")),
    ("Cafcass", r"^children involved in s\.31 care applications",
     ("all_age_care_applications", "children_in_applications", "Children in s.31 care applications (all ages)")),
    ("Cafcass", r"care applications \(all ages\)|care applications received by Cafcass|^care applications \(s\.31",
     ("all_age_care_applications", "applications", "s.31 care applications (all ages), number in the year")),
    ("Cafcass", r"^care applications per 10,000 child population$",
     ("all_age_care_applications", "application_rate", "Care applications per 10,000 children aged 0-17")),
    ("Cafcass", r"^number of LAs with an increase",
     ("all_age_care_applications", "las_increase", "Local authorities whose application rate rose")),
    ("Cafcass", r"^number of LAs with a decrease",
     ("all_age_care_applications", "las_decrease", "Local authorities whose application rate fell")),
]
# region names as written in the pages -> the atlas's region names (regions have no codes in the typed text)
REGION_ALIASES = {"Yorkshire and Humber": "Yorkshire and The Humber"}
_BREAKDOWN = re.compile(r"^\s*(\d+)\s+([A-Za-z][A-Za-z ]+?)\s*$")


def source_type(source: str, table: str) -> str:
    if _SECONDARY.search(f"{source} {table}"):
        return "secondary summary"
    if "news release" in table.lower():
        return "news release"
    return "report"


def study_of(source: str) -> str | None:
    for pat, label in STUDIES:
        if re.search(pat, source):
            return label
    return None


def classify(study: str, measure: str) -> tuple[str, str, str] | None:
    for prefix, pat, target in QUANTITIES:
        if study.startswith(prefix) and re.search(pat, measure, re.I):
            return target
    return None


def _fmt(v: float) -> str:
    return f"{v:,.0f}" if float(v).is_integer() else f"{v:,.2f}".rstrip("0").rstrip(".")


def conflict_groups(df: pd.DataFrame) -> pd.Series:
    """Group id for rows that state the same quantity (class, quantity, geography, period) differently."""
    key = ["definition_class", "quantity", "geography", "period_key"]
    out = pd.Series([None] * len(df), index=df.index, dtype=object)
    for k, g in df.groupby(key, dropna=False):
        if len(g) > 1 and len(set(zip(g["value_qualifier"], g["value"]))) > 1:
            gid = f"{k[1]} | {k[2]} | {k[3]} | {g['figure_id'].iloc[0]}"
            out.loc[g.index] = gid
    return out


def build(ctx: BuildContext) -> None:
    st = ctx.df("SELECT * FROM stg_reference_figures ORDER BY source_id, line")
    areas = ctx.df("SELECT area_code, area_name, area_type FROM areas WHERE area_type IN ('england', 'region', "
                   "'country')")
    by_name = dict(zip(areas["area_name"], areas["area_code"]))
    rows = []
    for r in st.to_dict("records"):
        rel = r["seed_file"]
        study = study_of(r["source"])
        target = classify(study, r["measure"]) if study else None
        if target is None:
            raise SourceError(r["source_id"], rel, "figure matches no definition class (add a rule in "
                                                   "pipeline/marts/reference_figures.py)", column="measure",
                              row=int(r["line"]), value=r["measure"])
        cls, qid, qlabel = target
        q = r["value_qualifier"]
        shown = ({"": "", ">": "above ", "<": "below ", "~": "about "}[q]) + _fmt(r["value"])
        notes = r["notes"] or ""
        flags = []
        if q in (">", "<"):
            flags.append("bound, not a value")
        if q == "~":
            flags.append("approximate (source wording)")
        if re.search(r"cut off|truncated", notes, re.I):
            flags.append("stored excerpt truncated (see notes)")
        if re.search(r"CONFLICTS", notes):
            flags.append("conflicts with another report (see notes)")
        rows.append(dict(
            figure_id=f"{rel.rsplit('/', 1)[-1]}:{r['line']}", **r, study=study, definition_class=cls,
            definition_label=CLASSES[cls][1], quantity=qid, quantity_label=qlabel,
            source_type=source_type(r["source"], r["table"]), value_text=shown,
            area_code=by_name.get(REGION_ALIASES.get(r["geography"], r["geography"])), flags="; ".join(flags)))
    df = pd.DataFrame(rows)
    df["conflict_group"] = conflict_groups(df)
    if len(df) != len(st):  # pragma: no cover - guarded by the error above
        raise AssertionError("reference figures dropped")
    ctx.put("reference_figures", df)
    ctx.put("reference_definition_classes", pd.DataFrame(
        [dict(definition_class=k, sort_order=o, label=lab, definition=d) for k, (o, lab, d) in CLASSES.items()]))
    ctx.put("reference_figure_breakdowns", _breakdowns(df, by_name))


def _breakdowns(df: pd.DataFrame, by_name: dict) -> pd.DataFrame:
    out = []
    for r in df[df["quantity"] == "outlier_las"].itertuples():
        parts = [p for p in str(r.notes).split(",") if p.strip()]
        got = []
        for p in parts:
            m = _BREAKDOWN.match(p)
            name = REGION_ALIASES.get(m.group(2), m.group(2)) if m else None
            if not m or name not in by_name:
                raise SourceError(r.source_id, r.seed_file, "regional breakdown not readable (expected e.g. "
                                                            "'6 North West, 3 North East')", column="notes",
                                  row=int(r.line), value=p.strip())
            got.append(dict(figure_id=r.figure_id, region_code=by_name[name], region_as_published=m.group(2),
                            count=int(m.group(1)), period=r.period))
        if sum(g["count"] for g in got) != int(r.value):
            raise SourceError(r.source_id, r.seed_file, f"regional breakdown adds up to "
                                                        f"{sum(g['count'] for g in got)}, not {r.value:g}",
                              column="notes", row=int(r.line))
        out.extend(got)
    return pd.DataFrame(out, columns=["figure_id", "region_code", "region_as_published", "count", "period"])
