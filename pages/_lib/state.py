"""Permalinks: every view-defining widget is mirrored in st.query_params and validated on the way in.

Precedence when a page is opened: a valid URL parameter > the value chosen on another page in this session
(shared keys such as the measure or the selected LA) > the default. Invalid URL values (unknown codes, bad years,
injection strings) fall back to the default and a visible notice says so; they never reach a query.
"""
from __future__ import annotations

import contextlib
import re
from typing import Any, Callable, Sequence

import streamlit as st

from . import cite

MAX_PARAM_LEN = 300
MAX_AREAS = 12
_PENDING = "_url_pending"
_LAST = "_url_last"  # page -> the parameters this session last wrote for it


def _pending() -> dict:
    return st.session_state.setdefault(_PENDING, {})


def discard_url() -> None:
    """Forget URL parameters collected by an interrupted run (call before a page runs)."""
    st.session_state.pop(_PENDING, None)
    st.session_state.pop(_PENDING + "_orig", None)
    st.session_state.pop(_PENDING + "_page", None)


def flush_url() -> None:
    """Write this run's URL parameters in one update (call after the page has run).

    Sent after every finished run, also when they equal st.query_params: those are the address the browser sent
    with the rerun request, which can be older than an update from an earlier run still on its way to the browser.
    The browser ignores an update equal to its address (no extra history entry)."""
    pend = st.session_state.pop(_PENDING, None)
    if pend is None:
        return
    orig = st.session_state.pop(_PENDING + "_orig", set())
    pend = {k: v for k, v in pend.items() if v is not None}
    current = {k: st.query_params.get(k) for k in st.query_params.keys()}
    # keep parameters other code wrote directly during this run
    pend.update({k: v for k, v in current.items() if k not in orig and k not in pend})
    page = st.session_state.pop(_PENDING + "_page", None)
    if page:
        st.session_state.setdefault(_LAST, {})[page] = dict(pend)
    if not st.session_state.get(_LAST + "_first_done"):
        # the session's first run (a page just opened): replace the address instead of adding an entry, so Back
        # leaves the page in one press
        st.session_state[_LAST + "_first_done"] = True
        if _replace_silently(pend):
            return
    st.query_params.from_dict(pend)


@contextlib.contextmanager
def url_written_at_end():
    """Run a page, then write its URL parameters (flush_url) if it finished. Not when the run was interrupted by a
    newer one (its parameters would be a half-written view); a page that ends early calls stop_page()."""
    yield
    flush_url()


def stop_page() -> None:
    """st.stop() for pages with URL parameters: the "Cite this view" line and the URL first (nothing can be sent
    after a stop)."""
    cite.render_current()
    flush_url()
    st.stop()


def _history_navigation() -> bool:
    """True when this run was started by the browser's Back/Forward (Streamlit marks such reruns)."""
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        return bool(getattr(get_script_run_ctx(), "is_history_navigation", False))
    except Exception:  # pragma: no cover - defensive
        return False


def _replace_silently(params: dict) -> bool:
    """Set the server's query parameters without a page-info message and replace the browser's address with a
    script (history.replaceState). False if Streamlit's internals are not as expected."""
    import json
    from urllib.parse import urlencode
    try:
        from streamlit.runtime.scriptrunner import get_script_run_ctx
        from streamlit.runtime.state.session_state_proxy import get_session_state
        ctx = get_script_run_ctx()
        with get_session_state().query_params() as qp:
            qp.clear_with_no_forward_msg(preserve_embed=True)
            for k, v in params.items():
                qp.set_with_no_forward_msg(k, v)
        qs = urlencode(params)
        if ctx is not None:
            ctx.query_string = qs
    except Exception:
        return False
    st.html("<script>window.history.replaceState(window.history.state, '', window.location.pathname + "
            f"({json.dumps('?' + qs if qs else '')}));</script>", unsafe_allow_javascript=True)
    return True


def _display(raw: str) -> str:
    """A safe, short rendering of a user-supplied value for a notice (no markdown, no HTML)."""
    s = re.sub(r"[^A-Za-z0-9_ .,/-]", "?", str(raw))[:40]
    return s + ("…" if len(str(raw)) > 40 else "")


def _safe_format(format_func: Callable) -> Callable:
    """format_func that always returns a string. Streamlit also formats the value a client sent back, which a
    tampered client can set to anything; a `dict.get` format_func then returns None and Streamlit's multiselect
    serializer raised TypeError (an exception shown on the page)."""
    def fmt(o):
        try:
            r = format_func(o)
        except Exception:
            return str(o)
        return str(o) if r is None else str(r)
    return fmt


class PageState:
    """Widgets whose values live in the URL. Create one per page run, at the top of the page."""

    def __init__(self, page: str, keys: tuple[str, ...] = ()):
        """keys: the URL parameters this page understands; any others (e.g. from another page's link) are
        dropped so the URL always describes exactly this view."""
        self.page = page
        keys = keys and (*keys, cite.PARAM)  # every permalink also carries the build id (cite.py)
        # URL parameters are collected during the run and written once at its end (flush_url): one browser-history
        # entry per user action
        pend = {k: st.query_params.get(k) for k in st.query_params.keys() if not keys or k in keys}
        st.session_state[_PENDING] = pend
        st.session_state[_PENDING + "_orig"] = set(st.query_params.keys())
        st.session_state[_PENDING + "_page"] = page
        # parameters changed by Back/Forward since this page last wrote them: the URL wins. Only on a history
        # navigation: in other reruns the address the browser sends can be a step behind (see flush_url)
        last = st.session_state.get(_LAST, {}).get(page)
        self._last = last or {}
        self._changed = ({k for k in set(pend) | set(self._last) if pend.get(k) != self._last.get(k)}
                         if last is not None and _history_navigation() else set())
        self.notices: list[str] = []
        self._box = st.container()
        self.written: dict[str, str] = {}
        self._shown = 0
        cite.on_page(self)

    # -- helpers -------------------------------------------------------------------------------------------------
    def _url_moved(self, wkey: str, *keys: str) -> bool:
        """True when Back/Forward changed these parameters since this page last wrote them (the widget then
        takes the URL's value). A link opens a new session or page, where the URL wins anyway."""
        return bool(set(keys) & self._changed) and wkey in st.session_state

    def _raw(self, key: str) -> str | None:
        try:
            v = st.query_params.get(key)
        except Exception:  # pragma: no cover - defensive
            return None
        if v is None:
            return None
        return str(v)[:MAX_PARAM_LEN]

    def _wkey(self, key: str) -> str:
        return f"w_{self.page}_{key}"

    def notice(self, msg: str) -> None:
        self.notices.append(msg)

    def set_param(self, key: str, value: Any) -> None:
        v = ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)
        self.written[key] = v
        _pending()[key] = v

    def drop_param(self, key: str) -> None:
        _pending().pop(key, None)

    # -- single choice -------------------------------------------------------------------------------------------
    def choice(self, key: str, label: str, options: Sequence, default: Any = None, *,
               format_func: Callable = str, shared: str | None = None, widget: str = "selectbox",
               container=None, what: str | None = None, **kw) -> Any:
        options = list(options)
        format_func = _safe_format(format_func)
        if not options:
            return None
        if default not in options:
            default = options[0]
        wkey = self._wkey(key)
        by_str = {str(o): o for o in options}
        if wkey not in st.session_state or self._url_moved(wkey, key):
            raw = self._raw(key)
            val = None
            if raw is not None:
                val = by_str.get(raw)
                if val is None:
                    self.notice(f"The link's {what or key} “{_display(raw)}” is not recognised; "
                                f"showing {format_func(default)} instead.")
            if val is None and shared and st.session_state.get(f"g_{shared}") in options:
                val = st.session_state[f"g_{shared}"] if raw is None else None
            st.session_state[wkey] = default if val is None else val
        elif st.session_state[wkey] not in options:
            # options changed (e.g. another measure has other years): keep the nearest valid value
            st.session_state[wkey] = _nearest(st.session_state[wkey], options, default)
        c = container or st
        if widget == "radio":
            val = c.radio(label, options, key=wkey, format_func=format_func, **kw)
        elif widget == "select_slider" and len(options) > 1:
            val = c.select_slider(label, options, key=wkey, format_func=format_func, **kw)
        else:
            kw.setdefault("filter_mode", "contains")
            val = c.selectbox(label, options, key=wkey, format_func=format_func, **kw)
        self.set_param(key, val)
        if shared:
            st.session_state[f"g_{shared}"] = val
        return val

    # -- several choices -----------------------------------------------------------------------------------------
    def multi(self, key: str, label: str, options: Sequence, default: Sequence = (), *,
              format_func: Callable = str, shared: str | None = None, max_n: int = MAX_AREAS,
              container=None, what: str | None = None, **kw) -> list:
        options = list(options)
        format_func = _safe_format(format_func)
        by_str = {str(o): o for o in options}
        default = [d for d in default if d in by_str.values()][:max_n]
        wkey = self._wkey(key)
        if wkey not in st.session_state or self._url_moved(wkey, key):
            raw = self._raw(key)
            val: list | None = None
            if raw is not None:
                parts = [p.strip() for p in raw.split(",") if p.strip()]
                good = list(dict.fromkeys(by_str[p] for p in parts if p in by_str))
                bad = [p for p in parts if p not in by_str]
                if bad:
                    self.notice(f"The link's {what or key} include{'s' if len(bad) == 1 else ''} "
                                f"{', '.join('“' + _display(b) + '”' for b in bad[:3])}"
                                f"{' …' if len(bad) > 3 else ''}, not recognised and left out.")
                if len(good) > max_n:
                    self.notice(f"At most {max_n} {what or key} can be shown; the first {max_n} are used.")
                val = good[:max_n] if good else None
                if val is None and bad:
                    self.notice(f"Showing the default {what or key} instead.")
            if val is None and shared:
                g = st.session_state.get(f"g_{shared}")
                if isinstance(g, list) and all(x in options for x in g) and g:
                    val = g
            st.session_state[wkey] = list(default) if val is None else val
        else:
            st.session_state[wkey] = [v for v in st.session_state[wkey] if v in options]
        c = container or st
        # exact substring matching; no "select all" (Enter adds one option, never every match)
        kw.setdefault("filter_mode", "contains")
        kw.setdefault("select_all", False)
        val = c.multiselect(label, options, key=wkey, format_func=format_func, max_selections=max_n, **kw)
        self.set_param(key, val)
        if shared:
            st.session_state[f"g_{shared}"] = val
        return val

    # -- a range of whole numbers (years) ------------------------------------------------------------------------
    def int_range(self, key_from: str, key_to: str, label: str, lo: int, hi: int, *, container=None,
                  what: str = "years", **kw) -> tuple[int, int]:
        """A range slider whose ends live in two URL parameters (e.g. from=2015&to=2025)."""
        lo, hi = int(lo), int(hi)
        if lo >= hi:
            self.set_param(key_from, lo)
            self.set_param(key_to, hi)
            return lo, hi
        wkey = self._wkey(f"{key_from}_{key_to}")
        cur = st.session_state.get(wkey)
        if wkey not in st.session_state or self._url_moved(wkey, key_from, key_to):
            ends = []
            for k, dflt in ((key_from, lo), (key_to, hi)):
                raw = self._raw(k)
                v = dflt
                if raw is not None:
                    try:
                        v = int(raw)
                    except ValueError:
                        v = None
                    if v is None:
                        self.notice(f"The link's {what} “{_display(raw)}” is not recognised; showing {dflt} instead.")
                        v = dflt
                    elif not lo <= v <= hi:
                        self.notice(f"The link's {what} “{_display(raw)}” is not recognised (outside the years "
                                    f"with data, {lo}–{hi}); showing {dflt} instead.")
                        v = dflt
                ends.append(v)
            st.session_state[wkey] = (min(ends), max(ends))
        else:
            try:
                a, b = (int(x) for x in cur)
            except Exception:
                a, b = lo, hi
            a, b = max(lo, min(a, hi)), max(lo, min(b, hi))
            st.session_state[wkey] = (min(a, b), max(a, b))
        c = container or st
        a, b = c.slider(label, min_value=lo, max_value=hi, step=1, key=wkey, **kw)
        self.set_param(key_from, a)
        self.set_param(key_to, b)
        return int(a), int(b)

    def show_notices(self) -> None:
        """Render the collected notices at the top of the page (call once, after the widgets)."""
        for n in list(dict.fromkeys(self.notices))[self._shown:]:
            self._box.warning(n, icon="⚠️")
        self._shown = len(dict.fromkeys(self.notices))


def _nearest(value, options, default):
    if isinstance(value, int) and all(isinstance(o, int) for o in options):
        return min(options, key=lambda o: (abs(o - value), -o))
    return default


def remember_area(code: str | None) -> None:
    """Record the LA chosen anywhere (map click, selectors) so other pages open on it."""
    if code:
        st.session_state["g_area"] = code


def remembered_area() -> str | None:
    return st.session_state.get("g_area")


def follow_defaults(ps: PageState, key: str, basis: tuple, defaults: Sequence) -> None:
    """Call before `ps.multi(key, ...)` when that widget's defaults depend on other choices (`basis`, e.g. the
    selected area and comparator set). When the basis changed since the last run, the widget is reset to the
    defaults for the new basis, or to the user's own choice for that basis if they edited it earlier in this
    session. On a page's first run the widget is left to the URL/default logic of `multi` (permalinks)."""
    wkey = ps._wkey(key)
    edits = st.session_state.setdefault(f"{wkey}__edits", {})
    prev = st.session_state.get(f"{wkey}__basis")
    if prev is not None and prev != basis and wkey in st.session_state:
        st.session_state[wkey] = list(edits.get(basis, defaults))
    st.session_state[f"{wkey}__basis"] = basis


def remember_edit(ps: PageState, key: str, basis: tuple, defaults: Sequence, value: Sequence) -> None:
    """Call after `ps.multi(key, ...)`: keep the user's choice for this basis if it differs from the defaults."""
    edits = st.session_state.setdefault(f"{ps._wkey(key)}__edits", {})
    if list(value) != list(defaults):
        edits[basis] = list(value)
    else:
        edits.pop(basis, None)
