"""Measures grouped by topic, the one place that orders them for every picker, table and list in the app.

Order: the registry's topics in `pipeline.registry.TOPICS` order (user-supplied measures last, under "Your
data"); within a topic, headline measures (`headline = true` in data/measures*.toml) first, then the registry's
order. A measure without a known topic goes under "Context".
"""
from __future__ import annotations

from typing import Callable, Iterable

from pipeline.registry import TOPICS

USER_TOPIC = TOPICS[-1]
DEFAULT_TOPIC = "Context"


def topic_of(row: dict, is_user: bool = False) -> str:
    if is_user:
        return USER_TOPIC
    t = (row or {}).get("topic")
    return t if t in TOPICS else DEFAULT_TOPIC


def ordered(ids: Iterable[str], meta: Callable[[str], dict], is_user: Callable[[str], bool]) -> list[str]:
    """`ids` sorted by topic, headline measures first within a topic, otherwise in the given order."""
    ids = list(dict.fromkeys(ids))
    pos = {m: i for i, m in enumerate(ids)}

    def key(m):
        row = {} if is_user(m) else (meta(m) or {})
        return (TOPICS.index(topic_of(row, is_user(m))), 0 if row.get("headline") in (True, 1) else 1, pos[m])
    return sorted(ids, key=key)


def grouped(ids: Iterable[str], meta: Callable[[str], dict],
            is_user: Callable[[str], bool]) -> list[tuple[str, list[str]]]:
    """[(topic, [measure ids in order]), ...] for the topics that have any of `ids`, in topic order."""
    out: dict[str, list[str]] = {}
    for m in ordered(ids, meta, is_user):
        out.setdefault(topic_of({} if is_user(m) else meta(m), is_user(m)), []).append(m)
    return list(out.items())
