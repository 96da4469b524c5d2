"""Local authorities across reorganisations, in words: when a chosen area's code was not in force in the selected
year, say so and name the area(s) that covered its ground then (from area_successors, never from names)."""
from __future__ import annotations

import streamlit as st

from . import data


def _name(code: str) -> str:
    return f"{data.area_names().get(code, code)} ({code})"


def counterparts(code: str, year: int) -> list[str]:
    """Codes that covered `code`'s ground in DfE year `year` (year ending 31 March): its predecessors if `year` is
    before the change, its successors if after (one step each way, repeated)."""
    s = data.successors()
    out, frontier, seen = [], [code], {code}
    while frontier:
        c = frontier.pop()
        for r in s[s["new_code"] == c].itertuples():  # change on 1 April of from_year: new code from from_year + 1
            if int(year) <= int(r.from_year) and r.old_code not in seen:
                seen.add(r.old_code)
                out.append(r.old_code)
                frontier.append(r.old_code)
        for r in s[s["old_code"] == c].itertuples():
            if int(year) > int(r.from_year) and r.new_code not in seen:
                seen.add(r.new_code)
                out.append(r.new_code)
                frontier.append(r.new_code)
    return out


def absent(code: str, year: int, period: str, on_map: list[str]) -> tuple[str | None, str]:
    """(replacement, message) for an area `code` with no row on this map. replacement: the one counterpart that is
    on the map (else None). The message says the area did not exist in that year and names its counterparts."""
    c = [x for x in counterparts(code, year) if x in on_map] or counterparts(code, year)
    info = data.area_info(code)
    when = ""
    if info.get("valid_from") is not None and info.get("valid_from") == info.get("valid_from"):
        when = f" (its code is in force from {info['valid_from']:%-d %B %Y})"
    elif info.get("valid_to") is not None and info.get("valid_to") == info.get("valid_to"):
        when = f" (its code was in force until {info['valid_to']:%-d %B %Y})"
    msg = f"{_name(code)} did not exist in {period}{when}."
    if not c:
        return None, msg + " No area on this map covers its ground."
    earlier = any(x in set(data.successors()["old_code"]) and x in data.predecessors(code) for x in c)
    rel = "its predecessor" if earlier else "its successor"
    on = [x for x in c if x in on_map]
    if len(on) == 1:
        return on[0], msg + f" Showing {rel} {_name(on[0])} instead."
    rels = rel + ("s" if len(c) > 1 else "")
    return None, msg + f" In {period} its ground was covered by {rels}: " + ", ".join(_name(x) for x in c) + "."


def is_known(code) -> bool:
    return isinstance(code, str) and code in data.area_names()


def keep_area(ps, key: str, year: int, period: str, options: list[str]) -> None:
    """Before PageState.choice(key): if the area chosen (this session's widget value, else the link's parameter) is
    a real area that is not among this year's `options`, add a notice naming its counterpart and select the one
    counterpart on the map (else none)."""
    wkey = ps._wkey(key)
    asked = st.session_state.get(wkey) if wkey in st.session_state else st.query_params.get(key)
    if is_known(asked) and asked not in options:
        repl, msg = absent(asked, year, period, options)
        ps.notice(msg)
        st.session_state[wkey] = repl or ""
