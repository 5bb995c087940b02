from toolkit.reporting.interpret import interpret
"""twfe(): fixest-convention CRV1 numbers, linearmodels cross-check, textbook example."""

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.designs.did import twfe

from .simdata import checksum, panel

DATA = Path(__file__).parent / "data"
REFS = json.loads((DATA / "pyfixest_refs.json").read_text())


@pytest.mark.parametrize("name", sorted(REFS["twfe"]))
def test_matches_committed_pyfixest_reference(name):
    # Reference: pyfixest 0.60 feols(..., vcov={"CRV1": cluster}) run by
    # data/make_pyfixest_refs.py (fixest's default ssc); numbers committed in pyfixest_refs.json.
    case = REFS["twfe"][name]
    df = panel(**case["sim"])
    assert checksum(df) == pytest.approx(case["checksum"], abs=1e-6), "simulated panel changed"
    cov = [k for k in case["coef"] if k != "d"]
    cluster = None if case["cluster"] == "ucl" else case["cluster"]
    r = twfe(df, "y", "unit", "time", "d", cluster=cluster, weights=case["weights"], covariates=cov)
    assert r.n_obs == case["n_obs"]
    tab = r.tidy().set_index("term")
    for k in case["coef"]:
        assert tab.loc[k, "estimate"] == pytest.approx(case["coef"][k], abs=1e-8)
        assert tab.loc[k, "se"] == pytest.approx(case["se"][k], rel=1e-6)


def test_matches_live_pyfixest():
    # Reference: pyfixest run now (skipped where pyfixest is not installed).
    pf = pytest.importorskip("pyfixest")
    df = panel(seed=31, drop_frac=0.05)
    m = pf.feols("y ~ d + x | unit + time", df, vcov={"CRV1": "ucl"}, weights="w")
    r = twfe(df, "y", "unit", "time", "d", weights="w", covariates=["x"])
    assert r.estimate == pytest.approx(m.coef()["d"], abs=1e-8)
    assert r.se == pytest.approx(m.se()["d"], rel=1e-6)
    assert r.p_value == pytest.approx(m.pvalue()["d"], abs=1e-8)
    assert r.ci_low == pytest.approx(m.confint().loc["d"].iloc[0], abs=1e-6)


def test_linearmodels_same_coefficient_and_known_convention_difference():
    # Reference: linearmodels PanelOLS (entity+time effects, clustered by entity,
    # debiased=False).  Same coefficient; its covariance uses N/(N - K_all) with every
    # fixed effect counted and no G/(G-1) -- the documented reason we do not use it.
    from linearmodels import PanelOLS

    df = panel(seed=11)
    r = twfe(df, "y", "unit", "time", "d")
    p = df.set_index(["unit", "time"])
    m = PanelOLS(p.y, p[["d"]], entity_effects=True, time_effects=True).fit(
        cov_type="clustered", cluster_entity=True, debiased=False
    )
    assert r.estimate == pytest.approx(m.params["d"], abs=1e-10)
    N, U, T, G = len(df), df.unit.nunique(), df.time.nunique(), df.unit.nunique()
    lm_factor = N / (N - (1 + U - 1 + T - 1))
    fixest_factor = G / (G - 1) * (N - 1) / (N - (1 + T))
    assert r.extra["ssc"] == pytest.approx(fixest_factor, rel=1e-12)
    assert r.se / m.std_errors["d"] == pytest.approx(np.sqrt(fixest_factor / lm_factor), rel=1e-6)


def test_organ_donations_textbook_example():
    # Reference: Huntington-Klein, The Effect (2021), ch. 18, California active-choice organ
    # donation (Kessler & Roth data via causaldata): feols(Rate ~ Treated | State + Quarter)
    # gives -0.022 (SE 0.006 clustered by state); full precision from pyfixest (committed).
    od = pd.read_csv(DATA / "organ_donation.csv")
    od["Treated"] = ((od.State == "California") & od.Quarter.isin(["Q32011", "Q42011", "Q12012"])).astype(int)
    r = twfe(od, "Rate", "State", "Quarter", "Treated")
    assert round(r.estimate, 3) == -0.022
    assert round(r.se, 3) == 0.006
    ref = REFS["organ_donations"]
    assert r.estimate == pytest.approx(ref["coef"], abs=1e-10)
    assert r.se == pytest.approx(ref["se"], rel=1e-8)
    assert r.n_obs == ref["n_obs"] == 162
    assert any("fewer than about 30 clusters" in w for w in r.warnings)  # 27 states
    assert not any("switches" in w for w in r.warnings)  # text quarters kept in data order


def test_recovers_known_homogeneous_effect():
    # Reference: simulation with a known true effect of 2.0 (common timing, 400 units).
    df = panel(n_units=400, seed=41, cohorts=(0, 5))
    r = twfe(df, "y", "unit", "time", "d")
    assert abs(r.estimate - 2.0) < 4 * r.se
    assert r.ci_low < 2.0 < r.ci_high
    assert r.significant and "increased" in interpret(r)
    assert r.tidy().columns.tolist()[:6] == ["term", "estimate", "se", "ci_low", "ci_high", "p_value"]
    assert "CRV1" in r.summary() and r.to_record()["n"] == r.n_obs


def test_staggered_timing_warns():
    df = panel(seed=42, cohorts=(0, 4, 6))
    r = twfe(df, "y", "unit", "time", "d")
    assert any("different times" in w and "staggered" in w for w in r.warnings)


def test_result_is_read_only():
    r = twfe(panel(seed=43), "y", "unit", "time", "d")
    with pytest.raises(Exception):
        r.estimate = 0.0


def test_few_treated_clusters_warns_and_absorbed_regressor_errors():
    from toolkit.errors import DesignError

    od = pd.read_csv(DATA / "organ_donation.csv")
    od["Treated"] = ((od.State == "California") & od.Quarter.isin(["Q32011", "Q42011", "Q12012"])).astype(int)
    r = twfe(od, "Rate", "State", "Quarter", "Treated")
    assert any("Only 1 of the 27 clusters" in w for w in r.warnings)
    df = panel(seed=44)
    df["tiny"] = df["x"] * 1e-12  # a tiny-scale covariate is not mistaken for an absorbed one
    r2 = twfe(df, "y", "unit", "time", "d", covariates=["tiny"])
    assert np.isfinite(r2.tidy().set_index("term").loc["tiny", "se"])
    df["unit_level"] = df["unit"] * 0.5  # constant within unit: absorbed by the unit effects
    with pytest.raises(DesignError, match="unit_level"):
        twfe(df, "y", "unit", "time", "d", covariates=["unit_level"])


def test_mpdta_twfe():
    # Reference: pyfixest feols(lemp ~ d | countyreal + year, CRV1 by county) on mpdta (committed);
    # the widely quoted TWFE estimate for mpdta is -0.0365 (SE 0.0133).
    mp = pd.read_csv(DATA / "mpdta.csv")
    mp["d"] = ((mp["first.treat"] > 0) & (mp.year >= mp["first.treat"])).astype(int)
    r = twfe(mp, "lemp", "countyreal", "year", "d")
    ref = REFS["mpdta"]
    assert r.estimate == pytest.approx(ref["twfe_coef"], abs=1e-10)
    assert r.se == pytest.approx(ref["twfe_se"], rel=1e-8)
    assert round(r.estimate, 4) == -0.0365
