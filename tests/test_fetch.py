"""`atlas fetch`: mirror copy, checksum warnings, missing-file message."""
import hashlib

import pytest

from pipeline.errors import AtlasError
from pipeline.fetch import FetchError, fetch
from pipeline.registry import Source


def _src(id_, path, content, url=""):
    return Source(id=id_, family="t", title=f"Title {id_}", publisher="P", edition="E", licence="OGL",
                  landing_page=f"https://example.org/{id_}", url=url, path=path,
                  sha256=hashlib.sha256(content).hexdigest())


def test_copy_from_mirror_then_present(tmp_path):
    mirror, raw = tmp_path / "m", tmp_path / "raw"
    (mirror / "a").mkdir(parents=True)
    (mirror / "a/f.csv").write_bytes(b"x,y\n1,2\n")
    srcs = {"f": _src("f", "a/f.csv", b"x,y\n1,2\n")}
    rep = fetch(raw=raw, mirror=mirror, sources=srcs, progress=False)
    assert rep.copied == ["f"] and (raw / "a/f.csv").read_bytes() == b"x,y\n1,2\n" and not rep.warnings
    rep2 = fetch(raw=raw, mirror=mirror, sources=srcs, progress=False)
    assert rep2.present == ["f"] and rep2.copied == []


def test_changed_checksum_is_a_warning_naming_the_file(tmp_path):
    mirror, raw = tmp_path / "m", tmp_path / "raw"
    (mirror / "a").mkdir(parents=True)
    (mirror / "a/f.csv").write_bytes(b"new edition\n")
    srcs = {"f": _src("f", "a/f.csv", b"old edition\n")}
    rep = fetch(raw=raw, mirror=mirror, sources=srcs, progress=False)
    assert len(rep.warnings) == 1 and "a/f.csv" in rep.warnings[0] and "checksum" in rep.warnings[0]


def test_missing_file_message(tmp_path):
    srcs = {"f": _src("f", "births/f.xlsx", b"z")}
    with pytest.raises(FetchError) as e:
        fetch(raw=tmp_path / "raw", mirror=tmp_path / "nomirror", sources=srcs, allow_download=False, progress=False)
    s = str(e.value)
    assert "1 source missing" in s and "0 present, 1 failed" in s and "f:" in s and "https://example.org/f" in s
    assert str(tmp_path / "raw/births/f.xlsx") in s


def test_several_missing_listed(tmp_path):
    srcs = {"f": _src("f", "f1", b"z"), "g": _src("g", "f2", b"z")}
    with pytest.raises(AtlasError) as e:
        fetch(raw=tmp_path / "raw", sources=srcs, allow_download=False, progress=False)
    assert "2 sources missing" in str(e.value)


def test_mirror_wins_over_download(tmp_path, monkeypatch):
    """With a mirror, nothing is downloaded (the URL points nowhere reachable and is never tried)."""
    monkeypatch.setenv("ATLAS_URL_REWRITE", "https://=http://127.0.0.1:9/")  # discard port: would fail if tried
    mirror, raw = tmp_path / "m", tmp_path / "raw"
    (mirror / "a").mkdir(parents=True)
    (mirror / "a/f.csv").write_bytes(b"x\n")
    srcs = {"f": _src("f", "a/f.csv", b"x\n", url="https://example.org/f.csv")}
    rep = fetch(raw=raw, mirror=mirror, sources=srcs, progress=False)
    assert rep.copied == ["f"] and rep.downloaded == [] and not rep.failed

