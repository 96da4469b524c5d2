"""Replicas behind a real load balancer, on loopback: HAProxy (Debian /usr/sbin/haproxy) in front of two Streamlit
replicas started by deploy/replicas.py on one read-only warehouse, driven by real Chromium sessions (Playwright).

- sessions are spread over both replicas and each stays on its own (ATLAS_REPLICA cookie; every HTTP response of a
  session, including uploads and media downloads, comes from that replica: X-Atlas-Replica header);
- an upload on Your data, a CSV download and the whole-release zip (made once, shared by the replicas) work
  through the proxy;
- killing one replica mid-session leaves sessions on the other unaffected, and a session on the killed one recovers
  its view by reloading its permalink, on the survivor.
Bounded: 2 replicas, at most 6 browser sessions, every wait has a timeout.
"""
from __future__ import annotations

import csv
import io
import os
import zipfile
from pathlib import Path

import pytest

from tests.app_support import CHROMIUM, chromium, with_geometry
from tests.test_browser import TIMEOUT_MS, goto, no_exception, wait_idle

pytestmark = [pytest.mark.slow, pytest.mark.browser]
ROOT = Path(__file__).resolve().parent.parent
MAP = "/?measure=cla_starts_u1_rate&year=2020"


@pytest.fixture(scope="module")
def deployment(warehouse, tmp_path_factory):
    from deploy import replicas
    if not Path(replicas.HAPROXY).exists():
        pytest.skip("haproxy not installed (Debian: apt-get install haproxy)")
    if not os.path.exists(CHROMIUM):
        pytest.skip("Debian chromium not installed (/usr/bin/chromium)")
    pytest.importorskip("playwright.sync_api")
    wh, _ = with_geometry(warehouse, tmp_path_factory.mktemp("deploywh") / "atlas.duckdb")
    dep = replicas.start(2, warehouse=wh, run_dir=tmp_path_factory.mktemp("deploy"))
    yield dep
    dep.stop()


@pytest.fixture(scope="module")
def browser(deployment):
    with chromium() as b:
        yield b


class Session:
    """One browser (own cookie jar) through the balancer, recording which replica answered each HTTP request."""

    def __init__(self, browser, base: str):
        self.ctx = browser.new_context(viewport={"width": 1300, "height": 1000}, accept_downloads=True)
        self.page = self.ctx.new_page()
        self.page.set_default_timeout(TIMEOUT_MS)
        self.base = base
        self.seen: list[str] = []
        self.page.on("response", lambda r: self.seen.append((r.headers.get("x-atlas-replica") or "", r.url)))

    def open(self, path: str) -> None:
        goto(self.page, self.base + path)
        no_exception(self.page)

    @property
    def replica(self) -> str:
        return next(c["value"] for c in self.ctx.cookies() if c["name"] == "ATLAS_REPLICA")

    def replicas_seen(self) -> set[str]:
        return {s for s, _ in self.seen if s}

    def year_left(self) -> str:
        """Move the map's year slider one step left with the keyboard; return the new year in the URL."""
        pg = self.page
        before = _param(pg, "year")
        slider = pg.get_by_role("slider").first
        slider.focus()
        pg.keyboard.press("ArrowLeft")
        wait_idle(pg)
        pg.wait_for_function(f"() => !location.search.includes('year={before}')", timeout=TIMEOUT_MS)
        wait_idle(pg)
        no_exception(pg)
        return _param(pg, "year")

    def close(self) -> None:
        self.ctx.close()


def _param(pg, key):
    from urllib.parse import parse_qs, urlparse
    return parse_qs(urlparse(pg.url).query).get(key, [None])[0]


def test_sessions_spread_and_stick_upload_and_download_work(deployment, browser):
    sessions = [Session(browser, deployment.url) for _ in range(4)]
    try:
        for s in sessions:
            s.open(MAP)
        on = [s.replica for s in sessions]
        assert set(on) == {"r1", "r2"}, on  # spread over both replicas
        for s in sessions:
            s.year_left()  # interaction over the websocket
        for s, r in zip(sessions, on):
            assert s.replica == r and s.replicas_seen() == {r}, (r, s.replicas_seen())  # each stayed on its own
        # an upload through the proxy (PUT to the session's replica, XSRF cookie + header)
        up = sessions[0]
        up.open("/your_data")
        up.page.locator('[data-testid="stFileUploader"] input[type="file"]').set_input_files(
            str(ROOT / "tests" / "fixtures" / "user" / "valid_extract.csv"))
        up.page.get_by_text("Your data in this session").wait_for(timeout=TIMEOUT_MS)
        wait_idle(up.page)
        no_exception(up.page)
        assert up.page.get_by_text("User-supplied — not official statistics").count() >= 1
        # a CSV download through the proxy (media file held by the session's replica)
        dl = sessions[1]
        dl.open("/downloads?measures=cla_starts_u1&levels=la&from=2019&to=2020")
        with dl.page.expect_download(timeout=TIMEOUT_MS) as d:
            dl.page.get_by_role("button", name="Download CSV").click()
        rows = list(csv.DictReader(io.StringIO(Path(d.value.path()).read_text(encoding="utf-8"))))
        assert rows and {r["measure_id"] for r in rows} == {"cla_starts_u1"}
        assert {r["year"] for r in rows} == {"2019", "2020"}
        # the whole release as one zip: made once per build (shared cache folder), not per click or per replica
        zips = []
        for s in (sessions[2], sessions[3]):  # one session on each replica
            s.open("/downloads")
            with s.page.expect_download(timeout=3 * TIMEOUT_MS) as d:
                s.page.get_by_role("button", name="Download the whole release").click()
            with zipfile.ZipFile(d.value.path()) as z:
                zips.append(sorted(z.namelist()))
            made = list((deployment.run_dir / "releases").glob("atlas-release-*.zip"))
            assert len(made) == 1
            if s is sessions[2]:
                first = made[0].stat().st_mtime_ns
        assert zips[0] == zips[1] and any(n.endswith("/datapackage.json") for n in zips[0])
        assert made[0].stat().st_mtime_ns == first  # the second replica reused the zip
        for s, r in zip(sessions, on):
            assert s.replica == r and s.replicas_seen() == {r}, (r, s.replicas_seen())
    finally:
        for s in sessions:
            s.close()


def test_script_starts_and_stops_replicas_and_balancer(warehouse, tmp_path):
    """`deploy/replicas.py start|status|stop`: detached processes recorded by pid, a read-only warehouse snapshot,
    HAProxy answering on loopback with the stickiness cookie, and nothing left running after `stop`."""
    import subprocess
    import sys
    import urllib.request

    from deploy import replicas
    if not Path(replicas.HAPROXY).exists():
        pytest.skip("haproxy not installed")
    port, run = replicas.free_port(), tmp_path / "run"
    cmd = [sys.executable, str(ROOT / "deploy" / "replicas.py")]
    r = subprocess.run([*cmd, "start", "--replicas", "2", "--port", str(port), "--warehouse", str(warehouse),
                        "--run-dir", str(run)], capture_output=True, text=True, timeout=400)
    dep = None
    try:
        assert r.returncode == 0, r.stderr
        dep = replicas.load(run)
        assert set(dep.pids) == {"r1", "r2", "haproxy"}
        assert (run / "atlas.duckdb").stat().st_mode & 0o222 == 0  # read-only for every replica
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=60) as resp:
            assert resp.status == 200 and "ATLAS_REPLICA=r" in (resp.headers.get("Set-Cookie") or "")
        st = subprocess.run([*cmd, "status", "--run-dir", str(run)], capture_output=True, text=True, timeout=60)
        assert st.stdout.count("running") == 3
    finally:
        subprocess.run([*cmd, "stop", "--run-dir", str(run)], capture_output=True, text=True, timeout=120)
    for pid in dep.pids.values() if dep else []:
        assert not Path(f"/proc/{pid}").exists() or "zombie" in Path(f"/proc/{pid}/status").read_text().lower()


def test_killing_a_replica_spares_the_other_and_reload_recovers_the_view(deployment, browser):
    """Runs last: it kills a replica of the module's deployment."""
    opened: list[Session] = []
    try:
        by_replica: dict[str, Session] = {}
        for _ in range(6):  # round robin: two or three sessions reach both replicas
            s = Session(browser, deployment.url)
            opened.append(s)
            s.open(MAP)
            by_replica.setdefault(s.replica, s)
            if len(by_replica) == 2:
                break
        assert set(by_replica) == {"r1", "r2"}
        victim, survivor = by_replica["r1"], by_replica["r2"]
        year_victim = victim.year_left()  # the victim's view now differs from the link it opened
        year_survivor = survivor.year_left()
        deployment.kill("r1")  # SIGKILL, mid-session
        # the other replica's session carries on
        y2 = survivor.year_left()
        assert int(y2) == int(year_survivor) - 1
        assert survivor.replica == "r2" and survivor.replicas_seen() == {"r2"}
        # the victim reloads its permalink and gets the same view from the survivor
        doc = victim.page.reload()
        assert doc.headers.get("x-atlas-replica") == "r2"
        wait_idle(victim.page)
        victim.page.wait_for_selector("h1", timeout=TIMEOUT_MS)
        wait_idle(victim.page)
        no_exception(victim.page)
        assert _param(victim.page, "year") == year_victim and _param(victim.page, "measure") == "cla_starts_u1_rate"
        label = f"{int(year_victim) - 1}/{str(year_victim)[2:]}"  # e.g. 2018/19 for year 2019
        assert label in victim.page.locator('[data-testid="stMarkdown"]').all_inner_texts().__str__()
        assert victim.replica == "r2"  # the balancer moved the browser to the survivor (cookie rewritten)
        victim.seen.clear()
        assert int(victim.year_left()) == int(year_victim) - 1  # and it carries on there
        assert victim.replicas_seen() <= {"r2"}, victim.seen
    finally:
        for s in opened:
            s.close()
