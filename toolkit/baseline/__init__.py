"""The baseline stage: measure the problem before the scheme starts.

Modules, one concern each:

- :mod:`toolkit.baseline.aggregate` — the column roles, input checks and aggregation of
  record-level or aggregated rows to analysis cells (excluded rows counted, never dropped silently);
- :mod:`toolkit.baseline.deprivation` — attach a national IMD decile from an LSOA code, a decile
  or an IMD score;
- :mod:`toolkit.baseline.records` — the stage's data step (:func:`aggregate_source`): record-level
  sources are joined to IMD and summed to cells in DuckDB without loading them into pandas, by the
  same rules as the pandas route;
- :mod:`toolkit.baseline.periods` — every period added up, or only the latest (snapshot extracts);
- :mod:`toolkit.baseline.analysis` — the indicator by deprivation, ethnicity, age and sex, Core20
  against the rest, SII/RII and the trend, all through :mod:`toolkit.indicators`;
- :mod:`toolkit.baseline.completeness` — the data-completeness audit and the bounds on the Core20 gap;
- :mod:`toolkit.baseline.measures` and :mod:`toolkit.baseline.statutory` — the deeper measures of the gap
  (age-standardised, funnel, SII over time, concentration index, attributable share, life-expectancy gap)
  and the statutory breakdowns.

Everything here returns numbers and DataFrames.  The report — sentences, charts, tables and the
named results — is made by :mod:`toolkit.stages.baseline`.
"""

from toolkit.baseline.aggregate import (
    DIMENSIONS,
    NOT_STATED,
    OPTIONAL_ROLES,
    REQUIRED_ROLES,
    Aggregated,
    aggregate,
)
from toolkit.baseline.analysis import (
    by_dimension,
    by_imd,
    core20_summary,
    inequality_indices,
    overall,
    quintile_gap,
    trend,
)
from toolkit.baseline.completeness import completeness_by_period, core20_gap_bounds, not_stated_by_quintile
from toolkit.baseline.deprivation import Deprivation, attach_deprivation, read_lookup
from toolkit.baseline.periods import PERIOD_USES, PeriodScope, period_scope
from toolkit.baseline.records import aggregate_source

__all__ = [
    "REQUIRED_ROLES",
    "OPTIONAL_ROLES",
    "DIMENSIONS",
    "NOT_STATED",
    "Aggregated",
    "aggregate",
    "Deprivation",
    "attach_deprivation",
    "read_lookup",
    "aggregate_source",
    "PERIOD_USES",
    "PeriodScope",
    "period_scope",
    "overall",
    "by_imd",
    "by_dimension",
    "core20_summary",
    "quintile_gap",
    "inequality_indices",
    "trend",
    "completeness_by_period",
    "not_stated_by_quintile",
    "core20_gap_bounds",
]
