"""honest(): Rambachan & Roth smoothness FLCIs against the HonestDiD README (Medicaid example)."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from toolkit.designs import did
from toolkit.designs.did.honest import max_bias_sd
from toolkit.errors import DesignError

DATA = Path(__file__).parent / "data"

# Published output of HonestDiD::createSensitivityResults(betahat, sigma, numPrePeriods = 5, numPostPeriods = 2,
# Mvec = seq(0, 0.05, by = 0.01)) in the README of asheshrambachan/HonestDiD (commit 02b541bb), for
# feols(dins ~ i(year, D, ref = 2013) | stfips + year, cluster = "stfips") on the Medicaid data; printed to
# three significant figures, so the tolerance is 1e-4 or half a unit of the last printed digit if larger.
README_SD = [(0.00, 0.0259, 0.0607), (0.01, 0.0132, 0.0787), (0.02, 0.00286, 0.0907),
             (0.03, -0.00714, 0.101), (0.04, -0.0171, 0.111), (0.05, -0.0271, 0.121)]


@pytest.fixture(scope="module")
def medicaid():
    wide = pd.read_csv(DATA / "ehec_2008_2015.csv")
    long = wide.melt(id_vars=["stfips", "yexp2"], var_name="year", value_name="dins")
    long["year"] = long["year"].str[1:].astype(int)
    long["g"] = np.where(long["yexp2"] == 2014, 2014, 0)
    es = did.event_study(long, "dins", "stfips", "year", "g")  # = the README's feols (fixest CRV1)
    return es, did.honest(es, m=[r[0] for r in README_SD])


def test_smoothness_table_matches_published_honestdid(medicaid):
    _, h = medicaid
    tab = h.table.set_index("M")
    def tol(printed):
        return max(1e-4, 0.5 * 10 ** (np.floor(np.log10(abs(printed))) - 2))

    for M, lo, hi in README_SD:
        assert tab.loc[M, "ci_low"] == pytest.approx(lo, abs=tol(lo)), M
        assert tab.loc[M, "ci_high"] == pytest.approx(hi, abs=tol(hi)), M


def test_breakdown_value_and_sentence(medicaid):
    es, h = medicaid
    # README: "the breakdown value for a significant effect is M ~ 0.03" (the first grid value whose
    # interval includes zero); the exact value lies between 0.02 and 0.03.
    assert 0.02 < h.breakdown < 0.03
    lo, _, _ = did.honest(es, m=[h.breakdown]).table.iloc[0][["ci_low", "ci_high", "M"]]
    assert abs(lo) < 1e-5
    assert "stays positive unless" in h.sentence and f"{h.breakdown:.3g}" in h.sentence
    # the original interval is the normal interval of the on-impact coefficient
    row = es.table.set_index("event_time").loc[0.0]
    assert h.original[0] == pytest.approx(row["estimate"] - 1.959963985 * row["se"], abs=1e-9)


def test_worst_case_bias_equals_linear_programme():
    # Independent check of the closed form: maximise w'delta_pre + l'delta_post over |second differences| <= M,
    # delta at the reference = 0, by scipy's LP solver.
    rng = np.random.default_rng(3)
    n_pre, n_post, M = 4, 3, 0.7
    s_pre, s_post = np.arange(-n_pre, 0.0), np.arange(1, n_post + 1.0)
    for _ in range(5):
        l_vec = rng.normal(size=n_post)
        w = rng.normal(size=n_pre)
        w -= (w @ s_pre + l_vec @ s_post) / (s_pre @ s_pre) * s_pre  # unbiased for linear trends
        n = n_pre + n_post + 1
        f = np.concatenate([w, [0.0], l_vec])
        D = np.zeros((n - 2, n))
        for i in range(n - 2):
            D[i, i:i + 3] = (1, -2, 1)
        A_eq = np.zeros((1, n))
        A_eq[0, n_pre] = 1
        lp = linprog(-f, A_ub=np.vstack([D, -D]), b_ub=np.full(2 * (n - 2), M), A_eq=A_eq, b_eq=[0],
                     bounds=[(None, None)] * n)
        assert -lp.fun == pytest.approx(max_bias_sd(w, l_vec, M), rel=1e-8)
    assert max_bias_sd(np.ones(n_pre), np.ones(n_post), M) == float("inf")


def test_options(medicaid):
    es, _ = medicaid
    avg = did.honest(es, m=[0.0], target="average")
    post = es.table[es.table["period"] == "post"]["estimate"].mean()
    assert avg.estimate == pytest.approx(post, abs=1e-12)
    with pytest.raises(DesignError, match="relative_magnitudes' or 'smoothness"):
        did.honest(es, method="bounds")
    with pytest.raises(DesignError, match="target"):
        did.honest(es, target=5)


def test_direct_inputs_and_unsuitable_results(medicaid):
    es, h = medicaid
    tab = es.table[es.table["period"] != "reference"]
    V = es.extra["vcov"].loc[tab["term"], tab["term"]].to_numpy()
    direct = did.honest(None, beta=tab["estimate"].to_numpy(), sigma=V, n_pre=5, m=[0.02])
    assert direct.table["ci_low"].iloc[0] == pytest.approx(h.table.set_index("M").loc[0.02, "ci_low"], abs=1e-9)
    # a Callaway & Sant'Anna dynamic aggregate with the varying base period has an estimate at event time -1
    from toolkit.errors import DesignError

    from .simdata import panel

    cs = did.staggered(panel(n_units=120, n_periods=6, seed=5, cohorts=(0, 4)), "y", "unit", "time",
                       "first_treated").aggregate("dynamic")
    with pytest.raises(DesignError):
        did.honest(cs)
