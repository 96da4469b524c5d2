"""The `atlas` command: fetch, build, up (build if needed, then serve), info."""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

# The build's linear algebra is many small problems (GLM fits of ~150-1,500 rows): OpenBLAS threads only add
# contention on a shared 2-core machine (north-south models 1.8 s -> 1.0 s single-threaded, identical results).
# Must be set before numpy is imported; an explicit setting in the environment wins.
for _v in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_v, "1")

from . import config  # noqa: E402 (after the thread settings above)
from .errors import AtlasError  # noqa: E402


def _mirror(args) -> Path | None:
    m = getattr(args, "mirror", None) or os.environ.get("ATLAS_MIRROR")
    return Path(m) if m else None


def cmd_fetch(args) -> int:
    from .fetch import fetch
    rep = fetch(mirror=_mirror(args), allow_download=not args.offline)
    print(f"raw cache {config.raw_dir()}")
    print(rep.summary())
    for w in rep.warnings:
        print(f"warning: {w}", file=sys.stderr)
    return 0


def cmd_build(args) -> int:
    from .fetch import fetch
    from .fingerprint import fingerprint, stored_fingerprint
    out = Path(args.out) if args.out else None
    rep = fetch(mirror=_mirror(args))
    if args.only:
        from .build import build
        res = build(out=out, mirror=_mirror(args), fetch_report=rep, only=args.only)
        print(f"steps {', '.join(args.only)} and the steps they need ran without error in {res.seconds:.1f} s "
              f"(warehouse not replaced)")
        return 0
    if not args.force and stored_fingerprint(out) == fingerprint(rep.checksums):
        print(f"warehouse {out or config.warehouse_path()} is up to date (sources and code unchanged); "
              f"use --force to rebuild")
    else:
        from .build import build, print_summary
        print_summary(build(out=out, mirror=_mirror(args), fetch_report=rep))
    if not args.no_release_zip:
        _release_zip(out or config.warehouse_path())
    return 0


def _release_zip(warehouse: Path) -> None:
    """The whole-release zip of the new build, made now (after the warehouse swap) so the app's download starts at
    once; never fatal (the app makes it on demand)."""
    from .release_paths import current_zip
    if (ready := current_zip(warehouse)) is not None:  # checked without importing pandas: a no-op stays fast
        print(f"release zip {ready} ready")
        return
    from .release_cache import prepare
    res = prepare(warehouse)
    if res.path is None:
        print(f"warning: release zip not written ({res.error}); the app will make it on first download",
              file=sys.stderr)
    else:
        print(f"release zip {res.path} ready ({res.seconds:.1f} s)")


def _needs_build(mirror: Path | None) -> tuple[bool, object]:
    from .fetch import fetch
    from .fingerprint import fingerprint, stored_fingerprint
    rep = fetch(mirror=mirror, progress=False)
    return stored_fingerprint() != fingerprint(rep.checksums), rep


def cmd_up(args) -> int:
    from .build import build, print_summary
    need, rep = _needs_build(_mirror(args))
    if need or args.rebuild:
        print_summary(build(mirror=_mirror(args), fetch_report=rep))
    else:
        print(f"warehouse {config.warehouse_path()} is up to date (sources and code unchanged)")
    if args.no_serve:
        _release_zip(config.warehouse_path())
        return 0
    cmd = [sys.executable, "-m", "streamlit", "run", str(config.ROOT / "streamlit_app.py"),
           "--server.port", str(args.port), "--server.headless", "true", "--browser.gatherUsageStats", "false"]
    proc = subprocess.Popen(cmd)
    try:
        # pre-warm: one headless session runs the map page as soon as the server answers (caches the first figure)
        from .prewarm import prewarm
        took = prewarm(f"http://127.0.0.1:{args.port}", proc=proc)
        if took is not None:
            print(f"app pre-warmed in {took:.1f} s")
        from .prewarm import prewarm_release
        prewarm_release(config.warehouse_path())  # the whole-release zip, in the background, if missing
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        return proc.wait()


def cmd_import(args) -> int:
    from .user_import import TEMPLATE, DisclosureRule, import_file
    if args.template:
        print(TEMPLATE, end="")
        return 0
    if not args.file or not args.name:
        print("error: give FILE and --as NAME (or --template)", file=sys.stderr)
        return 2
    rule = DisclosureRule(min_count=args.suppress_min, max_count=args.suppress_max)
    res, out = import_file(Path(args.file), args.name, max_bytes=int(args.max_mb * 1024 * 1024), rule=rule)
    for n in res.notices:
        print(f"notice: {n}")
    if not res.ok:
        print(f"error: {args.file}: {len(res.problems)} problem(s); nothing was written", file=sys.stderr)
        for p in res.problems:
            where = ", ".join(x for x in (f"row {p.row}" if p.row else "", f"column {p.column!r}" if p.column else "",
                                          f"value {p.value!r}" if p.value not in (None, "") else "") if x)
            print(f"  - {where + ': ' if where else ''}{p.problem}", file=sys.stderr)
        return 2
    v = res.values
    print(f"imported {len(v)} rows ({v['measure_id'].nunique()} measure(s), {v['area_code'].nunique()} areas) "
          f"into {out}; {int((v['status'] == 'suppressed').sum())} cells suppressed by disclosure control. "
          f"User-supplied, not official statistics.")
    return 0


def cmd_export(args) -> int:
    from .release import write_release
    folder = write_release(Path(args.dir))
    print(f"exported release {folder.name} to {folder} (Parquet + CSV per public table, datapackage.json, README.md)")
    return 0


def cmd_info(args) -> int:
    import duckdb
    con = duckdb.connect(str(config.warehouse_path()), read_only=True)
    for row in con.execute("SELECT * FROM build_info").df().to_dict("records"):
        for k, v in row.items():
            print(f"{k}: {v}")
    return 0


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="atlas", description="Infant care-entry atlas: ETL and app")
    sub = p.add_subparsers(dest="cmd", required=True)
    f = sub.add_parser("fetch", help="fill data/raw/ from the mirror or by download, checking checksums")
    f.add_argument("--mirror", help="folder holding the official files (default: $ATLAS_MIRROR)")
    f.add_argument("--offline", action="store_true", help="never download")
    f.set_defaults(func=cmd_fetch)
    b = sub.add_parser("build", help="build data/atlas.duckdb (runs fetch if needed)")
    b.add_argument("--mirror")
    b.add_argument("--out", help="warehouse path (default data/atlas.duckdb)")
    b.add_argument("--force", action="store_true", help="rebuild even if sources and code are unchanged")
    b.add_argument("--only", action="append", metavar="STEP",
                   help="run only this build step (e.g. dfe_cin) and the steps it needs, as a check; the warehouse is "
                        "not replaced (repeatable)")
    b.add_argument("--no-release-zip", action="store_true",
                   help="do not write the whole-release zip into the release cache after the build (the app then "
                        "makes it on the first download)")
    b.set_defaults(func=cmd_build)
    u = sub.add_parser("up", help="build if sources or code changed, then start the app")
    u.add_argument("--mirror")
    u.add_argument("--port", type=int, default=8501)
    u.add_argument("--rebuild", action="store_true")
    u.add_argument("--no-serve", action="store_true", help="build if needed but do not start the app")
    u.set_defaults(func=cmd_up)
    im = sub.add_parser("import", help="validate a user extract and store it in data/user/NAME.duckdb (never in the "
                                       "official warehouse)")
    im.add_argument("file", nargs="?")
    im.add_argument("--as", dest="name", help="name of the user dataset (lower-case, digits, _)")
    im.add_argument("--template", action="store_true", help="print a CSV template with three example rows")
    im.add_argument("--max-mb", type=float, default=5.0, help="size limit in MB (default 5)")
    im.add_argument("--suppress-min", type=int, default=1, help="disclosure control: smallest count suppressed (1)")
    im.add_argument("--suppress-max", type=int, default=4, help="disclosure control: largest count suppressed (4)")
    im.set_defaults(func=cmd_import)
    ex = sub.add_parser("export", help="write the open-data release DIR/atlas-release-<build id>/: every public "
                                       "table as Parquet and CSV, datapackage.json (Frictionless) and README.md")
    ex.add_argument("dir")
    ex.set_defaults(func=cmd_export)
    i = sub.add_parser("info", help="print build information of the warehouse")
    i.set_defaults(func=cmd_info)
    args = p.parse_args(argv)
    try:
        return args.func(args)
    except AtlasError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
