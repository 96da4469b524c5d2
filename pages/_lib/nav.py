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


# On a narrow screen (a phone) the map is zoomed out to show the whole of its layer (England, or England and Wales):
# the server does not know the screen width, so the browser fits the map to the bounds the figure carries in
# layout.meta.fit_bounds, after every redraw.
MAP_FIT_JS = """<script>
(function () {
  if (window.__atlasFit) return;
  window.__atlasFit = true;
  function fit(gd) {
    try {
      var b = gd.layout && gd.layout.meta && gd.layout.meta.fit_bounds;
      var sp = gd._fullLayout && gd._fullLayout.map && gd._fullLayout.map._subplot;
      if (!b || !sp || !sp.map) return;
      if (gd.getBoundingClientRect().width >= 700) return;
      sp.map.fitBounds(b, {padding: 6, animate: false});
    } catch (e) { /* never break the chart */ }
  }
  setInterval(function () {
    // scrollable code blocks (build warnings) reachable by keyboard (WCAG 2.1.1)
    document.querySelectorAll('[data-testid="stCode"] pre:not([tabindex])').forEach(function (p) {
      p.setAttribute('tabindex', '0');
    });
    document.querySelectorAll('[data-testid="stPlotlyChart"] .js-plotly-plot').forEach(function (gd) {
      if (gd.__atlasFitOn || !gd.on || !gd._fullLayout || !gd._fullLayout.map) return;
      gd.__atlasFitOn = true;
      gd.on('plotly_afterplot', function () { fit(gd); });
      fit(gd);
    });
  }, 400);
})();
</script>"""


def page_title(title: str) -> str:
    """The browser tab's <title> for a page."""
    return f"{title} · {APP_NAME}"


def install_history_script() -> None:
    """Once per run (cheap): the history script above. Rendered in the sidebar, takes no space."""
    st.sidebar.html(HISTORY_JS + MAP_FIT_JS, unsafe_allow_javascript=True)


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
[data-testid="stSlider"] [role="slider"]:focus, [data-testid="stSlider"] [data-focus-visible="true"] {
  outline: 3px solid #0b5cad !important; outline-offset: 2px !important;
}
@media (prefers-color-scheme: dark) {
  [data-testid="stSidebarNav"] a:focus-visible, [data-testid="stPageLink"] a:focus-visible,
  [data-testid="stSlider"] [role="slider"]:focus-visible, button:focus-visible, a:focus-visible,
  [data-testid="stSlider"] [role="slider"]:focus, [data-testid="stExpander"] summary:focus-visible,
  [data-testid="stSlider"] [data-focus-visible="true"] {
    outline-color: #79b8ff !important; box-shadow: 0 0 0 5px #0e1117 !important;
  }
}
.stDeployButton, [data-testid="stAppDeployButton"] { display: none !important; }
/* the phone's sidebar button says what it opens */
[data-testid="stExpandSidebarButton"]::after { content: "Menu"; margin-left: 0.3rem; font-size: 0.95rem; }
/* views with a phone alternative: a per-measure list instead of a wide table */
@media (max-width: 640px) { .st-key-wide_only { display: none !important; } }
@media (min-width: 641px) { .st-key-phone_only { display: none !important; } }
</style>"""


def install_css() -> None:
    st.html(A11Y_CSS)
