"""Post step: continuity series across ADDITIVE local-government reorganisations (table `continuity_series`).

`indicator_values` keeps every figure on the geography in force that year, as published. This step derives the
extra rows a trend line needs to continue across a reorganisation, only where `area_successors.additive` is true:

- recode (same boundary, e.g. E10000023 -> E06000065 North Yorkshire): the predecessor's rows, unchanged (value,
  numerator, denominator, status, CI), shown under the successor's code for the years in which the successor has no
  row of its own;
- split (e.g. Cumbria -> Cumberland + Westmorland and Furness): the predecessor's figure rebuilt under the
  predecessor's code, for the years in which it has no row of its own, as the SUM of its successors' counts /
  numerators and denominators (rate = sum numerator / sum denominator x multiplier; 95% CI by the measure's method:
  Byar / exact Poisson for rates, Wilson for proportions; no CI for counts);
- merger (several areas -> one, additive): the successor's figure rebuilt from its predecessors in the same way (none
  in the current registry: the only merger, BCP 2019, is not additive).

Disclosure: an aggregate is published only when EVERY component has a value (status ok / denominator_fallback). If
any component is suppressed the aggregate is `suppressed` (a total would let the suppressed cell be recovered by
subtracting the other components); if any has no value it is `not_available`. An aggregate therefore only ever
combines figures that are already public. Non-additive changes (Dorset / BCP 2019) get no rows.

Measures: value_type count (the value is the count), or rate / proportion with numerators and denominators.
Method: docs/methods.md section 8; contract: docs/warehouse.md.
"""
from __future__ import annotations

import numpy as np
import pandas as pd

from ..context import BuildContext
from ..domain import HAS_VALUE, ci

# indicator_values:ci - recoded rows carry the CI columns the statistics step adds
REQUIRES = ("indicator_values", "indicator_values:ci", "measures", "areas", "area_successors")
PRODUCES = ("continuity_series",)

COLS = ["measure_id", "area_code", "year", "period_label", "value", "numerator", "denominator", "lower_95",
        "upper_95", "status", "components", "note", "change_type", "method", "from_year", "label"]
METHOD_RECODE = "recode_same_boundary"
METHOD_SUM = "sum_of_components"


def run(ctx: BuildContext) -> None:
    iv = ctx.df("""SELECT v.measure_id, v.area_code, v.year, v.period_label, v.value, v.numerator, v.denominator,
                          v.status, v.note, v.lower_95, v.upper_95, m.value_type, m.multiplier
                   FROM indicator_values v JOIN measures m USING (measure_id)
                   WHERE m.value_type IN ('count', 'rate', 'proportion')""")
    succ = ctx.df("SELECT old_code, new_code, from_year, change_type, additive, note FROM area_successors")
    names = dict(ctx.df("SELECT area_code, area_name FROM areas").itertuples(index=False, name=None))
    ctx.put("continuity_series", continuity(iv, succ, names))


# --------------------------------------------------------------------------------------------------------------------
def eligible(iv: pd.DataFrame) -> pd.DataFrame:
    """Rows of measures that can be carried / summed: counts, and rates / proportions with numerators."""
    with_nd = set(iv.loc[iv["numerator"].notna() & iv["denominator"].notna(), "measure_id"])
    ok = (iv["value_type"] == "count") | (iv["value_type"].isin(["rate", "proportion"])
                                         & iv["measure_id"].isin(with_nd))
    return iv[ok]


def groups(succ: pd.DataFrame) -> list[dict]:
    """The continuity groups implied by area_successors: {target, components, change_type, from_year}.

    A group is formed only when every successor row that touches its target or components at that date is additive
    (the 2019 Dorset county split feeds the non-additive BCP merger, so neither yields a group)."""
    s = succ.copy()
    s["additive"] = s["additive"].map(lambda x: str(x).strip().lower() in ("true", "1", "t", "yes"))
    out = []
    for (fy, ct), g in s.groupby(["from_year", "change_type"], sort=True):
        same_date = s[s["from_year"] == fy]

        def all_additive(codes: set) -> bool:
            touch = same_date[same_date["old_code"].isin(codes) | same_date["new_code"].isin(codes)]
            return bool(touch["additive"].all())
        if ct == "recode":
            for r in g.itertuples():
                if all_additive({r.old_code, r.new_code}):
                    out.append(dict(target=r.new_code, components=[r.old_code], change_type=ct, from_year=int(fy),
                                    method=METHOD_RECODE,
                                    note=r.note if isinstance(r.note, str) and r.note else "recode"))
        elif ct in ("split", "merger"):
            # a split sums the new codes into the old one; a merger sums the old codes into the new one
            by, parts = ("old_code", "new_code") if ct == "split" else ("new_code", "old_code")
            for target, gg in g.groupby(by, sort=True):
                components = sorted(gg[parts])
                if all_additive({target, *components}):
                    out.append(dict(target=target, components=components, change_type=ct, from_year=int(fy),
                                    method=METHOD_SUM))
    return out


def _label(grp: dict, names: dict) -> str:
    t = names.get(grp["target"], grp["target"])
    if grp["method"] == METHOD_RECODE:
        old = grp["components"][0]
        return f"{t} (former code {old}: {names.get(old, old)})"
    return f"{t} (former area: {' + '.join(names.get(c, c) for c in grp['components'])})"


def _named(codes, names: dict) -> str:
    return " + ".join(f"{names.get(c, c)} ({c})" for c in codes)


def continuity(iv: pd.DataFrame, succ: pd.DataFrame, names: dict | None = None) -> pd.DataFrame:
    """Continuity rows (columns COLS) from indicator_values-like rows (with value_type, multiplier and, optionally,
    lower_95/upper_95) and area_successors. Pure function (unit-tested on small frames)."""
    names = names or {}
    iv = eligible(iv)
    key = ["measure_id", "year", "period_label"]
    # a row "exists" for an area unless it says the area did not exist (not_applicable)
    present = iv[iv["status"] != "not_applicable"]
    rows: list[pd.DataFrame] = []
    for grp in groups(succ):
        tgt, comps = grp["target"], grp["components"]
        own = present[present["area_code"] == tgt][key].drop_duplicates()
        parts = present[present["area_code"].isin(comps)]
        if parts.empty:
            continue
        # keys where some component has a row and the target has none
        keys = parts[key].drop_duplicates().merge(own, on=key, how="left", indicator=True)
        keys = keys[keys["_merge"] == "left_only"].drop(columns="_merge")
        if keys.empty:
            continue
        label = _label(grp, names)
        base = dict(area_code=tgt, components=",".join(comps), change_type=grp["change_type"],
                    method=grp["method"], from_year=grp["from_year"], label=label)
        if grp["method"] == METHOD_RECODE:
            old = comps[0]
            d = parts.merge(keys, on=key)
            why = (f"Figure published for {names.get(old, old)} ({old}), the former code of this area; shown under "
                   f"{tgt} for continuity (change {grp['from_year']}: {grp['note']})")
            d = d.assign(note=[why if not isinstance(n, str) or not n else f"{why}. {n}" for n in d["note"]],
                         **{k: v for k, v in base.items()})
            rows.append(d)
        else:
            rows.append(_aggregate(parts.merge(keys, on=key), keys, comps, base, names))
    if not rows:
        return pd.DataFrame({c: pd.Series(dtype=_dtype(c)) for c in COLS})
    out = pd.concat(rows, ignore_index=True)[COLS]
    for c in ("value", "numerator", "denominator", "lower_95", "upper_95"):
        out[c] = pd.to_numeric(out[c], errors="coerce").astype(float)
    out["year"] = out["year"].astype(int)
    out["from_year"] = out["from_year"].astype(int)
    return out.sort_values(["measure_id", "area_code", "year", "period_label"]).reset_index(drop=True)


def _dtype(c: str):
    return {"year": "int64", "from_year": "int64"}.get(c, "float64" if c in (
        "value", "numerator", "denominator", "lower_95", "upper_95") else "object")


def _aggregate(parts: pd.DataFrame, keys: pd.DataFrame, comps: list[str], base: dict, names: dict) -> pd.DataFrame:
    key = ["measure_id", "year", "period_label"]
    recs = []
    by_key = {k: g for k, g in parts.groupby(key, sort=True, dropna=False)}
    for k in keys.itertuples(index=False, name=None):
        g = by_key.get(k)
        if g is None:
            continue
        g = g.set_index("area_code")
        vt, mult = g["value_type"].iloc[0], float(g["multiplier"].iloc[0] or 1)
        rec = dict(zip(key, k), **base, value=np.nan, numerator=np.nan, denominator=np.nan, lower_95=np.nan,
                   upper_95=np.nan)
        supp = [c for c in comps if c in g.index and g.at[c, "status"] == "suppressed"]
        missing = []
        for c in comps:
            if c not in g.index or g.at[c, "status"] not in HAS_VALUE or pd.isna(g.at[c, "value"]):
                missing.append(c)
            elif vt != "count" and (pd.isna(g.at[c, "numerator"]) or not g.at[c, "denominator"] > 0):
                missing.append(c)
        if supp:
            rec.update(status="suppressed",
                       note=(f"Not published: the figure for {_named(supp, names)} is suppressed by the publisher "
                             f"(small numbers); a total of {_named(comps, names)} would let suppressed figures be "
                             "recovered (by subtraction of the published ones)"))
        elif missing:
            rec.update(status="not_available",
                       note=f"Not available: no value for {_named(missing, names)} (needed for the sum of "
                            f"{_named(comps, names)})")
        else:
            gg = g.loc[comps]
            fallback = gg["status"].eq("denominator_fallback")
            note = f"Sum of {_named(comps, names)} (former area rebuilt from its successors, additive change)"
            if fallback.any():
                fb = "; ".join(dict.fromkeys(n for n in gg["note"][fallback] if isinstance(n, str) and n))
                note += f". Fallback denominator in {_named(list(gg.index[fallback]), names)}"
                note += f": {fb}" if fb else ""
            rec.update(status="denominator_fallback" if fallback.any() else "ok", note=note)
            if vt == "count":
                rec["value"] = float(gg["value"].sum())
            else:
                num, den = float(gg["numerator"].sum()), float(gg["denominator"].sum())
                rec.update(numerator=num, denominator=den, value=num / den * mult)
                lo, hi = ci(vt, num, den, mult, 0.95)
                rec.update(lower_95=lo, upper_95=hi)
        recs.append(rec)
    return pd.DataFrame(recs)
