"""Download one file over HTTP(S) for `atlas fetch`: bounded retries for transient failures (timeouts, connection
errors, HTTP 5xx/408/429, truncated bodies), a read timeout so a hanging server cannot stall the run, a progress bar,
and a temporary file renamed into place only when complete.

Environment:
- ATLAS_URL_REWRITE: rewrite URL prefixes before downloading, e.g. a local copy of the publishers' files:
  `ATLAS_URL_REWRITE="https://=http://127.0.0.1:8000/"` maps https://host/path to http://127.0.0.1:8000/host/path.
  Several rules are separated by `;` (`PREFIX=REPLACEMENT;PREFIX2=REPLACEMENT2`); the first matching prefix wins.
- ATLAS_FETCH_TIMEOUT: seconds a connection or a read may stall before the attempt fails (default 60).
- ATLAS_FETCH_RETRIES: attempts per file for transient failures (default 3).
"""
from __future__ import annotations

import http.client
import os
import socket
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

from tqdm import tqdm

from .errors import AtlasError

RETRYABLE_HTTP = {408, 429, 500, 502, 503, 504}


class DownloadError(Exception):
    def __init__(self, message: str, retryable: bool):
        super().__init__(message)
        self.retryable = retryable


def url_rewrites(spec: str | None = None) -> list[tuple[str, str]]:
    spec = os.environ.get("ATLAS_URL_REWRITE", "") if spec is None else spec
    rules = []
    for part in spec.split(";"):
        if part.strip():
            if "=" not in part:
                raise AtlasError(f"ATLAS_URL_REWRITE: rule {part!r} is not PREFIX=REPLACEMENT")
            prefix, repl = part.split("=", 1)
            rules.append((prefix.strip(), repl.strip()))
    return rules


def rewrite_url(url: str, rules: list[tuple[str, str]] | None = None) -> str:
    for prefix, repl in url_rewrites() if rules is None else rules:
        if url.startswith(prefix):
            return repl + url[len(prefix):]
    return url


def _timeout() -> float:
    return float(os.environ.get("ATLAS_FETCH_TIMEOUT", "60"))


def _attempts() -> int:
    return max(1, int(os.environ.get("ATLAS_FETCH_RETRIES", "3")))


def _download_once(url: str, tmp: Path, timeout: float, progress: bool, label: str) -> None:
    req = urllib.request.Request(url, headers={"User-Agent": "infant-care-atlas fetch"})
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)  # noqa: S310 (registry URLs, optionally rewritten)
    except urllib.error.HTTPError as exc:
        raise DownloadError(f"HTTP {exc.code} {exc.reason}", exc.code in RETRYABLE_HTTP) from None
    except (urllib.error.URLError, socket.timeout, TimeoutError, ConnectionError, http.client.HTTPException) as exc:
        raise DownloadError(f"{type(exc).__name__}: {getattr(exc, 'reason', exc)}", True) from None
    with resp:
        length = resp.headers.get("Content-Length")
        expected = int(length) if length and length.isdigit() else None
        got = 0
        bar = tqdm(total=expected, unit="B", unit_scale=True, desc=label, leave=False, file=sys.stderr,
                   disable=not progress or not sys.stderr.isatty())
        try:
            with open(tmp, "wb") as out:
                while True:
                    try:
                        chunk = resp.read(1 << 16)
                    except (socket.timeout, TimeoutError) as exc:
                        raise DownloadError(f"read timed out after {timeout:g} s ({got} bytes received)", True) from exc
                    except (http.client.IncompleteRead, ConnectionError, http.client.HTTPException) as exc:
                        raise DownloadError(f"connection broken after {got} bytes: {type(exc).__name__}", True) \
                            from exc
                    if not chunk:
                        break
                    out.write(chunk)
                    got += len(chunk)
                    bar.update(len(chunk))
        finally:
            bar.close()
    if expected is not None and got != expected:
        raise DownloadError(f"truncated download: {got} of {expected} bytes", True)


def download(url: str, dest: Path, timeout: float | None = None, attempts: int | None = None,
             progress: bool = True, label: str = "") -> None:
    """Download `url` to `dest` via a temporary file renamed into place; bounded retries with backoff."""
    timeout = _timeout() if timeout is None else timeout
    attempts = _attempts() if attempts is None else attempts
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = dest.with_name(f".{dest.name}.part-{os.getpid()}")
    last = ""
    try:
        for i in range(attempts):
            try:
                _download_once(url, tmp, timeout, progress, label or dest.name)
                tmp.replace(dest)
                return
            except DownloadError as exc:
                last = str(exc)
                if not exc.retryable or i == attempts - 1:
                    break
                time.sleep(min(0.5 * 2 ** i, 4.0))
        raise DownloadError(f"download of {url} failed after {i + 1} attempt{'s' if i else ''}: {last}", False)
    finally:
        tmp.unlink(missing_ok=True)
