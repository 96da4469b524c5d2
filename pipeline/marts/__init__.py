"""Marts: modules here each expose `build(ctx)` and queue indicator rows with `ctx.add_indicators`.

`foundation` runs first; the others run in name order. Use `iv_frame` to shape rows.
"""
from .common import FY_YEARS, IV_COLS, iv_frame  # noqa: F401
