"""Project paths and settings (override with environment variables)."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT / "data"


def raw_dir() -> Path:
    return Path(os.environ.get("ATLAS_RAW", DATA / "raw"))


def warehouse_path() -> Path:
    return Path(os.environ.get("ATLAS_WAREHOUSE", DATA / "atlas.duckdb"))


def seeds_dir() -> Path:
    """Hand-compiled tables kept in the project (dbt-style seeds), each folder with its PROVENANCE.md."""
    return Path(os.environ.get("ATLAS_SEEDS", DATA / "seeds"))


def mirror_dir() -> Path | None:
    m = os.environ.get("ATLAS_MIRROR")
    return Path(m) if m else None


def sources_toml() -> Path:
    return DATA / "sources.toml"


def measures_toml() -> Path:
    return DATA / "measures.toml"


