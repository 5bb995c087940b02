"""honest(method="relative_magnitudes"): Rambachan & Roth's Delta^RM against the HonestDiD README (Medicaid example)."""

from itertools import islice
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.errors import DesignError
from toolkit.designs import did
from toolkit.designs.did._arp import MomentTest
from toolkit.designs.did.honest_rm import _pieces, rm_constraints, rm_contains

DATA = Path(__file__).parent / "data"

# Published output of HonestDiD::createSensitivityResults_relativeMagnitudes(betahat, sigma, numPrePeriods = 5,
# numPostPeriods = 2, Mbarvec = seq(0.5, 2, by = 0.5)) -- default method "C-LF", target the first post-period
# effect -- in the README of asheshrambachan/HonestDiD (commit 02b541bb42b5d98d11e7803cd1caa0a0506434de, section
# "Sensitivity analysis using relative magnitudes restrictions"), for feols(dins ~ i(year, D, ref = 2013) | stfips +
# year, cluster = "stfips") on the Medicaid data (data/ehec_2008_2015.csv; betahat and sigma are reproduced by
# did.event_study, see test_honest.py).  R reports the least and largest accepted points of a grid of 1,000 values
# on [-20 sd, 20 sd] (sd: the standard error of the target; HonestDiD's default grid, deltarm.R), printed to three
# significant figures.
README_RM = [(0.5, 0.0240, 0.0672), (1.0, 0.0170, 0.0720), (1.5, 0.00824, 0.0797), (2.0, -0.000916, 0.0881)]


def _printed_tol(printed):
    return 0.5 * 10 ** (np.floor(np.log10(abs(printed))) - 2)


@pytest.fixture(scope="module")
def medicaid():
    wide = pd.read_csv(DATA / "ehec_2008_2015.csv")
    long = wide.melt(id_vars=["stfips", "yexp2"], var_name="year", value_name="dins")
    long["year"] = long["year"].str[1:].astype(int)
    long["g"] = np.where(long["yexp2"] == 2014, 2014, 0)
    es = did.event_study(long, "dins", "stfips", "year", "g")
    return es, did.honest(es, mbar=[r[0] for r in README_RM])


def test_rm_intervals_match_published_honestdid(medicaid):
    es, h = medicaid
    assert h.restriction == "relative_magnitudes" and (h.table["method"] == "C-LF").all()
    tab = h.table.set_index("Mbar")
    sd = es.table.set_index("event_time").loc[0.0, "se"]
    grid = np.linspace(-20 * sd, 20 * sd, 1000)
    step = grid[1] - grid[0]  # 0.00037
    for mbar, lo, hi in README_RM:
        ours_lo, ours_hi = tab.loc[mbar, "ci_low"], tab.loc[mbar, "ci_high"]
        # R's ends are grid points inside ours: within one grid step (and the printing) of the exact ends ...
        assert ours_lo - _printed_tol(lo) <= lo <= ours_lo + step + _printed_tol(lo), mbar
        assert ours_hi - step - _printed_tol(hi) <= hi <= ours_hi + _printed_tol(hi), mbar
        # ... and read off R's grid, ours print as R's, digit for digit
        assert grid[grid >= ours_lo].min() == pytest.approx(lo, abs=_printed_tol(lo)), mbar
        assert grid[grid <= ours_hi].max() == pytest.approx(hi, abs=_printed_tol(hi)), mbar


def test_rm_breakdown_and_sentence(medicaid):
    es, h = medicaid
    # README: "the 'breakdown value' for a significant effect is Mbar = 2" (first grid value whose interval
    # includes zero); the exact value lies between 1.5 and 2.
    assert 1.5 < h.breakdown <= 2.0
    below = did.honest(es, mbar=[h.breakdown * 0.995]).table.iloc[0]
    above = did.honest(es, mbar=[h.breakdown * 1.005]).table.iloc[0]
    assert below["ci_low"] > 0 and above["ci_low"] <= 0
    assert f"stays positive unless the post-period trend violation exceeds {h.breakdown:.3g}\u00d7 the largest " \
           "pre-period one" in h.sentence
    # the original interval is still the normal interval of the on-impact coefficient
    row = es.table.set_index("event_time").loc[0.0]
    assert h.original[1] == pytest.approx(row["estimate"] + 1.959963985 * row["se"], abs=1e-9)


def test_rm_average_target_and_options(medicaid):
    es, _ = medicaid
    avg = did.honest(es, mbar=[0.0, 1.0], target="average")
    lo0, hi0 = avg.table.iloc[0][["ci_low", "ci_high"]]
    lo1, hi1 = avg.table.iloc[1][["ci_low", "ci_high"]]
    assert lo1 < lo0 < avg.estimate < hi0 < hi1  # a larger Mbar widens the set around the estimate
    # one pre- and one post-adoption coefficient (no nuisance parameter); HonestDiD's default grid of Mbar
    small = did.honest(None, beta=[0.01, 0.3], sigma=[[0.01, 0.002], [0.002, 0.01]], n_pre=1,
                       method="relative_magnitudes")
    assert small.table["Mbar"].tolist() == [0.0, 0.5, 1.0, 1.5, 2.0]
    assert (small.table["ci_low"].diff().dropna() <= 1e-9).all() and small.table["ci_low"].iloc[0] > 0
    assert 1.0 < small.breakdown < 1.5 and "stays positive unless" in small.sentence
    with pytest.raises(DesignError, match="mbar="):
        did.honest(es, method="smoothness", mbar=[1.0])
    with pytest.raises(DesignError, match="non-negative"):
        did.honest(es, mbar=[-1.0])


def test_constraint_matrix_describes_delta_rm():
    # Delta^RM_{s,+}(Mbar): every |first difference| before adoption <= the s-th one, and after adoption <= Mbar
    # times it; check A delta <= 0 against the definition on random delta (reference delta_{-1} = 0).
    rng = np.random.default_rng(11)
    n_pre, n_post, mbar = 3, 2, 1.5
    for s in range(n_pre):
        for positive in (True, False):
            A, post = rm_constraints(n_pre, n_post, mbar, s, positive)
            assert post.sum() == 2 * n_post
            for _ in range(200):
                d = rng.normal(size=n_pre + n_post)
                full = np.insert(d, n_pre, 0.0)
                diffs = np.diff(full)
                top = diffs[s] if positive else -diffs[s]
                inside = (np.abs(diffs[:n_pre]) <= top).all() and (np.abs(diffs[n_pre:]) <= mbar * top).all()
                assert inside == (A @ d <= 1e-12).all()


def test_arp_vertices_and_linear_programmes_agree(medicaid):
    es, _ = medicaid
    tab = es.table[es.table["period"] != "reference"]
    beta = tab["estimate"].to_numpy()
    sigma = es.extra["vcov"].loc[tab["term"], tab["term"]].to_numpy()
    kw = dict(beta=beta, sigma=sigma, n_pre=5, l_vec=np.array([1.0, 0.0]), mbar=1.0, alpha=0.05, sims=200,
              seed=4)
    fast = list(islice(_pieces(use_vertices=True, **kw), 3))
    slow = list(islice(_pieces(use_vertices=False, **kw), 3))
    assert fast[0].V is not None and slow[0].V is None
    thetas = np.linspace(-0.02, 0.12, 29)
    for f, s in zip(fast, slow):
        assert f.c_lf == pytest.approx(s.c_lf, rel=1e-6)
        assert f.lf_interval() == pytest.approx(s.lf_interval(), rel=1e-6)
        assert [f.rejects(t) for t in thetas] == [s.rejects(t) for t in thetas]


def test_arp_single_moment_is_one_sided_z_test():
    # One moment, no nuisance, no first stage: reject iff y / sd > z_{1 - alpha}.
    t = MomentTest([0.0], [-1.0], np.zeros((1, 0)), [[4.0]], alpha=0.05, kappa=0.0)
    z = stats.norm.ppf(0.95)
    assert t.rejects(2 * z * 1.001) and not t.rejects(2 * z * 0.999)


def test_rm_coverage_under_parallel_trends_is_nominal(medicaid):
    # Exactly parallel trends (delta = 0 lies in Delta^RM(0)) and Mbar = 0: the 95% set covers the true effect
    # about 95% of the time (at least, up to simulation error).  400 seeded draws: Monte-Carlo sd ~ 0.011.
    es, _ = medicaid
    tab = es.table[es.table["period"] != "reference"]
    sigma = es.extra["vcov"].loc[tab["term"], tab["term"]].to_numpy()
    truth = np.array([0, 0, 0, 0, 0, 0.05, 0.07])
    rng = np.random.default_rng(20261128)
    draws = rng.multivariate_normal(truth, sigma, size=400)
    cover = np.mean([rm_contains(b, sigma, 5, np.array([1.0, 0.0]), 0.0, 0.05, sims=2000) for b in draws])
    assert 0.93 <= cover <= 0.995
