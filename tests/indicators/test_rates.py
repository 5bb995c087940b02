"""Proportions (Wilson) and crude rates (exact / Byar's) against published and hand-computed figures."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.indicators import crude_rate, proportion
from toolkit.indicators.confidence import byar_lower, byar_upper, exact_lower, exact_upper, levels_of, wilson


# Newcombe RG (1998) Stat Med 17:857-872, Table I, method 3 (Wilson score without
# continuity correction): published 95% limits to 4 decimal places.
NEWCOMBE = [
    (81, 263, 0.2553, 0.3662),
    (15, 148, 0.0624, 0.1605),
    (0, 20, 0.0000, 0.1611),
    (1, 29, 0.0061, 0.1718),
]


@pytest.mark.parametrize("o,n,lo,hi", NEWCOMBE)
def test_wilson_matches_newcombe_table(o, n, lo, hi):
    res = proportion(pd.DataFrame({"x": [o], "n": [n]}), "x", "n")
    assert res.loc[0, "lower_ci"] == pytest.approx(lo, abs=5e-5)
    assert res.loc[0, "upper_ci"] == pytest.approx(hi, abs=5e-5)
    assert res.loc[0, "value"] == pytest.approx(o / n, abs=1e-12)


def test_wilson_equals_score_test_inversion():
    # Independent check: the Wilson limits are the p where the score statistic
    # (p̂ - p)/sqrt(p(1-p)/n) equals ±z; solve numerically with scipy.
    from scipy.optimize import brentq

    o, n = 37, 211
    z = stats.norm.ppf(0.999)
    phat = o / n
    f = lambda p, s: (phat - p) / np.sqrt(p * (1 - p) / n) - s * z  # noqa: E731
    lo = brentq(f, 1e-9, phat, args=(1,))
    hi = brentq(f, phat, 1 - 1e-9, args=(-1,))
    res = proportion(pd.DataFrame({"x": [o], "n": [n]}), "x", "n", confidence=0.998)
    assert res.loc[0, "lower_ci"] == pytest.approx(lo, abs=1e-9)
    assert res.loc[0, "upper_ci"] == pytest.approx(hi, abs=1e-9)


def test_proportion_groups_multiplier_and_two_levels():
    df = pd.DataFrame({"area": ["A", "A", "B"], "x": [10, 20, 5], "n": [100, 100, 50]})
    res = proportion(df, "x", "n", by="area", multiplier=100, confidence=(0.95, 0.998))
    assert list(res.columns) == ["area", "x", "n", "value", "lower_ci_95", "upper_ci_95",
                                 "lower_ci_99_8", "upper_ci_99_8", "note"]
    assert res["value"].tolist() == pytest.approx([15.0, 10.0], abs=1e-9)
    lo, hi = wilson(30, 200, 0.998)
    assert res.loc[0, "lower_ci_99_8"] == pytest.approx(lo * 100, abs=1e-9)
    assert res.loc[0, "upper_ci_99_8"] == pytest.approx(hi * 100, abs=1e-9)
    assert (res["lower_ci_99_8"] < res["lower_ci_95"]).all()


def test_proportion_all_events():
    res = proportion(pd.DataFrame({"x": [20], "n": [20]}), "x", "n")
    assert res.loc[0, "upper_ci"] == pytest.approx(1.0, abs=1e-12)
    # Newcombe 1998 Table I shows 0/20 -> upper 0.1611, so by symmetry 20/20 -> lower 0.8389
    assert res.loc[0, "lower_ci"] == pytest.approx(1 - 0.1611, abs=5e-5)


# Exact Poisson limits: Garwood (1936) / standard tables (e.g. Breslow & Day 1987,
# Appendix): 0 -> (0, 3.689); 1 -> (0.0253, 5.572); 5 -> (1.6235, 11.668); 9 -> (4.115, 17.085).
@pytest.mark.parametrize("o,lo,hi", [(0, "0.0", "3.689"), (1, "0.0253", "5.572"), (5, "1.6235", "11.668"),
                                     (9, "4.115", "17.085")])
def test_exact_limits_match_tables(o, lo, hi):
    # each within half a unit of the table's last printed decimal
    def half(text):
        return 0.5 * 10.0 ** -len(text.split(".")[1]) + 1e-12

    assert float(exact_lower(o, 0.95)) == pytest.approx(float(lo), abs=half(lo))
    assert float(exact_upper(o, 0.95)) == pytest.approx(float(hi), abs=half(hi))


def test_byar_formula_and_closeness_to_exact():
    o = np.array([10, 65, 1045])
    z = stats.norm.ppf(0.975)
    # hand formula from docs/methods.md
    lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    np.testing.assert_allclose(byar_lower(o, 0.95), lo, rtol=1e-12)
    np.testing.assert_allclose(byar_upper(o, 0.95), hi, rtol=1e-12)
    # PHE "Technical Guide: Confidence Intervals" (2018), Appendix 1: for 95% intervals Byar's
    # method is within 0.2% of the exact value for numerators of 10 or more.
    o = np.arange(10, 2000)
    np.testing.assert_allclose(byar_lower(o, 0.95), stats.chi2.ppf(0.025, 2 * o) / 2, rtol=0.002)
    np.testing.assert_allclose(byar_upper(o, 0.95), stats.chi2.ppf(0.975, 2 * o + 2) / 2, rtol=0.002)


def test_crude_rate_switches_method_at_ten_events():
    df = pd.DataFrame({"g": list("abcd"), "x": [0, 9, 10, 250], "n": [50_000, 50_000, 50_000, 50_000]})
    res = crude_rate(df, "x", "n", by="g", confidence=(0.95, 0.998)).set_index("g")
    for g, o in zip("abcd", [0, 9, 10, 250]):
        for lv, suf in ((0.95, "95"), (0.998, "99_8")):
            if o < 10:
                lo = stats.chi2.ppf((1 - lv) / 2, 2 * o) / 2 if o else 0.0
                hi = stats.chi2.ppf(1 - (1 - lv) / 2, 2 * o + 2) / 2
            else:
                lo, hi = float(byar_lower(o, lv)), float(byar_upper(o, lv))
            assert res.loc[g, f"lower_ci_{suf}"] == pytest.approx(lo / 50_000 * 1e5, rel=1e-10, abs=1e-12)
            assert res.loc[g, f"upper_ci_{suf}"] == pytest.approx(hi / 50_000 * 1e5, rel=1e-10)
        assert res.loc[g, "value"] == pytest.approx(o / 50_000 * 1e5, abs=1e-9)
    assert res.loc["a", "lower_ci_95"] == 0.0
    # 0 events: upper = 3.689 / 50,000 * 100,000 (Garwood table) = 7.378
    assert res.loc["a", "upper_ci_95"] == pytest.approx(7.378, abs=5e-4)


def test_crude_rate_coverage_by_simulation():
    # Simulation with a known true rate: exact/Byar limits should cover ~95% (conservative).
    rng = np.random.default_rng(20240601)
    n = 20_000
    true_rate = 30 / n
    x = rng.poisson(true_rate * n, size=4000)
    res = crude_rate(pd.DataFrame({"i": np.arange(x.size), "x": x, "n": n}), "x", "n", by="i", multiplier=1)
    cover = ((res["lower_ci"] <= true_rate) & (res["upper_ci"] >= true_rate)).mean()
    assert 0.94 <= cover <= 0.975


def test_confidence_levels_parsing():
    assert levels_of(95) == (0.95,)
    assert levels_of((95, 99.8)) == (0.95, 0.998)
    assert levels_of(0.9) == (0.9,)
