"""RD across groups: the tests across groups use the robust bias-corrected estimates (issue 11)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.designs import rd


def _sim(rng, n, jump):
    x = rng.uniform(-1, 1, n)
    y = 1 + 0.5 * x - 0.3 * x**2 + jump * (x >= 0) + rng.normal(0, 0.5, n)
    return pd.DataFrame({"x": x, "y": y})


def test_fit_by_tests_use_robust_bias_corrected_estimates_and_level():
    rng = np.random.default_rng(21)
    df = pd.concat([_sim(rng, 1200, float(4 - g)).assign(q=g) for g in (1, 2, 4)])  # quintile 3 absent
    tab = rd.fit_by(df, "y", "x", 0.0, by="q", level=0.9).set_index("term")
    # reference by hand: each group's own rdrobust fit, its "robust" row (bias-corrected coef, robust SE)
    fits = {g: rd.fit(df[df["q"] == g], "y", "x", 0.0, level=0.9, sensitivity=None, density_test=False)
            for g in (1, 2, 4)}
    rob = {g: f.table.set_index("term").loc["robust"] for g, f in fits.items()}
    w = np.array([1 / rob[g]["se"] ** 2 for g in (1, 2, 4)])
    th = np.array([rob[g]["estimate"] for g in (1, 2, 4)])
    r = np.array([1.0, 2.0, 4.0])  # ranked by the quintile's number, not its row
    rbar, tbar = w @ r / w.sum(), w @ th / w.sum()
    slope = np.sum(w * (r - rbar) * (th - tbar)) / np.sum(w * (r - rbar) ** 2)
    se = 1 / np.sqrt(np.sum(w * (r - rbar) ** 2))
    grad = tab.loc["gradient"]
    assert grad["estimate"] == pytest.approx(slope, rel=1e-10) and grad["se"] == pytest.approx(se, rel=1e-10)
    assert grad["ci_high"] == pytest.approx(slope + stats.norm.ppf(0.95) * se, rel=1e-10)
    assert tab.loc["difference_across_groups", "estimate"] == pytest.approx(np.sum(w * (th - tbar) ** 2), rel=1e-10)
    # the conventional estimates differ from the bias-corrected ones, so this is not the old behaviour
    assert "group" in tab.columns and "q" not in tab.columns  # by-group variants say `group`
    conv = tab.loc["rd_effect"].set_index("group")["estimate"].astype(float)
    assert not np.allclose(conv.to_numpy(), th)
    assert grad["estimate"] == pytest.approx(-1.0, abs=0.3)
