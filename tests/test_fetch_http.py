"""`atlas fetch` by download, end to end, against a local HTTP server on 127.0.0.1 (never the internet).

The server serves a copy of the mirror laid out by URL path (`<host>/<path>` of each registered URL); the one
documented override, ATLAS_URL_REWRITE="https://=http://127.0.0.1:PORT/", points every registered URL at it.
"""
from __future__ import annotations

import hashlib
import os
import shutil
import time

import pytest

from pipeline.fetch import (
    REJECTED_DIR,
    FetchError,
    download,
    fetch,
    rewrite_url,
    url_rewrites,
)
from pipeline.registry import Source, load_sources
from tests.conftest import run_atlas
from tests.localserver import serve, url_to_local

pytestmark = pytest.mark.timeout(600)


def _src(id_, content: bytes, url_path: str) -> Source:
    return Source(id=id_, family="t", title=f"Title {id_}", publisher="P", edition="E", licence="OGL",
                  landing_page=f"https://example.org/landing/{id_}", url=f"https://files.example.org/{url_path}",
                  path=f"d/{id_}.csv", sha256=hashlib.sha256(content).hexdigest())


@pytest.fixture()
def site(tmp_path, monkeypatch):
    """Three small files on the local server; ATLAS_URL_REWRITE points https://files.example.org/ at it."""
    root = tmp_path / "srv"
    files = {}
    for i in range(3):
        body = (f"code,value\nE0{i},{i}\n" * 2000).encode()
        p = root / "files.example.org" / f"f{i}.csv"
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(body)
        files[f"f{i}"] = _src(f"f{i}", body, f"f{i}.csv")
    monkeypatch.setenv("ATLAS_FETCH_RETRIES", "2")
    monkeypatch.setenv("ATLAS_FETCH_TIMEOUT", "2")
    return root, files


def _run(site, tmp_path, monkeypatch, behaviour=None):
    root, files = site
    with serve(root, behaviour) as (base, srv):
        monkeypatch.setenv("ATLAS_URL_REWRITE", f"https://={base}")
        try:
            rep = fetch(raw=tmp_path / "raw", mirror=None, sources=files, progress=False)
            err = None
        except FetchError as exc:
            rep, err = exc.report, exc
    return rep, err, srv


def test_url_rewrite_rules():
    rules = url_rewrites("https://a.org/x/=http://127.0.0.1:1/ax/; https://=http://127.0.0.1:2/")
    assert rewrite_url("https://a.org/x/f.csv", rules) == "http://127.0.0.1:1/ax/f.csv"
    assert rewrite_url("https://b.org/y.csv", rules) == "http://127.0.0.1:2/b.org/y.csv"
    assert rewrite_url("https://b.org/y.csv", []) == "https://b.org/y.csv"


def test_download_all_then_present(site, tmp_path, monkeypatch):
    rep, err, _ = _run(site, tmp_path, monkeypatch)
    assert err is None and sorted(rep.downloaded) == ["f0", "f1", "f2"]
    assert "3 downloaded" in rep.summary() and "0 failed" in rep.summary()
    assert not list((tmp_path / "raw").rglob("*.part*"))
    rep2, err2, srv = _run(site, tmp_path, monkeypatch)
    assert err2 is None and sorted(rep2.present) == ["f0", "f1", "f2"] and srv.requests == []


def test_404_is_a_failure_with_landing_page_and_target(site, tmp_path, monkeypatch):
    rep, err, srv = _run(site, tmp_path, monkeypatch, {"files.example.org/f1.csv": "404"})
    assert err is not None and [f.source_id for f in rep.failed] == ["f1"]
    assert sorted(rep.downloaded) == ["f0", "f2"]
    msg = str(err)
    assert "HTTP 404" in msg and "https://example.org/landing/f1" in msg and str(tmp_path / "raw/d/f1.csv") in msg
    assert "2 downloaded" in msg and "1 failed" in msg
    assert srv.requests.count("files.example.org/f1.csv") == 1  # a 404 is not retried
    assert not (tmp_path / "raw/d/f1.csv").exists()


def test_truncated_download_is_retried_then_fails_and_nothing_half_written(site, tmp_path, monkeypatch):
    rep, err, srv = _run(site, tmp_path, monkeypatch, {"files.example.org/f2.csv": "truncate"})
    assert [f.source_id for f in rep.failed] == ["f2"] and "truncated" in str(err)
    assert srv.requests.count("files.example.org/f2.csv") == 2  # bounded: ATLAS_FETCH_RETRIES=2
    assert not (tmp_path / "raw/d/f2.csv").exists()
    assert not [p for p in (tmp_path / "raw").rglob("*") if p.is_file() and "f2" in p.name]


def test_transient_503_is_retried(site, tmp_path, monkeypatch):
    rep, err, srv = _run(site, tmp_path, monkeypatch, {"files.example.org/f0.csv": "flaky"})
    assert err is None and "f0" in rep.downloaded
    assert srv.requests.count("files.example.org/f0.csv") == 2


def test_checksum_mismatch_kept_aside_and_reported(site, tmp_path, monkeypatch):
    root, files = site
    (root / "files.example.org/f1.csv").write_bytes(b"code,value\nE01,999\n")  # another edition on the server
    got = hashlib.sha256(b"code,value\nE01,999\n").hexdigest()
    rep, err, _ = _run(site, tmp_path, monkeypatch)
    assert [f.source_id for f in rep.failed] == ["f1"]
    (m,) = rep.mismatches
    assert (m.file, m.expected, m.got) == ("d/f1.csv", files["f1"].sha256, got)
    assert not (tmp_path / "raw/d/f1.csv").exists()  # never used
    assert (tmp_path / "raw" / REJECTED_DIR / "d/f1.csv").read_bytes() == b"code,value\nE01,999\n"
    assert f"expected {files['f1'].sha256}, got {got}" in str(err)


def test_hanging_server_times_out(site, tmp_path, monkeypatch):
    monkeypatch.setenv("ATLAS_FETCH_TIMEOUT", "1")
    t0 = time.monotonic()
    rep, err, srv = _run(site, tmp_path, monkeypatch, {"files.example.org/f0.csv": "hang"})
    elapsed = time.monotonic() - t0
    assert [f.source_id for f in rep.failed] == ["f0"] and "timed out" in str(err)
    assert sorted(rep.downloaded) == ["f1", "f2"]
    assert srv.requests.count("files.example.org/f0.csv") == 2
    assert elapsed < 25  # two 1 s read timeouts plus a backoff, not the server's 30 s stall


def test_download_helper_writes_atomically(tmp_path):
    root = tmp_path / "srv"
    (root / "h").mkdir(parents=True)
    (root / "h/x.bin").write_bytes(b"abc" * 1000)
    dest = tmp_path / "out/x.bin"
    dest.parent.mkdir()
    dest.write_bytes(b"previous")
    with serve(root, {"h/x.bin": "truncate"}) as (base, _):
        with pytest.raises(Exception, match="truncated"):
            download(base + "h/x.bin", dest, timeout=2, attempts=1, progress=False)
    assert dest.read_bytes() == b"previous" and sorted(p.name for p in dest.parent.iterdir()) == ["x.bin"]


@pytest.mark.integration
def test_fetch_everything_by_download_then_build(mirror, tmp_path):
    """A clone with no mirror: `atlas fetch` downloads every registered URL into an empty cache, then `atlas build`.

    The local server stands in for the publishers and repositories, serving each registered file at its URL's path.
    (For the sources with a `convert` note the real URL serves the original before conversion; here it serves the
    registered file, so this test proves the URL layout, download, verification and build, not the conversion. Where
    that original is itself a registered source, the URL serves it, and the converted file is placed in the cache
    beforehand, as a mirror would provide it.)"""
    srv_root = tmp_path / "srv"
    raw, wh = tmp_path / "raw", tmp_path / "atlas.duckdb"
    sources = load_sources()
    byte_copy_urls = {s.url for s in sources.values() if not s.seed and not s.convert}
    cached = [s for s in sources.values() if s.convert and s.url in byte_copy_urls]
    for s in sources.values():
        if s.seed:
            continue  # shipped with the project, read in place from data/seeds/
        if s in cached:
            dest = raw / s.path
        else:
            dest = srv_root / url_to_local(s.url)
            assert not dest.exists(), f"two byte-copy sources share the URL {s.url}"
        dest.parent.mkdir(parents=True, exist_ok=True)
        os.link(mirror / s.path, dest) if _same_fs(mirror, dest.parent) else shutil.copyfile(mirror / s.path, dest)
    with serve(srv_root) as (base, srv):
        env = {"ATLAS_RAW": str(raw), "ATLAS_WAREHOUSE": str(wh), "ATLAS_URL_REWRITE": f"https://={base}",
               "ATLAS_MIRROR": ""}
        r = run_atlas(["fetch"], env)
        assert r.returncode == 0, r.stderr + r.stdout
        n_seed = sum(1 for s in sources.values() if s.seed)
        n_url = len(sources) - n_seed - len(cached)
        assert f"0 copied, {n_url} downloaded, {n_seed + len(cached)} present, 0 failed" in r.stdout
        assert len(set(srv.requests)) == n_url
        r = run_atlas(["build"], env)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "built " in r.stdout and wh.exists()
    import duckdb
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM sources WHERE NOT checksum_ok").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM indicator_values").fetchone()[0] > 0
    finally:
        con.close()


def _same_fs(a, b) -> bool:
    b.mkdir(parents=True, exist_ok=True)
    return os.stat(a).st_dev == os.stat(b).st_dev


def test_tests_cannot_leave_loopback():
    """The test session's guard: a connection to any address but loopback fails before touching the network, and
    downloads are rewritten to the loopback discard port unless a test points them at its own local server."""
    import socket
    s = socket.socket()
    try:
        with pytest.raises(OSError, match="only contact 127.0.0.1"):
            s.connect(("192.0.2.1", 443))  # TEST-NET-1, never routed
    finally:
        s.close()
    assert rewrite_url("https://www.ons.gov.uk/file").startswith("http://127.0.0.1:9/")
