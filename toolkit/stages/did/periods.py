"""Time columns of a difference-in-differences panel as consecutive period numbers.

Analysts' data hold time as ``YYYY-MM`` text, ``YYYY-Qn`` text, dates or whole
numbers (years, period numbers).  The estimators need numbers on which "the
period before" is one step back, with 0 kept free to mean "never treated".
:func:`parse_periods` puts a column on such a scale and :class:`PeriodScale`
maps start dates and first-treated values onto the same scale and back to
labels a board can read ("Apr 2023").

Notes
-----
Calendar values are first converted to ordinals at their natural frequency
(months for ``YYYY-MM`` and dates, quarters for ``YYYY-Qn``, the number itself
for integers).  The step :math:`s` is the greatest common divisor of the gaps
between the distinct ordinals (so quarterly dates give :math:`s = 3` months),
and period :math:`k = (o - o_{min})/s + 1`, which starts at 1.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from functools import reduce
from typing import Any

import numpy as np
import pandas as pd

from toolkit.dates import to_iso_text
from toolkit.errors import DataError, Problem

__all__ = ["PeriodScale", "parse_periods", "parse_on_scale", "NEVER_WORDS"]

_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")
_QUARTER = re.compile(r"^\s*(\d{4})\s*-?\s*Q([1-4])\s*$", re.I)
_INT = re.compile(r"^\s*-?\d+\s*$")
_ISO_DATE = re.compile(r"^\s*(\d{4})-(\d{2})-(\d{2})([ T].*)?$")
_UK_DATE = re.compile(r"^\s*(\d{1,2})/(\d{1,2})/(\d{4})\s*$")
NEVER_WORDS = {"", "0", "never", "none", "na", "n/a", "nan"}
_MONTH_NAMES = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass(frozen=True)
class PeriodScale:
    """How ordinals of one frequency map to period numbers 1, 2, 3, ...

    Attributes
    ----------
    freq : {"month", "quarter", "period"}
        Natural frequency of the ordinals (``"period"`` for plain integers).
    origin : int
        Ordinal of period 1.
    step : int
        Ordinals per period (e.g. 3 when monthly ordinals come from quarterly dates).
    n_periods : int
        Number of periods from the first to the last observed one.
    """

    freq: str
    origin: int
    step: int
    n_periods: int

    @property
    def unit_name(self) -> str:
        """The period's name in words: "month", "quarter", "year" or "period"."""
        if self.freq == "month":
            return {1: "month", 3: "quarter", 12: "year"}.get(self.step, "period")
        if self.freq == "quarter":
            return {1: "quarter", 4: "year"}.get(self.step, "period")
        return "period"

    def index(self, ordinal: float) -> float:
        """Period number of an ordinal (may be fractional when off the grid)."""
        return (ordinal - self.origin) / self.step + 1

    def ordinal(self, index: float) -> int:
        return int(round(self.origin + (index - 1) * self.step))

    def label(self, index: float) -> str:
        """Readable label of period ``index``: "Apr 2023", "2023 Q2" or the number."""
        if index is None or (isinstance(index, float) and math.isnan(index)):
            return "never"
        o = self.ordinal(index)
        if self.freq == "month":
            year, month = divmod(o, 12)
            return f"{_MONTH_NAMES[month]} {year}"
        if self.freq == "quarter":
            year, q = divmod(o, 4)
            return f"{year} Q{q + 1}"
        return f"{o}"

    def parse_value(self, value: Any, *, where: str) -> float:
        """Put one value written by the analyst (a start date) on this scale.

        Raises
        ------
        DataError
            When the value cannot be read at this scale's frequency.
        """
        ords, freq = _ordinals(pd.Series([value], dtype=object), column=where)
        if np.isnan(ords[0]) or not _compatible(freq, self.freq):
            raise DataError(
                f"'{value}' is not a {self.unit_name} this panel can use",
                column=where,
                fix=_FORMAT_FIX[self.freq],
            )
        return self.index(_convert(ords[0], freq, self.freq))


_FORMAT_FIX = {
    "month": "write months as YYYY-MM (e.g. 2023-04) or dates as YYYY-MM-DD",
    "quarter": "write quarters as YYYY-Qn (e.g. 2023-Q2)",
    "period": "use the same whole numbers as the time column (e.g. 2023)",
}


def _compatible(freq: str, target: str) -> bool:
    return freq == target or (freq == "month" and target == "quarter") or (freq == "quarter" and target == "month")


def _convert(ordinal: float, freq: str, target: str) -> float:
    if freq == target:
        return ordinal
    if freq == "quarter" and target == "month":
        return ordinal * 3
    return math.floor(ordinal / 3)  # month -> its quarter


def _ordinals(values: pd.Series, *, column: str) -> tuple[np.ndarray, str]:
    """Ordinals of every value (NaN where missing or a never-word) and their frequency.

    Raises DataError naming the rows that cannot be read.
    """
    values = to_iso_text(values, column=column)[0]  # one date reader for the toolkit (toolkit.dates)
    n = len(values)
    out = np.full(n, np.nan)
    if pd.api.types.is_datetime64_any_dtype(values):
        ok = values.notna().to_numpy()
        ts = pd.DatetimeIndex(values[ok])
        out[ok] = ts.year * 12 + ts.month - 1
        return out, "month"
    if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
        v = values.to_numpy(dtype=float)
        bad = np.isfinite(v) & (v != np.round(v))
        if bad.any():
            _raise_unreadable(column, bad, "time values must be whole numbers (years or period numbers)")
        v = np.where(v == 0, np.nan, v)
        return v, "period"
    text = [None if x is None or x is pd.NA or (isinstance(x, float) and math.isnan(x)) else str(x).strip()
            for x in values.tolist()]
    freq = None
    bad = np.zeros(n, dtype=bool)
    for i, s in enumerate(text):
        if s is None or s.lower() in NEVER_WORDS:
            continue
        m = _MONTH.match(s)
        if m and 1 <= int(m.group(2)) <= 12:
            val, f = int(m.group(1)) * 12 + int(m.group(2)) - 1, "month"
        elif (m := _QUARTER.match(s)):
            val, f = int(m.group(1)) * 4 + int(m.group(2)) - 1, "quarter"
        elif _INT.match(s):
            val, f = int(s), "period"
        elif (m := _ISO_DATE.match(s)) and 1 <= int(m.group(2)) <= 12:
            val, f = int(m.group(1)) * 12 + int(m.group(2)) - 1, "month"
        elif (m := _UK_DATE.match(s)) and 1 <= int(m.group(2)) <= 12:  # dd/mm/yyyy, as UK data write dates
            val, f = int(m.group(3)) * 12 + int(m.group(2)) - 1, "month"
        else:
            bad[i] = True
            continue
        if freq is None:
            freq = f
        elif f != freq and not _compatible(f, freq):
            bad[i] = True
            continue
        out[i] = _convert(val, f, freq) if f != freq else val
    if bad.any():
        _raise_unreadable(column, bad, "these values are not months (YYYY-MM), quarters (YYYY-Qn), dates (YYYY-MM-DD or DD/MM/YYYY) or whole numbers")
    return out, freq or "period"


def _raise_unreadable(column: str, bad: np.ndarray, message: str) -> None:
    rows = tuple(int(i) + 2 for i in np.flatnonzero(bad)[:5])
    raise DataError(message, column=column, rows=rows, count=int(bad.sum()),
                    fix="write months as YYYY-MM (e.g. 2023-04), quarters as YYYY-Qn, dates as YYYY-MM-DD, "
                    "or use whole-number periods throughout")


def parse_periods(values: pd.Series, *, column: str) -> tuple[np.ndarray, PeriodScale]:
    """Convert a time column to period numbers 1, 2, 3, ... (module Notes).

    Parameters
    ----------
    values : pandas.Series
        ``YYYY-MM`` or ``YYYY-Qn`` text, dates, or whole numbers.  No value may be missing.
    column : str
        The analyst's column name, for messages.

    Returns
    -------
    periods : ndarray of int
        Period number of each row (1 = the first period observed).
    scale : PeriodScale
        The scale, to map start dates and first-treated values and to label periods.

    Raises
    ------
    DataError
        Missing or unreadable values, naming the rows.
    """
    missing = values.isna().to_numpy()
    if missing.any():
        rows = tuple(int(i) + 2 for i in np.flatnonzero(missing)[:5])
        raise DataError("the time period is missing", column=column, rows=rows, count=int(missing.sum()),
                        fix="give every row its period (e.g. 2023-04)")
    ords, freq = _ordinals(values, column=column)
    if np.isnan(ords).any():  # a zero or never-word in the time column
        _raise_unreadable(column, np.isnan(ords), "the time period is 0 or empty")
    uniq = np.unique(ords.astype(np.int64))
    step = int(reduce(math.gcd, np.diff(uniq).tolist(), 0)) or 1
    scale = PeriodScale(freq=freq, origin=int(uniq[0]), step=step, n_periods=int((uniq[-1] - uniq[0]) // step + 1))
    return ((ords - scale.origin) // step + 1).astype(np.int64), scale


def parse_on_scale(values: pd.Series, scale: PeriodScale, *, column: str) -> np.ndarray:
    """Put a column of dates/periods (e.g. first treated) on ``scale``; NaN = never.

    A date inside a period (a start on 15 May in quarterly data) counts from
    the period that contains it.
    """
    ords, freq = _ordinals(values, column=column)
    if freq != scale.freq and not _compatible(freq, scale.freq) and np.isfinite(ords).any():
        raise DataError(f"values are {freq}s but the time column holds {scale.freq}s", column=column,
                        fix=_FORMAT_FIX[scale.freq])
    conv = np.array([_convert(o, freq, scale.freq) if np.isfinite(o) else np.nan for o in ords])
    idx = (conv - scale.origin) / scale.step + 1
    return np.where(np.isfinite(idx), np.floor(idx + 1e-9), np.nan)
