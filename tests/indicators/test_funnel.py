"""Funnel limits and significance against PHEindicatormethods' published test outputs.

Reference: PHEindicatormethods (github.com/ukhsa-collaboration/PHEindicatormethods),
tests/testthat/testdata_funnel_prop_outputs.csv (limits for proportions, baseline
80.642448%), testdata_funnel_prop_inputs.csv (areas with their expected significance
labels) and testdata_funnel_rate_outputs.csv (DSR funnel, baseline 116.1720835 per
100,000, 3 years of data: population = population_1_year × 3).
"""

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError
from toolkit.indicators import funnel, funnel_limits, overdispersion_factor

# Population, Lower2s0025limit, Upper2s0025limit, Lower3s0001limit, Upper3s0001limit
PROP_LIMITS = np.array([
    (1, 3.204264, 100, 0, 100), (2, 25.885383, 100, 0, 100), (3, 35.933491, 100, 10.150815, 100),
    (16, 61.282902, 100, 50.118675, 100), (18, 62.390093, 98.894803, 51.864359, 100),
    (41, 68.548635, 92.73626, 61.574398, 99.710497), (102, 72.974925, 88.309971, 68.553233, 92.731663),
    (1008, 78.203374, 83.081521, 76.796814, 84.488082), (9998, 79.867989, 81.416907, 79.421375, 81.863521),
    (110000, 80.408963, 80.875933, 80.274317, 81.010578),
])
BASELINE = 80.642448

# Events, lower_2s_population_1_year, lower_2s_limit, upper_2s_population_1_year, upper_2s_limit,
# lower_3s_population_1_year, lower_3s_limit, upper_3s_population_1_year, upper_3s_limit
RATE_ROWS = np.array([
    (1, 1598.675694, 20.85059119, 7.264481402, 4588.535848, 2649.348525, 12.58170943, 0.287087625, 116108.569),
    (10, 5276.757672, 63.17010446, 1375.943768, 242.2579623, 6924.776769, 48.13632908, 849.4639547, 392.4043292),
    (99, 34583.45945, 95.42133877, 23087.10848, 142.9369123, 38382.78582, 85.97604186, 20393.92315, 161.8129075),
    (1360, 411529.9259, 110.158048, 369759.5622, 122.6021934, 424043.2424, 106.9073359, 358342.3275, 126.5084525),
])
RATE_BASELINE = 116.1720835

# Area, numerator, denominator, expected significance (testdata_funnel_prop_inputs.csv, a subset
# covering every label; the data set's pooled average is the BASELINE above)
AREAS = [
    ("New Forest PCT", 35078.4880, 41980, "High (0.001)"),
    ("Norwich PCT", 24803.6256, 31824, "Low (0.001)"),
    ("South Gloucestershire PCT", 50050.7443, 61921, "Not significant"),
    ("Central Derby PCT", 24648.7596, 30521, "Not significant"),
    ("West Norfolk PCT", 26789.2380, 33012, "High (0.025)"),
    ("North Tees PCT", 36850.0492, 45449, "High (0.025)"),
    ("Mid-Hampshire PCT", 34502.0685, 42485, "High (0.025)"),
    ("North Devon PCT", 30277.5312, 37828, "Low (0.025)"),
    ("Exeter PCT", 24866.9160, 30929, "Not significant"),
    ("East Devon PCT", 21139.2936, 25992, "High (0.025)"),
    ("Bradford City PCT", 18365.4621, 29277, "Low (0.001)"),
    ("Heywood and Middleton PCT", 14493.3552, 17964, "Not significant"),
    ("Rowley Regis and Tipton PCT", 13240.9172, 16477, "Not significant"),
    ("Uttlesford PCT", 15524.9934, 19257, "Not significant"),
    ("South Tyneside PCT", 29709.0543, 36583, "High (0.025)"),
    ("Torbay Care Trust", 26882.4969, 32573, "High (0.001)"),
    ("Harlow PCT", 15808.1975, 20597, "Low (0.001)"),
]


def test_proportion_limits_match_phe_to_1e_5():
    res = funnel_limits(BASELINE, PROP_LIMITS[:, 0], kind="proportion")
    got = res[["lower_95", "upper_95", "lower_99_8", "upper_99_8"]].to_numpy()
    np.testing.assert_allclose(got, PROP_LIMITS[:, 1:], atol=1e-5)  # published to 6 decimals


@pytest.mark.parametrize("col, pop_col, level", [(2, 1, 0.95), (4, 3, 0.95), (6, 5, 0.998), (8, 7, 0.998)])
def test_rate_limits_match_phe(col, pop_col, level):
    # PHE draws rate funnels by events: each row's limit holds at population = population_1_year x 3
    res = funnel_limits(RATE_BASELINE, RATE_ROWS[:, pop_col] * 3, kind="rate", confidence=level)
    side = "lower" if col in (2, 6) else "upper"
    name = f"{side}_{'95' if level == 0.95 else '99_8'}"
    np.testing.assert_allclose(res[name], RATE_ROWS[:, col], rtol=1e-5)  # relative; the populations are published to 9-10 digits


def test_significance_labels_match_phe():
    df = pd.DataFrame(AREAS, columns=["area", "num", "den", "expected"])
    res = funnel(df, "num", "den", baseline=BASELINE)
    assert res["significance"].tolist() == df["expected"].tolist()
    assert {"lower_95", "upper_95", "lower_99_8", "upper_99_8", "value", "z"} <= set(res.columns)


def test_pooled_baseline_and_units_inside_limits_when_homogeneous():
    rng = np.random.default_rng(7)
    n = rng.integers(200, 5000, 400)
    o = rng.binomial(n, 0.3)
    res = funnel(pd.DataFrame({"o": o, "n": n}), "o", "n")
    assert res["baseline"].iloc[0] == pytest.approx(o.sum() / n.sum() * 100)
    outside95 = (res["significance"] != "Not significant").mean()
    assert 0.02 < outside95 < 0.09  # ~5% expected by chance
    assert res.attrs["phi"] == pytest.approx(1.0, abs=0.25)
    assert not funnel(pd.DataFrame({"o": o, "n": n}), "o", "n", overdispersion=True).attrs["tau2"] > 1e-4


def test_overdispersion_recovers_known_between_unit_variance():
    # seeded simulation: unit proportions ~ N(0.3, 0.03²), so tau² = 9e-4
    rng = np.random.default_rng(11)
    n = rng.integers(2000, 8000, 600)
    p = np.clip(rng.normal(0.3, 0.03, n.size), 0.01, 0.99)
    o = rng.binomial(n, p)
    raw = overdispersion_factor(o, n, winsor=0.0)  # plain DerSimonian-Laird moment estimate
    assert raw["overdispersed"]
    assert raw["tau2"] == pytest.approx(9e-4, rel=0.2)
    est = overdispersion_factor(o, n)  # Spiegelhalter's 10% winsorising shrinks phi (robust to outliers)
    assert 0.5 * raw["tau2"] < est["tau2"] < raw["tau2"]
    plain = funnel(pd.DataFrame({"o": o, "n": n}), "o", "n")
    adj = funnel(pd.DataFrame({"o": o, "n": n}), "o", "n", overdispersion=True)
    assert (adj["significance"] != "Not significant").mean() < 0.12
    assert (plain["significance"] != "Not significant").mean() > 0.4
    assert (adj["upper_95"] > plain["upper_95"]).all()


def test_rate_significance_uses_exact_poisson():
    # a unit with 0 events in 500 people against 100 per 100,000: E = 0.5, not significant at any level
    df = pd.DataFrame({"o": [0, 40, 1000], "n": [500, 10_000, 1_000_000]})
    res = funnel(df, "o", "n", kind="rate", baseline=100)
    assert res["significance"].tolist() == ["Not significant", "High (0.001)", "Not significant"]
    assert res["lower_95"].iloc[0] == 0.0


def test_bad_input():
    with pytest.raises(DataError, match="kind"):
        funnel(pd.DataFrame({"o": [1], "n": [2]}), "o", "n", kind="ratio")
    with pytest.raises(DataError, match="larger than the denominator"):
        funnel(pd.DataFrame({"o": [3, 1], "n": [2, 2]}), "o", "n")
