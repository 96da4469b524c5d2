"""Rules every published data file follows, shared by the app's downloads (pages/_lib/export.py) and the open-data
release (pipeline/release.py): CSV-injection neutralisation, RFC 4180 CSV bytes, and the licence statement."""
from __future__ import annotations

import re

import pandas as pd

LICENCE = ("Contains public sector information licensed under the Open Government Licence v3.0 "
           "(https://www.nationalarchives.gov.uk/doc/open-government-licence/version/3/). Nuffield Family Justice "
           "Observatory figures: see the source's own terms. Crown copyright and database rights.")
_DANGEROUS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def neutralise(value):
    """OWASP CSV injection: prefix a text cell that starts with = + - @ TAB or CR with a single quote.

    Numbers (numeric dtypes, or text that is exactly a number such as "-3.5") are left unchanged."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(_DANGEROUS) and not _NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_frame(df: pd.DataFrame) -> pd.DataFrame:
    out = df.copy()
    for c in out.columns:
        if out[c].dtype == object or pd.api.types.is_string_dtype(out[c]):
            out[c] = out[c].map(neutralise)
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def safe_csv_bytes(df: pd.DataFrame) -> bytes:
    """Neutralised RFC 4180 CSV (CRLF line ends), UTF-8. With CRLF as the terminator Python's csv writer quotes
    every cell that contains a CR or LF; with a bare "\\n" terminator a cell holding a lone CR was written unquoted,
    and a spreadsheet splits the row there, so "x\\r=cmd" smuggled a formula to the start of a new row."""
    return safe_frame(df).to_csv(index=False, lineterminator="\r\n").encode("utf-8")
