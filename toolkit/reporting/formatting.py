"""Numbers, intervals, p-values and dates formatted the same way on every board page.

One module so that the same figure reads the same everywhere (the summary, the stage
reports, the board pack). Functions return text; they never compute estimates.

Conventions
-----------
- Estimates: three significant figures with thousands separators (``1,430``, ``6.95``,
  ``0.0412``); a number that would lose its fractional part when rounded keeps one decimal
  (``6,751.5`` stays ``6,751.5``: a threshold must read as written).
- p-values: two significant figures (``0.042``, ``0.31``), ``< 0.001`` below 0.001.
- Percentages (a share, ``12%``) are kept apart from percentage points (a difference
  of two percentages, ``2.3 percentage points``).
- Counts of people: rounded for people, not machines (``about 1,430``).
- Relative effects: ``about 11% more`` / ``about 5% fewer``.
- Dates: ``28 November 2026, 04:23`` from ISO timestamps (UTC kept as written);
  ``March 2026`` for a period.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

__all__ = [
    "MISSING", "is_missing", "fmt_number", "fmt_interval", "fmt_ci", "fmt_p", "fmt_percent",
    "fmt_points", "fmt_count", "fmt_relative", "fmt_ratio_change", "fmt_date", "fmt_datetime",
    "fmt_period", "fmt_level", "plural", "fmt_signed", "fmt_measure", "fmt_measure_range", "fmt_ratio_words",
    "fmt_ratio_range", "fmt_effect", "is_ratio_unit",
]

MISSING = "not available"
_RUN_ID = re.compile(r"^(\d{4}-\d{2}-\d{2})T(\d{2})-(\d{2})-(\d{2})Z(?:-\d+)?$")
_DATE_ONLY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August", "September",
           "October", "November", "December")


def is_missing(x: Any) -> bool:
    """True for None, NaN and infinities (pandas' NA included)."""
    if x is None:
        return True
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def fmt_number(x: Any, *, digits: int = 3) -> str:
    """A number to ``digits`` significant figures with thousands separators.

    Parameters
    ----------
    x : float
        The number; None or NaN gives ``"not available"``.
    digits : int
        Significant figures (default 3).

    Returns
    -------
    str
        ``1434.7`` → ``"1,435"``; ``6.951`` → ``"6.95"``; ``0.04123`` → ``"0.0412"``.

    Notes
    -----
    Whole-number parts are never rounded away: at or above ``10**digits`` the number is shown
    to the unit, keeping one decimal when the fraction is at least 0.05 (``6,751.5``).
    """
    if is_missing(x):
        return MISSING
    return _sig(float(x), digits, keep_fraction=True)


def _sig(x: float, digits: int, *, keep_fraction: bool = False) -> str:
    """``x`` to ``digits`` significant figures (whole-number part kept), thousands separators."""
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    rounded = round(x, decimals)
    if rounded != 0 and math.floor(math.log10(abs(rounded))) > magnitude:  # 0.0996 -> 0.10, not 0.100
        decimals = max(0, decimals - 1)
    if keep_fraction and decimals == 0 and abs(x - round(x)) >= 0.05:
        decimals = 1
    text = f"{x:,.{decimals}f}"
    return "0" if text.lstrip("-").strip("0.,") == "" else text


def fmt_interval(low: Any, high: Any, *, digits: int = 3) -> str:
    """``"2.3 to 5.9"``: the two limits of an interval, each to ``digits`` significant figures."""
    return f"{fmt_number(low, digits=digits)} to {fmt_number(high, digits=digits)}"


def fmt_ci(low: Any, high: Any, level: float | None = 0.95, *, digits: int = 3) -> str:
    """``"95% CI 2.3 to 5.9"`` (the level defaults to 95% when not given)."""
    return f"{(level or 0.95) * 100:g}% CI {fmt_interval(low, high, digits=digits)}"


def fmt_p(p: Any, *, missing: str = "–") -> str:
    """A p-value to two significant figures; ``"< 0.001"`` below 0.001.

    ``0.04234`` → ``"0.042"``; ``0.3117`` → ``"0.31"``; ``0.0004`` → ``"< 0.001"``;
    ``1.0`` → ``"1.0"``. Missing values give ``missing`` (an en dash for tables).
    """
    if is_missing(p):
        return missing
    p = float(p)
    if p < 0.001:
        return "< 0.001"
    return "1.0" if p >= 0.995 else _sig(p, 2)


def fmt_level(level: Any) -> str:
    """A confidence level as a percentage: ``0.95`` → ``"95%"``; ``0.998`` → ``"99.8%"``."""
    if is_missing(level):
        return MISSING
    return f"{round(float(level) * 100, 4):g}%"


def plural(n: Any, word: str, *, many: str | None = None) -> str:
    """A count with its noun: ``plural(1, "period")`` → ``"1 period"``; ``plural(14, "period")`` → ``"14 periods"``.

    The count is written with thousands separators, unrounded (use :func:`fmt_count` for people).
    ``many`` gives an irregular plural (``plural(2, "person", many="people")``).
    """
    count = int(n)
    return f"{count:,} {word if count == 1 else (many or word + 's')}"


def fmt_percent(share: Any, *, digits: int = 2, already_percent: bool = False) -> str:
    """A share as a percentage: ``0.1234`` → ``"12%"``; ``0.0695`` → ``"7.0%"``.

    Parameters
    ----------
    share : float
        A proportion (0–1), or a percentage when ``already_percent``.
    digits : int
        Significant figures (default 2), never fewer than the whole-number part.
    """
    if is_missing(share):
        return MISSING
    value = float(share) if already_percent else float(share) * 100
    return f"{_sig(value, digits)}%"


def fmt_points(diff: Any, *, digits: int = 2, already_percent: bool = False, signed: bool = False) -> str:
    """A difference between two percentages in percentage points: ``0.023`` → ``"2.3 percentage points"``."""
    if is_missing(diff):
        return MISSING
    value = float(diff) if already_percent else float(diff) * 100
    sign = "+" if signed and value > 0 else ""
    text = _sig(value, digits)
    unit = "percentage point" if text.lstrip("-") == "1" else "percentage points"
    return f"{sign}{text} {unit}"


def _round_for_people(n: float) -> tuple[float, bool]:
    """Round a count the way people say it; returns (value, whether it was rounded)."""
    a = abs(n)
    if a < 100:
        step = 1
    elif a < 1_000:
        step = 10
    else:
        step = 10 ** (math.floor(math.log10(a)) - 2)  # three significant figures: 1,430; 14,300
    value = round(n / step) * step
    return value, value != n


def fmt_count(n: Any, *, about: bool = True) -> str:
    """A count of people or events rounded for people: ``1434.7`` → ``"about 1,430"``; ``42`` → ``"42"``.

    Below 100 counts are shown to the unit, from 100 to 999 to the nearest ten, above that to three
    significant figures. ``about`` is added when the shown number is not the exact value.
    """
    if is_missing(n):
        return MISSING
    value, rounded = _round_for_people(float(n))
    text = f"{int(round(value)):,}"
    return f"about {text}" if about and rounded else text


def fmt_relative(new: Any, reference: Any, *, more: str = "more", fewer: str = "fewer") -> str:
    """The relative difference of ``new`` against ``reference`` in words: ``"about 11% more"``.

    ``fmt_relative(14.5, 13.05)`` → ``"about 11% more"``. Changes under 0.5% read ``"about the same"``.
    The words can be changed (``more="higher", fewer="lower"``).
    """
    if is_missing(new) or is_missing(reference) or float(reference) == 0:
        return MISSING
    return fmt_ratio_change(float(new) / float(reference), more=more, fewer=fewer)


def fmt_ratio_change(ratio: Any, *, more: str = "more", fewer: str = "fewer") -> str:
    """A ratio in words: ``1.11`` → ``"about 11% more"``; ``0.95`` → ``"about 5% fewer"``."""
    if is_missing(ratio):
        return MISSING
    change = (float(ratio) - 1) * 100
    if abs(change) < 0.5:
        return "about the same"
    shown = _sig(abs(change), 2) if abs(change) < 10 else f"{round(abs(change)):,}"
    return f"about {shown}% {more if change > 0 else fewer}"


def _parse(value: Any) -> dt.datetime | dt.date | None:
    if isinstance(value, dt.datetime) or isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime()
    text = str(value).strip()
    if not text:
        return None
    # run ids look like 2026-11-28T04-23-32Z(-2) (file-safe); make them ISO again
    run_id = _RUN_ID.match(text)
    if run_id:
        text = f"{run_id.group(1)}T{run_id.group(2)}:{run_id.group(3)}:{run_id.group(4)}+00:00"
    if _DATE_ONLY.match(text):
        try:
            return dt.date.fromisoformat(text)
        except ValueError:
            return None
    text = text.replace("Z", "+00:00")
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        pass
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def fmt_date(value: Any) -> str:
    """A date for people: ``"2026-11-28"`` → ``"28 November 2026"``; unparseable text is returned as is."""
    parsed = _parse(value)
    if parsed is None:
        return MISSING if value is None else str(value)
    return f"{parsed.day} {_MONTHS[parsed.month - 1]} {parsed.year}"


def fmt_datetime(value: Any) -> str:
    """A timestamp for people: ``"2026-11-28T04:23:32Z"`` → ``"28 November 2026, 04:23"``.

    The clock time is shown as written (UTC for run times). A date without a time gives the date only.
    Unparseable text is returned as is.
    """
    parsed = _parse(value)
    if parsed is None:
        return MISSING if value is None else str(value)
    if not isinstance(parsed, dt.datetime):
        return fmt_date(parsed)
    return f"{fmt_date(parsed)}, {parsed:%H:%M}"


def fmt_period(value: Any, *, unit: str = "month") -> str:
    """A period for people: ``"2026-03"`` or a date in March 2026 → ``"March 2026"``.

    ``unit`` is one of ``"month"``, ``"quarter"`` (``"January to March 2026"``), ``"year"``
    or ``"day"``.
    """
    text = str(value).strip() if value is not None else ""
    parsed = _parse(text + "-01" if len(text) == 7 and text[4] == "-" else value)
    if parsed is None:
        return MISSING if value is None else str(value)
    if unit == "year":
        return str(parsed.year)
    if unit == "day":
        return fmt_date(parsed)
    if unit == "quarter":
        first = 3 * ((parsed.month - 1) // 3)
        return f"{_MONTHS[first]} to {_MONTHS[first + 2]} {parsed.year}"
    return f"{_MONTHS[parsed.month - 1]} {parsed.year}"


# ---------------------------------------------------------------- values with their units (board pages)


def _trim(text: str) -> str:
    """Drop trailing zeros after a decimal point: ``"0.950"`` → ``"0.95"``, ``"60.0"`` → ``"60"``."""
    if "." not in text:
        return text
    text = text.rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def fmt_signed(x: Any, *, digits: int = 3) -> str:
    """A change with its sign: ``1.45`` → ``"+1.45"``, ``-2.8`` → ``"-2.8"``, ``0`` → ``"0"``."""
    if is_missing(x):
        return MISSING
    text = _trim(_sig(float(x), digits))
    return f"+{text}" if float(x) > 0 and text != "0" else text


def is_ratio_unit(unit: str | None) -> bool:
    """True for a rate ratio or ratio unit (``"rate ratio (1 = no change)"``)."""
    u = (unit or "").strip().lower()
    return u.startswith("rate ratio") or u in ("ratio", "odds ratio", "risk ratio")


def fmt_ratio_words(ratio: Any, *, more: str = "more", fewer: str = "fewer") -> str:
    """A ratio as a change in words without "about": ``0.95`` → ``"5% fewer"``; ``1.0`` → ``"no change"``.

    For targets and table cells; :func:`fmt_ratio_change` is the same with "about" for estimates.
    """
    if is_missing(ratio):
        return MISSING
    change = (float(ratio) - 1) * 100
    if abs(change) < 0.5:
        return "no change"
    shown = _trim(_sig(abs(change), 2)) if abs(change) < 10 else f"{round(abs(change)):,}"
    return f"{shown}% {more if change > 0 else fewer}"


def fmt_ratio_range(low: Any, high: Any, *, more: str = "more", fewer: str = "fewer") -> str:
    """The interval of a ratio in words: ``(0.914, 0.948)`` → ``"5.2% to 8.6% fewer"``."""
    if is_missing(low) or is_missing(high):
        return MISSING
    lo, hi = sorted((float(low), float(high)))
    a, b = fmt_ratio_words(lo, more=more, fewer=fewer), fmt_ratio_words(hi, more=more, fewer=fewer)
    if hi < 1 and a.endswith(fewer) and b.endswith(fewer):  # smaller change first
        return f"{b.removesuffix(' ' + fewer)} to {a}"
    if lo > 1 and a.endswith(more) and b.endswith(more):
        return f"{a.removesuffix(' ' + more)} to {b}"
    return f"{a} to {b}"


def _count_unit(unit: str) -> bool:
    u = unit.lower()
    return bool(u) and "%" not in u and " per " not in f" {u} " and "point" not in u and not is_ratio_unit(u) \
        and "index" not in u and "£" not in u


def fmt_measure(x: Any, unit: str | None = "", *, signed: bool = False, short: bool = False,
                digits: int = 3) -> str:
    """A value with its unit, for people.

    Parameters
    ----------
    x : float
        The value (None/NaN gives ``"not available"``).
    unit : str
        The charter's unit: ``"% of adults"`` (a percentage), ``"percentage points"``, ``"rate ratio"``,
        a count (``"checks a month"``) or a rate (``"per 1,000 patients a year"``).
    signed : bool
        Show ``+`` on positive values (changes).
    short : bool
        Only the number and its sign of unit (``57.1%``), for table cells whose column names the unit.

    Returns
    -------
    str
        ``fmt_measure(57.13, "% of adults")`` → ``"57.1%"``; ``(-6.27, "percentage points")`` →
        ``"-6.3 percentage points"``; ``(0.95, "rate ratio")`` → ``"5% fewer"``; ``(1434.7, "checks a
        month")`` → ``"about 1,430 checks a month"``; ``(-1434.7, "emergency admissions", signed=True)`` →
        ``"about 1,430 fewer emergency admissions"``; ``(1.45, "new diagnoses per 1,000 patients a year",
        signed=True)`` → ``"+1.45 new diagnoses per 1,000 patients a year"``.

    Notes
    -----
    Three significant figures (two for percentage points), trailing zeros dropped; counts of 100 or
    more are rounded for people (:func:`fmt_count`).
    """
    if is_missing(x):
        return MISSING
    unit = (unit or "").strip()
    value = float(x)
    if is_ratio_unit(unit):
        return fmt_ratio_words(value)
    number = fmt_signed(value, digits=digits) if signed else _trim(_sig(value, digits))
    if unit.startswith("%"):
        return f"{number}%"
    if "percentage point" in unit.lower():
        text = fmt_signed(value, digits=2) if signed else _trim(_sig(value, 2))
        return text if short else f"{text} {'percentage point' if text.lstrip('+-') == '1' else 'percentage points'}"
    if _count_unit(unit) and signed and not short and value != 0:
        count = fmt_count(abs(value)) if abs(value) >= 100 else _trim(_sig(abs(value), digits))
        return f"{count} {'more' if value > 0 else 'fewer'} {unit}"
    if _count_unit(unit) and abs(value) >= 100:
        number = fmt_count(value)
        if signed and value > 0:
            number = number.replace("about ", "about +") if number.startswith("about") else f"+{number}"
    return number if short or not unit else f"{number} {unit}"


def fmt_measure_range(x: Any, low: Any, high: Any, unit: str | None = "", *, signed: bool = False) -> str:
    """A value with its interval and unit: ``"57.1% (range 55.7% to 58.5%)"``; ``"6.9% fewer (range 5.2% to
    8.6% fewer)"`` for a rate ratio. The range is the confidence interval (its level is stated on the page)."""
    if is_missing(x):
        return MISSING
    if is_ratio_unit(unit):
        main = fmt_ratio_words(x)
        return main if is_missing(low) or is_missing(high) else f"{main} (range {fmt_ratio_range(low, high)})"
    main = fmt_measure(x, unit, signed=signed)
    if is_missing(low) or is_missing(high):
        return main
    if signed and _count_unit((unit or "").strip()) and (float(low) > 0) == (float(high) > 0) and float(low) != 0:
        a, b = sorted((abs(float(low)), abs(float(high))))
        word = "more" if float(low) > 0 else "fewer"
        return f"{main} (range {fmt_count(a)} to {fmt_count(b, about=False)} {word})"
    lo, hi = fmt_measure(low, unit, signed=signed, short=True), fmt_measure(high, unit, signed=signed, short=True)
    return f"{main} (range {lo} to {hi})"


def fmt_effect(diff: Any, reference: Any = None, unit: str | None = "", *, more: str = "more",
               fewer: str = "fewer") -> str:
    """An absolute effect with the relative one beside it: ``"+1.45 per 1,000, about 11% more"``.

    ``reference`` is the level the effect is relative to (the expected value without the scheme);
    without it only the absolute effect is given.
    """
    text = fmt_measure(diff, unit, signed=True)
    if is_missing(diff) or is_missing(reference) or float(reference) == 0 or is_ratio_unit(unit):
        return text
    ref = float(reference)
    return f"{text}, {fmt_relative(ref + float(diff), ref, more=more, fewer=fewer)}"
