"""Row and column checks for the difference-in-differences designs.

Every check either raises a :class:`~toolkit.errors.DataError` /
:class:`~toolkit.errors.DesignError` that names the column, example rows
(spreadsheet numbering: the header is row 1, so the first data row is row 2),
how many rows are affected and the fix, or returns a plain-English warning that
the design carries in its result's ``warnings`` tuple.  Rows are never dropped
silently: :func:`drop_missing` counts what it excludes and says so.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.errors import DataError, DesignError, Problem

__all__ = [
    "spreadsheet_rows",
    "require_columns",
    "check_no_missing",
    "drop_missing",
    "check_unique_unit_time",
    "check_binary",
    "check_weights",
    "check_clusters",
    "first_treated_codes",
    "covariate_columns",
    "check_cluster_column",
]

#: How many example rows an error quotes.
N_EXAMPLES = 5


def spreadsheet_rows(
    mask: np.ndarray, limit: int = N_EXAMPLES, positions: np.ndarray | None = None
) -> tuple[int, ...]:
    """1-based spreadsheet row numbers (header = row 1) of the first ``limit`` True positions.

    ``positions`` maps the rows of a filtered table back to the rows of the
    table the user passed (so that quoted rows are theirs).
    """
    pos = np.flatnonzero(np.asarray(mask))[:limit]
    if positions is not None:
        pos = positions[pos]
    return tuple(int(p) + 2 for p in pos)


def require_columns(data: pd.DataFrame, columns: dict[str, str | None]) -> None:
    """Raise one DataError listing every role whose column is absent from ``data``.

    ``columns`` maps a role (``"outcome"``) to the user's column name (or None
    when the role is optional and unused).
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"Expected a pandas DataFrame, got {type(data).__name__}.")
    problems = []
    for role, col in columns.items():
        if col is None:
            continue
        if col not in data.columns:
            problems.append(
                Problem(
                    f"the {role} column '{col}' is not in the data",
                    column=col,
                    fix=f"pass the name of an existing column as {role}= (columns are: "
                    + ", ".join(map(str, list(data.columns)[:12]))
                    + (", ..." if data.shape[1] > 12 else "")
                    + ")",
                )
            )
    if problems:
        raise DataError("The data cannot be used as it is:", problems)
    if len(data) == 0:
        raise DataError("The data has no rows.", column=None, fix="pass a non-empty table")


def check_no_missing(data: pd.DataFrame, column: str, role: str) -> None:
    """Raise a DataError if ``column`` (an identifier role) has missing values."""
    miss = data[column].isna().to_numpy()
    n = int(miss.sum())
    if n:
        raise DataError(
            f"the {role} column has missing values, so these rows cannot be placed in the panel",
            column=column,
            rows=spreadsheet_rows(miss),
            count=n,
            fix=f"fill in the {role} for these rows or remove them before the analysis",
        )


def drop_missing(
    data: pd.DataFrame, columns: Sequence[str], what: str = "the analysis"
) -> tuple[pd.DataFrame, list[str], np.ndarray | None]:
    """Drop rows with a missing value in any of ``columns`` and say how many.

    Returns the kept rows (the input itself when nothing is missing), a list
    of warnings naming the columns, the count and example rows, and the
    positions of the kept rows in the input (None when nothing was dropped).
    """
    cols = [c for c in dict.fromkeys(columns) if c is not None]
    if not cols:
        return data, [], None
    miss = data[cols].isna().to_numpy().any(axis=1)
    n = int(miss.sum())
    if n == 0:
        return data, [], None
    per_col = {c: int(data[c].isna().sum()) for c in cols}
    detail = ", ".join(f"'{c}': {k:,}" for c, k in per_col.items() if k)
    rows = ", ".join(map(str, spreadsheet_rows(miss)))
    msg = Caution(
        f"{n:,} of {len(data):,} rows were excluded from {what} because of missing values "
        f"({detail}; e.g. rows {rows}).", code="did.missing_rows"
    )
    return data.loc[~miss], [msg], np.flatnonzero(~miss)


def check_unique_unit_time(
    unit_codes: np.ndarray,
    time_codes: np.ndarray,
    n_time: int,
    unit: str,
    time: str,
    positions: np.ndarray | None = None,
) -> None:
    """Raise a DataError when a unit appears more than once in the same period."""
    key = unit_codes * n_time + time_codes
    counts = np.bincount(key)
    dup_keys = counts[key] > 1
    n = int(dup_keys.sum())
    if n:
        raise DataError(
            f"some units have more than one row for the same period in '{time}'",
            column=unit,
            rows=spreadsheet_rows(dup_keys, positions=positions),
            count=n,
            fix=f"aggregate to one row per {unit} and {time} (e.g. sum counts, average rates) "
            "or remove the duplicated rows",
        )


def check_binary(
    data: pd.DataFrame, column: str, role: str, positions: np.ndarray | None = None
) -> np.ndarray:
    """Return ``column`` as a float 0/1 array or raise naming the offending rows."""
    s = data[column]
    if s.dtype == bool:
        return s.to_numpy(dtype=float)
    v = pd.to_numeric(s, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isin(v, (0.0, 1.0))
    n = int(bad.sum())
    if n:
        raise DataError(
            f"the {role} column must be 0 (no) or 1 (yes)",
            column=column,
            rows=spreadsheet_rows(bad, positions=positions),
            count=n,
            fix=f"recode '{column}' to 0/1 (1 = {role})",
        )
    return v


def check_weights(
    data: pd.DataFrame, column: str | None, positions: np.ndarray | None = None
) -> np.ndarray | None:
    """Return positive finite weights or raise a DataError."""
    if column is None:
        return None
    w = pd.to_numeric(data[column], errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(w) | (w <= 0)
    n = int(bad.sum())
    if n:
        raise DataError(
            "weights must be positive numbers",
            column=column,
            rows=spreadsheet_rows(bad, positions=positions),
            count=n,
            fix="remove rows with zero, negative or missing weights (they carry no information), "
            "or fill in the weight",
        )
    return w


def check_clusters(cluster_codes: np.ndarray, column: str) -> tuple[int, list[str]]:
    """Number of clusters; raise with one cluster, warn with fewer than 30."""
    g = int(cluster_codes.max()) + 1 if cluster_codes.size else 0
    if g < 2:
        raise DesignError(
            "Clustered standard errors need at least two clusters.",
            [
                Problem(
                    f"the cluster column has a single value, so the standard error cannot be estimated",
                    column=column,
                    count=int(cluster_codes.size),
                    fix="cluster by a column with many groups (usually the unit), or check the column mapping",
                )
            ],
        )
    warns = []
    if g < 30:
        warns.append(Caution(
            f"Only {g} clusters in '{column}': clustered standard errors can be too small with "
            "fewer than about 30 clusters; interpret the interval with caution (consider a wild "
            "cluster bootstrap).", code="did.few_clusters"
        ))
    return g, warns


def first_treated_codes(
    data: pd.DataFrame,
    column: str,
    unit_codes: np.ndarray,
    n_unit: int,
    positions: np.ndarray | None = None,
    values: pd.Series | None = None,
) -> np.ndarray:
    """One adoption period per unit (0 = never treated); raise if it varies within a unit.

    Missing values and 0 mean never treated.  ``values`` replaces the column's
    values (e.g. dates already converted to period numbers).
    """
    g = pd.to_numeric(data[column] if values is None else values, errors="coerce")
    bad_text = g.isna().to_numpy() & data[column].notna().to_numpy()
    if bad_text.any():
        raise DataError(
            "the first-treated column must hold the period a unit was first treated (a number), "
            "0 or blank for never treated",
            column=column,
            rows=spreadsheet_rows(bad_text, positions=positions),
            count=int(bad_text.sum()),
            fix="recode adoption as the first treated period on the same scale as the time column",
        )
    g = g.fillna(0.0).to_numpy(dtype=float)
    lo = np.full(n_unit, np.inf)
    hi = np.full(n_unit, -np.inf)
    np.minimum.at(lo, unit_codes, g)
    np.maximum.at(hi, unit_codes, g)
    varies = lo != hi
    if varies.any():
        bad = varies[unit_codes]
        raise DataError(
            "the first-treated period must be the same on every row of a unit; it differs within "
            f"{int(varies.sum()):,} unit(s) (treatment that switches off and on again cannot be "
            "analysed as staggered adoption)",
            column=column,
            rows=spreadsheet_rows(bad, positions=positions),
            count=int(bad.sum()),
            fix="give each unit a single first-treated period (its first period of treatment)",
        )
    return lo


def covariate_columns(kept: pd.DataFrame, covariates: Sequence[str], positions: np.ndarray | None) -> list[np.ndarray]:
    """Numeric covariate columns as float arrays; raise naming rows that are not numbers."""
    out = []
    for c in covariates:
        v = pd.to_numeric(kept[c], errors="coerce").to_numpy(dtype=float)
        bad = ~np.isfinite(v)
        if bad.any():
            raise DataError(
                "covariates must be numeric",
                column=c,
                rows=spreadsheet_rows(bad, positions=positions),
                count=int(bad.sum()),
                fix="convert the covariate to numbers or leave it out",
            )
        out.append(v)
    return out


def check_cluster_column(data: pd.DataFrame, cluster: str | None) -> None:
    """A cluster column must exist and have no missing values."""
    if cluster is None:
        return
    require_columns(data, {"cluster": cluster})
    check_no_missing(data, cluster, "cluster")
