"""Errors raised by the pipeline. Every input problem names source, file, column and row."""
from __future__ import annotations


class AtlasError(Exception):
    """Base class for errors the CLI reports as one clear line (exit code 2)."""


class SourceError(AtlasError):
    """A problem in one official input file.

    `row` is the 1-based line number in the file as a user would see it in a text editor or
    spreadsheet (header = line 1) where that is knowable, else the data-row number.
    """

    def __init__(self, source_id: str, file: str, message: str, column: str | None = None,
                 row: int | None = None, value: object | None = None):
        self.source_id, self.file, self.column, self.row, self.value = source_id, file, column, row, value
        self.message = message
        parts = [f"source {source_id!r}", f"file {file}"]
        if column is not None:
            parts.append(f"column {column!r}")
        if row is not None:
            parts.append(f"row {row}")
        if value is not None:
            parts.append(f"value {str(value)[:60]!r}")
        super().__init__(", ".join(parts) + f": {message}")


class MissingSourceError(AtlasError):
    def __init__(self, source_id: str, title: str, landing_page: str, expected_path: str, url: str = ""):
        how = f"download it from {url} or from its landing page {landing_page}" if url else \
            f"download it from its landing page {landing_page}"
        super().__init__(
            f"missing source {source_id!r} ({title}): {how}, and put it at {expected_path} "
            f"(or pass --mirror DIR / set ATLAS_MIRROR to a folder holding it at the same relative path)")
        self.source_id = source_id


class ValidationError(AtlasError):
    """The assembled warehouse broke one of its contract rules."""
