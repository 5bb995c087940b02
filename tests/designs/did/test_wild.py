"""Wild cluster bootstrap-t (toolkit.designs.did.wild) and the inference= option of the DiD designs."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.designs import did
from toolkit.designs.did import wild as W
from toolkit.designs.did._fe import FixedEffect
from toolkit.errors import DesignError

from .simdata import checksum, panel

DATA = Path(__file__).parent / "data"
REFS = json.loads((DATA / "wild_refs.json").read_text())


def _case(case):
    df = panel(**case["sim"])
    df["pcn"] = (df["unit"] - 1) % case["n_clusters"]
    return df


def _problem(df, covs, reps, kind="rademacher", seed=W.DEFAULT_SEED, weights=None):
    u, nu = pd.factorize(df["unit"])
    t, nt = pd.factorize(df["time"])
    c, nc = pd.factorize(df["pcn"])
    X = df[["d", *covs]].to_numpy(dtype=float)
    fes = [FixedEffect(u.astype(np.int64), len(nu)), FixedEffect(t.astype(np.int64), len(nt))]
    w = None if weights is None else df[weights].to_numpy(dtype=float)
    return W.wild_problem(df["y"].to_numpy(dtype=float), X, fes, cluster=c.astype(np.int64), n_clusters=len(nc),
                          weights=w, reps=reps, seed=seed, kind=kind)


@pytest.mark.parametrize("name", sorted(REFS["cases"]))
def test_p_values_match_committed_wildboottest_reference(name):
    # Reference: pyfixest 0.60 Feols.wildboottest() -> wildboottest 0.3.2 WildboottestCL (WCR, Rademacher,
    # bootstrap_type "11", one-hot fixed effects), produced by data/make_wild_refs.py -> wild_refs.json.
    case = REFS["cases"][name]
    df = _case(case)
    assert checksum(df) == pytest.approx(case["checksum"], abs=1e-6), "simulated panel changed"
    covs = ["x"] if "+ x" in case["fml"] else []
    prob = _problem(df, covs, case["reps"])
    names = ["d", *covs]
    for prm, ref in case["results"].items():
        a = np.eye(len(names))[names.index(prm)]
        res = prob.test(a, interval=False)
        assert res.estimate == pytest.approx(ref["coef"], abs=1e-8)
        if prob.enumerated:
            # every Rademacher vector: no simulation error; the all-(+1) and all-(-1) draws reproduce
            # |t| exactly, and wildboottest counts such float ties either way, hence at most 2/B apart
            assert res.reps == 2 ** case["n_clusters"]
            assert abs(res.p_value - ref["p_value"]) <= 2 / res.reps + 1e-12
        else:
            # random draws: within Monte-Carlo error of two independent runs
            mc = math.sqrt(2 * ref["p_value"] * (1 - ref["p_value"]) / case["reps"])
            assert abs(res.p_value - ref["p_value"]) <= 3 * mc


def test_p_values_match_live_wildboottest():
    # Reference: pyfixest + wildboottest run now (skipped where they are not installed).
    pf = pytest.importorskip("pyfixest")
    pytest.importorskip("wildboottest")
    case = REFS["cases"]["pcn12_covariate_enumerated"]
    df = _case(case)
    m = pf.feols(case["fml"], df, vcov={"CRV1": "pcn"})
    b = m.wildboottest(param="x", reps=9999, weights_type="rademacher", impose_null=True, bootstrap_type="11",
                       seed=1, parallel=False)
    res = _problem(df, ["x"], 9999).test([0.0, 1.0], interval=False)
    assert abs(res.p_value - float(b["Pr(>|t|)"])) <= 2 / res.reps + 1e-12


def _few_cluster_panel(rng, G=8, per=5, T=10, start=6, n_treated=4, beta=1.0):
    """Clustered panel: cluster x period shocks of cluster-specific size, half the clusters treated."""
    n_u = G * per
    u = np.repeat(np.arange(n_u), T)
    t = np.tile(np.arange(T), n_u)
    cl = u // per
    d = ((cl < n_treated) & (t >= start)).astype(float)
    shocks = rng.normal(0, 1, (G, T)) * rng.uniform(0.5, 2, G)[:, None]
    y = rng.normal(0, 1, n_u)[u] + 0.3 * t + shocks[cl, t] + rng.normal(0, 1, u.size) + beta * d
    return y, d, [FixedEffect(u, n_u), FixedEffect(t, T)], cl, G


def test_coverage_with_eight_clusters():
    # Seeded simulation, known truth beta = 1: 400 panels of 8 clusters (4 treated) with correlated
    # cluster-period shocks; the wild bootstrap (Webb weights, 999 draws) should reject the true value
    # in about 5% of samples: MC standard error sqrt(.05 * .95 / 400) = 0.011, band +-3 MC SE.
    rng = np.random.default_rng(7)
    n, rejected = 400, 0
    for s in range(n):
        y, d, fes, cl, G = _few_cluster_panel(rng)
        prob = W.wild_problem(y, d, fes, cluster=cl, n_clusters=G, balanced=True, reps=999, seed=s)
        assert prob.kind == "webb" and not prob.enumerated
        rejected += prob.test([1.0], null=1.0, interval=False).p_value < 0.05
    rate = rejected / n
    assert abs(rate - 0.05) <= 3 * math.sqrt(0.05 * 0.95 / n), rate


def test_interval_is_the_inverted_test():
    rng = np.random.default_rng(3)
    y, d, fes, cl, G = _few_cluster_panel(rng)
    prob = W.wild_problem(y, d, fes, cluster=cl, n_clusters=G, balanced=True, reps=1999, seed=5)
    res = prob.test([1.0], level=0.95)
    assert res.ci_low < res.estimate < res.ci_high
    eps = 1e-4 * (res.ci_high - res.ci_low)
    for end, inside in ((res.ci_low, res.ci_low + eps), (res.ci_high, res.ci_high - eps)):
        assert prob.test([1.0], null=inside, interval=False).p_value > 0.05
        outside = end - eps if end == res.ci_low else end + eps
        assert prob.test([1.0], null=outside, interval=False).p_value <= 0.05


def test_weights_equal_replicated_rows():
    # Integer weights are frequency weights: WLS equals OLS on rows repeated w times (same clusters),
    # so the bootstrap (same seed, same number of clusters) gives the same p-value and interval.
    df = panel(n_units=40, n_periods=6, seed=44, cohorts=(0, 4), effect=0.4)
    df["pcn"] = (df["unit"] - 1) % 9
    df["fw"] = (df["unit"] % 3) + 1
    a = _problem(df, [], 2999, kind="webb", seed=2, weights="fw").test([1.0])
    rep = df.loc[df.index.repeat(df["fw"])].reset_index(drop=True)
    b = _problem(rep, [], 2999, kind="webb", seed=2).test([1.0])
    assert a.estimate == pytest.approx(b.estimate, abs=1e-10)
    assert a.p_value == b.p_value
    assert a.ci_low == pytest.approx(b.ci_low, abs=1e-6)
    assert a.ci_high == pytest.approx(b.ci_high, abs=1e-6)


def test_weight_distribution_choice_and_enumeration():
    V, kind, enum = W.cluster_weights(8, 999, seed=1)
    assert kind == "webb" and not enum and V.shape == (8, 999)
    assert set(np.round(np.unique(V) ** 2, 12)) == {0.5, 1.0, 1.5}
    V, kind, enum = W.cluster_weights(12, 9999, seed=1)
    assert kind == "rademacher" and enum and V.shape == (12, 4096)
    assert len({tuple(c) for c in V.T}) == 4096
    V, kind, enum = W.cluster_weights(4, 9999, seed=None)
    assert kind == "webb" and enum and V.shape == (4, 6 ** 4)
    V1, *_ = W.cluster_weights(20, 999, seed=3)
    V2, *_ = W.cluster_weights(20, 999, seed=3)
    assert np.array_equal(V1, V2)


def _pcn_panel():
    df = panel(n_units=80, n_periods=8, seed=3, cohorts=(0, 5))
    df["pcn"] = df["unit"] % 8
    return df


def test_twfe_wild_headline_and_warning():
    df = _pcn_panel()
    crv = did.twfe(df, "y", "unit", "time", "d", cluster="pcn")
    r = did.twfe(df, "y", "unit", "time", "d", cluster="pcn", inference="wild", reps=1999)
    assert r.estimate == crv.estimate and r.se == crv.se
    assert r.ci_low < r.estimate < r.ci_high
    assert (r.ci_low, r.ci_high, r.p_value) != (crv.ci_low, crv.ci_high, crv.p_value)
    assert r.extra["crv1"]["p_value"] == crv.p_value
    assert r.extra["wild"]["weights"] == "webb"
    assert "wild cluster bootstrap" in r.method
    assert any(w.startswith("Few clusters") for w in r.warnings)
    again = did.twfe(df, "y", "unit", "time", "d", cluster="pcn", inference="wild", reps=1999)
    assert (again.ci_low, again.p_value) == (r.ci_low, r.p_value)  # seeded


def test_auto_bootstraps_only_with_few_clusters():
    df = panel(n_units=200, n_periods=6, seed=5, cohorts=(0, 4))
    many = did.twfe(df, "y", "unit", "time", "d", inference="auto")
    assert many.p_value == did.twfe(df, "y", "unit", "time", "d").p_value
    assert "wild" not in many.extra
    few = did.twfe(df.assign(pcn=df.unit % 9), "y", "unit", "time", "d", cluster="pcn", inference="auto")
    assert "wild" in few.extra


def test_event_study_and_equity_wild():
    df = _pcn_panel()
    crv = did.event_study(df, "y", "unit", "time", "first_treated", cluster="pcn")
    r = did.event_study(df, "y", "unit", "time", "first_treated", cluster="pcn", inference="wild", reps=999)
    assert r.estimate == pytest.approx(crv.estimate, abs=1e-12)
    est = r.table[r.table["period"] != "reference"]
    assert (est["ci_low"] < est["estimate"]).all() and (est["estimate"] < est["ci_high"]).all()
    assert est["p_value_crv1"].notna().all()
    eq = did.equity(df, "y", "unit", "time", "q", treatment="d", cluster="pcn", inference="wild", reps=999)
    gap = eq.table.iloc[-1]
    assert gap["p_value_crv1"] != gap["p_value"]
    assert eq.ci_low < eq.estimate < eq.ci_high
    assert "wild cluster bootstrap" in eq.method


def test_bad_options():
    df = _pcn_panel()
    with pytest.raises(DesignError, match="inference"):
        did.twfe(df, "y", "unit", "time", "d", inference="bootstrap")
    with pytest.raises(DesignError, match="reps"):
        did.twfe(df, "y", "unit", "time", "d", inference="wild", reps=10)
