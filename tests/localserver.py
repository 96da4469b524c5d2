"""A local HTTP server on 127.0.0.1 standing in for the publishers in download tests.

`serve(root)` serves the files under `root` by URL path (a copy of the mirror laid out as
`<host>/<path of the registered URL>`), plus scripted misbehaviour per path: "404", "truncate" (announces the full
length, sends half, closes), "hang" (sends the headers and a few bytes, then stalls until the server stops), "flaky"
(fails with HTTP 503 the first time, then serves the file).
"""
from __future__ import annotations

import contextlib
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import unquote, urlsplit


def _local_path(path: str, query: str) -> str:
    # a query (ONS 'file?uri=/...' links) becomes one more level: '<path>/<unquoted query>'
    return unquote(path) + (f"/{unquote(query)}" if query else "")


def url_to_local(url: str) -> str:
    """Where a registered https URL is served from: '<host>/<unquoted path>[/<unquoted query>]'."""
    u = urlsplit(url)
    return f"{u.netloc}{_local_path(u.path, u.query)}"


class _Handler(BaseHTTPRequestHandler):
    server_version = "atlas-test"

    def log_message(self, *args):  # keep test output quiet
        pass

    def do_GET(self):  # noqa: N802 (http.server API)
        srv = self.server
        u = urlsplit(self.path)
        rel = _local_path(u.path, u.query).lstrip("/")
        srv.requests.append(rel)
        mode = srv.behaviour.get(rel)
        f = (srv.root / rel).resolve()
        if mode == "404" or not f.is_file() or srv.root not in f.parents:
            self.send_error(404)
            return
        if mode == "flaky" and srv.requests.count(rel) == 1:
            self.send_error(503)
            return
        body = f.read_bytes()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if mode == "truncate":
            self.wfile.write(body[: len(body) // 2])
            self.wfile.flush()
            self.close_connection = True
            return
        if mode == "hang":
            self.wfile.write(body[:10])
            self.wfile.flush()
            srv.stop.wait(30)
            return
        self.wfile.write(body)


@contextlib.contextmanager
def serve(root: Path, behaviour: dict[str, str] | None = None):
    """Yield (base_url, server); base_url like 'http://127.0.0.1:PORT/'."""
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    httpd.daemon_threads = True
    httpd.root = Path(root).resolve()
    httpd.behaviour = dict(behaviour or {})
    httpd.requests = []
    httpd.stop = threading.Event()
    t = threading.Thread(target=httpd.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/", httpd
    finally:
        httpd.stop.set()
        httpd.shutdown()
        httpd.server_close()
