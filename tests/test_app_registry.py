"""The page registry (pages/_lib/registry.py) is the app's navigation, and the one private Streamlit attribute the
app touches (ui.leave_legacy_pages_mode) still exists and still means what the app relies on."""
from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from pages._lib import registry

ROOT = Path(__file__).resolve().parent.parent


def test_registry_lists_existing_pages_once():
    assert all((ROOT / p.file).is_file() for p in registry.PAGES)
    assert len({p.url_path for p in registry.PAGES}) == len(registry.PAGES)
    assert [p.path for p in registry.PAGES if p.default] == ["/"]
    assert len({p.file for p in registry.menu()}) == len(registry.menu())  # the hidden alias is not in the menu
    assert registry.menu(exclude=("map",))[0].name == "trends"


def test_app_navigation_is_built_from_the_registry(monkeypatch, tmp_path):
    """The entry script's menu is the registry's (st.navigation gets exactly these pages)."""
    import streamlit as st
    from streamlit.testing.v1 import AppTest
    seen = []
    real = st.navigation

    def spy(pages, **kw):
        seen.append([(p.title, p.url_path) for p in pages])
        return real(pages, **kw)
    monkeypatch.setattr(st, "navigation", spy)
    monkeypatch.setenv("ATLAS_WAREHOUSE", str(tmp_path / "none.duckdb"))  # no warehouse: the page stops early
    AppTest.from_file(str(ROOT / "streamlit_app.py"), default_timeout=60).run()
    # (Streamlit serves the default page at the root: its url_path reads "")
    assert seen and seen[0] == [(p.title, "" if p.default else p.url_path) for p in registry.PAGES]


@pytest.fixture()
def pages_manager():
    from streamlit.runtime.pages_manager import PagesManager
    saved = PagesManager.uses_pages_directory
    yield PagesManager
    PagesManager.uses_pages_directory = saved


def test_streamlit_still_has_the_legacy_pages_flag(pages_manager, tmp_path):
    """Fails loudly if Streamlit renames or drops `PagesManager.uses_pages_directory`, or stops using it to choose
    the legacy multipage mode: then ui.leave_legacy_pages_mode must be revisited (perhaps a public way exists)."""
    from streamlit.runtime.scriptrunner import script_runner
    assert "uses_pages_directory" in vars(pages_manager), "Streamlit no longer has PagesManager.uses_pages_directory"
    # a `pages/` folder next to the entry script switches the legacy mode on ...
    (tmp_path / "pages").mkdir()
    (tmp_path / "app.py").write_text("")
    pages_manager.uses_pages_directory = None
    pages_manager(str(tmp_path / "app.py"))
    assert pages_manager.uses_pages_directory is True
    # ... the script runner runs the legacy mode when it is on, and st.navigation switches it off
    assert "PagesManager.uses_pages_directory" in inspect.getsource(script_runner.ScriptRunner)
    assert hasattr(script_runner, "_mpa_v1")
    from streamlit.commands import navigation
    assert "PagesManager.uses_pages_directory = False" in inspect.getsource(navigation.navigation)


def test_leave_legacy_pages_mode_switches_it_off_once(pages_manager):
    from pages._lib import ui
    pages_manager.uses_pages_directory = True
    assert ui.leave_legacy_pages_mode() is True
    assert pages_manager.uses_pages_directory is False
    assert ui.leave_legacy_pages_mode() is False
