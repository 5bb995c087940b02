"""Weights on the probability simplex: min ‖a − Bw‖² subject to w ≥ 0, Σw = 1."""

from __future__ import annotations

import numpy as np
from scipy.optimize import minimize, nnls

__all__ = ["simplex_weights"]


def simplex_weights(target: np.ndarray, donors: np.ndarray) -> np.ndarray:
    """Weights w ≥ 0, Σw = 1 minimising ‖target − donors·w‖².

    Parameters
    ----------
    target : (k,) array
        The treated unit's matching variables.
    donors : (k, J) array
        The donors' matching variables, one column per donor.

    Returns
    -------
    (J,) array of weights.

    Notes
    -----
    A convex quadratic programme on the probability simplex.  Step 1: scipy's
    Lawson–Hanson NNLS on the system augmented with a heavily weighted row
    ρ·(Σw − 1) (ρ = 10³·‖B‖) finds the support.  Step 2: the equality-constrained
    least-squares problem on that support is solved exactly from its KKT system
    [2BᵀB 1; 1ᵀ 0][w; λ] = [2Bᵀa; 1].  If the result is not feasible or violates
    the optimality conditions (gradient 2Bᵀ(Bw − a) no smaller off the support
    than on it), scipy's SLSQP polishes it.  The tests check the KKT conditions.
    Written here because no well-kept library in our dependencies solves this
    small simplex-constrained QP directly (cvxpy/quadprog would add heavy
    dependencies); it is assembled from scipy's NNLS, a linear solve and SLSQP.
    When the treated unit lies inside the donors' convex hull the weights need not
    be unique (the fit is).
    """
    a = np.asarray(target, float)
    B = np.asarray(donors, float)
    J = B.shape[1]
    if J == 1:
        return np.ones(1)
    scale = np.linalg.norm(B) or 1.0
    a_s, B_s = a / scale, B / scale
    rho = 1e3
    w, _ = nnls(np.vstack([B_s, rho * np.ones((1, J))]), np.append(a_s, rho), maxiter=50 * J)
    support = np.flatnonzero(w > 1e-12)
    if support.size:
        Bs = B_s[:, support]
        k = support.size
        K = np.zeros((k + 1, k + 1))
        K[:k, :k] = 2 * Bs.T @ Bs
        K[:k, k] = K[k, :k] = 1.0
        rhs = np.append(2 * Bs.T @ a_s, 1.0)
        sol = np.linalg.lstsq(K, rhs, rcond=None)[0]
        w = np.zeros(J)
        w[support] = sol[:k]
    grad = 2 * B_s.T @ (B_s @ w - a_s)
    ok = (support.size > 0 and np.all(w >= -1e-12) and abs(w.sum() - 1) < 1e-9
          and np.all(grad >= grad[support].max() - 1e-9 * max(1.0, np.abs(grad).max())))
    if not ok:
        BtB, Bta = B_s.T @ B_s, B_s.T @ a_s
        x0 = np.clip(w, 0, None)
        x0 = x0 / x0.sum() if x0.sum() > 0 else np.full(J, 1 / J)
        res = minimize(lambda v: float(v @ BtB @ v - 2 * v @ Bta), x0, jac=lambda v: 2 * (BtB @ v - Bta),
                       method="SLSQP", bounds=[(0.0, 1.0)] * J,
                       constraints=[{"type": "eq", "fun": lambda v: v.sum() - 1, "jac": lambda v: np.ones(J)}],
                       options={"ftol": 1e-15, "maxiter": 500})
        w = res.x
    w = np.clip(w, 0, None)
    w[w < 1e-10] = 0.0
    return w / w.sum()
