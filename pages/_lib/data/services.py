"""Perinatal services: mother and baby units as points (services_points) and the nearest units to an LA."""
from __future__ import annotations

import pandas as pd

from pipeline.domain import open_at

from .connection import query
from .statistics import stat_table


def services_points() -> pd.DataFrame:
    return stat_table("services_points")


def services_points_open(year: int | None) -> pd.DataFrame:
    """The units open at 31 March `year`, by the rule the yearly services measures use (pipeline.domain.open_at: a
    unit without an opening date is assumed open throughout); every unit when `year` is None."""
    pts = services_points()
    return pts if year is None else open_at(pts, int(year))


def nearest_mbus(code: str, n: int = 5, year: int | None = None) -> pd.DataFrame:
    """The `n` located units nearest to the LA's representative point, among those open at 31 March `year` (every
    unit when `year` is None); great-circle distance (haversine, km)."""
    ids = list(services_points_open(year)["unit_id"].astype(str))
    return query("""
        SELECT s.name, s.trust, s.town, s.country, s.status, CAST(s.opened AS VARCHAR) AS opened, s.beds,
               s.location_level, s.location_confidence, s.error_radius_km,
               round(2 * 6371.0088 * asin(sqrt(
                   pow(sin(radians(s.lat - g.rep_lat) / 2), 2) +
                   cos(radians(g.rep_lat)) * cos(radians(s.lat)) * pow(sin(radians(s.lon - g.rep_lon) / 2), 2))), 1)
                   AS distance_km,
               s.opened_basis
        FROM services_points s, la_geo g
        WHERE g.area_code = ? AND s.lat IS NOT NULL AND s.lon IS NOT NULL AND list_contains(?, s.unit_id)
        ORDER BY distance_km LIMIT ?""", [code, ids, int(n)])
