"""Bad input: clear DataErrors naming the column, example rows (spreadsheet numbering) and count."""

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError
from toolkit.indicators import ESP2013, crude_rate, dsr, isr, life_expectancy, proportion, sii

BANDS = list(ESP2013)


def _err(fn, *a, **k):
    with pytest.raises(DataError) as e:
        fn(*a, **k)
    return e.value


def test_missing_columns_named():
    e = _err(crude_rate, pd.DataFrame({"x": [1]}), "deaths", "pop")
    assert "'deaths'" in str(e) and "'pop'" in str(e)
    assert {p.column for p in e.problems} == {"deaths", "pop"}


def test_non_numeric_counts():
    df = pd.DataFrame({"x": ["3", "*", "5", "n/a"], "n": [10, 10, 10, 10]})
    e = _err(crude_rate, df, "x", "n")
    p = e.problems[0]
    assert p.column == "x" and p.count == 2 and p.rows == (3, 5)  # header is row 1
    assert "'*'" in p.message and p.fix


def test_negative_counts():
    e = _err(proportion, pd.DataFrame({"x": [1, -2], "n": [10, 10]}), "x", "n")
    assert e.problems[0].rows == (3,) and "negative" in str(e)


def test_numerator_above_denominator_for_proportions():
    e = _err(proportion, pd.DataFrame({"x": [1, 20, 30], "n": [10, 10, 40]}), "x", "n")
    assert e.problems[0].column == "x" and e.problems[0].rows == (3,) and e.problems[0].count == 1


@pytest.mark.parametrize("pop", [0, -5])
def test_zero_or_negative_population(pop):
    e = _err(crude_rate, pd.DataFrame({"x": [1, 2], "n": [100, pop]}), "x", "n")
    assert e.problems[0].column == "n" and e.problems[0].rows == (3,)
    df = pd.DataFrame({"age": BANDS, "d": 5, "n": 100})
    df.loc[4, "n"] = pop
    e = _err(dsr, df, "d", "n", "age")
    assert e.problems[0].rows == (6,)


def test_missing_denominator():
    e = _err(crude_rate, pd.DataFrame({"x": [1, 2], "n": [100, np.nan]}), "x", "n")
    assert "missing" in str(e) and e.problems[0].rows == (3,)


def test_unknown_age_band_labels():
    df = pd.DataFrame({"age": BANDS, "d": 5, "n": 100})
    df.loc[18, "age"] = "85+"
    df.loc[2, "age"] = "ten to fourteen"
    e = _err(dsr, df, "d", "n", "age")
    p = e.problems[0]
    assert p.column == "age" and p.count == 2 and p.rows == (4, 20) and "90+" in p.fix


def test_duplicate_age_band_in_group():
    df = pd.DataFrame({"age": BANDS + ["0-4"], "d": 5, "n": 100})
    e = _err(dsr, df, "d", "n", "age")
    assert "more than once" in str(e) and e.problems[0].count == 2


def test_isr_missing_observed_total_for_group():
    ref = pd.DataFrame({"age": BANDS, "d": 10.0, "n": 1000.0})
    loc = pd.DataFrame({"area": ["a"] * 19 + ["b"] * 19, "age": BANDS * 2, "n": 100.0})
    e = _err(isr, loc, "obs", "n", "age", reference=ref, ref_numerator="d",
             observed_totals=pd.DataFrame({"area": ["a"], "obs": [4]}), by="area")
    assert "lacks 1 group" in str(e)


def test_life_expectancy_text_population():
    df = pd.DataFrame({"age": [0, 1] + list(range(5, 95, 5)), "d": 1, "p": ["100"] * 19 + ["lots"]})
    e = _err(life_expectancy, df, "d", "p", "age")
    assert e.problems[0].rows == (21,)


def test_sii_needs_both_limits_and_valid_type():
    df = pd.DataFrame({"q": range(1, 6), "p": 100, "v": 1.0, "lo": 0.5})
    _err(sii, df, "q", "p", "v", lower_ci="lo")
    _err(sii, df, "q", "p", "v", value_type="ratio")
    _err(sii, df, "q", "p", "v", transform=True)
    # PHEindicatormethods man/phe_sii.Rd: a standard error is not accepted with transform = TRUE
    _err(sii, df.assign(se=0.1), "q", "p", "v", se="se", value_type="rate", transform=True)


def test_not_a_dataframe():
    _err(crude_rate, {"x": [1]}, "x", "n")


def test_bad_confidence():
    _err(crude_rate, pd.DataFrame({"x": [1], "n": [2]}), "x", "n", confidence=1.5)
