"""The Map's key-findings box names the denominator the rates actually use: for 2024/25 (live births of 2024 not yet
published) it states the ONS mid-2024 age-0 population, in the same words as the map's caption, and never
"per 10,000 live births"; an earlier year still says live births."""
from __future__ import annotations

import pandas as pd


def _box(at) -> str:
    """The text of the key-findings box (the bordered container keyed `key_findings`)."""
    md = [str(m.value) for m in at.markdown]
    start = next(i for i, m in enumerate(md) if m.startswith("**Key findings:"))
    return md[start + 1]


def test_key_findings_latest_year_names_the_fallback_denominator(app):
    at = app("map", measure="cla_starts_u1_rate", year="2025")
    box = _box(at)
    assert "live births" not in box.replace("instead of live births of the year before", "")
    assert "ONS mid-2024 population aged 0" in box
    caption = next(str(c.value) for c in at.caption if str(c.value).startswith("Denominator:"))
    assert caption in box  # one wording: the map caption's sentence, not a second one


def test_key_findings_earlier_year_says_live_births(app):
    at = app("map", measure="cla_starts_u1_rate", year="2024")
    box = _box(at)
    assert "Values are per 10,000 live births." in box
    assert "population aged 0" not in box


def test_denominator_note_counts_only_fallback_rows():
    from pages._lib import denominators
    from pipeline.denominator_notes import age0_note
    df = pd.DataFrame({"status": ["denominator_fallback", "ok", "denominator_fallback", "suppressed"],
                       "note": [age0_note(2024), None, age0_note(2024), "c"]})
    s = denominators.note(df)
    assert s.startswith("Denominator: 2 of these rates use ONS mid-2024 population aged 0 instead of live births")
    assert denominators.note(df[df["status"] == "ok"]) is None
    assert denominators.note(pd.DataFrame({"value": [1.0]})) is None
