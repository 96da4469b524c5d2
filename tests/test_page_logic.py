"""The page logic that moved from the page scripts to pages/_lib, tested without running a page: the level a
measure is mapped at, the model periods of the North–south page, the disclosure rule of the Your data page (never
looser than 1-4) and its links, the trend table with continued series."""
from __future__ import annotations

import pandas as pd

from pages._lib import map_view, ns_view, upload_view


def test_a_region_only_measure_is_mapped_by_region():
    assert map_view.level_of({"level": "region"}) == "region"
    assert map_view.level_of({"level": "la"}) == "la" and map_view.level_of({}) == "la"
    assert map_view.level_words("region") == "regions"
    assert map_view.level_words("la") == "local authorities"


def test_model_periods_split_selected_year_pooled_and_others():
    sm = pd.DataFrame({"period": ["2023", "2024", "2025", "2014-2024"]})
    this, pooled, others = ns_view.model_periods(sm, 2024)
    assert list(this["period"]) == ["2024"]
    assert list(pooled["period"]) == ["2014-2024"]
    assert list(others["period"]) == ["2023", "2025"]
    this, _, others = ns_view.model_periods(sm, 2019)  # no model for the year: every single year is "other"
    assert this.empty and len(others) == 3


def test_disclosure_rule_is_never_looser_than_one_to_four():
    rule, text = upload_view.disclosure_rule(2)
    assert (rule.min_count, rule.max_count) == (1, 4)
    assert text == "counts 1-4 suppressed, with complementary suppression"
    rule, text = upload_view.disclosure_rule(9)
    assert rule.max_count == 9 and text.startswith("counts 1-9 ")


def test_dataset_links_open_each_page_on_the_first_measure():
    links = upload_view.page_links(["user.a.x", "user.a.y"])
    assert [p for p, _, _ in links] == ["pages/map.py", "pages/trends.py", "pages/compare.py", "pages/downloads.py"]
    params = {p: q for p, _, q in links}
    assert params["pages/map.py"] == {"measure": "user.a.x"} and params["pages/compare.py"] == {}
    assert params["pages/downloads.py"] == {"measures": "user.a.x"}


def test_scatter_count_text_counts_areas_with_and_without_a_value():
    sd = pd.DataFrame({"value": [1.0, None, 3.0]})
    assert ns_view.scatter_count_text(sd, "2024/25") == (
        "2 local authorities have a value in 2024/25; 1 have none (suppressed or not available) and are not plotted.")
