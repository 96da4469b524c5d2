"""Infant care-entry atlas: Streamlit entry point (multipage via st.navigation; pages live in pages/).

Shared code is in pages/_lib/ (data access, charts, permalinks); it is never run as a page because st.navigation
lists the pages explicitly.
"""
from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import streamlit as st  # noqa: E402

from pages._lib import cite, data, nav, registry, rerun, state, userdata  # noqa: E402

st.set_page_config(page_title=nav.APP_NAME, page_icon="🗺️", layout="wide")
rerun.no_message_cache()

PAGES = registry.st_pages()  # pages/_lib/registry.py: files, titles, URL paths (the tests use it too)
page = st.navigation(PAGES)
st.set_page_config(page_title=nav.page_title(page.title))

with st.sidebar:
    st.caption("Infants entering care in England (and Wales): a local-authority atlas for policymakers, "
               "commissioners and researchers.")
    try:
        info = data.build_info()
        st.caption(f"Data built {str(info.get('built_at', '?'))[:16]} · code {info.get('code_version', '?')}")
    except data.WarehouseMissing:
        pass
    if userdata.datasets():
        st.markdown(userdata.BADGE_MD)
        st.caption(f"User data loaded in this session: {', '.join(userdata.datasets())} (this browser session only).")

nav.install_css()
nav.install_history_script()
state.discard_url()
with state.url_written_at_end():  # one URL update per run, also when the page stops early (state.stop_page)
    cite.run_page(page)  # page.run(), then 'Cite this view' at the foot of the page
