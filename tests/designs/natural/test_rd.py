"""Tests for toolkit.designs.rd (sharp regression discontinuity)."""

from __future__ import annotations

from toolkit.reporting.interpret import interpret

import numpy as np
import pandas as pd
import pytest

from toolkit.designs import rd
from toolkit.designs.result import DesignResult
from toolkit.errors import DataError, DesignError

pytest.importorskip("rdrobust")


@pytest.fixture(scope="module")
def senate() -> pd.DataFrame:
    # U.S. Senate elections (Cattaneo, Frandsen & Titiunik 2015), shipped inside the rdrobust
    # PyPI package as rdrobust_RDsenate: outcome vote (t+2), running variable margin, cutoff 0.
    datasets = pytest.importorskip("rdrobust.datasets", reason="this rdrobust release does not ship the Senate data")
    return datasets.rdrobust_RDsenate()


@pytest.fixture(scope="module")
def senate_fit(senate):
    return rd.fit(senate, "vote", "margin", 0)


def _sim(rng, n=1500, jump=2.0, cutoff=0.0):
    x = rng.uniform(-1, 1, n) + cutoff
    y = 1 + 0.5 * (x - cutoff) - 0.3 * (x - cutoff) ** 2 + jump * (x >= cutoff) + rng.normal(0, 0.5, n)
    return pd.DataFrame({"x": x, "y": y})


def test_senate_matches_published_rdrobust_example(senate_fit, senate):
    # Reference: rdrobust's published Senate illustration (Calonico, Cattaneo, Farrell &
    # Titiunik 2017, Stata Journal 17(2):372, "rdrobust: software for RD designs"; rdrobust
    # package examples): conventional 7.414 (SE 1.459), robust 95% CI [4.094, 10.919],
    # MSE-optimal h = 17.754, b = 28.028, effective N 360 left / 323 right.
    r = senate_fit
    assert isinstance(r, DesignResult)
    assert r.estimate == pytest.approx(7.414, abs=5e-4)
    assert r.extra["se_conventional"] == pytest.approx(1.459, abs=5e-4)
    # issue 11: one SE per result, the one behind the robust interval: (10.919 − 4.094)/(2 × 1.959964)
    assert r.se == pytest.approx((10.919 - 4.094) / (2 * 1.959964), abs=1e-3) and r.se_scale == "estimate"
    assert (r.ci_low, r.ci_high) == pytest.approx((4.094, 10.919), abs=5e-4)
    assert r.extra["h_left"] == pytest.approx(17.754, abs=5e-4)
    assert r.extra["b_left"] == pytest.approx(28.028, abs=5e-4)
    assert (r.extra["n_eff_left"], r.extra["n_eff_right"]) == (360, 323)
    assert r.extra["excluded"] == 93 and any("93 row(s) excluded" in w for w in r.warnings)
    # and to full precision against a direct run of the reference implementation
    from rdrobust import rdrobust

    ref = rdrobust(senate["vote"], senate["margin"])
    assert r.estimate == pytest.approx(float(ref.coef.iloc[0, 0]), abs=1e-10)
    assert r.ci_high == pytest.approx(float(ref.ci.iloc[2, 1]), abs=1e-10)
    assert r.p_value == pytest.approx(float(ref.pv.iloc[2, 0]), rel=1e-10)


def test_local_linear_by_hand_reproduces_conventional_estimate(senate_fit, senate):
    # Reference: the conventional estimate is the difference of intercepts of triangular-kernel
    # weighted least-squares lines at the same h (Calonico, Cattaneo & Titiunik 2014, eq. 2.1),
    # computed here independently with numpy.
    d = senate.dropna(subset=["vote", "margin"])
    x, y = d["margin"].to_numpy(), d["vote"].to_numpy()
    h = senate_fit.extra["h_left"]
    ints = []
    for mask in (x >= 0, x < 0):
        w = np.clip(1 - np.abs(x[mask]) / h, 0, None)
        A = np.column_stack([np.ones(mask.sum()), x[mask]]) * np.sqrt(w)[:, None]
        ints.append(np.linalg.lstsq(A, y[mask] * np.sqrt(w), rcond=None)[0][0])
    assert senate_fit.estimate == pytest.approx(ints[0] - ints[1], abs=1e-8)
    lines = senate_fit.fit_lines
    at_c = lines[lines["x"] == 0].set_index("side")["fitted"]
    assert at_c["above"] - at_c["below"] == pytest.approx(senate_fit.estimate, abs=1e-8)


def test_sensitivity_and_bins(senate_fit):
    s = senate_fit.sensitivity
    assert list(s["multiplier"]) == list(rd.DEFAULT_MULTIPLIERS)
    one = s[s["multiplier"] == 1.0].iloc[0]
    assert one["estimate"] == pytest.approx(senate_fit.estimate, abs=1e-10)
    assert (s["n_left"].diff().dropna() >= 0).all()  # wider bandwidth, more units
    b = senate_fit.bins
    assert set(b["side"]) == {"below", "above"} and b["n"].sum() == senate_fit.extra["n_total"]
    assert (b.loc[b["side"] == "below", "x_high"] <= 0).all()


def test_density_test_senate_and_simulation(senate_fit):
    # Reference: rddensity 3.0 run on all 1,390 Senate margins (cutoff 0): jackknife
    # T = -0.875, p = 0.381 (reference-implementation run); no evidence of sorting.
    pytest.importorskip("rddensity")
    d = senate_fit.density.iloc[0]
    assert d["statistic"] == pytest.approx(-0.875, abs=5e-4)
    assert d["p_value"] == pytest.approx(0.381, abs=5e-4)
    # Simulation with known manipulation: 30% of units just below the cutoff pushed above it.
    rng = np.random.default_rng(3)
    df = _sim(rng, n=2000)
    move = (df["x"] > -0.2) & (df["x"] < 0) & (rng.uniform(size=len(df)) < 0.6)
    df.loc[move, "x"] = -df.loc[move, "x"]
    r = rd.fit(df, "y", "x", 0.0, sensitivity=None)
    assert r.density["p_value"].iloc[0] < 0.01
    assert any("density" in w for w in r.warnings)


def test_simulation_known_jump_and_treated_below():
    # Reference: simulation with a known discontinuity of 2.0 (seeded).
    rng = np.random.default_rng(1)
    df = _sim(rng, cutoff=5.0)
    r = rd.fit(df, "y", "x", 5.0, sensitivity=None, density_test=False)
    assert r.estimate == pytest.approx(2.0, abs=0.25)
    assert r.ci_low < 2.0 < r.ci_high
    assert r.density is None
    # treatment below the cutoff: effect = below minus above
    rb = rd.fit(df, "y", "x", 5.0, treated="below", sensitivity=None, density_test=False)
    assert rb.estimate == pytest.approx(-r.estimate, abs=1e-12)
    assert (rb.ci_low, rb.ci_high) == pytest.approx((-r.ci_high, -r.ci_low), abs=1e-12)
    # the headline sentence is built from the robust interval
    assert "confidence interval" in interpret(r)


def test_fit_by_gradient():
    # Reference: simulation with known jumps 3, 2, 1 in groups 1, 2, 3: gradient -1 per group.
    rng = np.random.default_rng(8)
    df = pd.concat([_sim(rng, n=1500, jump=float(4 - g)).assign(q=g) for g in (1, 2, 3)])
    tab = rd.fit_by(df, "y", "x", 0.0, by="q").set_index("term")
    eff = tab.loc["rd_effect"].set_index("group")["estimate"]
    assert np.allclose(eff.to_numpy(float), [3, 2, 1], atol=0.35)
    assert tab.loc["gradient", "estimate"] == pytest.approx(-1.0, abs=0.25)
    assert tab.loc["difference_across_groups", "p_value"] < 0.001


def test_bad_input():
    rng = np.random.default_rng(0)
    df = _sim(rng, n=300)
    with pytest.raises(DesignError, match="no observations at or above"):
        rd.fit(df, "y", "x", 5.0)
    with pytest.raises(DesignError, match="no observations below"):
        rd.fit(df, "y", "x", -5.0)
    with pytest.raises(DesignError, match="only 3 observation"):
        rd.fit(pd.concat([df[df["x"] < 0], df[df["x"] >= 0].head(3)]), "y", "x", 0.0)
    bad = df.astype({"y": object})
    bad.loc[[2, 7], "y"] = "n/a"
    with pytest.raises(DataError) as e:
        rd.fit(bad, "y", "x", 0.0)
    assert e.value.problems[0].rows == (4, 9)
    with pytest.raises(DataError, match="not in"):
        rd.fit(df, "y", "score", 0.0)
    with pytest.raises(DesignError, match="treated"):
        rd.fit(df, "y", "x", 0.0, treated="left")


def test_rd_plots(senate_fit):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    from toolkit.reporting.plots import rd as rd_plots

    fig = rd_plots.binned_scatter(senate_fit, xlabel="Democratic margin at t")
    assert isinstance(fig, Figure) and fig.axes[0].get_xlabel() == "Democratic margin at t"
    assert fig.axes[0].get_ylabel() == "vote"
    fig2 = rd_plots.sensitivity_plot(senate_fit)
    assert fig2.axes[0].get_xlabel() == "Width of the band either side of the threshold"
    assert "7.41" in rd_plots.binned_scatter_alt(senate_fit)
    assert "6 bandwidths" in rd_plots.sensitivity_alt(senate_fit)
    plt.close(fig)
    plt.close(fig2)


def test_covariates_and_cluster_pass_through(senate):
    # Reference: direct runs of rdrobust on the same complete cases (reference implementation).
    from rdrobust import rdrobust

    r = rd.fit(senate, "vote", "margin", 0, covariates=["presdemvoteshlag1"], cluster="state",
               sensitivity=None, density_test=False)
    cc = senate.dropna(subset=["vote", "margin", "presdemvoteshlag1", "state"])
    ref = rdrobust(cc["vote"], cc["margin"], covs=cc[["presdemvoteshlag1"]].to_numpy(), cluster=cc["state"].to_numpy())
    assert r.estimate == pytest.approx(float(ref.coef.iloc[0, 0]), abs=1e-10)
    assert r.extra["se_conventional"] == pytest.approx(float(ref.se.iloc[0, 0]), rel=1e-10)
    assert r.se == pytest.approx(float(ref.se.loc["Robust"].iloc[0]), rel=1e-10)
    assert r.extra["excluded"] == len(senate) - len(cc)


def test_options_pass_through_quadratic_uniform(senate):
    # Reference: direct rdrobust run with p = 2, uniform kernel, CER-optimal bandwidth; and the
    # same conventional estimate rebuilt by hand as the difference of weighted-polynomial intercepts.
    from rdrobust import rdrobust

    r = rd.fit(senate, "vote", "margin", 0, p=2, kernel="uniform", bwselect="cerrd", sensitivity=None,
               density_test=False)
    cc = senate.dropna(subset=["vote", "margin"])
    ref = rdrobust(cc["vote"], cc["margin"], p=2, kernel="uni", bwselect="cerrd")
    assert r.estimate == pytest.approx(float(ref.coef.iloc[0, 0]), abs=1e-10)
    assert r.extra["h_left"] == pytest.approx(float(ref.bws.iloc[0, 0]), abs=1e-10)
    at_c = r.fit_lines[r.fit_lines["x"] == 0].set_index("side")["fitted"]
    assert at_c["above"] - at_c["below"] == pytest.approx(r.estimate, abs=1e-8)
    with pytest.raises(DesignError, match="kernel"):
        rd.fit(senate, "vote", "margin", 0, kernel="gaussian")
