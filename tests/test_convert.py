"""The converters `atlas fetch` runs on the downloaded originals of the sources registered with `convert`
(pipeline/convert.py): deterministic output, and on the real originals byte-identical to the registered files."""
from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from pipeline.convert import ConvertError, convert
from pipeline.registry import load_sources

BOWTIE = [[0, 0], [2, 2], [2, 0], [0, 2], [0, 0]]  # self-intersecting ring: invalid, as quantisation can leave them


def write_topojson(path: Path, layer: str = "data") -> Path:
    """A small TopoJSON in the henryjameslau layout (no transform: arcs in lon/lat), one square and one bow-tie."""
    topo = {"type": "Topology", "arcs": [[[0.1234567, 50.0], [1.0, 50.0], [1.0, 51.0], [0.1234567, 51.0],
                                          [0.1234567, 50.0]], [[x + 2.0, y + 50.0] for x, y in BOWTIE]],
            "objects": {layer: {"type": "GeometryCollection", "geometries": [
                {"type": "Polygon", "arcs": [[0]], "id": 0,
                 "properties": {"objectid": 1, "AREACD": "E06000001", "AREANM": "Square", "start": 2019}},
                {"type": "Polygon", "arcs": [[1]], "id": 1,
                 "properties": {"objectid": 2, "AREACD": "E06000002", "AREANM": "Bow-tie", "start": None}}]}}}
    path.write_text(json.dumps(topo), encoding="utf-8")
    return path


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_topojson_layer_converts_renames_repairs_and_is_deterministic(tmp_path):
    src = write_topojson(tmp_path / "in.json")
    args = {"layer": "data", "drop": ["id"], "rename": {"AREACD": "CTYUA19CD", "AREANM": "CTYUA19NM"},
            "integer": ["start"]}
    out1, out2 = tmp_path / "a" / "ctyua_x.geojson", tmp_path / "b" / "ctyua_x.geojson"
    for out in (out1, out2):
        out.parent.mkdir()
        convert("topojson_layer", src, out, args)
    assert out1.read_bytes() == out2.read_bytes()
    doc = json.loads(out1.read_text(encoding="utf-8"))
    assert doc["name"] == "ctyua_x" and doc["crs"]["properties"]["name"] == "urn:ogc:def:crs:OGC:1.3:CRS84"
    props = [f["properties"] for f in doc["features"]]
    assert props == [{"objectid": 1, "CTYUA19CD": "E06000001", "CTYUA19NM": "Square", "start": 2019},
                     {"objectid": 2, "CTYUA19CD": "E06000002", "CTYUA19NM": "Bow-tie", "start": None}]
    assert '"start": 2019 }' in out1.read_text(encoding="utf-8")  # an integer, not 2019.0
    assert doc["features"][0]["geometry"]["coordinates"][0][0] == [0.123457, 50.0]  # 6 decimals
    import shapely.geometry
    repaired = shapely.geometry.shape(doc["features"][1]["geometry"])
    assert repaired.is_valid and repaired.geom_type == "MultiPolygon" and len(repaired.geoms) == 2


def test_topojson_layer_names_the_registered_file_when_written_to_a_temporary_name(tmp_path):
    out = tmp_path / ".ctyua_x.geojson.part-123"
    convert("topojson_layer", write_topojson(tmp_path / "in.json"), out, {"layer": "data"})
    assert json.loads(out.read_text(encoding="utf-8"))["name"] == "ctyua_x"


@pytest.mark.parametrize("args, message", [
    ({"layer": "utla"}, "no layer 'utla' (layers: data)"),
    ({"layer": "data", "rename": {"CODE": "X"}}, "no column(s) CODE"),
    ({"layer": "data", "colour": "red"}, "bad convert_args"),
])
def test_topojson_layer_bad_arguments_name_the_file(tmp_path, args, message):
    src = write_topojson(tmp_path / "in.json")
    with pytest.raises(ConvertError, match="bad convert_args" if "bad" in message else str(src)) as e:
        convert("topojson_layer", src, tmp_path / "out.geojson", args)
    assert message in str(e.value)


def test_not_a_topojson_is_a_convert_error(tmp_path):
    bad = tmp_path / "in.json"
    bad.write_text("<html>404</html>", encoding="utf-8")
    with pytest.raises(ConvertError, match="in.json"):
        convert("topojson_layer", bad, tmp_path / "out.geojson", {"layer": "data"})


def test_unknown_converter(tmp_path):
    with pytest.raises(ConvertError, match="unknown converter 'shapefile'"):
        convert("shapefile", tmp_path / "x", tmp_path / "y")


def test_rdata_to_csv_round_trip_rds_and_rda(tmp_path):
    import pyreadr
    frame = pd.DataFrame({"code": ["E06000001", "E06000002", None], "score": [43.467, 30.0, 0.4211],
                          "number": ["12", "c", "z"]})
    expected = b"code,score,number\nE06000001,43.467,12\nE06000002,30.0,c\n,0.4211,z\n"
    pyreadr.write_rds(str(tmp_path / "x.rds"), frame)
    pyreadr.write_rdata(str(tmp_path / "x.rda"), frame, df_name="imd")
    convert("rdata_to_csv", tmp_path / "x.rds", tmp_path / "a.csv")
    convert("rdata_to_csv", tmp_path / "x.rda", tmp_path / "b.csv", {"object": "imd"})
    assert (tmp_path / "a.csv").read_bytes() == expected == (tmp_path / "b.csv").read_bytes()
    with pytest.raises(ConvertError, match="no R object 'other' \\(objects: imd\\)"):
        convert("rdata_to_csv", tmp_path / "x.rda", tmp_path / "c.csv", {"object": "other"})
    (tmp_path / "bad.rds").write_bytes(b"not R")
    with pytest.raises(ConvertError, match="bad.rds: not a readable R data file"):
        convert("rdata_to_csv", tmp_path / "bad.rds", tmp_path / "d.csv")


# --- the real originals (the raw mirror keeps the exact TopoJSON files under geography/topojson_source/) ---

TOPOJSON_ORIGINALS = {
    "ctyua_2018": "geography/topojson_source/Counties_and_Unitary_Authorities_December_2018_Boundaries_UK_BUC.json",
    "ctyua_2019": "geography/topojson_source/Counties_and_Unitary_Authorities_December_2019_Boundaries_UK_BUC2.json",
    "ctyua_2020": "geography/topojson_source/Counties_and_Unitary_Authorities_December_2020_UK_BUC_V2.json",
    "utla_multiyear": "geography/topojson_source/onsvisual_uk-topojson_output_topo.json",
}


def converted_sources() -> dict:
    from pipeline import config
    return {k: v for k, v in load_sources(config.ROOT / "data" / "sources.toml").items() if v.convert}


def test_every_converted_source_is_covered_here():
    by_kind = {s.id: s.convert for s in converted_sources().values()}
    assert {k for k, v in by_kind.items() if v == "topojson_layer"} == set(TOPOJSON_ORIGINALS)
    assert {k for k, v in by_kind.items() if v == "rdata_to_csv"} == set(R_ORIGINALS)


@pytest.mark.real_data("converts the publishers' TopoJSON files kept in the mirror")
@pytest.mark.parametrize("source_id", sorted(TOPOJSON_ORIGINALS))
def test_topojson_originals_convert_to_the_registered_bytes(real_mirror, tmp_path, source_id):
    """The mirror's exact originals have the registered download_sha256, and converting them gives the registered
    GeoJSON byte for byte (so the checksum check in `atlas fetch` holds)."""
    src = converted_sources()[source_id]
    original = real_mirror / TOPOJSON_ORIGINALS[source_id]
    assert sha(original) == src.download_sha256
    out = tmp_path / Path(src.path).name
    convert(src.convert, original, out, src.convert_args)
    assert sha(out) == src.sha256 == sha(real_mirror / src.path)


R_ORIGINALS = {"dfe_cla_starts_la_2025": "rds", "iod2025_file10_v2": "rda"}


def make_r_original(mirror: Path, source_id: str, dest: Path) -> Path:
    """An R data file holding the registered CSV's table, as the original would (the real .rds/.rda were not kept).

    The DfE dashboard table is written as character columns (pyreadr writes integer columns as doubles, which would
    print as 2025.0; the dashboard's own columns are character or integer); the IoD table with its doubles."""
    import pyreadr
    src = converted_sources()[source_id]
    raw = (mirror / src.path).read_bytes()
    dest.parent.mkdir(parents=True, exist_ok=True)
    if R_ORIGINALS[source_id] == "rds":
        frame = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False, na_values=[""])
        pyreadr.write_rds(str(dest), frame)
    else:
        pyreadr.write_rdata(str(dest), pd.read_csv(io.BytesIO(raw)), df_name=src.convert_args["object"])
    return dest


@pytest.mark.real_data("round-trips the registered CSVs of the two R data files through R format")
@pytest.mark.parametrize("source_id", sorted(R_ORIGINALS))
def test_r_originals_round_trip_to_the_registered_bytes(real_mirror, tmp_path, source_id):
    """The originals' checksums are not recorded, so only the converted CSV is verified: an R file holding the
    registered table converts back to the registered CSV byte for byte."""
    src = converted_sources()[source_id]
    assert src.download_sha256 == ""  # unknown: nothing pretends to verify the original
    original = make_r_original(real_mirror, source_id, tmp_path / f"original.{R_ORIGINALS[source_id]}")
    out = tmp_path / Path(src.path).name
    convert(src.convert, original, out, src.convert_args)
    assert sha(out) == src.sha256
