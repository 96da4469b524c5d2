"""Bytes per boundary layer in the warehouse against the 250 KB web-payload target.

Usage: python benchmarks/geo_payload.py [path/to/atlas.duckdb]   (default: the worktree's data/atlas.duckdb)
Exit code 1 if an England upper-tier LA layer exceeds the target. Also prints the gzip size (what a browser
downloads when the server compresses) and the vertex count.
"""
from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import duckdb

TARGET = 250_000  # bytes (250 KB, decimal: the stricter reading)


def main(argv: list[str]) -> int:
    root = Path(__file__).resolve().parent.parent
    path = Path(argv[1]) if len(argv) > 1 else root / "data" / "atlas.duckdb"
    con = duckdb.connect(str(path), read_only=True)
    rows = con.execute("SELECT layer_id, country, level, n_features, bytes, tolerance_m, geojson FROM boundary_layers "
                       "ORDER BY layer_id").fetchall()
    print(f"{'layer':<30} {'features':>8} {'bytes':>9} {'KB':>7} {'gzip KB':>8} {'vertices':>9} {'tol m':>6}  target")
    over = []
    for lid, country, level, n, nbytes, tol, text in rows:
        fc = json.loads(text)
        verts = sum(len(ring) for f in fc["features"] for poly in
                    (f["geometry"]["coordinates"] if f["geometry"]["type"] == "MultiPolygon"
                     else [f["geometry"]["coordinates"]]) for ring in poly)
        gz = len(gzip.compress(text.encode(), 6))
        applies = level == "la" and country == "England"
        ok = nbytes <= TARGET
        flag = ("ok" if ok else "OVER") if applies else "(n/a)"
        if applies and not ok:
            over.append(lid)
        print(f"{lid:<30} {n:>8} {nbytes:>9,} {nbytes / 1024:>7.1f} {gz / 1024:>8.1f} {verts:>9,} {tol:>6.0f}  {flag}")
    print(f"target: England upper-tier LA layers <= {TARGET:,} bytes; "
          f"{'all within' if not over else 'OVER: ' + ', '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
