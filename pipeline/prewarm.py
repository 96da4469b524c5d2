"""Pre-warm a freshly started app: as soon as the server answers its health check, one headless session runs the
default page (the map), so the warehouse connection, the measure registry, the latest boundary layer and the first
map figure are in the process's caches before (or while) the first visitor's page loads. Concurrent visitors wait
for the same cached values instead of computing them again (Streamlit's caches compute each key once).

Used by `atlas up` and by `benchmarks/cold_start.py --prewarm`. Never fatal: on any failure it returns None.
`prewarm_release` makes the whole-release zip of the warehouse in a background thread if it is missing from the
release cache (pipeline/release_cache.py), so the first "Download the whole release" starts at once.
"""
from __future__ import annotations

import asyncio
import time
import urllib.request


def wait_healthy(base: str, timeout: float = 90, proc=None) -> bool:
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < timeout:
        try:
            if urllib.request.urlopen(f"{base}/_stcore/health", timeout=2).read().strip() == b"ok":
                return True
        except OSError:
            time.sleep(0.05)
        if proc is not None and proc.poll() is not None:
            return False
    return False


async def _run_default_page(ws_url: str, timeout: float) -> bool:
    import websockets
    from streamlit.proto.BackMsg_pb2 import BackMsg
    from streamlit.proto.ForwardMsg_pb2 import ForwardMsg

    async with websockets.connect(ws_url, subprotocols=["streamlit"], max_size=2 ** 26, open_timeout=timeout,
                                  ping_interval=None) as ws:
        msg = BackMsg()
        msg.rerun_script.query_string = ""
        msg.rerun_script.page_name = ""
        await ws.send(msg.SerializeToString())
        deadline = time.perf_counter() + timeout
        while (left := deadline - time.perf_counter()) > 0:
            fm = ForwardMsg()
            fm.ParseFromString(await asyncio.wait_for(ws.recv(), timeout=left))
            if fm.WhichOneof("type") == "script_finished":
                if ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished) == "FINISHED_EARLY_FOR_RERUN":
                    continue
                return True
    return False


def prewarm(base: str, timeout: float = 90, proc=None) -> float | None:
    """Wait for the server at `base` (http://host:port), run its default page once; seconds taken, or None."""
    import threading
    t0 = time.perf_counter()
    if not wait_healthy(base, timeout, proc):
        return None
    ws_url = base.replace("http", "ws", 1).rstrip("/") + "/_stcore/stream"
    result: dict = {}

    def run() -> None:  # its own thread and event loop (the caller may be inside one)
        try:
            result["ok"] = asyncio.run(_run_default_page(ws_url, timeout))
        except Exception as exc:  # never fatal
            result["error"] = exc
    t = threading.Thread(target=run, daemon=True)
    t.start()
    t.join(timeout + 5)
    return time.perf_counter() - t0 if result.get("ok") else None


def prewarm_release(warehouse, cache_dir=None):
    """Make the release zip of `warehouse` in a background thread (never fatal); the thread, or None if one is
    still running in this process."""
    from pathlib import Path

    from .release_cache import in_background, prepare
    return in_background(("prepare", str(Path(warehouse).resolve())), lambda: prepare(Path(warehouse), cache_dir))
