"""Simplex-constrained regularised least squares for the synthetic DiD weights (ω and λ).

Frank–Wolfe with exact line search, vectorised over a stack of problems (the point
estimate and every placebo panel at once).  See :mod:`toolkit.designs.sdid` for the
paper and the settings reproduced.
"""

from __future__ import annotations

import numpy as np

__all__: list[str] = []


def _frank_wolfe(A: np.ndarray, b: np.ndarray, eta: np.ndarray, x: np.ndarray, max_iter: int,
                 min_decrease: np.ndarray) -> np.ndarray:
    """Frank–Wolfe with exact line search for min_x ‖A x − b‖² + η‖x‖² over the simplex, for a stack of problems.

    ``A`` (B, n, k), ``b`` (B, n), ``eta`` and ``min_decrease`` (B,), start ``x`` (B, k).
    Each step moves towards the vertex with the smallest gradient coordinate, by the
    step that minimises the quadratic along that direction (clipped to [0, 1]); a
    problem stops after ``max_iter`` steps or when its objective divided by n falls by
    no more than ``min_decrease``² in a step.  Vectorised over the stack (placebos).
    """
    B, n, k = A.shape
    if B == 1:
        return _frank_wolfe_one(A[0], b[0], float(eta[0]), x[0], max_iter, float(min_decrease[0]))[None]
    G = np.einsum("bni,bnj->bij", A, A) + eta[:, None, None] * np.eye(k)  # ridge folded into the Gram matrix
    Ab = np.einsum("bni,bn->bi", A, b)
    bb = np.einsum("bn,bn->b", b, b)
    out = x.copy()
    x = x.copy()
    Gx = np.einsum("bij,bj->bi", G, x)
    xGx, xAb = np.einsum("bi,bi->b", x, Gx), np.einsum("bi,bi->b", x, Ab)
    val = (xGx - 2 * xAb + bb) / n
    tol = min_decrease**2
    ids = np.arange(B)  # the working arrays hold the problems still running
    for _ in range(max_iter):
        hg = Gx - Ab
        i = hg.argmin(axis=1)
        r = np.arange(ids.size)
        gd = hg[r, i] - (xGx - xAb)  # half-gradient along d = e_i − x
        denom = G[r, i, i] - 2 * Gx[r, i] + xGx  # d'Gd
        ok = denom > 0
        step = np.where(ok, np.clip(-gd / np.where(ok, denom, 1.0), 0.0, 1.0), 0.0)
        x *= (1 - step)[:, None]
        x[r, i] += step
        Gx = (1 - step)[:, None] * Gx + step[:, None] * G[r, :, i]
        xGx = np.einsum("bi,bi->b", x, Gx)
        xAb = (1 - step) * xAb + step * Ab[r, i]
        new = (xGx - 2 * xAb + bb) / n
        go_on = ok & (val - new > tol)
        val = new
        if not go_on.all():
            out[ids[~go_on]] = x[~go_on]
            ids, x, G, Gx, Ab, bb, xGx, xAb, val, tol = (a[go_on] for a in (ids, x, G, Gx, Ab, bb, xGx, xAb,
                                                                              val, tol))
            if ids.size == 0:
                return out
    out[ids] = x
    return out


def _frank_wolfe_one(A: np.ndarray, b: np.ndarray, eta: float, x: np.ndarray, max_iter: int,
                     min_decrease: float) -> np.ndarray:
    """:func:`_frank_wolfe` for a single problem (the same steps, with fewer array operations)."""
    n, k = A.shape
    G = A.T @ A + eta * np.eye(k)
    Ab = A.T @ b
    bb = float(b @ b)
    x = x.copy()
    Gx = G @ x
    xGx, xAb = float(x @ Gx), float(x @ Ab)
    val = (xGx - 2 * xAb + bb) / n
    tol = min_decrease**2
    diag = np.diag(G).tolist()
    for _ in range(max_iter):
        hg = Gx - Ab
        i = int(hg.argmin())
        gd = float(hg[i]) - (xGx - xAb)
        denom = diag[i] - 2 * float(Gx[i]) + xGx
        if denom <= 0:
            break
        step = min(max(-gd / denom, 0.0), 1.0)
        x *= 1 - step
        x[i] += step
        Gx *= 1 - step
        Gx += step * G[:, i]
        xGx = float(x @ Gx)
        xAb = (1 - step) * xAb + step * float(Ab[i])
        new = (xGx - 2 * xAb + bb) / n
        if val - new <= tol:
            break
        val = new
    return x


def _solve(X: np.ndarray, target: np.ndarray, zeta: np.ndarray, intercept: bool, sparsify: bool,
           min_decrease: np.ndarray) -> np.ndarray:
    """Simplex weights minimising ‖target − c − Xw‖² + ζ²·rows·‖w‖² (c free when ``intercept``), per problem.

    Frank–Wolfe from uniform weights: 100 steps, then (``sparsify``) weights at most a
    quarter of the largest set to zero and the rest rescaled, then Frank–Wolfe again to
    convergence (at most 10,000 steps) — the paper's computational procedure.
    """
    if intercept:
        X = X - X.mean(axis=1, keepdims=True)
        target = target - target.mean(axis=1, keepdims=True)
    B, n, k = X.shape
    eta = n * zeta**2
    x = np.full((B, k), 1.0 / k)
    if sparsify:
        x = _frank_wolfe(X, target, eta, x, 100, min_decrease)
        x = np.where(x <= x.max(axis=1, keepdims=True) / 4, 0.0, x)
        x = x / x.sum(axis=1, keepdims=True)
    return _frank_wolfe(X, target, eta, x, 10_000, min_decrease)
