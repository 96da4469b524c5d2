"""Converters for registered sources that are not byte copies of their download (`convert = "<id>"` in
data/sources.toml, with `convert_args`).

`atlas fetch` downloads the original from the source's `url`, checks it against `download_sha256` where that is
recorded, runs the converter into a temporary file and keeps the result only if its sha256 is the registered one.
Each converter is a plain function `(original, dest, **args)` whose output bytes depend only on the input bytes and
the arguments (and the library versions that write them: GeoJSON is written by GDAL through pyogrio, CSV by pandas).

- `topojson_layer`: one layer of a TopoJSON file to GeoJSON, as the mirror's maintainers converted the ONS boundary
  files: read with GDAL (pyogrio), declare EPSG:4326 (TopoJSON has no CRS; the coordinates are WGS84 lon/lat), drop
  and rename properties, write nullable integer properties as integers, repair the geometries that quantisation made
  invalid with `shapely.make_valid` keeping only their polygon parts, and write 6-decimal GeoJSON whose `name` is the
  registered file's stem.
- `rdata_to_csv`: an R data file (.rds, or one object of an .rda) to CSV with pyreadr and pandas: no index column,
  `\\n` line ends, missing values as empty cells, values otherwise unchanged.
"""
from __future__ import annotations

import inspect
from pathlib import Path

from .errors import AtlasError

GEOJSON_DECIMALS = 6


class ConvertError(AtlasError):
    """A downloaded original could not be converted (names the file and what is wrong)."""


def _polygon_parts(geom):
    """`make_valid` of an invalid polygon, keeping only its polygon parts (in their order)."""
    import shapely

    fixed = shapely.make_valid(geom)
    if fixed.geom_type in ("Polygon", "MultiPolygon"):
        return fixed
    parts = []
    for g in getattr(fixed, "geoms", []):
        if g.geom_type == "Polygon":
            parts.append(g)
        elif g.geom_type == "MultiPolygon":
            parts.extend(g.geoms)
    if not parts:
        return None
    return parts[0] if len(parts) == 1 else shapely.MultiPolygon(parts)


def topojson_layer(original: Path, dest: Path, layer: str, rename: dict[str, str] | None = None,
                   drop: list[str] | None = None, integer: list[str] | None = None) -> None:
    """Write layer `layer` of the TopoJSON `original` as GeoJSON at `dest` (see the module docstring)."""
    import geopandas as gpd
    import pyogrio

    try:
        layers = [str(name) for name, _ in pyogrio.list_layers(original)]
    except Exception as exc:  # noqa: BLE001 (GDAL raises its own types for an unreadable file)
        raise ConvertError(f"{original}: not a readable TopoJSON file ({exc})") from None
    if layer not in layers:
        raise ConvertError(f"{original}: no layer {layer!r} (layers: {', '.join(layers)})")
    gdf = gpd.read_file(original, layer=layer)
    missing = [c for c in [*(drop or []), *(rename or {}), *(integer or [])] if c not in gdf.columns]
    if missing:
        raise ConvertError(f"{original}: layer {layer!r} has no column(s) {', '.join(missing)}")
    gdf = gdf.drop(columns=list(drop or [])).rename(columns=dict(rename or {}))
    gdf = gdf.astype({c: "Int64" for c in integer or []}).set_crs(4326, allow_override=True)
    invalid = ~gdf.geometry.is_valid
    gdf.loc[invalid, "geometry"] = gdf.loc[invalid, "geometry"].apply(_polygon_parts)
    dest.unlink(missing_ok=True)
    gdf.to_file(dest, driver="GeoJSON", layer=_stem(dest), engine="pyogrio",
                COORDINATE_PRECISION=GEOJSON_DECIMALS)


def _stem(dest: Path) -> str:
    """The registered file's stem (a temporary name `.<name>.part-<pid>` is written under its final name)."""
    name = dest.name.lstrip(".").split(".part-")[0]
    return name.rsplit(".", 1)[0]


def rdata_to_csv(original: Path, dest: Path, object: str | None = None) -> None:  # noqa: A002 (the R object)
    """Write the data frame in the R file `original` (.rds; or object `object` of an .rda) as CSV at `dest`."""
    import pyreadr

    try:
        objects = pyreadr.read_r(str(original))
    except Exception as exc:  # noqa: BLE001 (pyreadr raises its own types for an unreadable file)
        raise ConvertError(f"{original}: not a readable R data file ({type(exc).__name__}: {exc})") from None
    names = [str(k) for k in objects]
    if object is None and len(objects) != 1:
        raise ConvertError(f"{original}: {len(objects)} R objects ({', '.join(names)}); name one in convert_args")
    if object is not None and object not in objects:
        raise ConvertError(f"{original}: no R object {object!r} (objects: {', '.join(names)})")
    frame = objects[object] if object is not None else next(iter(objects.values()))
    frame.to_csv(dest, index=False, lineterminator="\n", encoding="utf-8")


CONVERTERS = {"topojson_layer": topojson_layer, "rdata_to_csv": rdata_to_csv}


def convert(name: str, original: Path, dest: Path, args: dict | None = None) -> None:
    """Run converter `name` on `original`, writing `dest`; a bad original is a ConvertError naming it."""
    if name not in CONVERTERS:
        raise ConvertError(f"unknown converter {name!r} (known: {', '.join(CONVERTERS)})")
    fn = CONVERTERS[name]
    try:
        inspect.signature(fn).bind(original, dest, **dict(args or {}))
    except TypeError as exc:
        raise ConvertError(f"converter {name!r}: bad convert_args {args!r} ({exc})") from None
    try:
        fn(Path(original), Path(dest), **dict(args or {}))
    except ConvertError:
        raise
    except Exception as exc:  # noqa: BLE001 (GDAL, pyreadr and pandas raise many types for a bad original)
        raise ConvertError(f"{original}: {name} failed ({type(exc).__name__}: {exc})") from None
