"""Report sentences: levels, signs and special causes put into words correctly."""

from __future__ import annotations

import pandas as pd

from toolkit.stages.baseline import text as words


def test_levels_and_intervals():
    assert words.level_text(0.95) == "95%" and words.level_text(0.998) == "99.8%"
    # numbers by toolkit.reporting.formatting: three significant figures, as on every board page
    assert words.interval(1.234, 5.0, level=0.998) == "(99.8% confidence interval 1.23 to 5.00%)"
    assert words.interval(-7.2, -6.24, unit="percentage points") == \
        "(95% confidence interval -7.20 to -6.24 percentage points)"
    assert words.pct(57.83) == "57.8%" and words.pct(6.951, unit="percentage points") == "6.95 percentage points"
    assert words.pct(float("nan")) == "not available"


def test_core20_sentence_sign_and_certainty():
    base = {"core20": {"value": 53.3}, "rest": {"value": 60.1}}
    sure = words.core20_sentence({**base, "gap": {"value": -6.8, "lower_ci": -7.2, "upper_ci": -6.2}},
                                 indicator="recording")
    assert "6.80 percentage points lower" in sure and "very unlikely to be chance" in sure
    unsure = words.core20_sentence({**base, "gap": {"value": -0.5, "lower_ci": -1.5, "upper_ci": 0.5}})
    assert "cannot rule out" in unsure


def test_spc_sentence_names_each_kind_and_its_periods():
    t = pd.DataFrame({"period": ["a", "b", "c", "d"], "centre": 50.0, "lower_limit": 40.0, "upper_limit": 60.0,
                      "special_cause": [False, True, True, False], "beyond_limits": [False, True, False, False],
                      "shift": False, "trend": False, "two_in_three": [False, False, True, False],
                      "variation": ["common cause", "special cause concern", "special cause concern", "common cause"]})
    s = words.spc_sentence(t)
    assert "2 periods show special-cause concern (b to c; signals: a point beyond the process limits, 2 of 3" in s
    stable = words.spc_sentence(t.assign(special_cause=False, variation="common cause"))
    assert "No special cause" in stable


def test_bounds_and_completeness_sentences():
    b = {"unknown": 20.0, "unknown_pct": 9.1, "unknown_value": 50.0, "gap": -30.0, "gap_if_core20": -26.7,
         "gap_if_rest": -28.3, "low": -36.4, "high": -18.2}
    s = words.bounds_sentence(b)
    assert "20 people (9.10%) could not be placed" in s and "-26.7 percentage points" in s and "-28.3" in s
    assert "from -36.4 to -18.2" in s and "assume" in s
    table = pd.DataFrame({"period": ["a", "b", "All periods"], "people": [10, 10, 20], "no_imd_pct": [0.0, 10.0, 5.0],
                          "not_stated_pct": [20.0, 30.0, 25.0]})
    c = words.completeness_sentence(table)
    assert c.startswith("5.00% of people could not be given a deprivation decile (between 0% and 10.0%")
    assert "not stated for 25.0% (between 20.0% and 30.0% in a single period)" in c


def test_result_names_are_valid():
    from toolkit.results import Results

    names = [words.result_name("ethnicity", "Black, Black British, Black Welsh, Caribbean or African"),
             words.result_name("age_band", "90+"), words.result_name("age_band", "40-44"),
             words.result_name("sex", "Not known")]
    assert names == ["ethnicity_black_black_british_black_welsh_caribbean_or_african", "age_band_90plus",
                     "age_band_40_44", "sex_not_known"]
    r = Results()
    for n in names:
        r.record(n, 1.0)


def test_spc_headline():
    t = pd.DataFrame({"period": ["a", "b", "c", "d"],
                      "variation": ["special cause concern", "common cause", "special cause improvement",
                                    "special cause improvement"]})
    assert words.spc_headline(t) == ("Trend from a to d (4 periods): special-cause improvement in c to d; "
                                     "special-cause concern in a to a (see the trend chart).")
    assert words.spc_headline(t.assign(variation="common cause")).endswith("no special cause; the level has been stable.")


def test_months_read_as_words_and_counts_are_plural():
    assert words.when("2021-04") == "April 2021" and words.when("2021/22") == "2021/22"
    t = pd.DataFrame({"period": ["2021-04", "2021-05"], "variation": ["special cause improvement", "common cause"]})
    assert words.spc_headline(t).startswith("Trend from April 2021 to May 2021 (2 periods): special-cause improvement "
                                            "in April 2021 to April 2021")


def test_relative_beside_absolute():
    s = words.core20_sentence({"core20": {"value": 53.3}, "rest": {"value": 60.1},
                               "gap": {"value": -6.8, "lower_ci": -7.2, "upper_ci": -6.2}})
    assert "6.80 percentage points lower, about 11% lower" in s
    ix = {"sii": 14.3, "sii_lower": 13.5, "sii_upper": 15.2, "rii": 1.28, "rii_lower": 1.26, "rii_upper": 1.30,
          "note": ""}
    s = words.sii_sentence(ix)
    assert "14.3 percentage points higher" in s and "about 28% higher" in s
    assert "slope index of inequality (SII)" in s and "relative index of inequality" in s


def test_level_and_plural_formatting():
    from toolkit.reporting.formatting import fmt_level, plural

    assert fmt_level(0.95) == "95%" and fmt_level(0.998) == "99.8%" and fmt_level(None) == "not available"
    assert plural(1, "period") == "1 period" and plural(1434, "period") == "1,434 periods"
    assert plural(2, "person", many="people") == "2 people"
