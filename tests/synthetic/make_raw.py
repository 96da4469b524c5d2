"""Make the synthetic raw files under tests/fixtures/synthetic_raw/ (run by a maintainer; the output is committed).

    python -m tests.synthetic.make_raw /path/to/mirror

Each registered source file (except the project's own seeds) is rewritten in its official format (same file type,
sheets, header rows, column names, suppression symbols and area codes) for a small set of areas, with every
statistic replaced by a synthetic number: a deterministic pseudo-random value of the same order of magnitude as the
column's typical value. No published figure survives (the values are drawn, not perturbed), and boundaries are
replaced by synthetic squares on a grid, so the fixture files carry the publishers' layouts but none of their
statistics or geometry. The tests build a warehouse from them with the real pipeline when no mirror is available.

Format notes: the one legacy Excel 97-2003 workbook (ONS mid-2021 population, .xls) is read with calamine and written
with xlwt, so it stays a genuine .xls at its registry path; TopoJSON keeps every layer and area, each as one square
arc; DfE statistical-neighbour sheets keep the kept LAs with 10 synthetic neighbours each; the long DfE LAIT files keep
only the items the atlas reads plus three others.
"""
from __future__ import annotations

import csv
import hashlib
import io
import json
import re
import shutil
import sys
from pathlib import Path

import pandas as pd

ROOT = Path(__file__).resolve().parents[2]
OUT = ROOT / "tests" / "fixtures" / "synthetic_raw"

# Upper-tier areas kept: whole North East, areas named in tests, every recoded/reorganised area and its successors
UTLA = {
    "E06000001", "E06000002", "E06000003", "E06000004", "E06000005", "E06000047", "E06000057", "E06000048",
    "E08000021", "E08000022", "E08000023", "E08000024", "E08000037", "E08000020",
    "E06000009", "E08000011", "E10000017", "E10000006", "E06000063", "E06000064",
    "E08000025", "E09000012", "E09000001", "E06000039", "E10000030", "E10000028", "E10000008",
    "E10000021", "E06000061", "E06000062", "E10000002", "E06000060",
    "E06000028", "E06000029", "E10000009", "E06000058", "E06000059",
    "E10000023", "E06000065", "E10000027", "E06000066", "E06000053",
}
ALWAYS = re.compile(r"^(E92|K0[234]|W92|E12|E13|E15|N92|S92)\d{6}$")
ONS_CODE = re.compile(r"^[EWSNK]\d{8}$")
ID_COL = re.compile(r"(year|period|date|code|cd$|order|objectid|^fid$|^id$|_id$|geog_c|^start$|^end$|"
                    r"la[_ ]number|old_la|new_la|time_identifier|^la$|globalid)", re.I)
NUM = re.compile(r"^-?\d+(\.\d+)?$")


def _u(*key) -> float:
    h = hashlib.sha256("|".join(map(str, key)).encode()).digest()
    return int.from_bytes(h[:8], "big") / 2 ** 64


def synth(v: str, typical: float, key) -> str:
    dec = len(v.split(".")[1]) if "." in v else 0
    u = _u(*key)
    if abs(typical) < 10 and dec == 0:
        x = int(u * (2 * abs(typical) + 2))
    else:
        x = typical * (0.5 + u)
    return f"{x:.{dec}f}" if dec else str(int(round(x)))


class Areas:
    """The kept area codes (upper tier, their districts, wards' districts), DfE LA numbers and names."""

    def __init__(self, mirror: Path):
        self.codes = set(UTLA)
        lk = pd.read_csv(mirror / "geography/lad_to_ctyua_apr2023_ew_lookup.csv", dtype=str, encoding="utf-8-sig")
        self.codes |= set(lk.loc[lk["UTLA23CD"].isin(UTLA), "LTLA23CD"])
        old = pd.read_csv(mirror / "geography/onsvisual_ltla14_to_cty_cauth_rgn_ctry_lookup.csv", dtype=str)
        self.codes |= set(old.loc[old["ctycd"].isin(UTLA) | old["ltlacd"].isin(UTLA), "ltlacd"])
        l22 = pd.read_csv(mirror / "births/ltla22_to_utla22_lookup_england_wales.csv", dtype=str, encoding="utf-8-sig")
        self.codes |= set(l22.loc[l22["UTLA22CD"].isin(UTLA), "LTLA22CD"])
        ch = pd.read_csv(mirror / "geography/onsvisual_la_code_changes_2018_2025.csv", dtype=str)
        for _ in range(2):
            hit = ch.apply(lambda r: bool(set(r.dropna()) & self.codes), axis=1)
            for _, r in ch[hit].iterrows():
                self.codes |= {x for x in r.dropna() if ONS_CODE.match(str(x))}
        wales = set(l22.loc[l22["UTLA22CD"].str.startswith("W"), "UTLA22CD"])
        self.codes |= wales
        ees = pd.read_csv(mirror / "care/dfe_cla_starts/ees/la_cla_who_started_to_be_looked_after_2018_2022.csv",
                          dtype=str, usecols=["old_la_code", "new_la_code"]).dropna()
        self.dfe = set(ees.loc[ees["new_la_code"].isin(self.codes), "old_la_code"])
        names = set(l22.loc[l22["UTLA22CD"].isin(self.codes), "UTLA22NM"]) | set(
            l22.loc[l22["LTLA22CD"].isin(self.codes), "LTLA22NM"])
        self.names = {n.strip().lower() for n in names} | {"cumbria", "northamptonshire", "bournemouth", "poole",
                                                            "dorset", "buckinghamshire", "north yorkshire", "somerset"}

    def row_kept(self, cells) -> bool:
        """Keep a row whose most specific area codes include a kept area (every Welsh area is kept), or a row
        with national/regional codes only, or no area code at all."""
        specific = [s for s in (str(c).strip() for c in cells) if ONS_CODE.match(s) and not ALWAYS.match(s)]
        return not specific or any(s in self.codes or s.startswith("W") for s in specific)


def _typicals(rows, header, start):
    typ = {}
    for j in range(max(len(r) for r in rows) if rows else 0):
        if header and j < len(header) and ID_COL.search(str(header[j])):
            continue
        vals = [abs(float(r[j])) for r in rows[start:] if j < len(r) and NUM.match(str(r[j]).strip())]
        if vals:
            vals.sort()
            typ[j] = vals[len(vals) // 2] or 1.0
    return typ


def _aggregate(r) -> bool:
    """A national or regional row: only national/regional codes, or a level column saying so."""
    cells = [str(c).strip() for c in r]
    if any(c.lower() in ("national", "regional", "region") for c in cells):
        return True
    codes = [c for c in cells if ONS_CODE.match(c)]
    return bool(codes) and all(ALWAYS.match(c) for c in codes)


def do_table(rows: list[list], header_rows: int, name: str, areas: Areas, area_rule=True,
             keep_small=False) -> list[list]:
    header = rows[header_rows - 1] if header_rows else None
    # small workbook sheets keep every row (and so every line number a data/source_corrections.csv entry refers to)
    small = keep_small and len(rows) <= 400
    dfe_cols = [j for j, h in enumerate(header or []) if re.search(r"^(old_la_code|la number|la_number|geog_c)$",
                                                                    str(h).strip(), re.I)]

    def kept(r) -> bool:
        if not areas.row_kept(r):
            return False
        if any(ONS_CODE.match(str(c).strip()) for c in r):
            return True  # decided by its ONS codes
        for j in dfe_cols:  # rows with DfE 3-digit LA numbers only (files without ONS codes)
            v = str(r[j]).strip().removesuffix(".0") if j < len(r) else ""
            if re.fullmatch(r"\d{3}", v) and v != "999" and v not in areas.dfe:
                return False
        return True

    body = [r for r in rows[header_rows:] if small or not area_rule or kept(r)]
    typ = _typicals(body, header, 0)
    out = [list(r) for r in rows[:header_rows]]
    for i, r in enumerate(body):
        key0 = "|".join(str(x) for x in r if isinstance(x, str) and not NUM.match(x.strip()))[:80]
        agg = _aggregate(r)
        nr = []
        for j, v in enumerate(r):
            s = str(v).strip() if v is not None else ""
            if j in typ and NUM.match(s) and not (1990 <= float(s) <= 2030 and "." not in s and typ[j] > 1990):
                new = synth(s, typ[j], (name, key0, i, j))
                if "." not in new and (agg or "statswales" in name):
                    # publishers round their own totals (DfE national/regional to 10) and StatsWales everything to 5
                    step = 5 if "statswales" in name else 10
                    new = str(int(round(int(new) / step) * step))
                nr.append(type(v)(float(new)) if isinstance(v, (int, float)) and not isinstance(v, bool) else new)
            else:
                nr.append(v)
        out.append(nr)
    return out


# code-lookup columns the pipeline never reads (row ids, Welsh-language names, combined-authority columns) and a
# lookup it registers but does not read: dropped / cut to the kept areas in the synthetic edition
UNREAD_COLUMNS = {"ObjectId", "LTLA23NMW", "UTLA23NMW", "mctycd", "mctynm", "cauthcd", "cauthnm"}
UNREAD_LOOKUPS = {"geography/onsvisual_la_code_changes_2018_2025.csv"}


def do_csv(src: Path, dst: Path, rel: str, areas: Areas) -> None:
    raw = src.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8-sig")
        enc = "utf-8-sig" if bom else "utf-8"
    except UnicodeDecodeError:
        text, enc = raw.decode("cp1252"), "cp1252"
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if rel in ITEM_COLS:
        j = rows[0].index(ITEM_COLS[rel])
        keep = _items_kept(r[j] for r in rows[1:])
        rows = rows[:1] + [r for r in rows[1:] if r[j] in keep]
    wales = "statswales" in rel
    if rel.startswith("geography/") or rel.startswith("births/ltla22"):
        # code lookups (no statistics): every area is kept, so the areas table is complete; wards: one per district
        seen, out = set(), rows[:1]
        lad = rows[0].index("LAD23CD") if "LAD23CD" in rows[0] else None
        for r in rows[1:]:
            if rel in UNREAD_LOOKUPS and not areas.row_kept(r):
                continue
            if lad is None or r[lad] not in seen or r[lad] in areas.codes:
                out.append(r)
                seen.add(r[lad] if lad is not None else None)
        # only the columns the pipeline reads: the fixture is never a copy of the publisher's file
        keep = [j for j, c in enumerate(out[0]) if c.lstrip("\ufeff") not in UNREAD_COLUMNS]
        out = [[r[j] for j in keep if j < len(r)] for r in out]
    else:
        out = do_table(rows, 4 if wales else 1, rel, areas, area_rule=not wales)
    _derive(out)
    buf = io.StringIO(newline="")
    w = csv.writer(buf, lineterminator="\r\n" if b"\r\n" in raw[:5000] else "\n",
                   quoting=csv.QUOTE_NONNUMERIC if wales else csv.QUOTE_MINIMAL)
    for r in out:
        w.writerow([int(x) if wales and NUM.match(str(x)) and "." not in str(x) else x for x in r])
    dst.write_bytes(buf.getvalue().encode(enc))


# columns the parsers check against others (recomputed from the synthetic numerator and denominator)
DERIVED = {"rate_per_10000": ("children_count", "population_estimate", 10000)}


def _derive(rows: list[list]) -> None:
    h = rows[0] if rows else []
    for col, (num, den, mult) in DERIVED.items():
        if col in h and num in h and den in h:
            c, n, d = h.index(col), h.index(num), h.index(den)
            for r in rows[1:]:
                if NUM.match(str(r[c])) and NUM.match(str(r[n])) and NUM.match(str(r[d])) and float(r[d]) > 0:
                    r[c] = str(round(float(r[n]) / float(r[d]) * mult))


def do_neighbours(rows: list[list], rel: str, areas: Areas) -> list[list]:
    """DfE statistical neighbour sheet (header in row 3, DfE LA numbers, no ONS codes): the kept LAs' rows, each LA
    given 10 synthetic neighbours drawn (deterministically) from the other LAs of the sheet; closeness labels kept."""
    hdr = next(i for i, r in enumerate(rows[:15]) if str(r[0]).strip() == "LA num") + 1
    head = [str(c).strip() for c in rows[hdr - 1]]
    sn = [j for j, h in enumerate(head) if re.fullmatch(r"SN\d+", h)]
    la = head.index("LA number")
    def dfe(v) -> str:
        return str(v).strip().removesuffix(".0")

    blocks, cur = [], []
    for r in rows[hdr:]:
        if re.fullmatch(r"\d{3}", dfe(r[la])) and dfe(r[la]) not in areas.dfe:
            continue
        if str(r[1]).strip().lower().startswith("old sns"):
            blocks.append(cur)
            cur = []
        cur.append(r)
    blocks.append(cur)
    out = [list(r) for r in rows[:hdr]]
    las = list(dict.fromkeys(r[la] for b in blocks for r in b if re.fullmatch(r"\d{3}", dfe(r[la]))))
    for block in blocks:
        for r in block:
            r = list(r)
            if r[la] in las and all(str(r[j]).strip() not in ("", "-", "None") for j in sn):
                others = sorted((x for x in las if x != r[la]), key=lambda x: _u(rel, r[la], x))
                for j, x in zip(sn, others):
                    r[j] = x
            out.append(r)
    return out


def _header_rows(rows: list[list]) -> int:
    """How many rows of a sheet are header: the header is the last row before the first row (of the first 15) with
    an area code; 0 when none of them has one."""
    for i, r in enumerate(rows[:15]):
        if any(ONS_CODE.match(str("" if c is None else c).strip()) for c in r):
            return i
    return 0


def do_xlsx(src: Path, dst: Path, rel: str, areas: Areas) -> None:
    import openpyxl
    wb = openpyxl.load_workbook(src, data_only=True)
    for ws in wb.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        if rel.startswith("comparators/sn_"):
            out = do_neighbours([[("" if c is None else c) for c in r] for r in rows], rel, areas)
            ws.delete_rows(1, ws.max_row)
            for r in out:
                ws.append([None if c == "" else c for c in r])
            continue
        hdr = _header_rows(rows)
        out = do_table([[("" if c is None else c) for c in r] for r in rows], hdr, f"{rel}:{ws.title}", areas,
                       keep_small=True)
        ws.delete_rows(1, ws.max_row)
        for r in out:
            ws.append([None if c == "" else c for c in r])
    wb.save(dst)


def do_xls(src: Path, dst: Path, rel: str, areas: Areas) -> None:
    """A legacy Excel 97-2003 workbook (read with calamine, written with xlwt, so the file stays a genuine .xls)."""
    import xlwt
    sheets = pd.read_excel(src, engine="calamine", sheet_name=None, header=None, dtype=object)
    wb = xlwt.Workbook()
    for name, df in sheets.items():
        rows = df.where(df.notna(), "").values.tolist()
        out = do_table(rows, _header_rows(rows), f"{rel}:{name}", areas, keep_small=True)
        ws = wb.add_sheet(name)
        for i, r in enumerate(out):
            for j, c in enumerate(r):
                if c != "" and c is not None:
                    ws.write(i, j, float(c) if isinstance(c, (int, float)) and not isinstance(c, bool) else str(c))
    wb.save(str(dst))


def do_ods(src: Path, dst: Path, rel: str, areas: Areas) -> None:
    sheets = pd.read_excel(src, engine="odf", sheet_name=None, header=None, dtype=object)
    with pd.ExcelWriter(dst, engine="odf") as xw:
        for name, df in sheets.items():
            rows = df.where(df.notna(), "").values.tolist()
            out = do_table(rows, _header_rows(rows), f"{rel}:{name}", areas)
            pd.DataFrame(out).replace("", None).to_excel(xw, sheet_name=name, header=False, index=False)


# long files of many indicators (DfE LAIT): only the items the atlas reads and a few others (to exercise the filter)
ITEM_COLS = {"context/bds_long_0.parquet": "Short Desc", "context/lait_data_dictionary.csv": "Measure_short"}


def _items_kept(values) -> set:
    from pipeline.parsers.context import LAIT_ITEMS
    others = [v for v in dict.fromkeys(values) if v not in LAIT_ITEMS][:3]
    return set(LAIT_ITEMS) | set(others)


def do_parquet(src: Path, dst: Path, rel: str, areas: Areas) -> None:
    df = pd.read_parquet(src)
    if rel in ITEM_COLS:
        df = df[df[ITEM_COLS[rel]].isin(_items_kept(df[ITEM_COLS[rel]]))].reset_index(drop=True)
    rows = [list(df.columns)] + df.astype(object).where(df.notna(), "").astype(str).values.tolist()
    out = do_table(rows, 1, rel, areas)
    new = pd.DataFrame(out[1:], columns=df.columns).replace("", None)
    for c in df.columns:  # back to the original column types
        if pd.api.types.is_numeric_dtype(df[c]):
            new[c] = pd.to_numeric(new[c], errors="coerce").astype(df[c].dtype, errors="ignore")
    new.to_parquet(dst, index=False)


CELL_W, CELL_H = 0.18, 0.12  # degrees; squares are 0.16 x 0.10, so squares of different areas never overlap


def assign_cells(mirror: Path, paths: list[str]) -> dict[str, tuple[int, int]]:
    """One grid cell per area code across every boundary file: the cell nearest the area's approximate position
    (so north stays north), moved to the nearest free cell when taken. Only this coarse position is kept."""
    import shapely
    from pyproj import Transformer
    from shapely.geometry import shape
    pos: dict[str, tuple[float, float]] = {}
    for rel in paths:
        d = json.loads((mirror / rel).read_text(encoding="utf-8"))
        if d.get("type") == "Topology":
            import geopandas as gpd
            for layer in d["objects"]:
                g = gpd.read_file(mirror / rel, layer=layer)
                for code, geom in zip(g["areacd"].astype(str), g.geometry):
                    if ONS_CODE.match(code) and code not in pos and geom is not None and not geom.is_empty:
                        pt = geom.representative_point()
                        pos[code] = (pt.x, pt.y)
            continue
        bng = "27700" in json.dumps(d.get("crs", ""))
        tf = Transformer.from_crs(27700, 4326, always_xy=True) if bng else None
        for f in d["features"]:
            code = next((str(v) for v in f["properties"].values() if ONS_CODE.match(str(v or ""))), "")
            if code and code not in pos and f.get("geometry"):
                pt = shapely.point_on_surface(shape(f["geometry"]))
                pos[code] = tf.transform(pt.x, pt.y) if tf else (pt.x, pt.y)
    taken: dict[tuple[int, int], str] = {}
    cells = {}
    for code in sorted(pos, key=lambda c: (not ALWAYS.match(c), c)):
        lon, lat = pos[code]
        c0 = (round((lon + 6.0) / CELL_W), round((lat - 50.0) / CELL_H))
        best = None
        for r in range(0, 60):
            ring = [(c0[0] + dx, c0[1] + dy) for dx in range(-r, r + 1) for dy in range(-r, r + 1)
                    if max(abs(dx), abs(dy)) == r]
            free = [c for c in ring if c not in taken and 0 <= c[0] < 44 and 0 <= c[1] < 48]
            if free:
                best = min(free, key=lambda c: ((c[0] - c0[0]) ** 2 + (c[1] - c0[1]) ** 2, c))
                break
        taken[best] = code
        cells[code] = best
    return cells


def _square(cell: tuple[int, int]):
    lon, lat = -6.0 + cell[0] * CELL_W, 50.0 + cell[1] * CELL_H
    w, h = CELL_W - 0.02, CELL_H - 0.02
    return lon + w / 2, lat + h / 2, [[[lon, lat], [lon + w, lat], [lon + w, lat + h], [lon, lat + h], [lon, lat]]]


def do_geojson(src: Path, dst: Path, rel: str, areas: Areas, cells: dict) -> None:
    d = json.loads(src.read_text(encoding="utf-8"))
    bng = "27700" in json.dumps(d.get("crs", ""))
    from pyproj import Transformer
    to_bng = Transformer.from_crs(4326, 27700, always_xy=True)
    feats = []
    for f in d["features"]:
        p = f["properties"]
        code = next((str(v) for v in p.values() if ONS_CODE.match(str(v or ""))), "")
        cx, cy, ring = _square(cells[code])
        if bng:
            ring = [[list(to_bng.transform(x, y)) for x, y in ring[0]]]
        f["geometry"] = {"type": "Polygon", "coordinates": [[[round(x, 6), round(y, 6)] for x, y in ring[0]]]}
        e, n = to_bng.transform(cx, cy)
        for k in list(p):
            if k.upper() in ("LONG", "LON"):
                p[k] = round(cx, 5)
            elif k.upper() == "LAT":
                p[k] = round(cy, 5)
            elif k.upper() == "BNG_E":
                p[k] = int(e)
            elif k.upper() == "BNG_N":
                p[k] = int(n)
            elif k.lower() in ("shape__area", "shape__length", "st_areashape", "st_lengthshape"):
                p[k] = None
        feats.append(f)
    d["features"] = feats
    dst.write_text(json.dumps(d), encoding="utf-8")


def do_topojson(src: Path, dst: Path, rel: str, areas: Areas, cells: dict) -> None:
    """TopoJSON (ONSvisual): every layer and area kept with its properties; each geometry becomes one synthetic
    square (one arc, absolute coordinates, no quantisation transform)."""
    d = json.loads(src.read_text(encoding="utf-8"))
    arcs, index = [], {}
    for obj in d["objects"].values():
        for gm in obj["geometries"]:
            code = str(gm.get("properties", {}).get("areacd", ""))
            if code not in index:
                index[code] = len(arcs)
                arcs.append([[round(x, 6), round(y, 6)] for x, y in _square(cells[code])[2][0]])
            gm["type"], gm["arcs"] = "Polygon", [[index[code]]]
    out = {"type": "Topology", "arcs": arcs, "objects": d["objects"]}
    dst.write_text(json.dumps(out), encoding="utf-8")


def main(mirror: Path) -> None:
    sys.path.insert(0, str(ROOT))
    from pipeline.registry import load_sources
    areas = Areas(mirror)
    srcs = [s for s in load_sources().values() if not s.seed]
    cells = assign_cells(mirror, [s.path for s in srcs if s.path.endswith((".geojson", ".json"))])
    if OUT.exists():
        shutil.rmtree(OUT)
    for s in srcs:
        src, dst = mirror / s.path, OUT / s.path
        dst.parent.mkdir(parents=True, exist_ok=True)
        ext = src.suffix.lower()
        if ext == ".csv":
            do_csv(src, dst, s.path, areas)
        elif ext == ".xlsx":
            do_xlsx(src, dst, s.path, areas)
        elif ext == ".ods":
            do_ods(src, dst, s.path, areas)
        elif ext == ".xls":
            do_xls(src, dst, s.path, areas)
        elif ext == ".parquet":
            do_parquet(src, dst, s.path, areas)
        elif ext == ".json" and json.loads(src.read_text(encoding="utf-8")).get("type") == "Topology":
            do_topojson(src, dst, s.path, areas, cells)
        elif ext in (".geojson", ".json"):
            do_geojson(src, dst, s.path, areas, cells)
        else:
            raise SystemExit(f"no synthesiser for {s.path}")
        print(f"{dst.stat().st_size:>9,}  {s.path}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
