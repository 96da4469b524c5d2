"""The committed Streamlit configuration: viewer toolbar (no Deploy button or developer menu), no usage statistics,
the upload limit of the "Your data" page, and theme colours meeting WCAG 2.2 AA contrast in light and dark mode."""
from __future__ import annotations

import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
CONFIG = ROOT / ".streamlit" / "config.toml"


def luminance(hex_colour: str) -> float:
    h = hex_colour.lstrip("#")
    c = [int(h[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    c = [x / 12.92 if x <= 0.03928 else ((x + 0.055) / 1.055) ** 2.4 for x in c]
    return 0.2126 * c[0] + 0.7152 * c[1] + 0.0722 * c[2]


def contrast(a: str, b: str) -> float:
    la, lb = luminance(a), luminance(b)
    return (max(la, lb) + 0.05) / (min(la, lb) + 0.05)


def test_contrast_formula():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#767676", "#ffffff") == pytest.approx(4.54, abs=0.01)


@pytest.fixture(scope="module")
def cfg():
    assert CONFIG.exists(), ".streamlit/config.toml is not committed"
    return tomllib.loads(CONFIG.read_text())


def test_viewer_toolbar_and_no_usage_stats(cfg):
    assert cfg["client"]["toolbarMode"] == "viewer"
    assert cfg["browser"]["gatherUsageStats"] is False


def test_upload_limit_matches_the_app(cfg):
    from pipeline.user_import import DEFAULT_MAX_BYTES
    assert cfg["server"]["maxUploadSize"] * 1024 * 1024 == DEFAULT_MAX_BYTES


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_theme_colours_meet_wcag_aa(cfg, mode):
    t = cfg["theme"][mode]
    for bg in ("backgroundColor", "secondaryBackgroundColor"):
        assert contrast(t["textColor"], t[bg]) >= 4.5, (mode, bg)
        assert contrast(t["linkColor"], t[bg]) >= 4.5, (mode, "link", bg)
    # white text on primary-coloured chips and buttons; the primary colour as a control against the page (3:1)
    assert contrast("#ffffff", t["primaryColor"]) >= 4.5, mode
    assert contrast(t["primaryColor"], t["backgroundColor"]) >= 3.0, mode
    for k, v in t.items():
        if k.endswith("TextColor"):
            assert contrast(v, t["backgroundColor"]) >= 4.5, (mode, k)
