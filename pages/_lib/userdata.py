"""User-supplied data held ONLY in this browser session (st.session_state): never on disk, never in a cache shared
between sessions, never in the warehouse.

Every frame stored here is the output of `pipeline.user_import.compute` (or a dataset imported with `atlas import`,
which stores the same output): disclosure control has already been applied, so suppressed cells have no numerator,
value or confidence limits. Pages read user data through the `data` package, whose queries answer user measures
as they answer official ones (data/usersession.py: session views named like the warehouse tables), and never touch
the raw upload.

User measure ids in the app are `user.<dataset>.<measure>` so they can never clash with official ids.
"""
from __future__ import annotations

import re

import pandas as pd
import streamlit as st

KEY = "_user_datasets"
PREFIX = "user."
BADGE = "User-supplied — not official statistics"
BADGE_MD = f":orange-badge[⚠️ {BADGE}]"
SUPPRESSED_NOTE = ("suppressed by disclosure control (small counts, and any cell that would reveal one by difference "
                   "from a total)")


def datasets() -> dict[str, dict]:
    """name -> {values, measures, origin ('upload'|'cli'), file_name, rule} for this session only."""
    return st.session_state.setdefault(KEY, {})


def safe_name(raw: str) -> str:
    s = re.sub(r"[^a-z0-9_]+", "_", str(raw).lower()).strip("_")
    if not s or not s[0].isalpha():
        s = "d_" + s
    return s[:40].rstrip("_") or "upload"


def app_id(name: str, measure: str) -> str:
    return f"{PREFIX}{name}.{measure}"


def label(mid: str) -> str:
    """Display label of a user measure id (from the id alone)."""
    name, _, measure = mid[len(PREFIX):].partition(".")
    return f"⚠️ {measure or name} ({name}) — user-supplied, not official"


def is_user(mid) -> bool:
    return isinstance(mid, str) and mid.startswith(PREFIX)


def add(name: str, values: pd.DataFrame, measures: pd.DataFrame, origin: str, file_name: str, rule: str) -> list[str]:
    """Store a disclosure-controlled dataset in this session (replacing one of the same name). Returns its app ids."""
    shown = values.loc[values["status"] != "suppressed", "numerator"].dropna()
    if ((shown >= 1) & (shown <= 4)).any():
        raise ValueError("this dataset shows counts from 1 to 4: it was made with a looser disclosure rule than "
                         "the atlas allows (1-4); import it again with the default rule")
    v = values.copy()
    sup = v["status"] == "suppressed"
    v.loc[sup, ["value", "numerator", "lower_95", "upper_95", "lower_998", "upper_998"]] = float("nan")
    v.loc[sup, "note"] = SUPPRESSED_NOTE  # never say which cells were primary and which complementary
    v["user_measure_id"] = v["measure_id"]
    v["measure_id"] = [app_id(name, m) for m in v["measure_id"]]
    m = measures.copy()
    m["user_measure_id"] = m["measure_id"]
    m["measure_id"] = [app_id(name, x) for x in m["measure_id"]]
    datasets()[name] = {"values": v, "measures": m, "origin": origin, "file_name": file_name, "rule": rule}
    return list(m["measure_id"])


def remove(name: str) -> None:
    datasets().pop(name, None)


def measure_ids() -> list[str]:
    return [m for d in datasets().values() for m in d["measures"]["measure_id"]]


def _dataset_of(mid: str) -> dict | None:
    if not is_user(mid):
        return None
    name = mid[len(PREFIX):].split(".", 1)[0]
    d = datasets().get(name)
    if d is None or mid not in set(d["measures"]["measure_id"]):
        return None
    return d


def frame(mid: str) -> pd.DataFrame:
    """The disclosure-controlled values of one user measure (empty if unknown in this session)."""
    d = _dataset_of(mid)
    if d is None:
        return pd.DataFrame()
    v = d["values"]
    return v[v["measure_id"] == mid]


def meta(mid: str) -> dict:
    """Registry-like row for a user measure (keys as in the official `measures` table, plus provenance)."""
    d = _dataset_of(mid)
    if d is None:
        return {}
    r = d["measures"].set_index("measure_id").loc[mid]
    v = frame(mid)
    src = r.get("source") or "not stated"
    return {
        "measure_id": mid, "title": f"{r['user_measure_id']} — user-supplied ({d['file_name']})",
        "short_title": f"{r['user_measure_id']} (user-supplied)",
        "definition": (r.get("definition") or "not stated by the user") + f" Source (as stated by the user): {src}.",
        "numerator": "count supplied by the user", "denominator": "as supplied, else live births (alignment rule)",
        "unit": r.get("unit", "per 10,000 live births"), "value_type": "rate", "polarity": "neutral",
        "period_type": "financial_year", "multiplier": r.get("multiplier", 10000),
        "caveats": f"{BADGE}. Disclosure control: {d['rule']}. Not checked by the atlas beyond validation.",
        "official": False, "origin": d["origin"], "file_name": d["file_name"], "disclosure_rule": d["rule"],
        "min_year": int(v["year"].min()) if len(v) else None, "max_year": int(v["year"].max()) if len(v) else None,
        "source_ids": "user-supplied",
    }
