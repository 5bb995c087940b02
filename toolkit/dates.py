"""One date reader for the whole toolkit: which format a column uses, said out loud.

Analysts' extracts write dates in many ways.  :func:`detect_format` looks at
*all* the distinct values of a column and decides, once, which format they use:

===============  ===========================================  =========================
format           looks like                                    read as
===============  ===========================================  =========================
``iso``          ``2023-04-01`` (optionally with a time)       ISO 8601 dates
``iso-month``    ``2023-04``                                    months
``quarter``      ``2023-Q2``, ``2023Q2``                        quarters (left as text)
``day-first``    ``01/04/2023``, ``1.4.23``                     UK dates, day first
``month-first``  ``04/15/2023``                                 US dates, month first
``month-name``   ``Apr 2023``, ``April 2023``, ``1 Apr 2023``   dates with month names
``excel-serial`` ``45017`` (days since 30 Dec 1899)             Excel serial day numbers
``native``       a date/datetime column in Parquet or xlsx      the stored dates
===============  ===========================================  =========================

Slash dates are read day first (UK) when some first part is above 12, month
first (US) when some second part is above 12, and otherwise by which reading
gives one constant day of the month (monthly extracts date every row on the
1st).  When nothing settles it, the column is **refused**: guessing would put
April's rows in January (and then report "a unit appears more than once in the
same period").  The chosen format's description is shown by ``hitk validate``
and stored in each run's manifest.

Everything here is plain Python/pandas (``datetime.strptime`` and
``pandas.to_datetime`` with an explicit format); no third-party date guesser.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

from toolkit.errors import DataError, Problem

__all__ = ["DateReading", "FORMATS", "detect_format", "parse_dates", "to_iso_text", "parse_date"]

FORMATS = {
    "iso": "ISO dates (YYYY-MM-DD)",
    "iso-month": "months written YYYY-MM",
    "quarter": "quarters written YYYY-Qn",
    "day-first": "day-first UK dates (DD/MM/YYYY)",
    "month-first": "month-first US dates (MM/DD/YYYY)",
    "month-name": "dates with month names (e.g. 'Apr 2023' or '1 April 2023')",
    "excel-serial": "Excel serial day numbers (days since 30 December 1899)",
    "native": "dates stored as dates in the file",
}

_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?$")
_ISO_MONTH = re.compile(r"^(\d{4})-(\d{1,2})$")
_QUARTER = re.compile(r"^\d{4}\s*-?\s*Q[1-4]$", re.I)
_SLASH = re.compile(r"^(\d{1,2})[/.](\d{1,2})[/.](\d{4}|\d{2})(?:\s+\d{1,2}:\d{2}(?::\d{2})?)?$")
_MONTHS = {m.lower(): i for i, m in enumerate(
    ["January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
     "November", "December"], start=1)}
_MONTHS.update({k[:3]: v for k, v in list(_MONTHS.items())})
_MONTHS["sept"] = 9
_NAMED = re.compile(r"^(?:(\d{1,2})(?:st|nd|rd|th)?[\s-])?\s*([A-Za-z]{3,9})[\s,-]+(\d{4}|\d{2})$")
_SERIAL_RANGE = (25569, 73051)  # 1 Jan 1970 .. 1 Jan 2100
_EXCEL_EPOCH = dt.date(1899, 12, 30)
_MISSING = {"", "na", "n/a", "nan", "nat", "none", "null", "never", "0"}


@dataclass(frozen=True)
class DateReading:
    """How a column's dates were read.

    Attributes
    ----------
    format : str
        One of :data:`FORMATS`.
    reason : str
        Why this format (e.g. "a first part above 12, such as '15/03/2024'").
    """

    format: str
    reason: str = ""

    @property
    def description(self) -> str:
        text = FORMATS[self.format]
        return f"{text}: {self.reason}" if self.reason else text


def _year(text: str) -> int:
    y = int(text)
    return y + 2000 if len(text) == 2 else y


def _clean(values: Iterable[Any]) -> list[str]:
    out = []
    for v in values:
        if v is None or v is pd.NA or v is pd.NaT or (isinstance(v, float) and v != v):
            continue
        s = str(v).strip()
        if s.lower() not in _MISSING:
            out.append(s)
    return list(dict.fromkeys(out))


def _describe_pair(example: tuple[int, int, int]) -> str:
    a, b, y = example
    try:
        uk = dt.date(y, b, a).strftime("%-d %B %Y")
        us = dt.date(y, a, b).strftime("%-d %B %Y")
        return f"{uk} (day first) or {us} (month first)"
    except ValueError:
        return "two different dates"


def _ambiguous(column: str, file: str | None, text: str, example: tuple[int, int, int]) -> DataError:
    return DataError(
        f"the dates cannot be read safely: every day and month is 12 or less, so '{text}' could be "
        f"{_describe_pair(example)}, and nothing in the column says which",
        file=file, column=column,
        fix="re-export the column with ISO dates (YYYY-MM-DD), which cannot be misread")


def _slash_reading(texts: list[str], column: str, file: str | None) -> DateReading:
    parts = []
    for s in texts:
        m = _SLASH.match(s)
        parts.append((int(m.group(1)), int(m.group(2)), _year(m.group(3))))
    big_first = [s for s, p in zip(texts, parts) if p[0] > 12]
    big_second = [s for s, p in zip(texts, parts) if p[1] > 12]
    if big_first and big_second:
        raise DataError(
            f"the dates mix day-first and month-first writing (e.g. '{big_first[0]}' and '{big_second[0]}')",
            file=file, column=column, fix="re-export the column with ISO dates (YYYY-MM-DD)")
    if big_first:
        return DateReading("day-first", f"some first parts are above 12, e.g. '{big_first[0]}'")
    if big_second:
        return DateReading("month-first", f"some second parts are above 12, e.g. '{big_second[0]}'")
    firsts = {p[0] for p in parts}
    seconds = {p[1] for p in parts}
    if len(firsts) == 1 and len(seconds) > 1:
        return DateReading("day-first", f"every date falls on day {parts[0][0]} of a month when read day first")
    if len(seconds) == 1 and len(firsts) > 1:
        return DateReading("month-first", f"every date falls on day {parts[0][1]} of a month when read month first")
    if all(p[0] == p[1] for p in parts):  # 01/01/2024, 02/02/2024: both readings agree
        return DateReading("day-first", "day and month are equal, so both readings agree")
    raise _ambiguous(column, file, texts[0], parts[0])


def detect_format(values: Iterable[Any] | pd.Series, *, column: str, file: str | None = None) -> DateReading | None:
    """Which date format a column uses (module table), from every distinct value.

    Returns
    -------
    DateReading or None
        None when the values are not dates in one known format (plain numbers,
        codes, a mixture); the caller's own checks then report them.

    Raises
    ------
    DataError
        Slash dates whose order (day or month first) cannot be told, or that mix both.
    """
    if isinstance(values, pd.Series):
        if pd.api.types.is_datetime64_any_dtype(values):
            return DateReading("native")
        if pd.api.types.is_numeric_dtype(values) and not pd.api.types.is_bool_dtype(values):
            v = values.dropna()
            if len(v) and (v == v.round()).all() and v.between(*_SERIAL_RANGE).all():
                return DateReading("excel-serial", "whole numbers between 25569 and 73051")
            return None
        if values.dtype == object and len(values.dropna()) and all(
                isinstance(x, (dt.date, pd.Timestamp)) for x in values.dropna()):
            return DateReading("native")
    texts = _clean(values)
    if not texts:
        return None
    if all(_ISO.match(s) for s in texts):
        return DateReading("iso")
    if all(_ISO_MONTH.match(s) for s in texts):
        return DateReading("iso-month")
    if all(_QUARTER.match(s) for s in texts):
        return DateReading("quarter")
    if all(_SLASH.match(s) for s in texts):
        return _slash_reading(texts, column, file)
    if all((m := _NAMED.match(s)) and m.group(2).lower() in _MONTHS for s in texts):
        return DateReading("month-name")
    if all(re.fullmatch(r"\d{5}(?:\.0+)?", s) for s in texts):
        nums = [float(s) for s in texts]
        if all(_SERIAL_RANGE[0] <= n <= _SERIAL_RANGE[1] for n in nums):
            return DateReading("excel-serial", "whole numbers between 25569 and 73051")
    return None


def _one(text: str, fmt: str) -> dt.date | None:
    """One value in a known format -> a date (None when it is not a real date)."""
    try:
        if fmt == "iso":
            m = _ISO.match(text)
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3)))
        if fmt == "iso-month":
            m = _ISO_MONTH.match(text)
            return dt.date(int(m.group(1)), int(m.group(2)), 1)
        if fmt in ("day-first", "month-first"):
            m = _SLASH.match(text)
            a, b, y = int(m.group(1)), int(m.group(2)), _year(m.group(3))
            return dt.date(y, b, a) if fmt == "day-first" else dt.date(y, a, b)
        if fmt == "month-name":
            m = _NAMED.match(text)
            return dt.date(_year(m.group(3)), _MONTHS[m.group(2).lower()], int(m.group(1) or 1))
        if fmt == "excel-serial":
            return _EXCEL_EPOCH + dt.timedelta(days=int(float(text)))
    except (ValueError, AttributeError, KeyError):
        return None
    return None


def parse_dates(values: pd.Series, *, column: str, file: str | None = None,
                reading: DateReading | None = None) -> tuple[pd.Series, DateReading]:
    """Read a column as dates in the one format :func:`detect_format` finds.

    Returns
    -------
    dates : pandas.Series of datetime64
        NaT where a value is missing.
    reading : DateReading

    Raises
    ------
    DataError
        No single known format, an ambiguous column, or values that are not real
        dates (e.g. 30/02/2024), naming example rows (header = row 1).
    """
    reading = reading or detect_format(values, column=column, file=file)
    if reading is None:
        raise DataError("the values are not dates in one known format", file=file, column=column,
                        fix="write dates as YYYY-MM-DD (or DD/MM/YYYY) throughout")
    if reading.format == "native":
        return pd.to_datetime(values), reading
    if reading.format == "quarter":
        raise DataError("the values are quarters, not dates", file=file, column=column,
                        fix="this role needs dates (YYYY-MM-DD)")
    out, bad = [], []
    for i, v in enumerate(values.tolist()):
        texts = _clean([v])
        if not texts:
            out.append(pd.NaT)
            continue
        d = _one(texts[0], reading.format)
        if d is None:
            bad.append(i)
            out.append(pd.NaT)
        else:
            out.append(pd.Timestamp(d))
    if bad:
        raise DataError(f"these values are not real dates when read as {FORMATS[reading.format]}",
                        file=file, column=column, rows=tuple(i + 2 for i in bad[:5]), count=len(bad),
                        fix="correct them (e.g. 30 February does not exist)")
    return pd.Series(pd.to_datetime(out), index=values.index, name=values.name), reading


def to_iso_text(values: pd.Series, *, column: str, file: str | None = None) -> tuple[pd.Series, DateReading | None]:
    """Slash, month-name and Excel-serial dates rewritten as ISO text; other columns unchanged.

    For callers that already read ISO dates, months, quarters and numbers
    themselves: one call at the top makes them read every other format the same
    way as the rest of the toolkit (and refuse ambiguous columns).
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values, None  # numbers stay periods (years, period numbers) for these callers
    reading = detect_format(values, column=column, file=file)
    if reading is None or reading.format not in ("day-first", "month-first", "month-name", "excel-serial"):
        return values, reading
    dates, _ = parse_dates(values, column=column, file=file, reading=reading)
    text = dates.dt.strftime("%Y-%m-%d").astype(object)
    return text.where(dates.notna(), values), reading


def parse_date(value: Any, *, where: str) -> dt.date:
    """One date written by the analyst (e.g. in evaluation.yaml), in any format of :data:`FORMATS`.

    Slash dates on their own are refused unless the day is above 12 or equals the
    month: a single value cannot show which order it uses.

    Raises
    ------
    DataError
        Naming ``where`` and the fix.
    """
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip()
    try:
        reading = detect_format([text], column=where)
    except DataError as exc:
        raise DataError(exc.problems[0].message, [Problem(exc.problems[0].message, where=where,
                                                          fix="write the date as YYYY-MM-DD")]) from None
    d = _one(text, reading.format) if reading and reading.format != "quarter" else None
    if d is None:
        raise DataError(f"'{text}' is not a real calendar date",
                        [Problem(f"'{text}' is not a real calendar date", where=where,
                                 fix="write the date as YYYY-MM-DD, e.g. 2026-02-28")])
    return d
