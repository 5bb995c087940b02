"""Validation of panel data for the difference-in-differences designs.

:func:`prepare_panel` checks a long panel (with the row and column checks of
:mod:`toolkit.designs.did._checks`, re-exported here) and converts it to a
:class:`Panel` of integer codes and float arrays; :func:`adoption_periods` and
:func:`cluster_codes` add the first-treated periods and the clusters.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.dates import to_iso_text
from toolkit.designs.did._checks import (
    N_EXAMPLES,
    check_binary,
    check_cluster_column,
    check_clusters,
    check_no_missing,
    check_unique_unit_time,
    check_weights,
    covariate_columns,
    drop_missing,
    first_treated_codes,
    require_columns,
    spreadsheet_rows,
)
from toolkit.errors import DataError

__all__ = [
    "Panel",
    "require_columns",
    "spreadsheet_rows",
    "check_no_missing",
    "drop_missing",
    "codes",
    "check_unique_unit_time",
    "check_binary",
    "check_clusters",
    "check_weights",
    "treatment_switches",
    "first_treated_codes",
    "time_codes",
    "prepare_panel",
    "adoption_periods",
    "covariate_columns",
    "cluster_codes",
    "check_cluster_column",
    "N_EXAMPLES",
]

def codes(values: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    """Integer codes 0..k-1 (sorted by value) and the unique values."""
    c, uniq = pd.factorize(values, sort=True)
    return c.astype(np.int64, copy=False), np.asarray(uniq)


def time_codes(values: pd.Series, column: str) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Integer codes of the periods in time order, the periods, and any warning.

    Numbers, dates and ordered categories are sorted.  Text has no reliable
    order (``"Q12012"`` sorts before ``"Q22011"``), so periods keep the order in
    which they first appear in the data and a warning says so.
    """
    is_ordered_cat = isinstance(values.dtype, pd.CategoricalDtype) and values.cat.ordered
    if (
        pd.api.types.is_numeric_dtype(values)
        or pd.api.types.is_datetime64_any_dtype(values)
        or isinstance(values.dtype, pd.PeriodDtype)
        or is_ordered_cat
    ):
        c, uniq = codes(values)
        return c, uniq, []
    c, uniq = pd.factorize(values, sort=False)
    uniq = np.asarray(uniq)
    shown = ", ".join(map(str, uniq[:4])) + (", ..." if len(uniq) > 4 else "")
    warn = Caution(
        f"The time column '{column}' holds text, so periods were put in the order they first appear "
        f"in the data ({shown}). Use numbers or dates for the periods to be sure of their order.",
        code="did.text_periods",
    )
    return c.astype(np.int64, copy=False), uniq, [warn]


def treatment_switches(
    d: np.ndarray, unit_codes: np.ndarray, time_codes: np.ndarray, n_unit: int, n_time: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit: did treatment ever switch off (1 then 0), and switch off then on again?

    Returns two boolean arrays of length ``n_unit``.  Uses a dense unit × period
    grid (missing cells are skipped), so it costs O(units × periods).
    """
    grid = np.full(n_unit * n_time, np.nan)
    grid[unit_codes * n_time + time_codes] = d
    grid = grid.reshape(n_unit, n_time)
    # forward-fill over gaps so that a missing period does not break a run
    filled = pd.DataFrame(grid.T).ffill().to_numpy().T
    diff = np.diff(filled, axis=1)
    off = diff < 0
    switched_off = off.any(axis=1)
    # an "on" transition after the first "off" transition
    first_off = np.where(switched_off, off.argmax(axis=1), n_time)
    on = diff > 0
    idx = np.arange(n_time - 1)[None, :]
    on_again = (on & (idx > first_off[:, None])).any(axis=1)
    return switched_off, on_again


@dataclass(frozen=True)
class Panel:
    """A validated panel: integer codes and float arrays ready for estimation."""

    y: np.ndarray
    unit: np.ndarray
    time: np.ndarray
    n_unit: int
    n_time: int
    unit_values: np.ndarray
    time_values: np.ndarray
    weights: np.ndarray | None
    n_dropped: int
    warnings: tuple[str, ...]
    data: pd.DataFrame
    positions: np.ndarray | None = None

    @property
    def n_obs(self) -> int:
        return int(self.y.size)

    @property
    def balanced(self) -> bool:
        return self.n_obs == self.n_unit * self.n_time


def prepare_panel(
    data: pd.DataFrame,
    *,
    outcome: str,
    unit: str,
    time: str,
    other: Sequence[str | None] = (),
    weights: str | None = None,
    roles: dict[str, str | None] | None = None,
    what: str = "the analysis",
) -> Panel:
    """Validate a long panel and convert it to codes.

    Checks, in order: columns exist; no missing unit or time; rows with a
    missing outcome/weight/other value are excluded *with a warning*; the
    outcome is numeric; one row per unit and period; weights positive.
    """
    cols = {"outcome": outcome, "unit": unit, "time": time, "weights": weights}
    cols.update(roles or {})
    require_columns(data, cols)
    check_no_missing(data, unit, "unit")
    check_no_missing(data, time, "time")
    y_num = pd.to_numeric(data[outcome], errors="coerce")
    text = y_num.isna().to_numpy() & data[outcome].notna().to_numpy()
    if text.any():
        raise DataError(
            "the outcome must be numeric",
            column=outcome,
            rows=spreadsheet_rows(text),
            count=int(text.sum()),
            fix="convert the outcome to numbers (remove text such as '*' or 'n/a')",
        )
    kept, warns, positions = drop_missing(data, [outcome, weights, *other], what)
    if len(kept) == 0:
        raise DataError(
            "no rows are left after removing rows with missing values",
            column=outcome,
            count=len(data),
            fix="check the column mapping: the outcome (or another column used) is empty",
        )
    u, uv = codes(kept[unit])
    t, tv, twarn = time_codes(kept[time], time)
    warns = warns + twarn
    check_unique_unit_time(u, t, len(tv), unit, time, positions=positions)
    w = check_weights(kept, weights, positions=positions)
    y = pd.to_numeric(kept[outcome]).to_numpy(dtype=float)
    if not np.all(np.isfinite(y)):
        bad = ~np.isfinite(y)
        raise DataError(
            "the outcome has infinite values",
            column=outcome,
            rows=spreadsheet_rows(bad, positions=positions),
            count=int(bad.sum()),
            fix="remove or correct infinite values (e.g. a rate with a zero denominator)",
        )
    return Panel(
        y=y,
        unit=u,
        time=t,
        n_unit=len(uv),
        n_time=len(tv),
        unit_values=uv,
        time_values=tv,
        weights=w,
        n_dropped=len(data) - len(kept),
        warnings=tuple(warns),
        data=kept,
        positions=positions,
    )


def cluster_codes(panel: Panel, cluster: str | None, unit: str) -> tuple[np.ndarray, int, str, list[str]]:
    """Cluster codes for a validated panel (the unit when ``cluster`` is None).

    Returns codes, number of clusters, the column used and any warnings
    (fewer than 30 clusters).  Raises with a single cluster.
    """
    if cluster is None or cluster == unit:
        c, name = panel.unit, unit
    else:
        c, _ = codes(panel.data[cluster])
        name = cluster
    g, warns = check_clusters(c, name)
    return c, g, name, warns


def adoption_periods(
    panel: Panel, first_treated: str, time: str, design: str
) -> tuple[np.ndarray, np.ndarray]:
    """Period values (numeric) and each unit's first-treated value on the same scale.

    Numeric time: the values themselves (event time = difference of values,
    as R's ``did``).  Dates: periods are numbered 1..T in date order and a
    first-treated date maps to the first period on or after it (T + 1 when
    after the panel; missing = never treated).
    """
    tv = pd.Series(panel.time_values)
    if pd.api.types.is_datetime64_any_dtype(tv):
        ft = panel.data[first_treated]
        ft_dt = pd.to_datetime(to_iso_text(ft, column=first_treated)[0], errors="coerce")  # toolkit.dates
        bad = ft_dt.isna().to_numpy() & ft.notna().to_numpy()
        if pd.api.types.is_numeric_dtype(ft):
            bad = ft.notna().to_numpy() & (ft.fillna(0).to_numpy() != 0)
        if bad.any():
            raise DataError(
                "the time column holds dates, so the first-treated column must hold dates too "
                "(blank = never treated)",
                column=first_treated,
                rows=spreadsheet_rows(bad, positions=panel.positions),
                count=int(bad.sum()),
                fix="give the date of the first treated period, or leave it blank for never-treated units",
            )
        idx = np.searchsorted(tv.to_numpy(), ft_dt.to_numpy(), side="left") + 1.0
        mapped = pd.Series(np.where(ft_dt.isna().to_numpy(), 0.0, idx), index=ft.index)
        G = first_treated_codes(panel.data, first_treated, panel.unit, panel.n_unit,
                                positions=panel.positions, values=mapped)
        return np.arange(1.0, len(tv) + 1.0), G
    tvals = pd.to_numeric(tv, errors="coerce").to_numpy(dtype=float)
    if np.isnan(tvals).any():
        raise DataError(
            f"the time column must hold numbers or dates for {design} (periods are compared with "
            "the first-treated period)",
            column=time,
            fix="use a period number (e.g. year, or months since a start date) or a date in both the "
            "time and first-treated columns",
        )
    G = first_treated_codes(panel.data, first_treated, panel.unit, panel.n_unit, positions=panel.positions)
    return tvals, G
