"""toolkit.dates: one reader for every date column, which says the format it assumed."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from toolkit.dates import detect_format, parse_date, parse_dates, to_iso_text
from toolkit.errors import DataError


@pytest.mark.parametrize("values, fmt", [
    (["2024-01-15", "2024-02-15"], "iso"),
    (["2024-01-15 00:00:00", "2024-02-15T10:00"], "iso"),
    (["2024-01", "2024-02"], "iso-month"),
    (["2024-Q1", "2024Q2"], "quarter"),
    (["15/03/2024", "01/04/2024"], "day-first"),        # a first part above 12 settles it
    (["03/15/2024", "04/01/2024"], "month-first"),      # a second part above 12 settles it
    (["01/04/2023", "01/05/2023", "01/06/2023"], "day-first"),  # monthly data dated the 1st, read day first
    (["04/01/2023", "05/01/2023", "06/01/2023"], "month-first"),  # the same dates written the US way
    (["Apr 2023", "May 2023", "Sept 2023"], "month-name"),
    (["1 April 2023", "15 May 2023"], "month-name"),
    (["45017", "45047"], "excel-serial"),
])
def test_formats_are_recognised(values, fmt):
    assert detect_format(pd.Series(values, dtype=object), column="d").format == fmt


def test_ambiguous_slash_dates_are_refused_with_both_readings():
    with pytest.raises(DataError) as err:
        detect_format(pd.Series(["03/04/2024", "05/06/2024"]), column="Seen", file="x.csv")
    text = str(err.value)
    assert "column 'Seen'" in text and "3 April 2024 (day first) or 4 March 2024 (month first)" in text
    assert "YYYY-MM-DD" in text


def test_mixed_orders_are_refused():
    with pytest.raises(DataError, match="mix day-first and month-first"):
        detect_format(pd.Series(["15/03/2024", "03/15/2024"]), column="d")


def test_parse_dates_values_and_missing():
    out, reading = parse_dates(pd.Series(["01/04/2023", None, "01/05/2023"]), column="d")
    assert reading.format == "day-first" and "day 1" in reading.description
    assert out.iloc[0] == pd.Timestamp("2023-04-01") and pd.isna(out.iloc[1]) and out.iloc[2] == pd.Timestamp("2023-05-01")
    # Excel counts days from 30 December 1899: 45017 is 1 April 2023 (Excel's DATE(2023,4,1) = 45017)
    serial, _ = parse_dates(pd.Series([45017, 45047]), column="d")
    assert list(serial) == [pd.Timestamp("2023-04-01"), pd.Timestamp("2023-05-01")]


def test_impossible_dates_name_their_rows():
    with pytest.raises(DataError) as err:
        parse_dates(pd.Series(["15/01/2024", "30/02/2024"]), column="d")
    assert "(1 row, e.g. row 3)" in str(err.value)


def test_to_iso_text_rewrites_only_other_formats():
    text, reading = to_iso_text(pd.Series(["04/01/2023", "05/01/2023"]), column="d")
    assert list(text) == ["2023-04-01", "2023-05-01"] and reading.format == "month-first"
    same = pd.Series(["2023-04", "2023-05"])
    assert to_iso_text(same, column="d")[0] is same
    numbers = pd.Series([1, 2, 3])
    assert to_iso_text(numbers, column="d")[0] is numbers  # period numbers stay numbers
    never = pd.Series(["01/04/2023", "never", None, "01/06/2023"])
    assert list(to_iso_text(never, column="d")[0])[:2] == ["2023-04-01", "never"]


def test_parse_date_single_values():
    assert parse_date("2026-02-28", where="x") == dt.date(2026, 2, 28)
    assert parse_date("15/03/2024", where="x") == dt.date(2024, 3, 15)
    with pytest.raises(DataError, match="not a real calendar date"):
        parse_date("2026-02-30", where="charter.goals[0].by")
    with pytest.raises(DataError, match="cannot be read safely"):
        parse_date("03/04/2024", where="stages[1].parameters.treatment_start")


def test_us_dates_no_longer_collapse_into_january():
    """US month-first dates used to be read day first: every month became January and the DiD stage
    reported "a unit appears more than once in the same period"."""
    from toolkit.stages.did.periods import parse_periods

    periods, scale = parse_periods(pd.Series(["04/01/2023", "05/01/2023", "06/01/2023"]), column="month")
    assert list(periods) == [1, 2, 3] and scale.label(1) == "Apr 2023"
    with pytest.raises(DataError, match="cannot be read safely"):
        parse_periods(pd.Series(["03/04/2023", "05/06/2023"]), column="month")
