"""Inputs of the interrupted-time-series stage: the seasonality parameter and the series to fit."""

from __future__ import annotations

from typing import Any

import pandas as pd

from toolkit.errors import DesignError

__all__ = ["parse_seasonality", "split_series"]


def parse_seasonality(value: Any) -> None | str | int:
    """Template parameter → estimator argument: ``"month"``, ``"none"`` or a number of Fourier pairs.

    Raises
    ------
    DesignError
        For anything else, saying what is accepted.
    """
    if value is None:
        return None
    text = str(value).strip().lower()
    if text in ("", "none", "no", "false"):
        return None
    if text in ("month", "months", "monthly", "season", "seasonal"):
        return "month"
    if text.isdigit() and int(text) > 0:
        return int(text)
    raise DesignError(f"seasonality {value!r} is not understood: use \"month\" (one term per month or quarter of "
                      "the year), \"none\", or a number of Fourier pairs such as \"2\"")


def split_series(data: pd.DataFrame, *, comparison: bool, group: bool,
                 family: str) -> tuple[pd.DataFrame, pd.DataFrame | None, list[str]]:
    """Role-named data → the intervention series and the comparison series, one row per period.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns under role names (``time``, ``outcome``, optionally ``denominator``,
        ``comparison_outcome``, ``comparison_denominator``, ``group``).
    comparison : bool
        Build the comparison series from the ``comparison_*`` columns.
    group : bool
        The data hold one row per group and period: add the groups up per period.
    family : str
        The model family; adding groups up needs counts (a denominator, or a count family).

    Returns
    -------
    (series, control, notes)
        The intervention series (``time``, ``outcome`` [, ``denominator``]), the
        comparison series under the same names (or None), and notes for the report.

    Notes
    -----
    With groups, the total series is Σ_g outcome_gt and Σ_g denominator_gt for each period t.
    """
    notes: list[str] = []
    cols = ["time", "outcome"] + (["denominator"] if "denominator" in data else [])
    series = data[cols].copy()
    control = None
    if comparison:
        ccols = {"time": "time", "comparison_outcome": "outcome"}
        if "comparison_denominator" in data:
            ccols["comparison_denominator"] = "denominator"
        control = data[list(ccols)].rename(columns=ccols)
    if group:
        if family == "gaussian" and "denominator" not in data:
            raise DesignError("with a 'group' column the total series is formed by adding the groups up, which needs "
                              "counts: map a 'denominator' role, or remove the 'group' role")
        n_groups = data["group"].nunique()
        series = series.groupby("time", as_index=False, sort=True).sum(min_count=1)
        if control is not None:
            control = control.groupby("time", as_index=False, sort=True).sum(min_count=1)
        notes.append(f"The headline adds the {n_groups} groups together for each period.")
    return series, control, notes
