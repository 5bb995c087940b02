from toolkit.reporting.plots import did as did_plots
"""event_study(): coefficients, pre-trend Wald test and plot."""

import json
from pathlib import Path

import numpy as np
import pytest

from toolkit.designs.did import event_study
from toolkit.errors import DesignError

from .simdata import checksum, panel

REFS = json.loads((Path(__file__).parent / "data" / "pyfixest_refs.json").read_text())


@pytest.mark.parametrize("name", sorted(REFS["event_study"]))
def test_matches_committed_pyfixest_reference(name):
    # Reference: pyfixest feols(y ~ event-time dummies (ref -1) | unit + time, CRV1 by unit)
    # and its wald_test on the leads, from data/make_pyfixest_refs.py.
    case = REFS["event_study"][name]
    df = panel(**case["sim"])
    assert checksum(df) == pytest.approx(case["checksum"], abs=1e-6)
    r = event_study(df, "y", "unit", "time", "first_treated", weights=case["weights"])
    tab = r.table.set_index("event_time")
    for e, b in case["coef"].items():
        assert tab.loc[float(e), "estimate"] == pytest.approx(b, abs=1e-8)
        assert tab.loc[float(e), "se"] == pytest.approx(case["se"][e], rel=1e-6)
    assert r.pretrend["chi2"] == pytest.approx(case["wald_chi2"], rel=1e-6)
    assert r.pretrend["p_value_chi2"] == pytest.approx(case["wald_p_chi2"], abs=1e-8)
    assert tab.loc[-1.0, "period"] == "reference" and tab.loc[-1.0, "estimate"] == 0.0


def test_known_dynamic_effects_and_flat_pretrends():
    # Reference: simulation with known effect 1 + 0.5*e after adoption, 0 before (common cohort
    # plus never-treated, so TWFE event-study coefficients are unbiased).
    df = panel(n_units=600, n_periods=10, seed=61, cohorts=(0, 6), effect=1.0, dynamic_slope=0.5)
    r = event_study(df, "y", "unit", "time", "first_treated")
    tab = r.table.set_index("event_time")
    for e in range(0, 5):
        assert abs(tab.loc[float(e), "estimate"] - (1 + 0.5 * e)) < 4 * tab.loc[float(e), "se"]
    assert r.pretrend["df1"] == 4 and r.pretrend["p_value"] > 0.001
    assert abs(r.estimate - np.mean([1 + 0.5 * e for e in range(5)])) < 4 * r.se


def test_pretrend_violation_is_detected():
    # Reference: simulation where treated units trend upwards before adoption (violation).
    df = panel(n_units=400, n_periods=10, seed=62, cohorts=(0, 7))
    df.loc[df.first_treated > 0, "y"] += 0.4 * df.loc[df.first_treated > 0, "time"]
    r = event_study(df, "y", "unit", "time", "first_treated")
    assert r.pretrend["p_value"] < 1e-6
    assert any("rejects parallel trends" in w for w in r.warnings)


def test_window_binning_and_no_never_treated():
    df = panel(n_units=200, n_periods=10, seed=63, cohorts=(0, 4, 7))
    r = event_study(df, "y", "unit", "time", "first_treated", leads=3, lags=2)
    assert sorted(r.table.event_time) == [-3, -2, -1, 0, 1, 2]
    assert r.table.set_index("event_time").loc[2.0, "label"] == "2+"
    df2 = panel(n_units=200, n_periods=10, seed=64, cohorts=(4, 7))
    with pytest.raises(DesignError, match="not identified"):  # full window, nobody never treated (issue 11)
        event_study(df2, "y", "unit", "time", "first_treated")
    r2 = event_study(df2, "y", "unit", "time", "first_treated", leads=3, lags=2)
    assert np.isfinite(r2.table["se"].dropna()).all()
    refs = r2.table[r2.table.period == "reference"].event_time.tolist()
    assert -1.0 in refs and len(refs) == 2
    assert any("No never-treated" in w for w in r2.warnings)


def test_no_pre_period_is_an_error():
    df = panel(n_units=50, seed=65, cohorts=(0, 1))
    with pytest.raises(DesignError, match="pre-period"):
        event_study(df, "y", "unit", "time", "first_treated")


def test_plot_is_nhs_styled_and_not_shown():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    r = event_study(panel(seed=66), "y", "unit", "time", "first_treated")
    fig = did_plots.event_time_plot(r)
    ax = fig.axes[0]
    assert ax.get_xlabel() and ax.get_ylabel().startswith("Effect on")
    colours = {matplotlib.colors.to_hex(l.get_color()).upper() for l in ax.lines if l.get_marker() in ("o", "s")}
    assert {"#005EB8", "#425563"} <= colours
    markers = {l.get_marker() for l in ax.lines}
    assert {"o", "s"} <= markers  # pre and post differ by shape, not colour alone
    fig2, ax2 = plt.subplots()
    assert did_plots.event_time_plot(r, ax=ax2) is fig2
    plt.close("all")


def test_mpdta_event_study():
    # Reference: pyfixest event-study regression on mpdta (reference period -1, CRV1 by county),
    # committed in pyfixest_refs.json by data/make_pyfixest_refs.py.
    import pandas as pd

    mp = pd.read_csv(Path(__file__).parent / "data" / "mpdta.csv")
    r = event_study(mp, "lemp", "countyreal", "year", "first.treat")
    tab = r.table.set_index("event_time")
    ref = REFS["mpdta"]
    for e, b in ref["es_coef"].items():
        assert tab.loc[float(e), "estimate"] == pytest.approx(b, abs=1e-9)
        assert tab.loc[float(e), "se"] == pytest.approx(ref["es_se"][e], rel=1e-7)


def test_summary_and_alt_text_mention_pretrend():
    r = event_study(panel(seed=67), "y", "unit", "time", "first_treated")
    assert "Pre-trend test" in r.summary()
    assert did_plots.event_time_alt(r).startswith("Chart of the estimated effect on y") and "joint test" in did_plots.event_time_alt(r)


def test_covariates_match_live_pyfixest():
    # Reference: pyfixest run now, event-time dummies + covariate x (skipped without pyfixest).
    pf = pytest.importorskip("pyfixest")
    df = panel(seed=68)
    rel = np.where(df.first_treated > 0, df.time - df.first_treated, np.nan)
    cols = {}
    for e in sorted(set(rel[~np.isnan(rel)]) - {-1.0}):
        nm = f"e{'m' if e < 0 else 'p'}{abs(int(e))}"
        df[nm] = (rel == e).astype(float)
        cols[nm] = e
    m = pf.feols("y ~ " + " + ".join(cols) + " + x | unit + time", df, vcov={"CRV1": "ucl"})
    r = event_study(df, "y", "unit", "time", "first_treated", covariates=["x"])
    tab = r.table.set_index("event_time")
    for k, e in cols.items():
        assert tab.loc[e, "estimate"] == pytest.approx(m.coef()[k], abs=1e-8)
        assert tab.loc[e, "se"] == pytest.approx(m.se()[k], rel=1e-6)
    cov = r.extra["covariates"].set_index("term")
    assert cov.loc["x", "estimate"] == pytest.approx(m.coef()["x"], abs=1e-8)


def test_pretrend_test_with_too_many_leads_for_the_clusters_gives_no_p_value():
    # Simulation: treated units trend upwards before adoption (a real violation, so a valid test
    # would reject), clustered by a column with few clusters.  A CRV1 covariance has rank at most
    # G-1, so testing q >= G-1 leads at once has no p-value and no "rejects" warning (fixest warns).
    from toolkit.designs.did import event_study as es_fn

    df = panel(n_units=300, n_periods=10, seed=69, cohorts=(0, 7))
    df.loc[df.first_treated > 0, "y"] += 0.4 * df.loc[df.first_treated > 0, "time"]
    for n_cl in (4, 6):  # q = 5 leads (-6..-2): q > G-1 = 3, and q = G-1 = 5
        df["cl"] = df.unit % n_cl
        r = es_fn(df, "y", "unit", "time", "first_treated", cluster="cl")
        pt = r.pretrend
        assert pt["df1"] == 5 and pt["df2"] == n_cl - 1
        assert np.isnan(pt["p_value"]) and np.isnan(pt["stat"]) and np.isnan(pt["p_value_chi2"])
        assert not any("rejects parallel trends" in w for w in r.warnings)
        assert "cannot be computed" in r.pretrend_note and f"only {n_cl} clusters" in r.pretrend_note
        assert r.pretrend_note in r.warnings and "not computed" in r.summary()
        assert all(isinstance(v, (int, float)) for v in pt.values())  # the template stores them as floats
    # well-conditioned: 30 clusters, the same violation is detected
    df["cl"] = df.unit % 30
    r = es_fn(df, "y", "unit", "time", "first_treated", cluster="cl")
    assert r.pretrend["rank"] == 5 and r.pretrend["p_value"] < 1e-6 and r.pretrend_note == ""
    assert any("rejects parallel trends" in w for w in r.warnings)


def test_wald_test_refuses_a_singular_covariance():
    from toolkit.designs.did.event_study import wald_test

    b = np.array([0.5, -0.2, 0.1])
    V = np.diag([0.04, 0.09, 0.01])
    ok = wald_test(b, V, 40)
    assert ok["chi2"] == pytest.approx(0.5**2 / 0.04 + 0.2**2 / 0.09 + 0.1**2 / 0.01, rel=1e-12)
    assert ok["rank"] == 3 and ok["p_value"] > 0
    L = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 1.0]])
    sing = wald_test(b, L @ L.T * 0.01, 40)  # rank 2 < 3 leads although 3 < G-1
    assert sing["rank"] == 2 and np.isnan(sing["p_value"]) and np.isnan(sing["chi2"])
    assert np.isnan(wald_test(b, V, 3)["p_value"])  # q = G-1


def test_no_never_treated_full_window_is_refused_not_reported():
    """Issue 11: every unit treated in the end and no window: the event-time effects are jointly unidentified.

    Before the joint rank check this returned coefficients with NaN standard errors and a pre-trend p of ~0.9
    accepted as valid; now a DesignError names the problem and the fixes, and a binned window works.
    """
    df = panel(n_units=30, n_periods=12, seed=5, cohorts=(4, 7, 10))
    with pytest.raises(DesignError) as err:
        event_study(df, "y", "unit", "time", "first_treated")
    text = str(err.value)
    assert "not identified" in text and "never-treated" in text
    assert "leads" in text and "bin the end points" in text and "comparison group" in text
    r = event_study(df, "y", "unit", "time", "first_treated", leads=3, lags=3)
    assert np.isfinite(r.table["se"].dropna()).all() and np.isfinite(r.pretrend["p_value"])

