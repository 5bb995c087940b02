"""The importance weights V of a synthetic control's matching variables (Abadie, Diamond & Hainmueller 2010).

``v="equal"`` weighs every matching row alike; ``v="optimise"`` chooses the
diagonal of V so that the resulting synthetic control best reproduces the treated
unit's pre-scheme outcomes (the nested optimisation of ADH 2010); a sequence or a
mapping gives V directly.
"""

from __future__ import annotations

from typing import Any, Callable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.optimize import minimize

from toolkit.designs._simplex import simplex_weights
from toolkit.errors import DesignError

__all__ = ["resolve_v", "optimise_v"]


def _row_names(Y: pd.DataFrame, pre: np.ndarray, P: pd.DataFrame | None) -> list[str]:
    return [str(t) for t in Y.index[pre]] + ([str(c) for c in P.columns] if P is not None else [])


def optimise_v(loss: Callable[[np.ndarray], float], k: int, *, starts: Sequence[np.ndarray] = (),
               maxiter: int | None = None) -> tuple[np.ndarray, float]:
    """argmin over v ≥ 0, Σv = 1 of ``loss(v)`` (the pre-period MSPE of the synthetic control built with V).

    Notes
    -----
    v = softmax(θ); Nelder–Mead on θ from equal weights and each of ``starts``; the
    best end point is kept, and equal weights are kept unless beaten, so the result
    never fits worse than equal V.  The problem is not convex (ADH 2010 use several
    starts for the same reason); the inner problem (donor weights given V) is solved
    exactly by :func:`toolkit.designs._simplex.simplex_weights`.
    """
    def f(theta: np.ndarray) -> float:
        z = np.exp(theta - theta.max())
        return loss(z / z.sum())

    best_v, best = np.full(k, 1.0 / k), loss(np.full(k, 1.0 / k))
    for s in [np.zeros(k)] + [np.log(np.clip(np.asarray(x, float), 1e-8, None)) for x in starts]:
        res = minimize(f, s, method="Nelder-Mead",
                       options={"maxiter": maxiter or 100 * k, "xatol": 1e-4, "fatol": 1e-10})
        if res.fun < best - 1e-12:
            z = np.exp(res.x - res.x.max())
            best_v, best = z / z.sum(), float(res.fun)
    return best_v, best


def resolve_v(v: Any, Y: pd.DataFrame, pre: np.ndarray, P: pd.DataFrame | None, treated: Any, pool: list,
              matching: Callable[..., pd.DataFrame]) -> tuple[np.ndarray | None, str]:
    """(diagonal of V or None for equal, a phrase for the method text).

    ``matching(Y, pre, P)`` returns the matching rows × units before V is applied.
    """
    names = _row_names(Y, pre, P)
    k = len(names)
    if v is None or (isinstance(v, str) and v == "equal"):
        return None, "equal V"
    if isinstance(v, str):
        if v != "optimise":
            raise DesignError("v must be 'equal', 'optimise', a list of weights or a mapping of row names to weights")
        if P is None:
            return None, "V optimised (with outcome rows only, equal V is already optimal)"

        M = matching(Y, pre, P)
        m1, m0 = M[treated].to_numpy(float), M[pool].to_numpy(float)
        y1, y0 = Y.loc[pre, treated].to_numpy(float), Y.loc[pre, pool].to_numpy(float)

        def loss(vv: np.ndarray) -> float:
            s = np.sqrt(vv)
            w = simplex_weights(m1 * s, m0 * s[:, None])
            return float(np.mean((y1 - y0 @ w) ** 2))

        # a second start puts most weight on the predictors (ADH's usual emphasis)
        start = np.r_[np.full(int(pre.sum()), 0.1), np.ones(P.shape[1])]
        vv, value = optimise_v(loss, k, starts=[start / start.sum()])
        return vv, f"V optimised on the pre-period MSPE (nested optimisation, MSPE {value:.4g})"
    if isinstance(v, Mapping):
        unknown = [str(key) for key in v if str(key) not in names]
        if unknown:
            raise DesignError(f"v names unknown matching row(s): {', '.join(unknown[:5])}; rows are the pre-period "
                              f"times ({names[0]} ...) and the predictors")
        vv = np.array([float({str(a): b for a, b in v.items()}.get(n, 0.0)) for n in names])
    else:
        vv = np.asarray(v, float)
    if vv.shape != (k,) or np.any(vv < 0) or not np.any(vv > 0):
        raise DesignError(f"v must hold {k} non-negative weights (one per pre-period outcome, then one per "
                          "predictor), not all zero")
    return vv, "user-supplied V"
