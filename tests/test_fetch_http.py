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

from pipeline.convert import convert
from pipeline.fetch import (
    REJECTED_DIR,
    FetchError,
    download,
    fetch,
    rewrite_url,
    url_rewrites,
)
from pipeline.registry import Source, load_sources
from tests.conftest import FULL, run_atlas
from tests.localserver import serve, url_to_local
from tests.test_convert import TOPOJSON_ORIGINALS, make_r_original, sha, write_topojson

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
    monkeypatch.delenv("ATLAS_MIRROR", raising=False)  # the download path is under test, not a mirror copy
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


TOPO_ARGS = {"layer": "data", "drop": ["id"], "rename": {"AREACD": "CTYUA19CD", "AREANM": "CTYUA19NM"}}


@pytest.fixture()
def converted_site(tmp_path, monkeypatch):
    """Two converted sources on the local server: a TopoJSON (original checksum recorded) and an .rds (not recorded),
    each registered with the checksum of its conversion."""
    import pandas as pd
    import pyreadr
    root, ref = tmp_path / "srv" / "files.example.org", tmp_path / "ref"
    (root / "r").mkdir(parents=True)
    ref.mkdir()
    topo = write_topojson(root / "b.json")
    convert("topojson_layer", topo, ref / "b.geojson", TOPO_ARGS)
    pyreadr.write_rds(str(root / "r/t.rds"), pd.DataFrame({"code": ["E1", None], "n": ["5", "c"]}))
    convert("rdata_to_csv", root / "r/t.rds", ref / "t.csv")
    common = dict(family="t", publisher="P", edition="E", licence="OGL")
    srcs = {"b": Source(id="b", title="Title b", landing_page="https://example.org/landing/b",
                        url="https://files.example.org/b.json", path="geography/b.geojson",
                        sha256=sha(ref / "b.geojson"),
                        convert="topojson_layer", convert_args=TOPO_ARGS, download_sha256=sha(topo), **common),
            "t": Source(id="t", title="Title t", landing_page="https://example.org/landing/t",
                        url="https://files.example.org/r/t.rds", path="d/t.csv", sha256=sha(ref / "t.csv"),
                        convert="rdata_to_csv", **common)}
    monkeypatch.setenv("ATLAS_FETCH_RETRIES", "1")
    monkeypatch.setenv("ATLAS_FETCH_TIMEOUT", "5")
    return tmp_path / "srv", srcs, ref


def test_converted_sources_are_downloaded_converted_and_verified(converted_site, tmp_path, monkeypatch):
    root, srcs, ref = converted_site
    rep, err, _ = _run((root, srcs), tmp_path, monkeypatch)
    assert err is None and sorted(rep.downloaded) == sorted(rep.converted) == ["b", "t"]
    assert "0 copied, 2 downloaded, 0 present, 0 failed; 2 converted from their downloaded originals" in rep.summary()
    raw = tmp_path / "raw"
    assert (raw / "geography/b.geojson").read_bytes() == (ref / "b.geojson").read_bytes()
    assert (raw / "d/t.csv").read_bytes() == (ref / "t.csv").read_bytes() == b"code,n\nE1,5\n,c\n"
    assert sorted(p.relative_to(raw).as_posix() for p in raw.rglob("*") if p.is_file()) == ["d/t.csv",
                                                                                        "geography/b.geojson"]
    rep2, err2, srv = _run((root, srcs), tmp_path, monkeypatch)
    assert err2 is None and sorted(rep2.present) == ["b", "t"] and srv.requests == []


def test_converted_source_original_with_wrong_checksum_kept_aside(converted_site, tmp_path, monkeypatch):
    root, srcs, _ = converted_site
    other = write_topojson(tmp_path / "other.json", layer="data")
    other.write_text(other.read_text(encoding="utf-8").replace("Square", "Another edition"), encoding="utf-8")
    (root / "files.example.org/b.json").write_bytes(other.read_bytes())
    rep, err, _ = _run((root, srcs), tmp_path, monkeypatch)
    assert [f.source_id for f in rep.failed] == ["b"] and rep.downloaded == ["t"]
    (m,) = rep.mismatches
    assert (m.file, m.expected, m.got) == ("b.json (original of geography/b.geojson)", srcs["b"].download_sha256,
                                           sha(other))
    kept = tmp_path / "raw" / REJECTED_DIR / "geography/b.json"
    assert m.kept_at == str(kept) and kept.read_bytes() == other.read_bytes()
    assert not (tmp_path / "raw/geography/b.geojson").exists()  # never converted, never used
    assert f"expected {srcs['b'].download_sha256}, got {sha(other)}" in str(err) and "not converted" in str(err)


def test_conversion_with_other_bytes_kept_aside(converted_site, tmp_path, monkeypatch):
    """The .rds original has no recorded checksum: a different table is caught on the converted CSV."""
    import pandas as pd
    import pyreadr
    root, srcs, _ = converted_site
    pyreadr.write_rds(str(root / "files.example.org/r/t.rds"), pd.DataFrame({"code": ["E1", None], "n": ["6", "c"]}))
    rep, err, _ = _run((root, srcs), tmp_path, monkeypatch)
    assert [f.source_id for f in rep.failed] == ["t"] and rep.downloaded == ["b"]
    (m,) = rep.mismatches
    kept = tmp_path / "raw" / REJECTED_DIR / "d/t.csv"
    assert (m.file, m.expected, m.got, m.kept_at) == ("d/t.csv", srcs["t"].sha256, sha(kept), str(kept))
    assert kept.read_bytes() == b"code,n\nE1,6\n,c\n" and not (tmp_path / "raw/d/t.csv").exists()
    assert "converted with rdata_to_csv from t.rds" in str(err) and "checksum is not recorded" in str(err)


def test_original_that_cannot_be_converted_is_a_failure(converted_site, tmp_path, monkeypatch):
    root, srcs, _ = converted_site
    (root / "files.example.org/r/t.rds").write_bytes(b"<html>moved</html>")
    rep, err, _ = _run((root, srcs), tmp_path, monkeypatch)
    assert [f.source_id for f in rep.failed] == ["t"] and not rep.mismatches
    kept = tmp_path / "raw" / REJECTED_DIR / "d/t.rds"
    assert "conversion failed" in str(err) and "not a readable R data file" in str(err) and str(kept) in str(err)
    assert kept.read_bytes() == b"<html>moved</html>" and not (tmp_path / "raw/d/t.csv").exists()


def test_original_registered_as_a_byte_copy_is_not_downloaded_twice(converted_site, tmp_path, monkeypatch):
    root, srcs, _ = converted_site
    b = srcs["b"]
    copy = Source(id="b_topo", family="t", title="TopoJSON", publisher="P", edition="E", licence="OGL",
                  landing_page=b.landing_page, url=b.url, path="geography/src/b.json", sha256=b.download_sha256)
    rep, err, srv = _run((root, {"b": b, "b_topo": copy}), tmp_path, monkeypatch)
    assert err is None and sorted(rep.downloaded) == ["b", "b_topo"] and rep.converted == ["b"]
    assert srv.requests == ["files.example.org/b.json"]


@pytest.mark.integration
def test_fetch_everything_by_download_then_build(mirror, tmp_path):
    """A clone with no mirror: `atlas fetch` downloads every registered URL into an empty cache, then `atlas build`.

    The local server stands in for the publishers and repositories, serving each registered file at its URL's path.
    For the sources registered with `convert` it serves the originals, which `atlas fetch` converts and verifies: the
    exact TopoJSON files the mirror keeps under geography/topojson_source/ (the multi-year one is also a registered
    byte copy at the same URL, downloaded once), and for the two R data files, whose originals were not kept, an
    .rds/.rda holding the registered table. On the synthetic edition (no originals) the converted files are placed in
    the cache beforehand, as a mirror would provide them."""
    srv_root = tmp_path / "srv"
    raw, wh = tmp_path / "raw", tmp_path / "atlas.duckdb"
    sources = load_sources()
    cached = []
    for s in sorted((s for s in sources.values() if not s.seed), key=lambda s: bool(s.convert)):  # seeds: in place
        served = srv_root / url_to_local(s.url)
        if s.convert and not FULL:
            cached.append(s)
            _place(mirror / s.path, raw / s.path)
        elif s.convert == "rdata_to_csv":
            make_r_original(mirror, s.id, served)
        elif s.convert:
            if served.exists():  # the URL of a registered byte copy: that copy is the original
                assert sha(served) == s.download_sha256
            else:
                _place(mirror / TOPOJSON_ORIGINALS[s.id], served)
        else:
            assert not served.exists(), f"two byte-copy sources share the URL {s.url}"
            _place(mirror / s.path, served)
    with serve(srv_root) as (base, srv):
        env = {"ATLAS_RAW": str(raw), "ATLAS_WAREHOUSE": str(wh), "ATLAS_URL_REWRITE": f"https://={base}",
               "ATLAS_MIRROR": ""}
        r = run_atlas(["fetch"], env)
        assert r.returncode == 0, r.stderr + r.stdout
        n_seed = sum(1 for s in sources.values() if s.seed)
        n_url = len(sources) - n_seed - len(cached)
        assert f"0 copied, {n_url} downloaded, {n_seed + len(cached)} present, 0 failed" in r.stdout
        n_conv = sum(1 for s in sources.values() if s.convert) if FULL else 0
        assert (f"; {n_conv} converted from their downloaded originals" in r.stdout) is FULL
        urls = {url_to_local(s.url) for s in sources.values() if not s.seed and s not in cached}
        assert sorted(srv.requests) == sorted(urls)  # each URL once, nothing else
        r = run_atlas(["build"], env)
    assert r.returncode == 0, r.stderr + r.stdout
    assert "built " in r.stdout and wh.exists()
    assert not (raw / REJECTED_DIR).exists()
    import duckdb
    con = duckdb.connect(str(wh), read_only=True)
    try:
        assert con.execute("SELECT count(*) FROM sources WHERE NOT checksum_ok").fetchone()[0] == 0
        assert con.execute("SELECT count(*) FROM indicator_values").fetchone()[0] > 0
    finally:
        con.close()


@pytest.mark.integration
@pytest.mark.real_data("serves the publishers' original files of two converted sources")
@pytest.mark.parametrize("source_id, wrong", [("ctyua_2019", "ctyua_2018"), ("iod2025_file10_v2", "edited")])
def test_converted_source_from_another_original_is_kept_aside(real_mirror, tmp_path, monkeypatch, source_id, wrong):
    """A converted source whose URL serves another original (the 2018 TopoJSON at the 2019 URL; an .rda whose table
    has one value changed) is kept aside and reported, never used: on the original's recorded checksum where there is
    one, else on the checksum of its conversion."""
    src = load_sources()[source_id]
    served = tmp_path / "srv" / url_to_local(src.url)
    if wrong == "ctyua_2018":
        _place(real_mirror / TOPOJSON_ORIGINALS["ctyua_2018"], served)
    else:
        edited = tmp_path / "edited"
        text = (real_mirror / src.path).read_text(encoding="utf-8")
        (edited / src.path).parent.mkdir(parents=True)
        (edited / src.path).write_text(text.replace("Hartlepool,", "Hartlepool (edited),", 1), encoding="utf-8")
        make_r_original(edited, source_id, served)
    monkeypatch.setenv("ATLAS_FETCH_RETRIES", "1")
    rep, err, _ = _run((tmp_path / "srv", {src.id: src}), tmp_path, monkeypatch)
    (m,) = rep.mismatches
    assert [f.source_id for f in rep.failed] == [source_id] and not rep.downloaded
    assert m.expected == (src.download_sha256 or src.sha256) and m.got != m.expected
    assert f"expected {m.expected}, got {m.got} (kept aside at {m.kept_at})" in str(err)
    assert (tmp_path / "raw" / REJECTED_DIR).is_dir() and not (tmp_path / "raw" / src.path).exists()
    if wrong == "ctyua_2018":
        assert m.got == sha(real_mirror / TOPOJSON_ORIGINALS["ctyua_2018"]) and "not converted" in str(err)
    else:
        assert m.file == src.path and "checksum is not recorded" in str(err)


def _place(src, dest) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    os.link(src, dest) if _same_fs(src, dest.parent) else shutil.copyfile(src, dest)


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
