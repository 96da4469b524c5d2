"""The app's pages, in menu order: one list used by streamlit_app.py (st.navigation) and by the tests.

Each page's file, menu title and URL path. The default page is served at the root URL; a hidden page is reachable
by its URL but not listed in the menu (`/map?...` links open the map too).
"""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import PurePosixPath


@dataclass(frozen=True)
class PageSpec:
    file: str
    title: str
    url_path: str
    default: bool = False
    hidden: bool = False

    @property
    def name(self) -> str:
        """The page's file name without .py (what AppTest.switch_page and the tests call a page)."""
        return PurePosixPath(self.file).stem

    @property
    def path(self) -> str:
        """The URL path a browser opens it at."""
        return "/" if self.default else f"/{self.url_path}"


PAGES: tuple[PageSpec, ...] = (
    PageSpec("pages/map.py", "Map", "map_home", default=True),
    PageSpec("pages/trends.py", "Trends", "trends"),
    PageSpec("pages/north_south.py", "North–south & deprivation", "north_south"),
    PageSpec("pages/compare.py", "Compare areas", "compare"),
    PageSpec("pages/profile.py", "Area profile", "profile"),
    PageSpec("pages/services.py", "Services", "services"),
    PageSpec("pages/newborns.py", "Newborns in care proceedings", "newborns"),
    PageSpec("pages/downloads.py", "Data & downloads", "downloads"),
    PageSpec("pages/your_data.py", "Your data", "your_data"),
    PageSpec("pages/methods.py", "Methods & sources", "methods"),
    PageSpec("pages/map.py", "Map", "map", hidden=True),
)


def menu(exclude: tuple[str, ...] = ()) -> list[PageSpec]:
    """The pages listed in the menu (not the hidden aliases), in order, leaving out the pages named in `exclude`."""
    return [p for p in PAGES if not p.hidden and p.name not in exclude]


def st_pages() -> list:
    """The st.Page objects for st.navigation."""
    import streamlit as st
    return [st.Page(p.file, title=p.title, url_path=p.url_path, default=p.default,
                    visibility="hidden" if p.hidden else "visible") for p in PAGES]
