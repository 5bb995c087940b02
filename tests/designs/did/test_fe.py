"""Fixed-effects core: demeaning, nestedness, fixest's K count, CRV1 algebra."""

import numpy as np
import pytest
import pandas as pd

from toolkit.designs.did._fe import FixedEffect, demean, fe_param_count, is_nested, ols_crv1

from .simdata import panel


def _fes(df):
    u = FixedEffect(pd.factorize(df.unit, sort=True)[0], df.unit.nunique())
    t = FixedEffect(pd.factorize(df.time, sort=True)[0], df.time.nunique())
    return u, t


def test_exact_balanced_within_equals_alternating_projections():
    # Reference: the closed-form two-way within transformation equals the limit of
    # alternating projections on a balanced panel (FWL); both computed here independently.
    df = panel(seed=3)
    u, t = _fes(df)
    X = df[["y", "d", "x"]].to_numpy()
    exact, it0 = demean(X, [u, t], balanced=True)
    iter_, it1 = demean(X, [u, t], balanced=False, tol=1e-13)
    assert it0 == 0 and it1 > 0
    np.testing.assert_allclose(exact, iter_, atol=1e-9)
    # demeaned columns have zero mean within every unit and every period
    for fe in (u, t):
        sums = np.bincount(fe.codes, weights=exact[:, 1], minlength=fe.n_levels)
        np.testing.assert_allclose(sums, 0, atol=1e-9)


def test_demeaning_equals_dummy_regression_residuals():
    # Reference: OLS on explicit unit and period dummies (numpy lstsq), unbalanced + weights.
    df = panel(n_units=30, n_periods=5, seed=4, drop_frac=0.2)
    u, t = _fes(df)
    w = df.w.to_numpy()
    D = np.column_stack([np.eye(u.n_levels)[u.codes], np.eye(t.n_levels)[t.codes][:, 1:]])
    sw = np.sqrt(w)
    beta, *_ = np.linalg.lstsq(D * sw[:, None], df.y.to_numpy() * sw, rcond=None)
    resid = df.y.to_numpy() - D @ beta
    got, _ = demean(df[["y"]].to_numpy(), [u, t], w, tol=1e-14)
    np.testing.assert_allclose(got[:, 0], resid, atol=1e-8)


def test_nested_and_k_count_follow_fixest_rule():
    # Reference: fixest ssc() documentation / pyfixest get_ssc: K_fe = sum(levels) - (n_fe - 1)
    # minus (levels - 1) for every fixed effect nested in the clusters.
    df = panel(n_units=40, n_periods=6, seed=5)
    u, t = _fes(df)
    unit_cl = u.codes
    state_cl = pd.factorize(df.state)[0]
    time_cl = t.codes
    assert is_nested(u, unit_cl) and is_nested(u, state_cl) and not is_nested(t, unit_cl)
    assert fe_param_count([u, t], unit_cl) == 6  # T
    assert fe_param_count([u, t], state_cl) == 6
    assert fe_param_count([u, t], time_cl) == 40  # U (time nested)
    obs_cl = np.arange(len(df))
    assert fe_param_count([u, t], obs_cl) == 40 + 6 - 1


def test_crv1_small_sample_factor():
    # Reference: CRV1 formula written out directly (sandwich with G/(G-1)(N-1)/(N-K)).
    rng = np.random.default_rng(0)
    n, G = 300, 25
    X = rng.normal(size=(n, 2))
    y = X @ [1.0, -2.0] + rng.normal(size=n)
    cl = rng.integers(0, G, n)
    fit = ols_crv1(X, y, cluster=cl, n_clusters=G, fe_params=3)
    e = y - X @ np.linalg.lstsq(X, y, rcond=None)[0]
    bread = np.linalg.inv(X.T @ X)
    S = np.array([X[cl == g].T @ e[cl == g] for g in range(G)])
    V = G / (G - 1) * (n - 1) / (n - 5) * bread @ S.T @ S @ bread
    np.testing.assert_allclose(fit.vcov, V, rtol=1e-10)
    assert fit.df_t == G - 1


def test_joint_rank_is_checked_not_each_regressor_alone():
    """Two regressors each varying after demeaning, but whose sum is absorbed: refused, naming both."""
    from toolkit.designs.did._fe import FixedEffect, fe_regression
    from toolkit.errors import DesignError

    rng = np.random.default_rng(0)
    n_u, n_t = 12, 6
    u = np.repeat(np.arange(n_u), n_t)
    t = np.tile(np.arange(n_t), n_u)
    a = rng.normal(size=u.size)
    X = np.column_stack([a, t * 1.0 - a])  # a + (t - a) = t: the period effects absorb the sum
    y = rng.normal(size=u.size)
    fes = [FixedEffect(u, n_u, "unit"), FixedEffect(t, n_t, "time")]
    with pytest.raises(DesignError, match="not identified") as err:
        fe_regression(y, X, fes, cluster=u, n_clusters=n_u, names=["a", "b"], collinear_fix="drop one")
    assert "a, b" in str(err.value) and "drop one" in str(err.value)
    fit = fe_regression(y, X[:, :1], fes, cluster=u, n_clusters=n_u, names=["a"])
    assert np.isfinite(fit.se).all()
