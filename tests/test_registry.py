"""The source registry (data/sources.toml): every source can be obtained, pinned and verified.

Holds for every entry, including ones added later at the end of the file (the rules are in CONTRIBUTING.md).
"""
from __future__ import annotations

import hashlib
import re
import tomllib
from collections import Counter
from urllib.parse import urlsplit

import pytest

from pipeline import config
from pipeline.registry import load_sources

REQUIRED = ("url", "sha256", "landing_page", "licence", "publisher", "edition")
ENTRIES = tomllib.loads(config.sources_toml().read_text(encoding="utf-8"))["source"]
GITHUB_RAW = re.compile(r"^https://raw\.githubusercontent\.com/[^/]+/[^/]+/([0-9a-f]{40})/.+")


def _ids():
    return [e.get("id", f"entry {i}") for i, e in enumerate(ENTRIES, start=1)]


def entry_problems(entry: dict) -> list[str]:
    """What is wrong with one registry entry (empty list: complete, pinned and verifiable)."""
    sid = entry.get("id")
    missing = [f"{sid}: no {f!r}" for f in REQUIRED if f not in entry]
    if missing:
        return missing
    out = [f"{sid}: empty {f!r}" for f in ("sha256", "landing_page", "licence", "publisher", "edition")
           if not str(entry[f]).strip()]
    if not re.fullmatch(r"[0-9a-f]{64}", entry["sha256"]):
        out.append(f"{sid}: sha256 is not 64 hex digits")
    if urlsplit(entry["landing_page"]).scheme != "https":
        out.append(f"{sid}: landing_page is not https")
    if entry.get("seed"):
        # a hand-compiled table: shipped with the project, so its bytes are pinned by the checksum here
        if entry["url"]:
            out.append(f"{sid}: a seed has no download url")
        if entry["seed"] is not True:
            out.append(f"{sid}: seed must be `true` (the file is data/seeds/<path>)")
        seed = config.ROOT / "data" / "seeds" / entry["path"]
        if not seed.is_file():
            out.append(f"{sid}: seed {seed} missing")
        elif hashlib.sha256(seed.read_bytes()).hexdigest() != entry["sha256"]:
            out.append(f"{sid}: seed checksum")
        return out
    url = entry["url"]
    u = urlsplit(url)
    if not (u.scheme == "https" and u.netloc):
        out.append(f"{sid}: url {url!r} is not an https URL")
    if " " in url:
        out.append(f"{sid}: url has an unquoted space")
    if u.netloc in ("github.com", "raw.githubusercontent.com") and not GITHUB_RAW.match(url):
        # a repository copy must be the raw file pinned to a commit, never a branch name or an HTML page
        out.append(f"{sid}: {url} is not a raw.githubusercontent.com URL pinned to a commit")
    return out


@pytest.mark.parametrize("entry", ENTRIES, ids=_ids())
def test_source_entry_is_complete_and_pinned(entry):
    assert entry_problems(entry) == []


def test_no_two_sources_share_a_path_or_id():
    paths = Counter(e["path"] for e in ENTRIES)
    assert [p for p, n in paths.items() if n > 1] == []
    ids = Counter(e["id"] for e in ENTRIES)
    assert [i for i, n in ids.items() if n > 1] == []


def test_loader_keeps_seed_and_convert():
    srcs = load_sources()
    assert len(srcs) == len(ENTRIES)
    for e in ENTRIES:
        s = srcs[e["id"]]
        assert s.seed is bool(e.get("seed")) and s.convert == e.get("convert", "")
        assert s.convert_args == e.get("convert_args", {}) and s.download_sha256 == e.get("download_sha256", "")


def test_converted_sources_name_a_converter():
    """A registered file that is not a byte copy of its download says how `atlas fetch` makes it (a converter of
    pipeline/convert.py) and, where recorded, the original's checksum; the loader refuses anything else."""
    from pipeline.convert import CONVERTERS
    converted = [e for e in ENTRIES if "convert" in e]
    assert converted and all(e["convert"] in CONVERTERS for e in converted)
    assert all(re.fullmatch(r"[0-9a-f]{64}", e["download_sha256"]) for e in converted if "download_sha256" in e)
    assert all("convert" in e for e in ENTRIES if "download_sha256" in e or "convert_args" in e)


@pytest.mark.parametrize("extra, message", [
    ('convert = "converted by hand"', "is not a converter"),
    ('download_sha256 = "' + "0" * 64 + '"', "without convert"),
    ('convert = "rdata_to_csv"\ndownload_sha256 = "abc"', "not 64 hex digits"),
])
def test_loader_rejects_bad_conversions(tmp_path, extra, message):
    entry = ('[[source]]\nid = "x"\nfamily = "f"\ntitle = "t"\npublisher = "p"\nedition = "e"\nlicence = "l"\n'
             'landing_page = "https://a.org/"\nurl = "https://a.org/x.rds"\npath = "x.csv"\nsha256 = "' + "0" * 64
             + '"\n' + extra + "\n")
    (tmp_path / "sources.toml").write_text(entry, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_sources(tmp_path / "sources.toml")


def test_registry_check_names_each_bad_entry():
    """The entry check can fail: a branch URL, an http URL, a missing or empty url, a short checksum and a seed with
    a url are each reported with the entry id and what is wrong."""
    good = dict(id="x", url="https://raw.githubusercontent.com/o/r/" + "a" * 40 + "/f.csv", sha256="0" * 64,
                landing_page="https://example.org/", licence="OGL", publisher="P", edition="E", path="p")
    assert entry_problems(good) == []
    cases = [(dict(good, url="https://raw.githubusercontent.com/o/r/main/f.csv"), "not a raw.githubusercontent.com"),
             (dict(good, url="http://a.org/f"), "is not an https URL"),
             ({k: v for k, v in good.items() if k != "url"}, "no 'url'"),
             (dict(good, url=""), "is not an https URL"),
             (dict(good, sha256="abc"), "sha256 is not 64 hex digits"),
             (dict(good, seed=True, path="care/reference_figures.csv"), "a seed has no download url")]
    for bad, problem in cases:
        problems = entry_problems(bad)
        assert any(p.startswith("x: ") and problem in p for p in problems), (problem, problems)


def test_synthetic_edition_covers_every_source():
    """Tests without the mirror build from tests/fixtures/synthetic_raw/: every registered file needs its synthetic
    counterpart (or is a seed). After adding a source: python -m tests.synthetic.make_raw ../shared/data/raw"""
    from tests.conftest import SYNTHETIC_RAW
    missing = [e["path"] for e in ENTRIES if not e.get("seed") and not (SYNTHETIC_RAW / e["path"]).is_file()]
    assert missing == [], (f"no synthetic file for {missing}: run `python -m tests.synthetic.make_raw "
                           f"$ATLAS_MIRROR` and commit tests/fixtures/synthetic_raw/")
