"""The build context handed to every parser and post-processing step."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

from .registry import Source, source_file


@dataclass
class BuildContext:
    con: duckdb.DuckDBPyConnection
    raw: Path
    sources: dict[str, Source]
    warnings: list[str] = field(default_factory=list)
    used_sources: set[str] = field(default_factory=set)
    indicator_frames: list[pd.DataFrame] = field(default_factory=list)
    seeds: Path | None = None  # seed directory (default config.seeds_dir(), i.e. data/seeds/)

    def path(self, source_id: str) -> Path:
        src = self.sources[source_id]
        self.used_sources.add(source_id)
        if src.seed and self.seeds is not None:
            return Path(self.seeds) / src.path
        return source_file(src, self.raw)

    def rel(self, source_id: str) -> str:
        """The file name users see in messages (relative path inside the raw directory; seeds: data/seeds/...)."""
        src = self.sources[source_id]
        return f"data/seeds/{src.path}" if src.seed else src.path

    def warn(self, message: str) -> None:
        self.warnings.append(message)

    def put(self, name: str, df: pd.DataFrame, temp: bool = False) -> None:
        """Write (replace) a table in the warehouse being built; `temp` tables serve later steps of this build only
        and are not kept in the warehouse."""
        self.con.register("_put_df", df)
        try:
            self.con.execute(f'CREATE OR REPLACE {"TEMP " if temp else ""}TABLE "{name}" AS SELECT * FROM _put_df')
        finally:
            self.con.unregister("_put_df")

    def df(self, sql: str, params: list | None = None) -> pd.DataFrame:
        return self.con.execute(sql, params or []).df()

    def add_indicators(self, df: pd.DataFrame) -> None:
        """Queue rows for indicator_values (columns as in the warehouse contract)."""
        self.indicator_frames.append(df)
