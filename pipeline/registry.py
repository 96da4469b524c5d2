"""The source registry (data/sources.toml) and measure registry (data/measures.toml)."""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from . import config

SOURCE_FIELDS = ("id", "family", "title", "publisher", "edition", "licence", "landing_page", "url", "path", "sha256")
MEASURE_FIELDS = ("measure_id", "title", "definition", "numerator", "denominator", "unit", "multiplier",
                  "polarity", "source_ids", "caveats")
# Topics of the measure registry, in the order the app shows them (`topic` of each [[measure]]; user-supplied
# measures are always "Your data"). `headline = true` puts a measure first within its topic.
TOPICS = ("Infants entering care", "Newborns in care proceedings", "Legal routes", "Children in need and risk factors",
          "Deprivation", "Perinatal services", "Context", "Your data")


@dataclass(frozen=True)
class Source:
    id: str
    family: str
    title: str
    publisher: str
    edition: str
    licence: str
    landing_page: str
    url: str
    path: str
    sha256: str
    seed: bool = False  # a table compiled by hand from cited pages, kept in the project under data/seeds/
    # where the registered file is not a byte copy of the download: the converter `atlas fetch` runs on it (a name in
    # pipeline/convert.py's CONVERTERS) with its arguments, and the sha256 of the original at `url` where recorded
    convert: str = ""
    convert_args: dict = field(default_factory=dict, hash=False)
    download_sha256: str = ""


def source_file(src: Source, raw: Path) -> Path:
    """Where a source is read from: data/seeds/<path> for a seed (ATLAS_SEEDS overrides), else <raw>/<path>."""
    return (config.seeds_dir() if src.seed else Path(raw)) / src.path


def load_sources(path: Path | None = None) -> dict[str, Source]:
    path = path or config.sources_toml()
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    out: dict[str, Source] = {}
    for i, entry in enumerate(doc.get("source", []), start=1):
        _check_entry(path, f"source entry {i}", entry, SOURCE_FIELDS, "id", out, "source id")
        _check_conversion(path, entry)
        out[entry["id"]] = Source(**{f: entry[f] for f in SOURCE_FIELDS}, seed=bool(entry.get("seed", False)),
                                  convert=str(entry.get("convert", "")),
                                  convert_args=dict(entry.get("convert_args", {})),
                                  download_sha256=str(entry.get("download_sha256", "")))
    return out


def _check_entry(path: Path, where: str, entry: dict, fields, key: str, seen, key_label: str) -> None:
    """A registry entry has every required field, and its id (`entry[key]`) is not already in `seen`."""
    missing = [f for f in fields if f not in entry]
    if missing:
        raise ValueError(f"{path}: {where} lacks {', '.join(missing)}")
    if entry[key] in seen:
        raise ValueError(f"{path}: duplicate {key_label} {entry[key]!r}")


def _check_conversion(path: Path, entry: dict) -> None:
    """`convert` names a known converter; `convert_args` and `download_sha256` only come with it."""
    from .convert import CONVERTERS

    where = f"{path}: source {entry['id']!r}"
    name = entry.get("convert", "")
    if name and name not in CONVERTERS:
        raise ValueError(f"{where}: convert = {name!r} is not a converter (known: {', '.join(CONVERTERS)})")
    if not name and ("convert_args" in entry or "download_sha256" in entry):
        raise ValueError(f"{where}: convert_args / download_sha256 given without convert")
    if "convert_args" in entry and not isinstance(entry["convert_args"], dict):
        raise ValueError(f"{where}: convert_args must be a table")
    if entry.get("download_sha256") and not re.fullmatch(r"[0-9a-f]{64}", entry["download_sha256"]):
        raise ValueError(f"{where}: download_sha256 is not 64 hex digits")


def measure_files() -> list[Path]:
    """data/measures.toml, then every data/measures/*.toml (one file per measure family), in name order."""
    extra = sorted((config.DATA / "measures").glob("*.toml")) if (config.DATA / "measures").is_dir() else []
    return [config.measures_toml(), *extra]


def load_measures(paths: list[Path] | None = None) -> list[dict]:
    rows = []
    seen = set()
    for path in paths or measure_files():
        rows.extend(_load_measure_file(path, seen))
    return rows


def _load_measure_file(path: Path, seen: set) -> list[dict]:
    doc = tomllib.loads(path.read_text(encoding="utf-8"))
    rows = []
    for i, m in enumerate(doc.get("measure", []), start=1):
        _check_entry(path, f"measure entry {i}", m, MEASURE_FIELDS, "measure_id", seen, "measure_id")
        if m.get("topic", TOPICS[-2]) not in TOPICS[:-1]:
            raise ValueError(f"{path}: measure {m['measure_id']!r} has topic {m.get('topic')!r}; "
                             f"use one of {', '.join(TOPICS[:-1])}")
        seen.add(m["measure_id"])
        rows.append(m)
    return rows
