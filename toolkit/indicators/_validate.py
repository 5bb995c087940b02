"""Input checks shared by the indicator functions.

Every check raises :class:`toolkit.errors.DataError` naming the column, example
rows, how many rows are affected and the fix.  Rows are numbered as a
spreadsheet shows them (header = row 1, so the first data row is row 2), which is
the convention of :class:`toolkit.errors.Problem`.
"""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError, Problem

__all__ = [
    "check_frame",
    "as_by",
    "require_columns",
    "numeric_column",
    "check_nonnegative",
    "check_positive",
    "check_not_above",
    "sheet_rows",
]


def sheet_rows(positions) -> tuple[int, ...]:
    """Spreadsheet row numbers (header = row 1) of 0-based row positions, first five."""
    pos = np.flatnonzero(positions) if np.asarray(positions).dtype == bool else np.asarray(positions)
    return tuple(int(p) + 2 for p in pos[:5])


def check_frame(data, what: str = "data") -> pd.DataFrame:
    """Check that ``data`` is a non-empty pandas DataFrame and return it with a fresh index."""
    if not isinstance(data, pd.DataFrame):
        raise DataError(
            f"{what} must be a pandas DataFrame, not {type(data).__name__}",
            column=None,
            fix="pass a DataFrame (e.g. pd.read_csv(...))",
            count=0,
        )
    if len(data) == 0:
        raise DataError(f"{what} has no rows", count=0, fix="check the filter that produced it")
    return data.reset_index(drop=True)


def as_by(by) -> list[str]:
    """Normalise ``by`` (None, a column name or a list of names) to a list."""
    if by is None:
        return []
    if isinstance(by, str):
        return [by]
    return list(by)


def require_columns(data: pd.DataFrame, columns: Sequence[str | None], what: str = "data") -> None:
    """Raise one DataError listing every named column that ``data`` lacks."""
    have = set(map(str, data.columns))
    missing = [c for c in columns if c is not None and c not in data.columns]
    if missing:
        avail = ", ".join(list(map(str, data.columns))[:20])
        problems = [
            Problem(
                f"column '{c}' is not in the {what}",
                column=str(c),
                fix=f"name one of the columns it has ({avail}) or add the column",
            )
            for c in missing
        ]
        del have
        raise DataError("Missing columns:", problems)


def numeric_column(
    data: pd.DataFrame, column: str, *, allow_missing: bool = False, what: str = "count"
) -> np.ndarray:
    """Return ``data[column]`` as float, raising DataError on text or (optionally) blanks.

    Parameters
    ----------
    allow_missing : bool
        If False, missing values are an error; if True they are returned as NaN
        and the caller decides what they mean.
    """
    s = data[column]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype(float)
    conv = pd.to_numeric(s, errors="coerce")
    bad_text = conv.isna().to_numpy() & s.notna().to_numpy()
    if bad_text.any():
        example = s[bad_text].iloc[0]
        raise DataError(
            f"{what}s must be numbers but some are text (e.g. {example!r})",
            column=column,
            rows=sheet_rows(bad_text),
            count=int(bad_text.sum()),
            fix=f"clean '{column}' so that it holds only numbers (remove '*', commas or notes)",
        )
    values = conv.to_numpy(dtype=float, na_value=np.nan)
    if not allow_missing:
        miss = np.isnan(values)
        if miss.any():
            raise DataError(
                f"{what}s are missing",
                column=column,
                rows=sheet_rows(miss),
                count=int(miss.sum()),
                fix=f"fill in '{column}' (use 0 where there were truly no events) or remove those rows",
            )
    if np.isinf(values).any():
        inf = np.isinf(values)
        raise DataError(
            f"{what}s are infinite", column=column, rows=sheet_rows(inf), count=int(inf.sum()),
            fix=f"replace the infinite values in '{column}'",
        )
    return values


def check_nonnegative(values: np.ndarray, column: str, what: str = "count") -> None:
    """Raise DataError if any value is negative."""
    neg = values < 0
    if neg.any():
        raise DataError(
            f"{what}s cannot be negative",
            column=column,
            rows=sheet_rows(neg),
            count=int(neg.sum()),
            fix=f"correct the negative values in '{column}'",
        )


def check_positive(values: np.ndarray, column: str, what: str = "population") -> None:
    """Raise DataError if any value is zero or negative."""
    bad = ~(values > 0)
    bad &= ~np.isnan(values)
    if bad.any():
        raise DataError(
            f"{what}s must be greater than zero",
            column=column,
            rows=sheet_rows(bad),
            count=int(bad.sum()),
            fix=f"correct or remove the rows where '{column}' is zero or negative",
        )


def check_not_above(num: np.ndarray, den: np.ndarray, numerator: str, denominator: str) -> None:
    """Raise DataError where the numerator exceeds the denominator (proportions)."""
    bad = num > den
    if bad.any():
        raise DataError(
            f"numerator is larger than the denominator '{denominator}'",
            column=numerator,
            rows=sheet_rows(bad),
            count=int(bad.sum()),
            fix=f"check that '{numerator}' counts a subset of '{denominator}'",
        )


def group_codes(data: pd.DataFrame, by: list[str]) -> tuple[np.ndarray, pd.DataFrame]:
    """Integer group code of each row and the table of group keys (sorted, NaN kept).

    Returns
    -------
    codes : ndarray of int
        Group index of each row (all zeros when ``by`` is empty).
    keys : DataFrame
        One row per group with the ``by`` columns, in group-code order.
    """
    if not by:
        return np.zeros(len(data), dtype=np.int64), pd.DataFrame(index=range(1))
    g = data.groupby(by, sort=True, dropna=False, observed=True)
    codes = g.ngroup().to_numpy()
    keys = g.size().reset_index()[by]
    return codes, keys.reset_index(drop=True)
