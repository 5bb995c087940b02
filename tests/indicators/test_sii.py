"""SII/RII: point estimates against statsmodels WLS, simulated limits against analytic/MC references."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from toolkit.errors import DataError
from toolkit.indicators import sii

# Inputs: PHEindicatormethods tests/testthat/LE_testdata.csv (published test data of phe_sii),
# area E06000001, sex 1: decile, population, life expectancy and its standard error.
LE = pd.DataFrame({
    "decile": range(1, 11),
    "pop": [13837, 14519, 14940, 14599, 12311, 13196, 13335, 13388, 13685, 11779],
    "le": [70.56313911, 72.61347473, 75.06710359, 75.20662276, 76.23469045, 75.21801932,
           77.09240397, 79.84156222, 80.81329918, 82.73763832],
    "se": [1.133868862, 1.020288759, 1.108685178, 1.485618539, 1.311653285, 1.169033147,
           1.306645801, 1.090905616, 0.979426096, 1.319452272],
})
Z95 = 1.959963984540054


def _wls(y, pop):
    # Independent reference: statsmodels WLS of y on (1, midpoint rank), weights = population share.
    a = np.asarray(pop, float) / np.sum(pop)
    b = np.cumsum(a) - a / 2
    fit = sm.WLS(np.asarray(y, float), sm.add_constant(b), weights=a).fit()
    return fit.params[0], fit.params[1], a, b


def test_point_estimates_match_statsmodels():
    res = sii(LE, "decile", "pop", "le", se="se", repetitions=2000, seed=1)
    c0, s, _, _ = _wls(LE["le"], LE["pop"])
    assert res.loc[0, "sii"] == pytest.approx(s, abs=1e-9)
    assert res.loc[0, "intercept"] == pytest.approx(c0, abs=1e-9)
    assert res.loc[0, "rii"] == pytest.approx((c0 + s) / c0, abs=1e-12)
    assert res.loc[0, "n_quantiles"] == 10 and res.loc[0, "note"] is None


def test_simulated_limits_within_monte_carlo_error_of_analytic():
    # For normal values the SII is linear in y, so the simulated SII is exactly Normal with
    # sd = sqrt(sum(k_i^2 se_i^2)); the order statistics must agree within MC error.
    res = sii(LE, "decile", "pop", "le", se="se", repetitions=100_000, seed=42, confidence=(0.95, 0.998))
    c0, s, a, b = _wls(LE["le"], LE["pop"])
    k = a * (b - a @ b) / (a @ (b - a @ b) ** 2)
    sd = np.sqrt(np.sum(k**2 * LE["se"]**2))
    # MC standard error of a quantile ≈ sqrt(p(1-p)/R)/φ(z) × sd: 0.0091 sd at 2.5%, 0.046 sd at 0.1%
    assert res.loc[0, "sii_lower_95"] == pytest.approx(s - Z95 * sd, abs=0.04 * sd)
    assert res.loc[0, "sii_upper_95"] == pytest.approx(s + Z95 * sd, abs=0.04 * sd)
    z998 = 3.090232306167813
    assert res.loc[0, "sii_lower_99_8"] == pytest.approx(s - z998 * sd, abs=0.2 * sd)
    assert res.loc[0, "sii_upper_99_8"] == pytest.approx(s + z998 * sd, abs=0.2 * sd)


def test_se_and_limits_give_same_answer_and_seed_reproducible():
    df = LE.assign(lo=LE["le"] - Z95 * LE["se"], hi=LE["le"] + Z95 * LE["se"])
    r1 = sii(df, "decile", "pop", "le", se="se", repetitions=5000, seed=7)
    r2 = sii(df, "decile", "pop", "le", lower_ci="lo", upper_ci="hi", repetitions=5000, seed=7)
    pd.testing.assert_frame_equal(r1, r2, atol=1e-9)
    r3 = sii(df, "decile", "pop", "le", se="se", repetitions=5000, seed=8)
    assert r3.loc[0, "sii_lower"] != r1.loc[0, "sii_lower"]


def test_order_statistics_positions():
    # R = 1000, c = 0.95: order statistics round(25) = 25th and round(975) = 975th of the
    # sorted simulations (docs/methods.md). Rates fitted on their own scale are simulated value by
    # value on the log scale; reproduce those draws with the same generator and refit each
    # simulated data set with statsmodels.
    df = LE.assign(lo=LE["le"] * 0.95, hi=LE["le"] / 0.95)
    res = sii(df, "decile", "pop", "le", lower_ci="lo", upper_ci="hi", value_type="rate",
              repetitions=1000, seed=3)
    rng = np.random.default_rng(3)
    se_log = (np.log(df["hi"]) - np.log(df["lo"])).to_numpy() / (2 * Z95)
    draws = np.exp(np.log(df["le"].to_numpy()) + se_log * rng.standard_normal((1000, 10)))
    _, _, a, b = _wls(df["le"], df["pop"])
    fits = [sm.WLS(d, sm.add_constant(b), weights=a).fit().params for d in draws]
    slopes = np.sort([f[1] for f in fits])
    riis = np.sort([(f[0] + f[1]) / f[0] for f in fits])
    assert res.loc[0, "sii_lower"] == pytest.approx(slopes[24], abs=1e-9)
    assert res.loc[0, "sii_upper"] == pytest.approx(slopes[974], abs=1e-9)
    assert res.loc[0, "rii_lower"] == pytest.approx(riis[24], abs=1e-12)
    assert res.loc[0, "rii_upper"] == pytest.approx(riis[974], abs=1e-12)


def test_rii_limits_agree_with_brute_force_refits():
    # Normal values take the exact bivariate-normal shortcut for (intercept, slope); compare
    # its RII limits with brute-force refits of 100,000 simulated data sets (own lstsq fit),
    # within Monte-Carlo error.
    res = sii(LE, "decile", "pop", "le", se="se", repetitions=100_000, seed=11)
    rng = np.random.default_rng(12345)
    y = LE["le"].to_numpy() + LE["se"].to_numpy() * rng.standard_normal((100_000, 10))
    _, _, a, b = _wls(LE["le"], LE["pop"])
    X = np.column_stack([np.sqrt(a), b * np.sqrt(a)])
    coef = np.linalg.lstsq(X, (y * np.sqrt(a)).T, rcond=None)[0]
    rii = np.sort((coef[0] + coef[1]) / coef[0])
    sd = rii.std()
    assert res.loc[0, "rii_lower"] == pytest.approx(rii[2499], abs=0.04 * sd)
    assert res.loc[0, "rii_upper"] == pytest.approx(rii[97499], abs=0.04 * sd)


def test_rate_transform_and_negative_multiplier():
    # Rates falling with deprivation rank; log-transform fit against statsmodels on log(y).
    df = pd.DataFrame({"q": range(1, 6), "pop": [20_000, 21_000, 19_500, 22_000, 20_500],
                       "rate": [950.0, 820.0, 700.0, 640.0, 560.0]})
    df["lo"], df["hi"] = df.rate * 0.9, df.rate / 0.9
    res = sii(df, "q", "pop", "rate", lower_ci="lo", upper_ci="hi", value_type="rate", transform=True,
              multiplier=-1, repetitions=20_000, seed=5)
    c0, s, _, _ = _wls(np.log(df.rate), df["pop"])
    assert res.loc[0, "sii"] == pytest.approx(-(np.exp(c0 + s) - np.exp(c0)), abs=1e-9)
    # negative multiplier: RII inverted (PHEindicatormethods R/SII_function.R: "Take inverse of
    # RII if multiplier is negative"); the limits are the inverted simulated RIIs
    assert res.loc[0, "rii"] == pytest.approx(np.exp(-s), abs=1e-12)
    assert res.loc[0, "rii_lower"] < res.loc[0, "rii"] < res.loc[0, "rii_upper"]
    assert res.loc[0, "intercept"] == pytest.approx(np.exp(c0), abs=1e-9)
    assert res.loc[0, "sii_lower"] < res.loc[0, "sii"] < res.loc[0, "sii_upper"]
    assert res.loc[0, "sii"] > 0  # negative multiplier flips a falling gradient to positive
    # untransformed rate: point SII is the plain WLS slope
    res2 = sii(df, "q", "pop", "rate", lower_ci="lo", upper_ci="hi", value_type="rate",
               repetitions=2000, seed=5)
    assert res2.loc[0, "sii"] == pytest.approx(_wls(df.rate, df["pop"])[1], abs=1e-9)


def test_proportion_simulation_on_logit_scale_brackets_truth():
    # Simulation with a known true gradient: proportions from a linear gradient, binomial noise.
    rng = np.random.default_rng(9)
    pop = np.full(10, 4000)
    a = pop / pop.sum()
    b = np.cumsum(a) - a / 2
    true_p = 0.30 - 0.15 * b
    hits = 0
    for rep in range(40):
        x = rng.binomial(pop, true_p)
        p = x / pop
        se = np.sqrt(p * (1 - p) / pop)
        df = pd.DataFrame({"q": range(1, 11), "pop": pop, "p": p, "lo": p - Z95 * se, "hi": p + Z95 * se})
        r = sii(df, "q", "pop", "p", lower_ci="lo", upper_ci="hi", value_type="proportion",
                repetitions=2000, seed=rep)
        hits += r.loc[0, "sii_lower"] <= -0.15 <= r.loc[0, "sii_upper"]
    assert hits >= 34  # expected 38 of 40; P(hits < 34 | 95% coverage) < 0.3%


def test_groups_missing_quantile_gets_note():
    df = pd.concat([LE.assign(g="a"), LE.iloc[1:].assign(g="b")])
    res = sii(df, "decile", "pop", "le", se="se", by="g", repetitions=1000, seed=1).set_index("g")
    assert np.isfinite(res.loc["a", "sii"]) and np.isnan(res.loc["b", "sii"])
    assert "quantile" in res.loc["b", "note"]


def test_duplicate_quantile_is_error():
    df = pd.concat([LE, LE.iloc[[0]]])
    with pytest.raises(DataError, match="more than once"):
        sii(df, "decile", "pop", "le", se="se", repetitions=1000)


def test_seed_is_recorded_and_reruns_reproduce():
    r1 = sii(LE, "decile", "pop", "le", se="se", repetitions=1000)
    seed = r1.attrs["seed"]
    r2 = sii(LE, "decile", "pop", "le", se="se", repetitions=1000, seed=seed)
    pd.testing.assert_frame_equal(r1, r2)


def test_zero_rate_value_gets_note():
    df = pd.DataFrame({"q": range(1, 6), "pop": 1000, "r": [5.0, 4, 3, 2, 0], "lo": 0.0, "hi": 9.0})
    res = sii(df, "q", "pop", "r", lower_ci="lo", upper_ci="hi", value_type="rate", repetitions=1000, seed=1)
    assert np.isnan(res.loc[0, "sii"]) and "outside the range" in res.loc[0, "note"]
