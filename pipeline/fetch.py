"""`atlas fetch`: fill the raw cache (data/raw/) from a mirror directory, the project's seeds, or by download.

Seeds (`seed = true`: tables compiled by hand from cited pages, kept in the project under data/seeds/) are never
copied into the cache: their checksum is taken in place ("present") and the parsers read them from data/seeds/.
For every other registered source, in this order:
1. a file already in the cache with the registered checksum is left alone ("present");
2. a mirror (`--mirror DIR` / ATLAS_MIRROR) holding the file wins ("copied"), so CI and offline users never download;
3. a missing file with a registered `url` is downloaded ("downloaded"): bounded retries for transient failures
   (timeouts, connection errors, HTTP 5xx/408/429, truncated bodies), a read timeout so a hanging server cannot stall
   the run, a temporary file renamed into place only when complete, and the registered sha256 as the authority: a
   download with another checksum is kept aside under `<raw>/.rejected/` and reported (file, expected, got), never used.
   A source registered with `convert` (a file that is not a byte copy of its download, e.g. TopoJSON made GeoJSON)
   downloads the original, checks it against `download_sha256` where recorded (else it is only checked through its
   conversion), runs the converter (pipeline/convert.py) into a temporary file and keeps the result only if it has the
   registered sha256; an original or a conversion with another checksum is kept aside and reported the same way.
   An original that is itself a registered byte copy with that checksum (same URL) is taken from the cache.
A file already in the cache (or in the mirror) whose checksum differs from the registry is a warning naming the file
(a different edition, used if it still parses). Every file that could be obtained nowhere is a failure; the run ends
with one summary (copied / downloaded / present / failed), each failure with its landing page and target path.

Downloads (URL rewriting, timeouts, retries; environment ATLAS_URL_REWRITE, ATLAS_FETCH_TIMEOUT,
ATLAS_FETCH_RETRIES) are pipeline/download.py.
"""
from __future__ import annotations

import os
import shutil
import sys
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import config
from .convert import ConvertError, convert
from .download import DownloadError, download, rewrite_url, url_rewrites
from .errors import AtlasError, MissingSourceError
from .fingerprint import sha256_file
from .registry import Source, load_sources, source_file

REJECTED_DIR = ".rejected"


@dataclass
class Failure:
    source_id: str
    reason: str
    landing_page: str
    target: str
    url: str = ""

    def __str__(self) -> str:
        return (f"{self.source_id}: {self.reason}; landing page {self.landing_page}; put the file at {self.target} "
                f"(or pass --mirror DIR / set ATLAS_MIRROR to a folder holding it at the same relative path)")


@dataclass
class Mismatch:
    file: str
    expected: str
    got: str
    kept_at: str


@dataclass
class FetchReport:
    copied: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    failed: list[Failure] = field(default_factory=list)
    converted: list[str] = field(default_factory=list)  # of `downloaded`: converted from their downloaded original
    mismatches: list[Mismatch] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)

    def summary(self) -> str:
        head = (f"fetch: {len(self.copied)} copied, {len(self.downloaded)} downloaded, {len(self.present)} present, "
                f"{len(self.failed)} failed")
        if self.converted:
            head += f"; {len(self.converted)} converted from their downloaded originals"
        lines = [head]
        for m in self.mismatches:
            lines.append(f"  checksum mismatch: {m.file}: expected {m.expected}, got {m.got} "
                         f"(kept aside at {m.kept_at})")
        lines.extend(f"  failed: {f}" for f in self.failed)
        return "\n".join(lines)


class FetchError(MissingSourceError):
    """Some sources could be obtained nowhere; carries the full report (a MissingSourceError naming them all)."""

    def __init__(self, report: FetchReport):
        self.report = report
        self.source_id = report.failed[0].source_id if report.failed else ""
        n = len(report.failed)
        AtlasError.__init__(self, f"{n} source{'s' if n != 1 else ''} missing\n{report.summary()}")


def _copy(src: Path, dest: Path) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
    try:
        shutil.copyfile(src, tmp)
        tmp.replace(dest)
    finally:
        tmp.unlink(missing_ok=True)


def _record(report: FetchReport, src: Source, dest: Path) -> None:
    digest = sha256_file(dest)
    report.checksums[src.id] = digest
    if src.sha256 and digest != src.sha256:
        name, why = ((f"data/seeds/{src.path}", "the seed was edited; update its sha256 in data/sources.toml and its "
                      "PROVENANCE") if src.seed else (src.path, "a different edition; it is used if it still parses"))
        report.warnings.append(
            f"checksum of {name} (source {src.id}) is {digest[:12]}..., registry has {src.sha256[:12]}...: {why}")


def fetch(raw: Path | None = None, mirror: Path | None = None, sources: dict[str, Source] | None = None,
          allow_download: bool = True, progress: bool = True) -> FetchReport:
    raw = Path(raw or config.raw_dir())
    mirror = Path(mirror) if mirror else config.mirror_dir()
    sources = sources or load_sources()
    rules = url_rewrites()
    report = FetchReport()
    bar = tqdm(sorted(sources.values(), key=lambda s: bool(s.convert)), desc="fetch", unit="file",
               disable=not progress or not sys.stderr.isatty(), file=sys.stderr)
    for src in bar:  # converted sources last: their original may be another source's file, fetched first
        if src.seed:  # kept in the project (data/seeds/): checked in place, never copied or downloaded
            dest = source_file(src, raw)
            if not dest.is_file():
                report.failed.append(Failure(src.id, f"seed missing from the project ({src.title}); restore it "
                                                     f"from git", src.landing_page, str(dest)))
                continue
            report.present.append(src.id)
            _record(report, src, dest)
            continue
        dest = raw / src.path
        if dest.is_file() and (not src.sha256 or sha256_file(dest) == src.sha256):
            report.present.append(src.id)
        elif mirror is not None and (mirror / src.path).is_file():
            _copy(mirror / src.path, dest)
            report.copied.append(src.id)
        elif dest.is_file():
            pass  # keep the cached file; its checksum differs (warned below)
        elif not src.url:
            report.failed.append(Failure(src.id, f"not in the mirror and no download URL ({src.title})",
                                         src.landing_page, str(dest)))
            continue
        elif not allow_download:
            report.failed.append(Failure(src.id, f"not in the mirror; --offline, so not downloaded from {src.url}",
                                         src.landing_page, str(dest), src.url))
            continue
        elif not _download_source(src, raw, rewrite_url(src.url, rules), sources, report, progress):
            continue
        _record(report, src, dest)
    shutil.rmtree(raw / REJECTED_DIR / ".incoming", ignore_errors=True)
    if (raw / REJECTED_DIR).is_dir() and not any((raw / REJECTED_DIR).iterdir()):
        (raw / REJECTED_DIR).rmdir()  # nothing was kept aside
    if report.failed:
        raise FetchError(report)
    return report


def _keep_aside(path: Path, kept: Path) -> Path:
    kept.parent.mkdir(parents=True, exist_ok=True)
    path.replace(kept)
    return kept


def _download_source(src: Source, raw: Path, url: str, sources: dict[str, Source], report: FetchReport,
                     progress: bool) -> bool:
    """Download `src` (converting its original where registered) into <raw>/<path>; True when it is in place."""
    dest, staged = raw / src.path, raw / REJECTED_DIR / ".incoming" / src.path
    what = f"downloaded from {url}"
    try:
        if src.convert:
            original = _original(src, raw, url, sources, report, progress)
            if original is None:
                return False
            what = f"converted with {src.convert} from {original.name} ({url})"
            staged.parent.mkdir(parents=True, exist_ok=True)
            try:
                convert(src.convert, original, staged, src.convert_args)
            except ConvertError as exc:
                kept = original if not original.is_relative_to(raw / REJECTED_DIR) else \
                    _keep_aside(original, raw / REJECTED_DIR / Path(src.path).parent / original.name)
                raise DownloadError(f"{what}: conversion failed: {exc} (original at {kept})", False) from None
        else:
            download(url, staged, progress=progress, label=src.id)
    except DownloadError as exc:
        report.failed.append(Failure(src.id, str(exc), src.landing_page, str(dest), src.url))
        return False
    got = sha256_file(staged)
    if src.sha256 and got != src.sha256:
        kept = _keep_aside(staged, raw / REJECTED_DIR / src.path)
        report.mismatches.append(Mismatch(src.path, src.sha256, got, str(kept)))
        unknown = " (the original's checksum is not recorded)" if src.convert and not src.download_sha256 else ""
        report.failed.append(Failure(
            src.id, f"{what} but its sha256 is {got}, the registry has {src.sha256}{unknown} (a different edition, "
                    f"a corrupted download or another converter output; kept aside at {kept})",
            src.landing_page, str(dest), src.url))
        return False
    dest.parent.mkdir(parents=True, exist_ok=True)
    staged.replace(dest)
    report.downloaded.append(src.id)
    if src.convert:
        report.converted.append(src.id)
    return True


def _original(src: Source, raw: Path, url: str, sources: dict[str, Source], report: FetchReport,
              progress: bool) -> Path | None:
    """The verified original of a converted source: a registered byte copy of the same URL already in the cache with
    `download_sha256`, else a download checked against `download_sha256` (where recorded). None after a failure."""
    for other in sources.values():
        cached = raw / other.path
        if (src.download_sha256 and other.url == src.url and not other.convert and not other.seed
                and other.sha256 == src.download_sha256 and cached.is_file()
                and sha256_file(cached) == src.download_sha256):
            return cached
    name = Path(urllib.parse.urlsplit(src.url).path).name or "download"
    original = raw / REJECTED_DIR / ".incoming" / ".originals" / src.id / name
    download(url, original, progress=progress, label=f"{src.id} (original)")
    got = sha256_file(original)
    if src.download_sha256 and got != src.download_sha256:
        kept = _keep_aside(original, raw / REJECTED_DIR / Path(src.path).parent / name)
        report.mismatches.append(Mismatch(f"{name} (original of {src.path})", src.download_sha256, got, str(kept)))
        report.failed.append(Failure(
            src.id, f"downloaded the original {name} from {url} but its sha256 is {got}, the registry's "
                    f"download_sha256 is {src.download_sha256} (a different edition or a corrupted download; kept "
                    f"aside at {kept}; not converted)", src.landing_page, str(raw / src.path), src.url))
        return None
    return original


def needs_fetch(raw: Path | None = None, sources: dict[str, Source] | None = None) -> bool:
    raw = Path(raw or config.raw_dir())
    sources = sources or load_sources()
    return any(not source_file(s, raw).is_file() for s in sources.values())
