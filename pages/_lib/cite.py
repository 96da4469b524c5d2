"""Citable, build-pinned views.

- Every permalink carries the build id (`build=<first 12 characters of the build fingerprint>`), written by
  `on_page` from PageState. Opening a link made on another build shows a notice: "figures may have changed since this
  link was made on <date>", with what differs where it is cheap to know (measures added or removed, source editions
  changed) from the build manifests the warehouse knows (`build_manifests`, pipeline/manifest.py). A build id it does
  not know is said to be unknown.
- `render` puts a "Cite this view" line at the foot of every page (title, measure, period, areas, build id, date,
  URL, sources) in a code block, which has a copy button.
"""
from __future__ import annotations

import datetime as dt
import re
import threading
from urllib.parse import urlencode

import streamlit as st

from pipeline import manifest

from . import data, ui

PARAM = "build"
_ID = re.compile(r"[0-9a-f]{6,64}")
_local = threading.local()  # the PageState of the current script run (each run has its own thread)
MAX_AREAS_NAMED = 6


def current_id() -> str:
    return manifest.build_id(data.build_info().get("fingerprint"))


def _date(built_at) -> str:
    return str(built_at or "?")[:10]


def link_notice(link_id: str, cur: str, known: dict[str, dict]) -> str | None:
    """The notice for a link made on build `link_id`, opened on build `cur` (None if it is this build)."""
    if link_id == cur:
        return None
    now = known.get(cur, {})
    if link_id in known:
        old = known[link_id]
        diffs = manifest.diff(old, now) if now else []
        what = ("What differs: " + "; ".join(diffs[:6]) + (" …" if len(diffs) > 6 else "") + "."
                if diffs else "The measures and source editions are the same; methods or code may differ.")
        return (f"Figures may have changed since this link was made on {_date(old.get('built_at'))} (build "
                f"{link_id}); this is build {cur}, made on {_date(now.get('built_at'))}. {what}")
    return (f"This link was made on build {link_id}, which this build ({cur}, made on {_date(now.get('built_at'))}) "
            "does not know, so it cannot say what differs: figures may have changed since this link was made.")


def on_page(ps) -> None:
    """Called by PageState: compare the link's build id with this build's (notice if they differ), then write this
    build's id into the URL."""
    _local.ps = ps
    cur = current_id()
    raw = ps._raw(PARAM)
    seen = st.session_state.setdefault("_cite_link_builds", {})
    if raw is None:  # opened from the app's navigation, not from a link
        seen.pop(ps.page, None)
    elif raw != cur:
        if _ID.fullmatch(raw):
            seen[ps.page] = raw
        else:
            ps.notice("The link's build id is not recognised; showing this build's figures.")
    if ps.page in seen:
        msg = link_notice(seen[ps.page], cur, data.build_manifests())
        if msg:
            ps.notice(msg)
    ps.set_param(PARAM, cur)


# ---------------------------------------------------------------------------------------------------------------
def _params() -> dict[str, str]:
    ps = getattr(_local, "ps", None)
    out = {}
    try:
        pending = st.session_state.get("_url_pending")  # this run's URL, written at its end (state.flush_url)
        out = dict(pending) if pending is not None else {k: st.query_params.get(k) for k in st.query_params.keys()}
    except Exception:  # pragma: no cover - defensive
        pass
    if ps is not None:
        out.update(ps.written)
    out[PARAM] = current_id()
    return {k: str(v) for k, v in out.items() if v is not None}


def _list(v: str | None) -> list[str]:
    return [x for x in (v or "").split(",") if x]


def citation(title: str, url_path: str, params: dict[str, str], today: dt.date | None = None,
             base_url: str | None = None) -> str:
    """The citation of a view, from its URL parameters."""
    info = data.build_info()
    names = data.area_names()
    mids = [m for m in _list(params.get("measure")) + _list(params.get("measures")) if m]
    parts = [f"{title}"]
    if mids:
        parts.append("; ".join(f"{ui.measure_label(m)} ({m})" for m in mids[:4]) + (" …" if len(mids) > 4 else ""))
    if params.get("year") and mids:
        try:
            parts.append(data.period_label(mids[0], int(params["year"])))
        except (ValueError, KeyError):
            parts.append(params["year"])
    elif params.get("from") and params.get("to"):
        parts.append(f"{params['from']}–{params['to']}")
    elif params.get("period"):
        parts.append(params["period"])
    elif mids and not data.is_user(mids[0]) and data.measure_years(mids[0]):
        ys = data.measure_years(mids[0])  # a view of every year (trends)
        parts.append(f"{data.period_label(mids[0], min(ys))}–{data.period_label(mids[0], max(ys))}")
    codes = _list(params.get("area")) + _list(params.get("areas")) + _list(params.get("with"))
    if codes:
        shown = ", ".join(names.get(c, c) for c in codes[:MAX_AREAS_NAMED])
        parts.append(shown + (f" and {len(codes) - MAX_AREAS_NAMED} more" if len(codes) > MAX_AREAS_NAMED else ""))
    query = urlencode(params, safe=",")
    base = base_url or f"/{url_path}"
    url = f"{base}?{query}" if query else base
    src = _sources(mids)
    today = today or dt.datetime.now(dt.timezone.utc).date()
    return (f"{'. '.join(parts)}. Infants entering care in England (and Wales): local-authority atlas, build "
            f"{params.get(PARAM, current_id())} (data built {_date(info.get('built_at'))}, code "
            f"{info.get('code_version', '?')}). Accessed {today.isoformat()}. {url}. Sources: {src}.")


def _sources(mids: list[str]) -> str:
    if any(data.is_user(m) for m in mids):
        user = "user-supplied data uploaded in the viewer's session (not official statistics; not in the link)"
    else:
        user = ""
    ids: list[str] = []
    for m in mids:
        if not data.is_user(m):
            ids += [s.strip() for s in str(data.measure(m).get("source_ids") or "").split(",") if s.strip()]
    ids = list(dict.fromkeys(ids))
    if not ids:
        return user or "see the Methods & sources page of the atlas"
    src = data.sources().set_index("id")
    out = []
    for i in ids:
        if i in src.index:
            r = src.loc[i]
            out.append(f"{r['publisher']}, {r['title']} ({r['edition']})")
    return "; ".join([*out, *([user] if user else [])]) or "see the Methods & sources page of the atlas"


def run_page(page) -> None:
    """page.run(), then the citation at its foot (a page that ends early calls ui.stop(), which cites first)."""
    _local.page, _local.ps = page, None
    try:
        page.run()
        render(page)
    finally:
        _local.page = None


def render_current() -> None:
    """The citation of the page being run (for a page that stops early)."""
    page = getattr(_local, "page", None)
    if page is not None:
        render(page)
        _local.page = None


def render(page) -> None:
    """The "Cite this view" line at the foot of the page `page` (the st.Page being run)."""
    try:
        params = _params()
        base = None
        try:
            base = st.context.url
        except Exception:  # noqa: BLE001 - outside a browser session (tests)
            base = None
        text = citation(page.title, page.url_path, params, base_url=base)
    except data.WarehouseMissing:
        return
    finally:
        _local.ps = None
    st.markdown("**Cite this view**")
    st.code(text, language=None, wrap_lines=True)
