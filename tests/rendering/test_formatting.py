"""toolkit.reporting.formatting: the one place numbers, p-values and dates are worded.

Expected strings are worked out by hand from the stated conventions (module docstring) and the
examples in issue 15 ("about 1,430", "about 11% more", "< 0.001", "28 November 2026, 04:23").
"""

from __future__ import annotations

import datetime as dt
import math

import pandas as pd
import pytest

from toolkit.reporting import formatting as f
from toolkit.reporting import language


@pytest.mark.parametrize("x, digits, expected", [
    (1434.7, 3, "1,434.7"), (1434.02, 3, "1,434"), (6.951, 3, "6.95"), (6.949, 2, "6.9"), (0.04123, 3, "0.0412"), (0, 3, "0"),
    (-2.345, 3, "-2.35"), (6751.5, 3, "6,751.5"), (1_234_567.0, 3, "1,234,567"), (12.0, 3, "12.0"),
    (None, 3, "not available"), (float("nan"), 3, "not available"), (float("inf"), 3, "not available"),
])
def test_number(x, digits, expected):
    assert f.fmt_number(x, digits=digits) == expected


def test_language_uses_the_same_functions():
    assert language.fmt_number is f.fmt_number and language.fmt_interval is f.fmt_interval


def test_interval_and_ci():
    assert f.fmt_interval(2.3456, 5.912) == "2.35 to 5.91"
    assert f.fmt_ci(-0.5, 1.25, 0.95) == "95% CI -0.500 to 1.25"
    assert f.fmt_ci(1, 2, 0.998) == "99.8% CI 1.00 to 2.00"
    assert f.fmt_ci(1, 2, None).startswith("95% CI")


@pytest.mark.parametrize("p, expected", [
    (0.04234, "0.042"), (0.3117, "0.31"), (0.0004, "< 0.001"), (0.001, "0.0010"), (0.00123, "0.0012"),
    (0.05, "0.050"), (0.999, "1.0"), (1.0, "1.0"), (0.0996, "0.10"), (None, "–"), (float("nan"), "–"),
    (pd.NA, "–"),
])
def test_p_two_significant_figures(p, expected):
    assert f.fmt_p(p) == expected


def test_percent_and_points_are_different_units():
    assert f.fmt_percent(0.1234) == "12%"
    assert f.fmt_percent(0.0695) == "7.0%"  # two significant figures
    assert f.fmt_percent(6.95, already_percent=True, digits=3) == "6.95%"
    assert f.fmt_points(0.023) == "2.3 percentage points"
    assert f.fmt_points(-0.01) == "-1.0 percentage points"
    assert f.fmt_points(1, already_percent=True) == "1.0 percentage points"
    assert f.fmt_points(1, already_percent=True, digits=1) == "1 percentage point"
    assert f.fmt_points(0.05, signed=True) == "+5.0 percentage points"
    assert f.fmt_percent(None) == f.fmt_points(float("nan")) == "not available"


@pytest.mark.parametrize("n, expected", [
    (1434.7, "about 1,430"), (42, "42"), (42.4, "about 42"), (356, "about 360"), (350, "350"),
    (14_321, "about 14,300"), (2_345_678, "about 2,350,000"), (-1434.7, "about -1,430"), (0, "0"),
])
def test_count_for_people(n, expected):
    assert f.fmt_count(n) == expected


def test_count_without_about():
    assert f.fmt_count(1434.7, about=False) == "1,430"


def test_relative_effect_in_words():
    # +1.45 per 1,000 on a base of 13.05 per 1,000 is 11.1% more
    assert f.fmt_relative(13.05 + 1.45, 13.05) == "about 11% more"
    assert f.fmt_ratio_change(0.95) == "about 5.0% fewer"
    assert f.fmt_ratio_change(0.93, more="higher", fewer="lower") == "about 7.0% lower"
    assert f.fmt_ratio_change(1.002) == "about the same"
    assert f.fmt_ratio_change(1.5) == "about 50% more"
    assert f.fmt_relative(1, 0) == "not available"


@pytest.mark.parametrize("value, expected", [
    ("2026-11-28T04:23:32Z", "28 November 2026, 04:23"),
    ("2026-11-28T04-23-32Z", "28 November 2026, 04:23"),  # a run folder's name
    ("2026-11-28T04-23-32Z-2", "28 November 2026, 04:23"),  # a second run in the same second
    ("2026-03-01T09:05:00+00:00", "1 March 2026, 09:05"),
    (dt.datetime(2026, 1, 2, 13, 7), "2 January 2026, 13:07"),
    ("2026-11-28", "28 November 2026"),
    ("not a date", "not a date"),
])
def test_datetime_for_people(value, expected):
    assert f.fmt_datetime(value) == expected


def test_date_and_period():
    assert f.fmt_date("2026-11-28T04:23:32Z") == "28 November 2026"
    assert f.fmt_date(dt.date(2025, 4, 1)) == "1 April 2025"
    assert f.fmt_period("2026-03") == "March 2026"
    assert f.fmt_period(pd.Timestamp("2026-03-15")) == "March 2026"
    assert f.fmt_period("2026-05-01", unit="quarter") == "April to June 2026"
    assert f.fmt_period("2026-05-01", unit="year") == "2026"
    assert f.fmt_period(dt.date(2026, 5, 7), unit="day") == "7 May 2026"


def test_missing_detection():
    assert f.is_missing(None) and f.is_missing(math.nan) and f.is_missing("x") and not f.is_missing(0)


# ------------------------------------------------------------------ values with units (board pages)

@pytest.mark.parametrize("x, unit, kw, expected", [
    (57.13, "% of adults", {}, "57.1%"),
    (-6.27, "percentage points", {}, "-6.3 percentage points"),
    (1.0, "percentage points", {"signed": True}, "+1 percentage point"),
    (0.95, "rate ratio (1 = no change)", {}, "5% fewer"),
    (0.9305, "rate ratio", {}, "7% fewer"),
    (1.11, "rate ratio", {}, "11% more"),
    (1.0, "rate ratio", {}, "no change"),
    (1434.7, "checks a month", {}, "about 1,430 checks a month"),
    (2000, "checks a month", {}, "2,000 checks a month"),
    (1.45, "new diagnoses per 1,000 patients a year", {"signed": True},
     "+1.45 new diagnoses per 1,000 patients a year"),
    (0.950, "", {}, "0.95"), (60.0, "% of adults", {}, "60%"), (None, "%", {}, "not available"),
    (-1434.7, "emergency admissions", {"signed": True}, "about 1,430 fewer emergency admissions"),
    (42, "checks a month", {"signed": True}, "42 more checks a month"),
])
def test_measure_with_units(x, unit, kw, expected):
    assert f.fmt_measure(x, unit, **kw) == expected


def test_measure_range_and_effect():
    assert f.fmt_measure_range(0.93054, 0.9138, 0.9476, "rate ratio") == "6.9% fewer (range 5.2% to 8.6% fewer)"
    assert f.fmt_measure_range(57.13, 55.72, 58.54, "% of adults") == "57.1% (range 55.7% to 58.5%)"
    assert f.fmt_measure_range(-6.27, -7.99, -4.56, "percentage points") == \
        "-6.3 percentage points (range -8 to -4.6)"
    assert f.fmt_ratio_range(0.98, 1.03) == "2% fewer to 3% more"
    assert f.fmt_measure_range(-1434.7, -1623.5, -1245.9, "emergency admissions", signed=True) == \
        "about 1,430 fewer emergency admissions (range about 1,250 to 1,620 fewer)"
    assert f.fmt_effect(1.45, 13.05, "per 1,000") == "+1.45 per 1,000, about 11% more"
    assert f.fmt_effect(1.45, None, "per 1,000") == "+1.45 per 1,000"
    assert f.fmt_signed(0) == "0" and f.fmt_signed(-2.8) == "-2.8"
