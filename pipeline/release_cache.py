"""The whole-release zip ready before anyone asks for it, so the app's "Download the whole release" starts at once.

- `atlas build` calls `prepare()` after the atomic warehouse swap: the zip of the new build id is written into the
  release cache (pipeline/release.py `release_zip`: file lock, temporary file + rename, so never a partial zip).
- `atlas up` and the app's Data & downloads page call `in_background()` so that a zip missing from the cache (a cache
  folder cleaned, a deployment with its own cache folder) is made while the researcher reads the page; a click in
  the meantime waits for that same zip through the file lock instead of making a second one.
Never fatal: a failure is reported and the app still makes the zip on demand.
"""
from __future__ import annotations

import threading
import time
import traceback
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import release

KEEP = 3  # release zips kept in a cache folder after a build (this build's and the two most recent others)


@dataclass
class Prepared:
    path: Path | None
    seconds: float
    error: str | None = None


def prepare(warehouse: Path, cache_dir: Path | None = None, keep: int = KEEP) -> Prepared:
    """Make (or find) the release zip of `warehouse` in `cache_dir` (default: release.default_cache_dir), then keep
    only the `keep` most recent zips there. Never raises."""
    t0 = time.perf_counter()
    try:
        cache_dir = Path(cache_dir or release.default_cache_dir(warehouse))
        path = release.release_zip(cache_dir, warehouse)
        prune(cache_dir, path, keep)
        return Prepared(path, time.perf_counter() - t0)
    except Exception as exc:  # noqa: BLE001 (never fatal: the app makes the zip on demand)
        return Prepared(None, time.perf_counter() - t0, f"{type(exc).__name__}: {exc}")


def prune(cache_dir: Path, current: Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the `keep` most recent release zips in `cache_dir` (never `current`); the removed paths.
    A session still reading a removed zip keeps its open file; a later click makes the zip again if needed."""
    zips = sorted((p for p in Path(cache_dir).glob("atlas-release-*.zip") if p != current),
                  key=lambda p: p.stat().st_mtime_ns, reverse=True)
    removed = zips[max(keep - 1, 0):]
    for p in removed:
        p.unlink(missing_ok=True)
        (p.parent / f".{p.name}.lock").unlink(missing_ok=True)
    return removed


_started: dict[object, threading.Thread] = {}
_failed: set = set()
_guard = threading.Lock()


def in_background(key: object, make: Callable[[], object]) -> threading.Thread | None:
    """Run `make` in a daemon thread unless a run for `key` is still going or has failed in this process (a failure
    is not retried here: the click makes the zip on demand); None when nothing was started. Exceptions are printed,
    never raised."""
    with _guard:
        running = _started.get(key)
        if key in _failed or (running is not None and running.is_alive()):
            return None

        def run() -> None:
            try:
                make()
            except Exception:  # noqa: BLE001 (never fatal)
                traceback.print_exc()
                with _guard:
                    _failed.add(key)
        t = threading.Thread(target=run, name=f"release-zip-{key}", daemon=True)
        _started[key] = t
        t.start()
        return t
