"""docs/warehouse.md cannot drift from the warehouse: its table index lists exactly the public tables and columns of
a built warehouse, and every table the document names in a heading is in the index; the paths the documentation
names exist."""
from __future__ import annotations

import re
from pathlib import Path

DOC = Path(__file__).resolve().parent.parent / "docs" / "warehouse.md"


def index(text: str) -> dict[str, list[str]]:
    """{table: [columns]} from the '## Table index' section (rows `| `table` | `col`, `col` |`)."""
    section = text.split("\n## Table index", 1)[1].split("\n## ", 1)[0]
    out = {}
    for line in section.splitlines():
        m = re.match(r"^\|\s*`([a-z0-9_]+)`\s*\|(.*)\|\s*$", line)
        if m:
            assert m.group(1) not in out, f"{m.group(1)} listed twice"
            out[m.group(1)] = re.findall(r"`([a-z0-9_]+)`", m.group(2))
    return out


def headings(text: str) -> set[str]:
    """Table names in headings such as '## `areas`' or '## `measures` (the measure registry ...)'."""
    return {m for h in re.findall(r"^#{2,3} (.*)$", text, re.M) for m in re.findall(r"^`([a-z0-9_]+)`", h)}


def test_index_parser_reads_rows_and_rejects_duplicates():
    text = ("x\n## Table index\n| table | columns |\n|---|---|\n| `a` | `x`, `y` |\n| `b` | `z` |\n"
            "## Next\n| `c` | `q` |\n")
    assert index(text) == {"a": ["x", "y"], "b": ["z"]}
    assert headings("## `areas`\n### `cla_starts_u1` — children\n## Statistics\n") == {"areas", "cla_starts_u1"}


def test_table_index_matches_the_built_warehouse(con):
    documented = index(DOC.read_text(encoding="utf-8"))
    rows = con.execute("SELECT table_name, column_name FROM information_schema.columns "
                       "WHERE table_name NOT LIKE 'stg_%' "
                       "ORDER BY table_name, ordinal_position").fetchall()
    built: dict[str, list[str]] = {}
    for t, c in rows:
        built.setdefault(t, []).append(c)
    assert sorted(set(documented) - set(built)) == [], "documented but not in the warehouse"
    assert sorted(set(built) - set(documented)) == [], "in the warehouse but not in docs/warehouse.md's table index"
    for t, cols in built.items():
        assert documented[t] == cols, f"{t}: documented {documented[t]} != built {cols}"


def test_every_table_heading_is_an_indexed_table_or_a_measure(con):
    text = DOC.read_text(encoding="utf-8")
    tables = set(index(text))
    measures = {r[0] for r in con.execute("SELECT measure_id FROM measures").fetchall()}
    unknown = sorted(headings(text) - tables - measures)
    assert unknown == [], f"headings name tables or measures that do not exist: {unknown}"


# --------------------------------------------------------------------------------------------------------------------
# paths named in the documentation
ROOT = DOC.parent.parent
DOC_FILES = [*sorted((ROOT / "docs").glob("*.md")), ROOT / "README.md", ROOT / "CONTRIBUTING.md"]
PATH_RE = re.compile(r"(?<![\w/.])((?:pipeline|geo|pages|tests|benchmarks|docs|deploy|data)/[A-Za-z0-9_./*<>-]*"
                     r"[A-Za-z0-9_/>])")


def _ignored(path: str) -> bool:
    """A path git ignores (made at run time: raw cache, user databases, benchmark results...)."""
    from fnmatch import fnmatch
    pats = [p.strip().rstrip("/") for p in (ROOT / ".gitignore").read_text().splitlines()
            if p.strip() and not p.startswith("#")]
    parts = path.rstrip("/").split("/")
    prefixes = ["/".join(parts[:i]) for i in range(1, len(parts) + 1)]
    return any(fnmatch(c, p) or ("/" not in p and fnmatch(c.rsplit("/", 1)[-1], p)) for c in prefixes for p in pats)


def stale_paths(text: str) -> list[str]:
    """Paths of the project named in `text` that do not exist: files and folders, and `module.name` references
    (e.g. pages/_lib/data.area_with_neighbours) whose module (or a module of that package) does not define the name.
    Placeholders (<name>, *) and run-time paths that git ignores are not checked."""
    out = []
    for p in dict.fromkeys(PATH_RE.findall(text)):
        if "<" in p or "*" in p or (ROOT / p).exists() or _ignored(p):
            continue
        stem, _, name = p.rpartition(".")
        pkg = ROOT / stem
        mods = [ROOT / f"{stem}.py"] + (sorted(pkg.glob("*.py")) if (pkg / "__init__.py").is_file() else [])
        if "/" not in name and any(m.is_file() and re.search(rf"^(?:def |class ){name}\b|^{name} =",
                                                              m.read_text(encoding="utf-8"), re.M) for m in mods):
            continue
        out.append(p)
    return out


def test_stale_path_check_finds_missing_files_and_names():
    text = ("`pipeline/steps.py`, `pipeline/stats/`, pages/_lib/data.area_with_neighbours, data/raw/x.csv, "
            "pipeline/parsers/<family>.py; gone: `pipeline/no_such.py`, pipeline/steps.no_such_function.")
    assert stale_paths(text) == ["pipeline/no_such.py", "pipeline/steps.no_such_function"]


def test_paths_named_in_the_docs_exist():
    stale = {f.name: s for f in DOC_FILES if (s := stale_paths(f.read_text(encoding="utf-8")))}
    assert stale == {}
