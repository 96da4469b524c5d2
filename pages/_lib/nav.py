"""App-wide navigation furniture: page titles, one browser-history entry per user action, the `/map` alias.

History: Streamlit's frontend pushes a browser-history entry for every URL update it receives, and another when the
page changes. The pages therefore collect their URL parameters during a run and write them once at the end
(`state.flush_url`), and a small script turns the first URL update after a page change (the new page writing its
parameters) into a replacement of the entry the page change created. Back then returns to the previous view in
one press.
"""
from __future__ import annotations

import streamlit as st

APP_NAME = "Infants entering care atlas"

HISTORY_JS = """<script>
(function () {
  if (window.__atlasHistory) return;
  window.__atlasHistory = true;
  var h = window.history, push = h.pushState.bind(h), replace = h.replaceState.bind(h);
  // true right after a page change (or the first load), until the user does something
  var afterPageChange = true;
  var userActed = function () { afterPageChange = false; };
  ['pointerdown', 'keydown'].forEach(function (t) { document.addEventListener(t, userActed, true); });
  h.pushState = function (state, title, url) {
    try {
      var u = new URL(url, window.location.href);
      if (u.pathname !== window.location.pathname) {
        var r = push(state, title, url);
        afterPageChange = true;
        return r;
      }
      if (afterPageChange) {
        afterPageChange = false;
        return replace(state, title, url);
      }
    } catch (e) { /* fall through */ }
    return push(state, title, url);
  };
})();
</script>"""


def page_title(title: str) -> str:
    """The browser tab's <title> for a page."""
    return f"{title} · {APP_NAME}"


def install_history_script() -> None:
    """Once per run (cheap): the history script above. Rendered in the sidebar, takes no space."""
    st.sidebar.html(HISTORY_JS, unsafe_allow_javascript=True)


# Accessibility CSS (WCAG 2.2 AA): captions in the body text colour (Streamlit's faded caption grey is 3.9:1 on
# white), a visible keyboard focus ring on navigation links, sliders and buttons, the developer toolbar hidden.
A11Y_CSS = """<style>
[data-testid="stCaptionContainer"], [data-testid="stCaptionContainer"] * { color: inherit !important; }
[data-testid="stCaptionContainer"] { opacity: 0.85; }
[data-testid="stSliderThumbValue"], [data-testid="stSliderThumbValue"] * { color: inherit !important; }
[data-testid="stSidebarNav"] a:focus-visible, [data-testid="stPageLink"] a:focus-visible,
[data-testid="stSlider"] [role="slider"]:focus-visible, button:focus-visible, a:focus-visible,
[data-testid="stExpander"] summary:focus-visible {
  outline: 3px solid #0b5cad !important; outline-offset: 2px !important; box-shadow: 0 0 0 5px #ffffff !important;
}
[data-testid="stSlider"] [role="slider"]:focus { outline: 3px solid #0b5cad !important; outline-offset: 2px; }
@media (prefers-color-scheme: dark) {
  [data-testid="stSidebarNav"] a:focus-visible, [data-testid="stPageLink"] a:focus-visible,
  [data-testid="stSlider"] [role="slider"]:focus-visible, button:focus-visible, a:focus-visible,
  [data-testid="stSlider"] [role="slider"]:focus, [data-testid="stExpander"] summary:focus-visible {
    outline-color: #79b8ff !important; box-shadow: 0 0 0 5px #0e1117 !important;
  }
}
.stDeployButton, [data-testid="stAppDeployButton"] { display: none !important; }
</style>"""


def install_css() -> None:
    st.html(A11Y_CSS)
