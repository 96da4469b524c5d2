"""Numbers as people read them: each measure's precision, confidence intervals as "a–b", blanks (never "None" or
"nan"), and plain-language translations of model statistics (never a raw p-value or measure id)."""
from __future__ import annotations

import math

import pandas as pd

# decimals by value type, unless the registry row sets `decimals`
_DECIMALS = {"count": 0, "rank": 0, "flag": 0, "rate": 1, "proportion": 1, "score": 1, "distance": 1, "years": 1}


def missing(v) -> bool:
    if v is None or v is pd.NA or v is pd.NaT:
        return True
    try:
        return isinstance(v, float) and math.isnan(v) or bool(pd.isna(v)) and not isinstance(v, str)
    except (TypeError, ValueError):
        return False


def decimals(meta: dict | None) -> int:
    meta = meta or {}
    d = meta.get("decimals")
    if d is not None and not missing(d):
        return int(d)
    return _DECIMALS.get(str(meta.get("value_type") or "rate"), 1)


def num(v, d: int = 1) -> str:
    """A number with `d` decimals and thousands separators; '' when missing."""
    if missing(v):
        return ""
    try:
        x = float(v)
    except (TypeError, ValueError):
        return str(v)
    if d <= 0:
        return f"{x:,.0f}"
    return f"{x:,.{d}f}"


def ci(lo, hi, d: int = 1) -> str:
    """'a–b' (en dash) or '' when either limit is missing."""
    if missing(lo) or missing(hi):
        return ""
    return f"{num(lo, d)}–{num(hi, d)}"


def text(v) -> str:
    """A cell of text: '' for missing values."""
    return "" if missing(v) else str(v)


def frame(df: pd.DataFrame, numeric: dict[str, int], cis: dict[str, tuple[str, str, int]] | None = None,
          keep: list[str] | None = None) -> pd.DataFrame:
    """A display copy of `df`: `numeric` {column: decimals} formatted, `cis` {new column: (lower, upper, decimals)}
    added as 'a–b' (the limit columns dropped), every other column as text with blanks for missing values.
    `keep`: output column order (default: the input order with each CI placed where its lower limit was)."""
    out = pd.DataFrame(index=df.index)
    cis = cis or {}
    limit_of = {lo: name for name, (lo, hi, d) in cis.items()}
    drop = {c for lo_hi in cis.values() for c in lo_hi[:2]}
    for c in df.columns:
        if c in limit_of:
            lo, hi, d = cis[limit_of[c]]
            out[limit_of[c]] = [ci(a, b, d) for a, b in zip(df[lo], df[hi])]
        elif c in drop:
            continue
        elif c in numeric:
            out[c] = [num(v, numeric[c]) for v in df[c]]
        else:
            out[c] = [text(v) for v in df[c]]
    if keep:
        out = out[[c for c in keep if c in out.columns]]
    return out.reset_index(drop=True)


def pct_change(rr: float) -> str:
    """Rate ratio per year -> '3%' (absolute percentage change)."""
    return f"{abs(rr - 1) * 100:.0f}%"


def trend_sentence(rr, lo, hi, significant, first_year, last_year) -> str:
    """A fitted trend (rate ratio per year, 95% CI) in words: 'rising 3% a year (95% CI 1% to 5%), 2011 to 2025'."""
    if missing(rr):
        return "no trend computed"
    direction = "rising" if rr > 1 else "falling" if rr < 1 else "flat"
    ci_txt = ""
    if not missing(lo) and not missing(hi):
        a, b = (lo - 1) * 100, (hi - 1) * 100
        ci_txt = f" (95% CI {a:+.0f}% to {b:+.0f}% a year)"
    s = f"{direction} {pct_change(rr)} a year{ci_txt}"
    if significant is False or (not missing(lo) and not missing(hi) and lo <= 1 <= hi):
        s += "; the change could be chance (the interval includes no change)"
    if not missing(first_year) and not missing(last_year):
        s += f", {int(first_year)} to {int(last_year)}"
    return s


def rr_phrase(rr, lo=None, hi=None, per: str = "per 100 km further north") -> str:
    """Rate ratio in words: '1.26 times (95% CI 1.20–1.32) per 100 km further north, i.e. 26% higher'."""
    if missing(rr):
        return ""
    s = f"{rr:.2f} times"
    if not missing(lo) and not missing(hi):
        s += f" (95% CI {lo:.2f}–{hi:.2f})"
    pct = (rr - 1) * 100
    s += f" {per} ({pct:+.0f}%)"
    return s


def year(v) -> str:
    """A year as '2011' ('' when missing)."""
    return "" if missing(v) else str(int(v))
