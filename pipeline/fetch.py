"""`atlas fetch`: fill the raw cache (data/raw/) from a mirror directory or by download.

A file already in the cache with the registered checksum is left alone. A file whose checksum differs
from the registry gives a warning naming the file (the parsers decide whether it still parses).
A file that can be found nowhere gives one clear message: which source, where to get it, where to put it.
Seeds (`seed = true`: tables compiled by hand from cited pages, kept in the project under data/seeds/) are never
copied into the cache: their checksum is taken in place and the parsers read them from data/seeds/.
"""
from __future__ import annotations

import hashlib
import shutil
import sys
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

from tqdm import tqdm

from . import config
from .errors import MissingSourceError
from .registry import Source, load_sources, source_file


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class FetchReport:
    copied: list[str] = field(default_factory=list)
    downloaded: list[str] = field(default_factory=list)
    present: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    checksums: dict[str, str] = field(default_factory=dict)


def _download(url: str, dest: Path, timeout: float = 60) -> None:
    tmp = dest.with_name(dest.name + ".part")
    with urllib.request.urlopen(url, timeout=timeout) as resp, open(tmp, "wb") as out:  # noqa: S310 (https URLs from the registry)
        shutil.copyfileobj(resp, out)
    tmp.replace(dest)


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
    report = FetchReport()
    missing: list[MissingSourceError] = []
    bar = tqdm(list(sources.values()), desc="fetch", unit="file", disable=not progress or not sys.stderr.isatty(),
               file=sys.stderr)
    for src in bar:
        if src.seed:  # kept in the project (data/seeds/): checked in place, never copied or downloaded
            dest = source_file(src, raw)
            if not dest.is_file():
                missing.append(MissingSourceError(src.id, src.title, src.landing_page, str(dest), src.url))
                continue
            report.present.append(src.id)
            _record(report, src, dest)
            continue
        dest = raw / src.path
        if not dest.exists() or (src.sha256 and sha256_file(dest) != src.sha256):
            got = False
            if mirror is not None and (mirror / src.path).is_file():
                dest.parent.mkdir(parents=True, exist_ok=True)
                tmp = dest.with_name(dest.name + ".part")
                shutil.copyfile(mirror / src.path, tmp)
                tmp.replace(dest)
                report.copied.append(src.id)
                got = True
            elif dest.exists():
                got = True  # keep the cached file; its checksum differs (warned below)
            elif allow_download and src.url:
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    _download(src.url, dest)
                    report.downloaded.append(src.id)
                    got = True
                except Exception as exc:  # network errors: report as missing with the reason
                    report.warnings.append(f"download of {src.id} from {src.url} failed: {exc}")
            if not got:
                missing.append(MissingSourceError(src.id, src.title, src.landing_page, str(dest), src.url))
                continue
        else:
            report.present.append(src.id)
        _record(report, src, dest)
    if missing:
        if len(missing) == 1:
            raise missing[0]
        from .errors import AtlasError
        raise AtlasError(f"{len(missing)} sources missing; first: {missing[0]}\n" +
                         "\n".join(f"  - {m}" for m in missing[1:]))
    return report


def needs_fetch(raw: Path | None = None, sources: dict[str, Source] | None = None) -> bool:
    raw = Path(raw or config.raw_dir())
    sources = sources or load_sources()
    return any(not source_file(s, raw).is_file() for s in sources.values())
