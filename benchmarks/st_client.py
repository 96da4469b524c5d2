"""A minimal Streamlit websocket client (the protocol the browser speaks), for load and concurrency tests.

It opens `/_stcore/stream`, sends `rerun_script` BackMsgs carrying widget states (as the browser does when a
widget changes) and reads ForwardMsgs until `script_finished`. It records the round-trip time of each rerun and
every error element the server sends (exceptions, st.error), so many sessions can be driven from one Python
process without a browser. Used by tests/test_concurrency.py and benchmarks/load_test.py, app_memory.py.

Only what the atlas needs: selectbox / select_slider / radio widgets (string values), found by their user key.
"""
from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from deploy import replicas
from deploy.replicas import free_port  # noqa: F401 (benchmarks and tests take it from here)

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class RunResult:
    seconds: float
    status: str
    errors: list[str] = field(default_factory=list)


class Session:
    """One browser-like session on a Streamlit server."""

    def __init__(self, base_ws: str, timeout: float = 60.0, page: str = "", cookie: str | None = None):
        self.url = base_ws.rstrip("/") + "/_stcore/stream"
        self.cookie = cookie  # e.g. the load balancer's stickiness cookie "ATLAS_REPLICA=r2"
        self.timeout = timeout
        self.ws = None
        self.page_name = page  # url path of a page ("trends"); "" = the default page
        self.page_hash = ""
        self.widgets: dict[str, Any] = {}     # user key -> element proto (selectbox, slider, radio)
        self.widget_ids: dict[str, str] = {}  # user key -> widget id
        self.states: dict[str, Any] = {}      # widget id -> WidgetState proto
        self.query_string = ""
        self.cached: set[str] = set()

    async def connect(self) -> None:
        import websockets
        self.ws = await websockets.connect(self.url, subprotocols=["streamlit"], max_size=2 ** 26,
                                           open_timeout=self.timeout, ping_interval=None,
                                           additional_headers={"Cookie": self.cookie} if self.cookie else None)

    async def close(self) -> None:
        if self.ws is not None:
            await self.ws.close()

    def _back(self):
        from streamlit.proto.BackMsg_pb2 import BackMsg
        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = self.query_string
        cs.page_script_hash = self.page_hash
        cs.page_name = self.page_name
        cs.widget_states.widgets.extend(self.states.values())
        return msg

    async def run(self, query_string: str | None = None) -> RunResult:
        """Send a rerun with the current widget states; wait for script_finished."""
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        if query_string is not None:
            self.query_string = query_string
        t0 = time.perf_counter()
        await self.ws.send(self._back().SerializeToString())
        errors: list[str] = []
        status = "timeout"
        deadline = t0 + self.timeout
        while True:
            left = deadline - time.perf_counter()
            if left <= 0:
                break
            raw = await asyncio.wait_for(self.ws.recv(), timeout=left)
            fm = ForwardMsg()
            fm.ParseFromString(raw)
            kind = fm.WhichOneof("type")
            if kind == "new_session":
                self.page_hash = fm.new_session.page_script_hash or self.page_hash
            elif kind == "navigation":
                self.page_hash = fm.navigation.page_script_hash or self.page_hash
            elif kind == "page_info_changed":
                self.query_string = fm.page_info_changed.query_string
            elif kind == "delta":
                self._delta(fm.delta, errors)
            elif kind == "script_finished":
                # FINISHED_SUCCESSFULLY=0 ... (early rerun / fragment variants count as finished too)
                name = ForwardMsg.ScriptFinishedStatus.Name(fm.script_finished)
                if name == "FINISHED_EARLY_FOR_RERUN":
                    continue  # the script reran itself (st.rerun); keep reading
                status = name
                break
            elif kind == "session_status_changed" or kind is None:
                pass
        return RunResult(time.perf_counter() - t0, status, errors)

    def _delta(self, delta, errors: list[str]) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        el = delta.new_element
        t = el.WhichOneof("type")
        if t == "exception":
            tb = " | ".join(list(el.exception.stack_trace)[-3:])
            errors.append(f"exception: {el.exception.type}: {el.exception.message} @ {tb}"[:1500])
        elif t == "alert" and el.alert.format == 1:  # Alert.ERROR
            errors.append(f"st.error: {el.alert.body}"[:500])
        elif t in ("selectbox", "slider", "radio", "multiselect", "checkbox"):
            w = getattr(el, t)
            # the user key is the suffix of the widget id ("$$ID-<hash>-<key>")
            key = w.id.rsplit("-", 1)[-1] if "-" in w.id else w.id
            self.widgets[key] = w
            self.widget_ids[key] = w.id

    def options(self, key: str) -> list[str]:
        w = self.widgets[key]
        if hasattr(w, "options"):
            return list(w.options)
        return []

    def set(self, key: str, label) -> None:
        """Set a selectbox/radio (string_value), select_slider or multiselect (string_array_value; pass a list
        for a multiselect) by displayed label(s), exactly as the browser sends them."""
        from streamlit.proto.WidgetStates_pb2 import WidgetState
        w = self.widgets[key]
        ws = WidgetState(id=w.id)
        kind = type(w).__name__
        if kind == "Slider":
            ws.string_array_value.data.append(label)
        elif kind == "MultiSelect":
            ws.string_array_value.data.extend(label if isinstance(label, list) else [label])
        elif kind == "Checkbox":
            ws.bool_value = bool(label)
        else:
            ws.string_value = label
        self.states[w.id] = ws




def start_streamlit(port: int, env: dict, log_path: Path, app: Path | None = None,
                    health_timeout: float = 90) -> subprocess.Popen:
    """`streamlit run` on loopback; returns when /_stcore/health answers ok (or raises)."""
    log = open(log_path, "w")
    proc = subprocess.Popen([sys.executable, "-m", "streamlit", "run", str(app or ROOT / "streamlit_app.py"),
                             "--server.port", str(port), "--server.address", "127.0.0.1",
                             "--server.headless", "true", "--browser.gatherUsageStats", "false",
                             "--server.fileWatcherType", "none", "--server.runOnSave", "false"],
                            cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    proc._log = log  # type: ignore[attr-defined]
    wait_healthy(f"http://127.0.0.1:{port}", proc, health_timeout)
    return proc


def wait_healthy(base: str, proc: subprocess.Popen | None = None, timeout: float = 90) -> float:
    """Seconds until the Streamlit server at `base` answers /_stcore/health (polled every 50 ms)."""
    return replicas.wait_healthy(f"{base}/_stcore/health", proc, timeout, poll=0.05)


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)
    log = getattr(proc, "_log", None)
    if log:
        log.close()


def peak_rss_kb(pid: int) -> tuple[int, int]:
    """(current RSS, peak RSS) of a process in kB, from /proc (Linux)."""
    vals = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        k, _, v = line.partition(":")
        if k in ("VmRSS", "VmHWM"):
            vals[k] = int(v.split()[0])
    return vals.get("VmRSS", 0), vals.get("VmHWM", 0)
