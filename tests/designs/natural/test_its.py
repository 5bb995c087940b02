"""Tests for toolkit.designs.its (segmented regression)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import statsmodels.api as sm

from toolkit.designs import its
from toolkit.designs.result import DesignResult
from toolkit.errors import DataError, DesignError

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def sicily() -> pd.DataFrame:
    # Lopez Bernal, Cummins & Gasparrini (2017) Int J Epidemiol 46:348, sicily.csv as
    # published with the paper's code (github.com/gasparrini/2017_lopezbernal_IJE_codedata).
    return pd.read_csv(DATA / "sicily.csv")


def _series(rng, n=60, start=31, level=5.0, slope=0.3, rho=0.0, sd=1.0, b0=20.0, b1=0.1):
    t = np.arange(1, n + 1)
    e = np.zeros(n)
    eps = rng.normal(0, sd, n)
    for i in range(n):
        e[i] = (rho * e[i - 1] if i else 0.0) + eps[i]
    post = (t >= start).astype(float)
    y = b0 + b1 * t + level * post + slope * (t - start) * post + e
    return pd.DataFrame({"t": t, "y": y})


# ------------------------------------------------------------------ published reference
def test_sicily_step_change_poisson_matches_tutorial(sicily):
    # Reference: Lopez Bernal et al. (2017), Step 4 model (Poisson, aces ~ smokban + time,
    # offset log(stdpop)); the paper's published code output is RR 0.894 (95% CI 0.865 to 0.925).
    r = its.segmented(sicily, "aces", "time", 37, denominator="stdpop", family="poisson",
                      cov="model", slope_change=False)
    assert isinstance(r, DesignResult) and r.scale == "ratio"
    assert r.estimate == pytest.approx(0.894, abs=5e-4)
    assert r.ci_low == pytest.approx(0.865, abs=5e-4)
    assert r.ci_high == pytest.approx(0.925, abs=5e-4)
    # independent: statsmodels GLM fitted here directly on the paper's specification
    X = sm.add_constant(sicily[["smokban", "time"]].astype(float))
    ref = sm.GLM(sicily["aces"], X, family=sm.families.Poisson(), offset=np.log(sicily["stdpop"])).fit()
    assert np.log(r.estimate) == pytest.approx(ref.params["smokban"], abs=1e-8)
    assert r.se == pytest.approx(ref.bse["smokban"], rel=1e-6)


def test_sicily_seasonal_quasipoisson_matches_tutorial(sicily):
    # Reference: Lopez Bernal et al. (2017) model 3 (quasi-Poisson, 2 harmonic pairs of a
    # 12-month period, step change): RR 0.885 (0.839 to 0.933), dispersion 2.262, trend
    # 1.067 per year, as the paper's code reports (also reproduced in public re-analyses).
    r = its.segmented(sicily, "aces", "time", 37, denominator="stdpop", family="quasipoisson",
                      cov="model", seasonality=2, season_period=12, slope_change=False)
    assert r.estimate == pytest.approx(0.885, abs=5e-4)
    assert (r.ci_low, r.ci_high) == pytest.approx((0.839, 0.933), abs=5e-4)
    trend = r.table.set_index("term").loc["pre_trend", "estimate"]
    assert trend**12 == pytest.approx(1.067, abs=5e-4)
    # independent statsmodels fit with harmonics of the calendar month
    d = sicily.copy()
    k = 2 * np.pi * d["month"] / 12
    for j in (1, 2):
        d[f"s{j}"], d[f"c{j}"] = np.sin(j * k), np.cos(j * k)
    X = sm.add_constant(d[["smokban", "time", "s1", "c1", "s2", "c2"]].astype(float))
    ref = sm.GLM(d["aces"], X, family=sm.families.Poisson(), offset=np.log(d["stdpop"])).fit(scale="X2")
    assert ref.scale == pytest.approx(2.262, abs=5e-4)
    assert np.log(r.estimate) == pytest.approx(ref.params["smokban"], abs=1e-8)
    assert r.se == pytest.approx(ref.bse["smokban"], rel=1e-6)


def test_sicily_slope_change_model_and_dates(sicily):
    # Reference: the paper's additional model (Stata code: smokban + smokban*(time-36) + 2 Fourier
    # pairs, quasi-Poisson), fitted independently with statsmodels.  Our level change is at the
    # first ban month (t0 = 37), i.e. exp(b_smokban + b_inter) in that parametrisation.
    d = sicily.copy()
    d["date"] = pd.to_datetime({"year": d["year"], "month": d["month"], "day": 1})
    r = its.segmented(d, "aces", "date", "2005-01-01", denominator="stdpop", family="quasipoisson",
                      cov="model", seasonality=2)
    k = 2 * np.pi * d["time"] / 12
    X = pd.DataFrame({"const": 1.0, "smokban": d["smokban"], "inter": d["smokban"] * (d["time"] - 36),
                      "time": d["time"], "s1": np.sin(k), "c1": np.cos(k), "s2": np.sin(2 * k), "c2": np.cos(2 * k)})
    ref = sm.GLM(d["aces"], X, family=sm.families.Poisson(), offset=np.log(d["stdpop"])).fit(scale="X2")
    assert np.log(r.estimate) == pytest.approx(ref.params["smokban"] + ref.params["inter"], abs=1e-8)
    slope = r.table.set_index("term").loc["slope_change", "estimate"]
    assert np.log(slope) == pytest.approx(ref.params["inter"], abs=1e-8)
    # the same model on integer time with season_period=12 gives identical numbers
    r2 = its.segmented(d, "aces", "time", 37, denominator="stdpop", family="quasipoisson",
                       cov="model", seasonality=2, season_period=12)
    assert r2.estimate == pytest.approx(r.estimate, rel=1e-10)
    # month indicators: dates and integer positions span the same model
    r3 = its.segmented(d, "aces", "date", "2005-01-01", denominator="stdpop", family="poisson", seasonality="month")
    r4 = its.segmented(d, "aces", "time", 37, denominator="stdpop", family="poisson", seasonality="month",
                       season_period=12)
    assert r3.estimate == pytest.approx(r4.estimate, rel=1e-10)


def test_count_horizon_difference_is_fitted_minus_counterfactual(sicily):
    # Reference: definition; the delta-method SE is checked against a simulation from the
    # fitted coefficients' normal sampling distribution (200k draws, seed 1).
    r = its.segmented(sicily, "aces", "time", 37, denominator="stdpop", family="quasipoisson",
                      cov="model", horizons=[0, 11])
    cf = r.counterfactual
    row = cf[cf["time"] == 48].iloc[0]
    h = r.horizons.set_index(["horizon", "measure"])
    assert h.loc[(11, "difference_in_events"), "estimate"] == pytest.approx(row["fitted"] - row["counterfactual"], rel=1e-10)
    post = cf[cf["post"]].iloc[:12]
    assert h.loc[(11, "cumulative_difference"), "estimate"] == pytest.approx(
        (post["fitted"] - post["counterfactual"]).sum(), rel=1e-10)
    p = r.extra["params"]
    X = sm.add_constant(pd.DataFrame({"time": sicily["time"], "level_change": sicily["smokban"],
                                      "slope_change": sicily["smokban"] * (sicily["time"] - 37)}).astype(float))
    ref = sm.GLM(sicily["aces"], X, family=sm.families.Poisson(), offset=np.log(sicily["stdpop"])).fit(scale="X2")
    assert np.allclose(p.to_numpy(), ref.params.to_numpy(), atol=1e-8)
    draws = np.random.default_rng(1).multivariate_normal(ref.params, ref.cov_params(), 200_000)
    x = X.iloc[47].to_numpy()
    xcf = x.copy()
    xcf[2:] = 0
    off = np.log(sicily["stdpop"].iloc[47])
    sim = np.exp(draws @ x + off) - np.exp(draws @ xcf + off)
    assert h.loc[(11, "difference_in_events"), "se"] == pytest.approx(sim.std(), rel=0.03)


# ------------------------------------------------------------------ gaussian / HAC
def test_gaussian_ols_and_newey_west_by_hand():
    # Reference: OLS by numpy least squares and a Newey-West (Bartlett) covariance written
    # out here from Newey & West (1987): S = sum_l w_l (G_l + G_l'), w_l = 1 - l/(L+1),
    # scaled by n/(n-k) (statsmodels use_correction).
    df = _series(np.random.default_rng(7), rho=0.4)
    r = its.segmented(df, "y", "t", 31, hac_lags=3)
    t = df["t"].to_numpy(float)
    post = (t >= 31).astype(float)
    X = np.column_stack([np.ones_like(t), t, post, (t - 31) * post])
    b, *_ = np.linalg.lstsq(X, df["y"].to_numpy(), rcond=None)
    assert r.estimate == pytest.approx(b[2], abs=1e-10)
    assert r.slope_change["estimate"] == pytest.approx(b[3], abs=1e-10)
    u = df["y"].to_numpy() - X @ b
    n, k = X.shape
    xu = X * u[:, None]
    S = xu.T @ xu
    for lag in range(1, 4):
        G = xu[lag:].T @ xu[:-lag]
        S += (1 - lag / 4) * (G + G.T)
    bread = np.linalg.inv(X.T @ X)
    V = bread @ S @ bread * n / (n - k)
    assert r.se == pytest.approx(np.sqrt(V[2, 2]), rel=1e-8)
    assert "Newey-West" in r.method and "3 lags" in r.method
    # horizon difference = b2 + b3 h with the exact linear SE
    r2 = its.segmented(df, "y", "t", 31, hac_lags=3, horizons=[10])
    hz = r2.horizons.set_index("measure").loc["difference"]
    a = np.array([0, 0, 1, 10.0])
    assert hz["estimate"] == pytest.approx(a @ b, abs=1e-10)
    assert hz["se"] == pytest.approx(np.sqrt(a @ V @ a), rel=1e-8)
    assert its.default_hac_lags(60) == 3  # floor(4 * 0.6^(2/9)) = 3


def test_simulation_recovers_known_effect_with_nominal_coverage():
    # Reference: simulation with known effects (level +5, slope +0.3, AR(1) errors rho=0.3),
    # 200 seeded replicates; HAC intervals should cover the truth near 95% of the time.
    rng = np.random.default_rng(2024)
    est, cover = [], []
    for _ in range(200):
        r = its.segmented(_series(rng, n=80, start=41, rho=0.3), "y", "t", 41)
        est.append((r.estimate, r.slope_change["estimate"]))
        cover.append(r.ci_low <= 5 <= r.ci_high)
    est = np.array(est)
    assert est[:, 0].mean() == pytest.approx(5.0, abs=0.1)
    assert est[:, 1].mean() == pytest.approx(0.3, abs=0.01)
    assert 0.85 <= np.mean(cover) <= 0.99


def test_controlled_its_removes_common_shock():
    # Reference: simulation with a known effect: both series get a common +3 shock at the
    # start (a confounder), the intervention series a further +5 and slope +0.2.
    rng = np.random.default_rng(11)
    a = _series(rng, level=8.0, slope=0.2, sd=0.3)
    b = _series(rng, level=3.0, slope=0.0, sd=0.3, b0=15, b1=0.05)
    single = its.segmented(a, "y", "t", 31)
    ctl = its.segmented(a, "y", "t", 31, control=b)
    assert single.estimate == pytest.approx(8.0, abs=0.6)
    assert ctl.estimate == pytest.approx(5.0, abs=0.6)
    assert ctl.slope_change["estimate"] == pytest.approx(0.2, abs=0.05)
    assert ctl.ci_low < ctl.estimate < ctl.ci_high and ctl.se < single.se * 2
    assert ctl.n_obs == 120 and "Controlled" in ctl.method
    # noise-free check of the parametrisation: exact recovery
    a0 = _series(rng, level=8.0, slope=0.2, sd=0.0)
    b0 = _series(rng, level=3.0, slope=0.0, sd=0.0, b0=15, b1=0.05)
    a0["y"] += rng.normal(0, 1e-9, 60)
    assert its.segmented(a0, "y", "t", 31, control=b0).estimate == pytest.approx(5.0, abs=1e-6)


def test_autocorrelation_diagnostics_and_warning():
    # Reference: simulation with strong AR(1) errors (rho = 0.8): Durbin-Watson well below 2
    # and Ljung-Box rejects; with white noise DW is near 2.
    r = its.segmented(_series(np.random.default_rng(3), n=100, start=51, rho=0.8), "y", "t", 51)
    d = r.diagnostics.set_index("test")
    assert d.loc["Durbin-Watson", "statistic"] < 1.0
    assert d.loc["Ljung-Box", "p_value"] < 0.01 and d.loc["Breusch-Godfrey", "p_value"] < 0.01
    assert any("autocorrelated" in w for w in r.warnings)
    r0 = its.segmented(_series(np.random.default_rng(4), n=100, start=51), "y", "t", 51)
    assert 1.6 < r0.diagnostics.set_index("test").loc["Durbin-Watson", "statistic"] < 2.4


def test_segmented_by_gradient():
    # Reference: simulation with known level changes 5, 4, 3, 2, 1 across quintiles 1..5:
    # the gradient is -1 per quintile and Cochran's Q rejects equal effects.
    rng = np.random.default_rng(5)
    frames = [_series(rng, level=float(6 - q), slope=0.0, sd=0.25).assign(imd_quintile=q) for q in range(1, 6)]
    tab = its.segmented_by(pd.concat(frames), "y", "t", 31, by="imd_quintile")
    assert "group" in tab.columns and "imd_quintile" not in tab.columns  # by-group variants say `group`
    lv = tab[tab["term"] == "level_change"].set_index("group")
    assert list(lv.index) == [1, 2, 3, 4, 5]
    assert np.allclose(lv["estimate"], [5, 4, 3, 2, 1], atol=0.6)
    g = tab.set_index("term")
    assert g.loc["level_change_gradient", "estimate"] == pytest.approx(-1.0, abs=0.2)
    assert g.loc["level_change_difference_across_groups", "p_value"] < 0.001
    same = [_series(rng, level=3.0, sd=0.5).assign(q=q) for q in range(1, 6)]
    tab2 = its.segmented_by(pd.concat(same), "y", "t", 31, by="q").set_index("term")
    assert tab2.loc["level_change_difference_across_groups", "p_value"] > 0.01


# ------------------------------------------------------------------ bad input
def test_bad_input_errors():
    df = _series(np.random.default_rng(0), n=40, start=21)
    with pytest.raises(DesignError, match="only 7 pre-intervention"):
        its.segmented(df, "y", "t", 8)
    with pytest.raises(DesignError, match="outside the data"):
        its.segmented(df, "y", "t", 100)
    with pytest.raises(DesignError, match="outside the data"):
        its.segmented(df, "y", "t", 0)
    with pytest.raises(DataError, match="gaps") as e:
        its.segmented(df.drop(index=[5, 6]), "y", "t", 21)
    assert e.value.problems[0].count == 2
    with pytest.raises(DataError, match="more than once"):
        its.segmented(pd.concat([df, df.iloc[[3]]]), "y", "t", 21)
    bad = df.copy()
    bad.loc[[4, 9], "y"] = np.nan
    with pytest.raises(DataError) as e:
        its.segmented(bad, "y", "t", 21)
    assert e.value.problems[0].rows == (6, 11) and e.value.problems[0].count == 2
    with pytest.raises(DataError, match="not in"):
        its.segmented(df, "nope", "t", 21)
    with pytest.raises(DataError, match="whole counts"):
        its.segmented(df, "y", "t", 21, family="poisson")
    with pytest.raises(DesignError, match="family"):
        its.segmented(df, "y", "t", 21, family="binomial")
    with pytest.raises(DesignError, match="horizons"):
        its.segmented(df, "y", "t", 21, horizons=[25])
    months = pd.DataFrame({"d": pd.date_range("2020-01-01", periods=30, freq="MS"), "y": np.arange(30.0)})
    with pytest.raises(DataError, match="1 month"):
        its.segmented(months.drop(index=[12]), "y", "d", "2021-06-01")
    with pytest.raises(DesignError, match="season"):
        its.segmented(df, "y", "t", 21, seasonality=2)


def test_few_periods_warn_and_result_contract():
    df = _series(np.random.default_rng(9), n=20, start=11)
    r = its.segmented(df, "y", "t", treatment_start=11)  # the start's name is shared with synth, sdid, augsynth
    assert r.extra["treatment_start"] == 11
    assert any("Only 10 periods before" in w for w in r.warnings)
    rec = r.to_record()
    assert rec["name"] == "level_change" and rec["n"] == 20
    assert "df" not in rec  # results.json keeps its fields
    tidy = r.tidy()
    assert "level_change" in tidy["term"].tolist() and r.summary().startswith("Interrupted")
    # OLS with t intervals: df = n − k = 20 − 4 (const, time, level, slope); the interval is t(16)
    assert r.df == 16 and (tidy["df"] == 16).all() and "16 df" in r.summary()
    half = (r.ci_high - r.ci_low) / 2
    assert half == pytest.approx(r.se * __import__("scipy").stats.t.ppf(0.975, 16))
    assert r.interval == (r.ci_low, r.ci_high)
    tidy.loc[0, "estimate"] = 99.0
    assert r.tidy().loc[0, "estimate"] != 99.0  # tidy() is a copy
    with pytest.raises(Exception):
        r.estimate = 1.0  # read-only
    with pytest.raises(TypeError):
        its.segmented(df, "y", "t", intervention_start=11)  # the old name is gone
    counts = its.segmented(df.assign(y=np.round(df["y"])), "y", "t", 11, family="poisson")
    assert np.isnan(counts.df) and counts.tidy()["df"].isna().all()  # a GLM's intervals are normal


def test_counterfactual_plot(sicily):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.figure import Figure

    from toolkit.reporting.plots import its as its_plots

    r = its.segmented(sicily, "aces", "time", 37, denominator="stdpop", family="quasipoisson", seasonality=2,
                      season_period=12)
    fig = its_plots.counterfactual_plot(r)
    assert isinstance(fig, Figure)
    ax = fig.axes[0]
    assert ax.get_ylabel() == "aces per 100,000" and ax.get_xlabel() == "Period"
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Expected without the scheme" in labels and "Observed" in labels
    # the observed points plotted are the observed rates
    pts = [ln for ln in ax.get_lines() if ln.get_label() == "Observed"][0]
    assert np.allclose(pts.get_ydata(), sicily["aces"] / sicily["stdpop"] * 1e5)
    alt = its_plots.counterfactual_alt(r)
    assert "rate ratio" in alt and len(alt) > 50
    import matplotlib.pyplot as plt

    plt.close(fig)


def test_counterfactual_panels_band_and_effects(sicily):
    """The band is the per-period rate ratio's interval carried onto the counterfactual; effects panels below."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from toolkit.reporting.plots import its as its_plots

    kw = dict(denominator="stdpop", family="quasipoisson", seasonality=2, season_period=12)
    r = its.segmented(sicily, "aces", "time", 37, **kw)
    n_post = int(r.extra["n_post"])
    effects = its.segmented(sicily, "aces", "time", 37, horizons=list(range(n_post)), **kw).horizons
    band = its_plots.counterfactual_band(r, effects)
    assert len(band) == n_post
    assert (band["low"] <= band["counterfactual"]).all() and (band["counterfactual"] <= band["high"]).all()
    fig = its_plots.counterfactual_panels(r, effects, ylabel="Rate", effect_label="Each", cumulative_label="Total")
    assert len(fig.axes) == 3 and [a.get_ylabel() for a in fig.axes[1:]] == ["Each", "Total"]
    legend = fig.axes[0].get_legend()
    assert legend.get_bbox_to_anchor().y0 >= fig.axes[0].get_window_extent().y1 - 1  # above the axes, off the data
    plt.close(fig)


def test_gaussian_rate_with_denominator_and_string_dates(sicily):
    # Reference: OLS of the rate aces/stdpop*1e5 fitted independently with statsmodels.
    d = sicily.copy()
    d["month_start"] = [f"{y}-{m:02d}-01" for y, m in zip(d["year"], d["month"])]  # text dates
    r = its.segmented(d, "aces", "month_start", "2005-01-01", denominator="stdpop", cov="model")
    rate = d["aces"] / d["stdpop"] * 1e5
    t = d["time"].astype(float)
    X = sm.add_constant(pd.DataFrame({"t": t, "post": d["smokban"], "slope": d["smokban"] * (t - 37)}).astype(float))
    ref = sm.OLS(rate, X).fit()
    assert r.estimate == pytest.approx(ref.params["post"], abs=1e-8)
    assert r.se == pytest.approx(ref.bse["post"], rel=1e-8)
    assert r.scale == "difference"


def test_controlled_its_and_poisson_hac_match_statsmodels(sicily):
    # Reference: the controlled-ITS interaction model and the Poisson GLM with Newey-West
    # covariance fitted independently with statsmodels' formula interface.
    import statsmodels.formula.api as smf

    rng = np.random.default_rng(21)
    a, b = _series(rng, sd=0.5), _series(rng, level=2.0, sd=0.5, b0=10)
    r = its.segmented(a, "y", "t", 31, control=b, cov="model")
    long = pd.concat([a.assign(g=1), b.assign(g=0)], ignore_index=True)
    long["post"] = (long["t"] >= 31).astype(float)
    long["slope"] = (long["t"] - 31) * long["post"]
    ref = smf.ols("y ~ t + post + slope + g + g:t + g:post + g:slope", data=long).fit()
    assert r.estimate == pytest.approx(ref.params["g:post"], abs=1e-8)
    assert r.slope_change["estimate"] == pytest.approx(ref.params["g:slope"], abs=1e-8)
    d = sicily.assign(slope=lambda x: x["smokban"] * (x["time"] - 37))
    r2 = its.segmented(sicily, "aces", "time", 37, denominator="stdpop", family="poisson", hac_lags=2)
    ref2 = smf.glm("aces ~ time + smokban + slope", data=d, family=sm.families.Poisson(),
                   offset=np.log(d["stdpop"])).fit(cov_type="HAC", cov_kwds={"maxlags": 2})
    assert np.log(r2.estimate) == pytest.approx(ref2.params["smokban"], abs=1e-8)
    assert r2.se == pytest.approx(ref2.bse["smokban"], rel=1e-8)
    assert "2 lags" in r2.method


def test_heterogeneity_by_hand():
    # Reference: hand calculation.  Effects 1, 2, 3 with SE 1: pooled 2, Q = 2 on 2 df,
    # p = exp(-1); weighted slope on rank 1..3 is 1 with SE 1/sqrt(2).
    from toolkit.designs._timeseries import heterogeneity

    g = pd.DataFrame({"q": [1, 2, 3], "estimate": [1.0, 2.0, 3.0], "se": [1.0, 1.0, 1.0]})
    h = heterogeneity(g, by="q").set_index("term")
    assert h.loc["difference_across_groups", "estimate"] == pytest.approx(2.0)
    assert h.loc["difference_across_groups", "p_value"] == pytest.approx(np.exp(-1), rel=1e-12)
    assert h.loc["gradient", "estimate"] == pytest.approx(1.0)
    assert h.loc["gradient", "se"] == pytest.approx(1 / np.sqrt(2))
    # ratios: log scale, gradient reported as a ratio per step
    gr = pd.DataFrame({"q": [1, 2, 3], "estimate": np.exp([1.0, 2.0, 3.0]), "se": [1.0, 1.0, 1.0]})
    assert heterogeneity(gr, by="q", log_scale=True).set_index("term").loc["gradient", "estimate"] == pytest.approx(np.e)


def test_time_index_frequencies():
    from toolkit.designs._timeseries import regular_time_index

    q = pd.Series(pd.date_range("2019-01-01", periods=12, freq="QS"))
    ti = regular_time_index(q, column="d")
    assert ti.unit == "quarter" and ti.season_period == 4 and list(ti.period) == list(range(12))
    w = pd.Series(pd.date_range("2020-01-06", periods=60, freq="W-MON"))
    assert regular_time_index(w, column="d").unit == "week"
    with pytest.raises(DataError, match="1 week"):
        regular_time_index(w.drop(index=[10]).reset_index(drop=True), column="d")
    yrs = pd.Series([2001, 2003, 2005, 2009])
    with pytest.raises(DataError, match="1 period"):
        regular_time_index(yrs, column="year")


def test_linden_itsa_california_example():
    # Reference: Linden (2015) "Conducting interrupted time-series analysis for single- and
    # multiple-group comparisons", Stata Journal 15(2):480-500, itsa example on California
    # cigarette sales (Prop 99, trperiod 1989, Newey-West lag 1): pre-trend -1.78 packs/year,
    # level change -20.06, slope change -1.49 (published to 2 dp); post-period trend -3.27.
    d = pd.read_csv(DATA / "california_smoking.csv")
    ca = d[d["state"] == "California"]
    r = its.segmented(ca, "cigsale", "year", 1989, hac_lags=1)
    tab = r.table.set_index("term")["estimate"]
    assert tab["pre_trend"] == pytest.approx(-1.78, abs=5e-3)
    assert tab["level_change"] == pytest.approx(-20.06, abs=5e-3)
    assert tab["slope_change"] == pytest.approx(-1.49, abs=5e-3)
    assert tab["pre_trend"] + tab["slope_change"] == pytest.approx(-3.27, abs=5e-3)
    assert "1 lag" in r.method and r.extra["n_pre"] == 19


def test_start_date_inside_a_month(sicily):
    # The Italian ban began on 10 January 2005 (Lopez Bernal et al. 2017): January is the
    # first ban month, as in the published smokban indicator.
    d = sicily.copy()
    d["date"] = pd.to_datetime({"year": d["year"], "month": d["month"], "day": 1})
    r = its.segmented(d, "aces", "date", "2005-01-10", denominator="stdpop", family="poisson", cov="model",
                      slope_change=False)
    assert r.counterfactual["post"].to_numpy().astype(int).tolist() == d["smokban"].tolist()
    assert r.estimate == pytest.approx(0.894, abs=5e-4)


def test_ar_error_model():
    # Reference: simulation with AR(1) errors (rho = 0.6, known effects level +5, slope +0.3):
    # the AR model recovers rho, the effects, and leaves white innovations; the fit equals
    # statsmodels' GLSAR run directly.
    rng = np.random.default_rng(17)
    est, cover, rhos = [], [], []
    for _ in range(100):
        df = _series(rng, n=100, start=51, rho=0.6)
        r = its.segmented(df, "y", "t", 51, cov="ar")
        est.append(r.estimate)
        cover.append(r.ci_low <= 5 <= r.ci_high)
        rhos.append(r.extra["ar_rho"][0])
    assert np.mean(est) == pytest.approx(5.0, abs=0.15)
    # Yule-Walker estimates of rho from regression residuals are biased towards 0 in
    # samples of 100 (a known small-sample property), hence the wider tolerance.
    assert np.mean(rhos) == pytest.approx(0.6, abs=0.1)
    assert 0.85 <= np.mean(cover) <= 0.99
    assert r.diagnostics.set_index("test").loc["Ljung-Box", "p_value"] > 0.01
    t = df["t"].to_numpy(float)
    post = (t >= 51).astype(float)
    X = np.column_stack([np.ones_like(t), t, post, (t - 51) * post])
    ref = sm.GLSAR(df["y"].to_numpy(), X, rho=1).iterative_fit(maxiter=100, rtol=1e-10)
    assert r.estimate == pytest.approx(ref.params[2], abs=1e-8) and r.se == pytest.approx(ref.bse[2], rel=1e-8)
    assert "AR(1)" in r.method
    with pytest.raises(DesignError, match="single Gaussian"):
        its.segmented(df.assign(y=np.round(np.abs(df["y"]))), "y", "t", 51, cov="ar", family="poisson")


def test_heterogeneity_ranks_by_the_groups_value_and_uses_level():
    """Issue 11: a missing middle quintile turned a true gradient of -1.0 into -1.4 (ranks from row position)."""
    from scipy import stats

    from toolkit.designs._timeseries import heterogeneity

    # effects exactly -1 per quintile step, quintile 3 missing: the slope on the quintile number is -1
    g = pd.DataFrame({"q": [1, 2, 4, 5], "estimate": [-1.0, -2.0, -4.0, -5.0], "se": [1.0, 1.0, 1.0, 1.0]})
    h = heterogeneity(g, by="q").set_index("term")
    assert h.loc["gradient", "estimate"] == pytest.approx(-1.0)
    # by hand: ranks 1, 2, 4, 5 (mean 3, Σ(r − 3)² = 10), SE = 1/√10; z at 99.8%
    h998 = heterogeneity(g, by="q", level=0.998).set_index("term")
    z = stats.norm.ppf(0.999)
    assert h998.loc["gradient", "ci_high"] == pytest.approx(-1.0 + z / np.sqrt(10))
    assert h998.loc["gradient", "level"] == 0.998
    # quintiles given as text still rank by their number, whatever the row order
    shuffled = g.iloc[[3, 0, 2, 1]].assign(q=lambda d: d["q"].astype(str))
    assert heterogeneity(shuffled, by="q").set_index("term").loc["gradient", "estimate"] == pytest.approx(-1.0)


def test_no_gradient_across_named_groups():
    """Issue 11: PLUS groups sorted alphabetically produced a meaningless 'gradient'."""
    from toolkit.designs._timeseries import heterogeneity
    from toolkit.errors import DesignError

    g = pd.DataFrame({"eth": ["Asian", "Black", "White"], "estimate": [1.0, 2.0, 3.0], "se": [1.0, 1.0, 1.0]})
    h = heterogeneity(g, by="eth")
    assert list(h["term"]) == ["difference_across_groups"]
    with pytest.raises(DesignError, match="ordered groups"):
        heterogeneity(g, by="eth", ordered=True)
