"""Two-period panel DiD with covariates: doubly robust, IPW and outcome-regression estimators.

Written here from Sant'Anna & Zhao (2020), "Doubly robust
difference-in-differences estimators", *Journal of Econometrics* 219(1),
101-122 (the R package ``DRDID`` is GPL, so none of its code is used): the
locally efficient doubly robust estimator (their eq. 3.1 with a logit
propensity score and a linear outcome regression for the comparison group's
change), the standardized (Hájek) inverse-probability-weighted estimator of
Abadie (2005) and the outcome-regression estimator of Heckman, Ichimura &
Todd (1997), each with its influence function including the estimation
effect of the nuisance models.  These are the estimators R's ``did::att_gt``
applies to every group-time cell (``est_method = "dr" | "ipw" | "reg"``).

Every function takes the change in outcome ``dy``, the treated indicator
``D`` (1 = cohort, 0 = comparison), covariates ``X`` (no intercept column;
one is added) and unit weights, and returns ``(att, psi)`` with ``psi`` the
influence function over these units, so that :math:`SE = \\sqrt{\\sum\\psi^2}/n`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ESTIMATORS", "METHODS", "dr_panel", "ipw_panel", "reg_panel", "logit"]

METHODS = ("dr", "ipw", "reg")

#: Comparison units with a propensity score at or above this are left out (as ``DRDID``'s ``trim.level``).
TRIM_LEVEL = 0.995


def _design(X: np.ndarray) -> np.ndarray:
    X = np.asarray(X, dtype=float).reshape(len(X), -1)
    return np.column_stack([np.ones(len(X)), X])


def logit(X: np.ndarray, D: np.ndarray, v: np.ndarray, *, tol: float = 1e-12, max_iter: int = 100):
    """Weighted logistic regression by Newton–Raphson.

    Returns fitted probabilities and :math:`(X' \\mathrm{diag}(v p (1-p)) X)^{-1}`
    (the inverse information, ``vcov`` of R's ``glm``).
    """
    beta = np.zeros(X.shape[1])
    dev_old = np.inf
    for _ in range(max_iter):
        eta = X @ beta
        p = 1.0 / (1.0 + np.exp(-eta))
        W = v * p * (1 - p)
        H = (X * W[:, None]).T @ X
        step = np.linalg.solve(H, X.T @ (v * (D - p)))
        beta = beta + step
        with np.errstate(divide="ignore", invalid="ignore"):
            pn = 1.0 / (1.0 + np.exp(-(X @ beta)))
            dev = -2 * np.sum(v * (D * np.log(pn) + (1 - D) * np.log1p(-pn)))
        if abs(dev - dev_old) / (abs(dev) + 0.1) < tol:
            break
        dev_old = dev
    p = 1.0 / (1.0 + np.exp(-(X @ beta)))
    W = v * p * (1 - p)
    H = (X * W[:, None]).T @ X
    return p, np.linalg.inv(H)


def _ols_control(dy, D, X, v):
    """Weighted OLS of ``dy`` on ``X`` among comparison units; fitted values for all and the linear representation."""
    n = len(dy)
    wc = v * (1 - D)
    XtWX = (X * wc[:, None]).T @ X
    beta = np.linalg.solve(XtWX, (X * wc[:, None]).T @ dy)
    fit = X @ beta
    lin = (wc * (dy - fit))[:, None] * X @ np.linalg.inv(XtWX / n)
    return fit, lin


def _prep(dy, D, X, w):
    dy = np.asarray(dy, dtype=float)
    D = np.asarray(D, dtype=float)
    v = np.asarray(w, dtype=float)
    v = v / v.mean()
    return dy, D, _design(X), v


def _pscore(X, D, v):
    p, Hinv = logit(X, D, v)
    p = np.minimum(p, 1 - 1e-6)
    keep = np.ones(len(D), dtype=float)
    keep[D == 0] = (p[D == 0] < TRIM_LEVEL).astype(float)
    lin = (v * (D - p))[:, None] * X @ (Hinv * len(D))
    return p, keep, lin


def dr_panel(dy, D, X, w) -> tuple[float, np.ndarray]:
    """Locally efficient doubly robust DiD (Sant'Anna & Zhao 2020, panel data).

    Notes
    -----
    With propensity score :math:`\\hat p(X)` (logit) and the comparison
    group's fitted change :math:`\\hat m(X)` (linear regression),
    :math:`w_1 = vD`, :math:`w_0 = v \\hat p (1-D)/(1-\\hat p)` and
    :math:`ATT = \\frac{\\sum w_1 (\\Delta Y - \\hat m)}{\\sum w_1}
    - \\frac{\\sum w_0 (\\Delta Y - \\hat m)}{\\sum w_0}`.  The influence function
    adds to the plug-in terms the linear representations of the logit and
    OLS estimates times the derivatives of the ATT with respect to them
    (Sant'Anna & Zhao 2020, Theorem 3.1).
    """
    dy, D, X, v = _prep(dy, D, X, w)
    p, keep, lin_ps = _pscore(X, D, v)
    m, lin_ols = _ols_control(dy, D, X, v)
    w1 = keep * v * D
    w0 = keep * v * p * (1 - D) / (1 - p)
    r = dy - m
    eta1 = np.mean(w1 * r) / np.mean(w1)
    eta0 = np.mean(w0 * r) / np.mean(w0)
    inf1 = (w1 * r - w1 * eta1 - lin_ols @ np.mean(w1[:, None] * X, axis=0)) / np.mean(w1)
    inf0 = (w0 * r - w0 * eta0
            + lin_ps @ np.mean((w0 * (r - eta0))[:, None] * X, axis=0)
            - lin_ols @ np.mean(w0[:, None] * X, axis=0)) / np.mean(w0)
    return float(eta1 - eta0), inf1 - inf0


def ipw_panel(dy, D, X, w) -> tuple[float, np.ndarray]:
    """Standardized inverse-probability-weighted DiD (Abadie 2005; Sant'Anna & Zhao 2020, eq. 2.4 normalised).

    Notes
    -----
    :math:`ATT = \\frac{\\sum w_1 \\Delta Y}{\\sum w_1} - \\frac{\\sum w_0 \\Delta Y}{\\sum w_0}`
    with the weights of :func:`dr_panel`; the influence function includes
    the logit's estimation effect.
    """
    dy, D, X, v = _prep(dy, D, X, w)
    p, keep, lin_ps = _pscore(X, D, v)
    w1 = keep * v * D
    w0 = keep * v * p * (1 - D) / (1 - p)
    eta1 = np.mean(w1 * dy) / np.mean(w1)
    eta0 = np.mean(w0 * dy) / np.mean(w0)
    inf1 = (w1 * dy - w1 * eta1) / np.mean(w1)
    inf0 = (w0 * dy - w0 * eta0 + lin_ps @ np.mean((w0 * (dy - eta0))[:, None] * X, axis=0)) / np.mean(w0)
    return float(eta1 - eta0), inf1 - inf0


def reg_panel(dy, D, X, w) -> tuple[float, np.ndarray]:
    """Outcome-regression DiD (Heckman, Ichimura & Todd 1997): treated change minus its predicted comparison change.

    Notes
    -----
    :math:`ATT = \\frac{\\sum vD (\\Delta Y - \\hat m(X))}{\\sum vD}`; the
    influence function includes the OLS estimation effect.
    """
    dy, D, X, v = _prep(dy, D, X, w)
    m, lin_ols = _ols_control(dy, D, X, v)
    w1 = v * D
    eta1 = np.mean(w1 * dy) / np.mean(w1)
    eta0 = np.mean(w1 * m) / np.mean(w1)
    inf1 = (w1 * dy - w1 * eta1) / np.mean(w1)
    inf0 = (w1 * m - w1 * eta0 + lin_ols @ np.mean(w1[:, None] * X, axis=0)) / np.mean(w1)
    return float(eta1 - eta0), inf1 - inf0


ESTIMATORS = {"dr": dr_panel, "ipw": ipw_panel, "reg": reg_panel}

