"""Life expectancy (Chiang II, Silcocks) against PHEindicatormethods' published test answers."""

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError
from toolkit.indicators import LE_BANDS, life_expectancy

# Inputs and expected values: PHEindicatormethods, tests/testthat/testLifeExpectancy.R
# (github.com/ukhsa-collaboration/PHEindicatormethods), data frame `df1` and `answer1`
# (values to 8 decimal places, produced by the PHE life expectancy calculator).
START = [0, 1, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]
POPS = [7060, 35059, 46974, 48489, 43219, 38561, 46009, 57208, 61435, 55601, 50209, 56416, 46411,
        39820, 37978, 37039, 33288, 23306, 11936, 11936]
DEATHS = [17, 9, 4, 8, 20, 15, 24, 33, 50, 71, 100, 163, 263, 304, 536, 872, 1390, 1605, 1936, 1937]
VALUE = [80.16960813, 79.36245674, 75.44193645, 70.47299936, 65.52909542, 60.67510088, 55.78835987,
         50.92752727, 46.06740425, 41.24505636, 36.49322717, 31.83343842, 27.26027992, 22.9719144,
         18.76856852, 14.95858336, 11.51684445, 8.618849241, 6.163942934, 6.16210635]
LOWER = [79.88268548, 79.0898816, 75.17407307, 70.20675732, 65.26548673, 60.41876577, 55.53801579,
         50.68279939, 45.82666794, 41.00842831, 36.26223216, 31.60996318, 27.04337271, 22.76653134,
         18.57570352, 14.77985004, 11.34831778, 8.451134045, 5.978358351, 5.887683386]
UPPER = [80.45653078, 79.63503188, 75.70979983, 70.7392414, 65.79270412, 60.931436, 56.03870395,
         51.17225516, 46.30814055, 41.48168441, 36.72422219, 32.05691365, 27.47718713, 23.17729746,
         18.96143352, 15.13731667, 11.68537112, 8.786564437, 6.349527517, 6.436529314]


def _df1():
    return pd.DataFrame({"age": START, "pops": POPS, "deaths": DEATHS})


def test_values_match_published_to_1e_6():
    res = life_expectancy(_df1(), "deaths", "pops", "age")
    np.testing.assert_allclose(res["value"], VALUE, atol=1e-6)
    assert res["age_band"].tolist() == list(LE_BANDS)
    assert res["note"].isna().all()


def test_limits_match_published():
    # The published limits were produced with z = 1.96; we use z = Φ⁻¹(0.975) = 1.959964
    # (docs/methods.md), which moves them by at most 1.9e-5 × half-width (< 1e-5 years here).
    res = life_expectancy(_df1(), "deaths", "pops", "age")
    np.testing.assert_allclose(res["lower_ci"], LOWER, atol=1e-5)
    np.testing.assert_allclose(res["upper_ci"], UPPER, atol=1e-5)
    # and with z = 1.96 exactly they agree to 1e-7
    half = (res["upper_ci"] - res["lower_ci"]) / 2 / 1.959963984540054 * 1.96
    np.testing.assert_allclose(res["value"] - half, LOWER, atol=1e-7)
    np.testing.assert_allclose(res["value"] + half, UPPER, atol=1e-7)


def test_band_order_and_label_spelling_do_not_matter():
    # testLifeExpectancy.R df3: text labels with en dashes, rows out of order
    labels = ["0", "1-4", "5-9"] + [f"{a} – {a + 4}" for a in range(10, 90, 5)] + ["90 +"]
    df = pd.DataFrame({"age": labels, "pops": POPS, "deaths": DEATHS}).sample(frac=1, random_state=3)
    res = life_expectancy(df, "deaths", "pops", "age")
    np.testing.assert_allclose(res["value"], VALUE, atol=1e-6)


def test_groups_and_two_levels():
    df = pd.concat([_df1().assign(area="x"), _df1().assign(area="y")])
    res = life_expectancy(df, "deaths", "pops", "age", by="area", confidence=(0.95, 0.998))
    assert len(res) == 40
    assert {"lower_ci_95", "upper_ci_95", "lower_ci_99_8", "upper_ci_99_8"} <= set(res.columns)
    np.testing.assert_allclose(res.loc[res.area == "y", "value"], VALUE, atol=1e-6)
    assert (res["lower_ci_99_8"] < res["lower_ci_95"]).all()


def test_low_population_withheld():
    # testLifeExpectancy.R df_low_pops: total population 2,883 (<= 5,000) -> no value
    pops = [128, 152, 120, 176, 194, 180, 145, 149, 107, 185, 165, 109, 100, 122, 133, 189, 123, 121, 147, 138]
    deaths = [58, 93, 78, 94, 59, 71, 80, 73, 69, 72, 91, 69, 78, 71, 54, 91, 82, 53, 50, 84]
    res = life_expectancy(pd.DataFrame({"age": START, "p": pops, "d": deaths}), "d", "p", "age")
    assert res["value"].isna().all() and res["lower_ci"].isna().all()
    assert res["note"].str.contains("5,000").all()


@pytest.mark.parametrize("change,msg", [
    (("pops", 5, 0), "population of 0"),
    (("pops", 18, 119), "deaths exceed"),
    (("deaths", 19, 0), "90+"),
])
def test_no_value_rules(change, msg):
    df = _df1()
    col, row, val = change
    df.loc[row, col] = val
    res = life_expectancy(df, "deaths", "pops", "age")
    assert res["value"].isna().all() and res["upper_ci"].isna().all()
    assert res["note"].str.contains(msg, regex=False).all()


def test_missing_band_only_affects_that_group():
    df = pd.concat([_df1().assign(area="ok"), _df1().iloc[:-1].assign(area="short")])
    res = life_expectancy(df, "deaths", "pops", "age", by="area")
    assert res.loc[res.area == "short", "value"].isna().all()
    assert res.loc[res.area == "short", "note"].str.contains("90\\+").all()
    np.testing.assert_allclose(res.loc[res.area == "ok", "value"], VALUE, atol=1e-6)


def test_wide_interval_withholds_value_but_keeps_limits():
    # One death in tiny 85-89 and 90+ populations: the 95% interval at older ages is wider
    # than 20 years, so the value is withheld there but the limits stay (docs/methods.md).
    df = _df1()
    df.loc[18, ["pops", "deaths"]] = [20, 1]  # 85-89: 1 death in 20 people
    df.loc[19, ["pops", "deaths"]] = [12, 1]  # 90+: 1 death in 12 people
    res = life_expectancy(df, "deaths", "pops", "age")
    wide = (res["upper_ci"] - res["lower_ci"]) > 20
    assert wide.any() and (~wide).any()
    assert res.loc[wide, "value"].isna().all() and res.loc[wide, "lower_ci"].notna().all()
    assert res.loc[wide, "note"].str.contains("20 years").all()
    assert res.loc[~wide, "value"].notna().all()


def test_negative_deaths_and_unknown_band_are_errors():
    df = _df1()
    df.loc[3, "deaths"] = -5
    with pytest.raises(DataError, match="negative") as e:
        life_expectancy(df, "deaths", "pops", "age")
    assert "row 5" in str(e.value)
    df = _df1().astype({"age": object})
    df.loc[0, "age"] = "0-4"
    with pytest.raises(DataError, match="not a band"):
        life_expectancy(df, "deaths", "pops", "age")
