"""Reference steps: areas, geometry, services and denominators (tables every layer after staging uses)."""
