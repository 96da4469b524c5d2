"""Real-browser check of Compare: choosing another area brings that area's own DfE statistical neighbours into the
chips, the table and the URL (one browser, the same Streamlit server fixture as tests/test_browser.py)."""
from __future__ import annotations

import re

import pytest

from tests.test_browser import TIMEOUT_MS, _url_param, browser, goto, no_exception, page, server, wait_idle  # noqa: F401

pytestmark = pytest.mark.browser
BLACKPOOL_SN = "E06000001,E06000002,E08000024,E08000012,E08000023,E06000003,E08000005,E06000027,E08000006,E06000021"


def test_compare_area_change_brings_the_new_areas_neighbours(server, page):  # noqa: F811
    goto(page, server["base"] + "/compare?area=E08000025")  # Birmingham
    no_exception(page)
    first = _url_param(page, "with")
    assert first and first != BLACKPOOL_SN
    page.locator('[data-testid="stSelectbox"]').first.click()
    page.keyboard.type("Blackpool")
    page.get_by_role("option", name=re.compile(r"^Blackpool · E06000009")).first.click()
    wait_idle(page)
    page.wait_for_function("() => location.search.includes('area=E06000009')", timeout=TIMEOUT_MS)
    no_exception(page)
    assert _url_param(page, "with") == BLACKPOOL_SN and _url_param(page, "set") == "dfe_sn_2025"
    chips = page.locator('[data-testid="stMultiSelect"]').first.inner_text()
    assert "Hartlepool" in chips and "Stoke-on-Trent" in chips
    assert "Default comparators for Blackpool" in page.locator('[data-testid="stCaptionContainer"]').all_inner_texts(
    ).__str__()
