"""What the RD plot draws: binned means and kernel-weighted local polynomial fits each side of the cutoff.

Computation only (numbers in DataFrames); the figure is drawn by
:mod:`toolkit.reporting.plots.rd`.  :func:`toolkit.designs.rd.fit` attaches both to its result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.errors import DesignError

__all__ = ["binned_means", "local_linear_lines"]


def binned_means(x: np.ndarray, y: np.ndarray, cutoff: float, *, bins: int = 20) -> pd.DataFrame:
    """Means of ``y`` in evenly spaced bins of ``x`` on each side of the cutoff.

    Parameters
    ----------
    x, y : array-like
        Running variable and outcome.
    cutoff : float
        The threshold; bins never straddle it.
    bins : int
        Number of bins per side (evenly spaced between the data range and the cutoff).

    Returns
    -------
    pandas.DataFrame
        ``side`` ("below"/"above"), ``x`` (bin mean of x), ``y`` (bin mean), ``n``,
        ``x_low``, ``x_high`` (bin edges); empty bins are omitted.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    rows = []
    for side, mask, lo, hi in (("below", x < cutoff, x.min(), cutoff), ("above", x >= cutoff, cutoff, x.max())):
        if not mask.any():
            continue
        edges = np.linspace(lo, hi, bins + 1)
        idx = np.clip(np.searchsorted(edges, x[mask], side="right") - 1, 0, bins - 1)
        for b in range(bins):
            sel = idx == b
            if sel.any():
                rows.append({"side": side, "x": x[mask][sel].mean(), "y": y[mask][sel].mean(),
                             "n": int(sel.sum()), "x_low": edges[b], "x_high": edges[b + 1]})
    return pd.DataFrame(rows)


def _kernel_weights(u: np.ndarray, kernel: str) -> np.ndarray:
    a = np.abs(u)
    if kernel in ("triangular", "tri"):
        return np.clip(1 - a, 0, None)
    if kernel in ("uniform", "uni"):
        return (a <= 1).astype(float)
    if kernel in ("epanechnikov", "epa"):
        return np.clip(0.75 * (1 - a**2), 0, None)
    raise DesignError(f"kernel must be 'triangular', 'uniform' or 'epanechnikov', not {kernel!r}")


def local_linear_lines(x, y, cutoff: float, h_left: float, h_right: float, *, p: int = 1,
                       kernel: str = "triangular", points: int = 50) -> pd.DataFrame:
    """Kernel-weighted local polynomial fits each side of the cutoff, on a grid.

    Notes
    -----
    Within each side, weighted least squares of y on (1, x − c, …, (x − c)^p) with
    weights K((x − c)/h): triangular (1 − |u|)₊, uniform 1{|u| ≤ 1} or
    Epanechnikov ¾(1 − u²)₊.  The two intercepts' difference is the conventional
    sharp-RD estimate (rdrobust's τ̂ without covariates), which the tests use as an
    independent check.  Written here (a few lines of numpy) because it is only used
    for plotting and checking.
    """
    x, y = np.asarray(x, float), np.asarray(y, float)
    rows = []
    for side, mask, h, sign in (("below", x < cutoff, h_left, -1), ("above", x >= cutoff, h_right, 1)):
        u = x[mask] - cutoff
        w = _kernel_weights(u / h, kernel)
        keep = w > 0
        if keep.sum() < p + 1:
            continue
        A = np.vander(u[keep], p + 1, increasing=True)
        sw = np.sqrt(w[keep])
        beta, *_ = np.linalg.lstsq(A * sw[:, None], y[mask][keep] * sw, rcond=None)
        grid = np.linspace(0, sign * min(h, np.abs(u).max()), points)
        rows.append(pd.DataFrame({"side": side, "x": cutoff + grid,
                                  "fitted": np.vander(grid, p + 1, increasing=True) @ beta}))
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame(columns=["side", "x", "fitted"])
