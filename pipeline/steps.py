"""Build steps and their order, derived from what each step declares it needs and produces.

A step is a module in one of the layers below exposing its layer's function and two tuples of names:

    REQUIRES = ("areas", "stg_births")     # tables (or tokens) it reads
    PRODUCES = ("stg_births",)             # tables (or tokens) it writes

Layers: `pipeline/parsers/<name>.py` `load(ctx)` (raw files -> `stg_*` tables only), `pipeline/reference/<name>.py`
`build(ctx)` (areas, geometry, services, denominators), `pipeline/marts/<name>.py` `build(ctx)` (indicator rows via
`ctx.add_indicators`, token `indicators`, plus mart tables), `pipeline/post/<name>.py` `run(ctx)` (reads warehouse
tables only). A name `table:part` is a token for columns or rows a step adds to a table (e.g. `indicator_values:ci`).
Modules whose name starts with `_` or is `common` are helpers, not steps.

The build runs steps in topological order: every producer of a name runs before any step requiring it; among steps
that are ready, the one with the smallest module name runs first (deterministic). Adding a step = adding a module
with its declarations; nothing else is edited.
"""
from __future__ import annotations

import heapq
import importlib
import pkgutil
from dataclasses import dataclass
from typing import Callable

from .errors import ValidationError

LAYERS = {"parsers": "load", "reference": "build", "marts": "build", "post": "run"}
STAGING_PREFIX = "stg_"


@dataclass(frozen=True)
class Step:
    name: str                      # "<layer>.<module>"
    layer: str
    run: Callable
    requires: tuple[str, ...]
    produces: tuple[str, ...]

    @property
    def module(self) -> str:
        return self.name.split(".", 1)[1]

    @property
    def tables(self) -> set[str]:
        """Tables this step may create (tokens with ':' and the `indicators` token are not tables)."""
        return {p for p in self.produces if ":" not in p and p != "indicators"}


def discover(package: str = "pipeline") -> list[Step]:
    steps = []
    for layer, attr in LAYERS.items():
        pkg = importlib.import_module(f"{package}.{layer}")
        for m in sorted(pkgutil.iter_modules(pkg.__path__), key=lambda m: m.name):
            if m.name.startswith("_") or m.name == "common":
                continue
            mod = importlib.import_module(f"{package}.{layer}.{m.name}")
            fn = getattr(mod, attr, None)
            if fn is None:
                continue
            if not hasattr(mod, "REQUIRES") or not hasattr(mod, "PRODUCES"):
                raise ValidationError(f"build step {layer}.{m.name} does not declare REQUIRES and PRODUCES")
            steps.append(Step(f"{layer}.{m.name}", layer, fn, tuple(mod.REQUIRES), tuple(mod.PRODUCES)))
    return steps


def check(steps: list[Step]) -> None:
    """Declarations that cannot be honoured raise one clear error."""
    for s in steps:
        if s.layer == "parsers":
            bad = [p for p in s.produces if not p.startswith(STAGING_PREFIX)]
            if bad:
                raise ValidationError(f"parser {s.name} declares {bad}: parsers write only {STAGING_PREFIX}* tables")
    produced = {p for s in steps for p in s.produces}
    for s in steps:
        missing = [r for r in s.requires if r not in produced]
        if missing:
            raise ValidationError(f"build step {s.name} requires {missing}, which no step produces")


def order(steps: list[Step]) -> list[Step]:
    """Topological order (Kahn's algorithm; ties broken by module name, then layer). A cycle raises an error naming
    the steps in it."""
    check(steps)
    producers: dict[str, set[str]] = {}
    for s in steps:
        for p in s.produces:
            producers.setdefault(p, set()).add(s.name)
    by_name = {s.name: s for s in steps}
    needs = {s.name: {p for r in s.requires for p in producers[r]} - {s.name} for s in steps}
    users: dict[str, set[str]] = {n: set() for n in by_name}
    for n, deps in needs.items():
        for d in deps:
            users[d].add(n)
    key = {n: (by_name[n].module, n) for n in by_name}
    ready = [key[n] for n, deps in needs.items() if not deps]
    heapq.heapify(ready)
    out: list[Step] = []
    left = {n: set(d) for n, d in needs.items()}
    while ready:
        _, n = heapq.heappop(ready)
        out.append(by_name[n])
        for u in sorted(users[n]):
            left[u].discard(n)
            if not left[u]:
                heapq.heappush(ready, key[u])
    if len(out) != len(steps):
        stuck = sorted(n for n in by_name if left[n])
        raise ValidationError(f"build steps depend on each other in a cycle: {', '.join(stuck)}")
    return out


def plan(steps: list[Step], targets: list[str] | None = None) -> list[Step]:
    """The ordered steps; with `targets` (step or module names) only those and the steps they need."""
    ordered = order(steps)
    if not targets:
        return ordered
    names = {s.name for s in steps}
    want = set()
    for t in targets:
        hit = [s.name for s in steps if t in (s.name, s.module)]
        if not hit:
            raise ValidationError(f"no build step named {t!r} (steps: {', '.join(sorted(names))})")
        want.update(hit)
    producers: dict[str, set[str]] = {}
    for s in steps:
        for p in s.produces:
            producers.setdefault(p, set()).add(s.name)
    by_name = {s.name: s for s in steps}
    todo = list(want)
    while todo:
        for r in by_name[todo.pop()].requires:
            for p in producers[r] - want:
                want.add(p)
                todo.append(p)
    return [s for s in ordered if s.name in want]
