"""Keep a session consistent when a user changes widgets faster than the app reruns.

Two races in Streamlit's protocol, both seen as a page showing several years at once after quick clicks on the
Map's year slider:

1. **Message cache.** The browser sends, with each rerun request, the hashes of the large messages (e.g. a map
   figure) it has cached; the server then sends only a reference to such a message. The browser evicts cached
   messages by age when a run finishes; a run that finishes after the request was sent but before the reply
   arrives can evict a message the server has just referred to: the browser reports "Cached ForwardMsg MISS",
   drops the connection and leaves a mix of old and new elements. `no_message_cache` turns that cache off (every
   message is sent in full; a figure is ~200 KB, sent anyway when the year changes).
2. **URL.** Each rerun request carries the browser's URL as it was at the click, which can be a step behind an
   update from an earlier run still on its way; `state.flush_url` therefore sends the final URL after every
   finished run, and only a Back/Forward rerun lets the URL override the widgets (`state.PageState`).
"""
from __future__ import annotations

NEVER = 1e15  # bytes: no message is this large, so none is cached


def no_message_cache() -> None:
    """Send every message in full (call at the top of the entry script, before any element)."""
    from streamlit import config
    if config.get_option("global.minCachedMessageSize") < NEVER:
        config.set_option("global.minCachedMessageSize", NEVER, "pages/_lib/rerun.py")

