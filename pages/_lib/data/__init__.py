"""The app's data access: every warehouse query lives in this package; pages call `data.<function>` and never
write SQL. Modules by concern:

- connection: the read-only DuckDB connection, the schema check (an old or incomplete warehouse stops with the list
  of what it lacks) and `query(sql, params)`, the one cached-query helper;
- usersession: this session's user-supplied data as views named like the warehouse tables, so the same queries
  answer official and user measures (session only, never on disk, never in a cache shared between sessions);
- measures, areas, values, geometry, comparators, statistics, services, downloads (with provenance), user.
"""
from pipeline.domain import ENGLAND  # noqa: F401

from .areas import area_info, area_names, areas, breaks_for, la_codes, la_geo, predecessors, region_codes, successors  # noqa: F401
from .comparators import (  # noqa: F401
    DEFAULT_COMPARATOR_SET,
    area_with_neighbours,
    comparator_rows,
    comparator_set_description,
    comparator_set_ids,
    comparator_set_info,
    comparator_set_label,
    comparators,
    neighbour_group,
)
from .connection import (  # noqa: F401
    CI_COLS,
    REQUIRED_COLUMNS,
    REQUIRED_TABLES,
    SIG_COLS,
    WarehouseIncomplete,
    WarehouseMissing,
    _connection,
    _cursor,
    _df,
    has_columns,
    has_table,
    missing_schema,
    query,
    token,
    warehouse_path,
)
from .downloads import build_info, build_manifests, download, reference_figures, sources, table_counts  # noqa: F401
from .geometry import layer_for  # noqa: F401
from .measures import (  # noqa: F401
    OK_STATUSES,
    STATUS_LABELS,
    USER_SUPPRESSED_LABEL,
    default_measure,
    group_measures,
    is_user,
    map_measure_ids,
    measure,
    measure_ids,
    measure_row,
    measure_years,
    measures,
    measures_for,
    order_measures,
    period_label,
    status_label,
    topic,
    trend_measure_ids,
    user_measure_ids,
    user_meta,
)
from .services import nearest_mbus, services_points, services_points_open  # noqa: F401
from .statistics import (  # noqa: F401
    QueryNotAllowed,
    _stat_table,
    deprivation_gradient,
    funnel,
    inequality,
    ns_context_models,
    ns_expected,
    ns_models,
    ns_summary,
    scatter_data,
    stat_neighbours,
    stat_table,
    trend_summary,
)
from .user import (  # noqa: F401
    USER_SUPPRESSED_NOTE,
    compute_upload,
    imported_datasets,
    load_imported,
    user_comparator,
    user_dir,
    user_download,
    user_frame,
    user_funnel,
    validate_upload,
)
from .usersession import USER_ENGLAND_COMPARATOR  # noqa: F401
from .values import CONTINUITY_COLS, area_latest, compare, continuity, level_series, series, spine, values, year_range  # noqa: F401
