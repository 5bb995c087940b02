"""Manipulation (density) test at a cutoff, wrapping ``rddensity`` (Cattaneo, Jansson & Ma 2020).

If units can sort themselves across a threshold (e.g. an area's score nudged to
qualify for a scheme), the density of the running variable jumps there.
:func:`density` is the standalone test; :func:`toolkit.designs.rd.fit` runs it too.
"""

from __future__ import annotations

import contextlib
import io
import warnings as _warnings
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.cautions import Caution
from toolkit.designs._timeseries import check_columns
from toolkit.designs.result import DesignResult
from toolkit.errors import DataError, DesignError

__all__ = ["DensityResult", "density", "density_table"]


@dataclass(frozen=True, repr=False)
class DensityResult(DesignResult):
    """Result of :func:`density`: ``estimate`` is f̂₊(c) − f̂₋(c), the jump in the running variable's density.

    ``extra`` holds ``density_left``, ``density_right``, ``h_left``, ``h_right``,
    ``n_left``, ``n_right``, ``n_eff_left``, ``n_eff_right`` and ``statistic`` (T_jk).
    """



def _run(x: np.ndarray, cutoff: float, **kw):
    from rddensity import rddensity

    out = io.StringIO()
    with contextlib.redirect_stdout(out), _warnings.catch_warnings(record=True) as caught:
        _warnings.simplefilter("always")
        res = rddensity(X=x, c=cutoff, **kw)
    notes = [ln.strip() for ln in out.getvalue().splitlines() if ln.strip()]
    notes += [str(w.message) for w in caught if not issubclass(w.category, (DeprecationWarning, FutureWarning))]
    return res, [Caution(n, code="rd.reference_routine") for n in notes]


def density_table(x: np.ndarray, cutoff: float) -> tuple[pd.DataFrame | None, list[str]]:
    """The one-row test table :func:`toolkit.designs.rd.fit` reports (None, with a note, if it cannot run)."""
    try:
        res, notes = _run(x, cutoff)
    except ImportError:  # pragma: no cover - optional dependency
        return None, ["The manipulation test needs the 'rddensity' package, which is not installed."]
    except Exception as exc:  # pragma: no cover - depends on data
        return None, [f"The manipulation (density) test could not be run: {exc}"]
    tab = pd.DataFrame([{"test": "rddensity (Cattaneo, Jansson & Ma 2020), jackknife",
                         "statistic": float(res.test.get("t_jk", np.nan)), "p_value": float(res.test.get("p_jk", np.nan)),
                         "h_left": float(res.h["left"]), "h_right": float(res.h["right"]),
                         "n_left": int(res.n["eff_left"]), "n_right": int(res.n["eff_right"])}])
    return tab, notes


def density(
    data: pd.DataFrame,
    running: str,
    cutoff: float,
    *,
    p: int = 2,
    kernel: str = "triangular",
    h: float | tuple[float, float] | None = None,
    level: float = 0.95,
    label: str | None = None,
) -> DensityResult:
    """Test whether the density of the running variable jumps at the cutoff (rddensity).

    Parameters
    ----------
    data : DataFrame
        One row per unit.
    running : str
        Running-variable column (rows where it is missing are left out and counted).
    cutoff : float
        Threshold.
    p : int
        Order of the local polynomial density estimator (rddensity default 2).
    kernel : {"triangular", "uniform", "epanechnikov"}
    h : float or (float, float), optional
        Bandwidth(s) left and right; default rddensity's data-driven choice.
    level : float
        Confidence level for the interval on the density jump.
    label : str, optional
        Name of the running variable in sentences.

    Returns
    -------
    DensityResult
        ``estimate`` f̂₊ − f̂₋, ``se`` its jackknife SE, ``p_value`` rddensity's
        jackknife p-value; ``extra["statistic"]`` the T statistic.

    Notes
    -----
    Local polynomial density estimator of Cattaneo, Jansson & Ma (2020, JASA 115:1449)
    either side of c; T = (f̂₊ − f̂₋)/ŝ_jk ~ N(0, 1) under no manipulation; p = 2Φ(−|T|).
    Interval (f̂₊ − f̂₋) ± z·ŝ_jk.
    """
    check_columns(data, {"running variable": running})
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1, e.g. 0.95")
    kern = {"triangular": "triangular", "uniform": "uniform", "epanechnikov": "epanechnikov"}.get(kernel)
    if kern is None:
        raise DesignError("kernel must be 'triangular', 'uniform' or 'epanechnikov'")
    vals = pd.to_numeric(data[running], errors="coerce")
    bad = (vals.isna() & data[running].notna()).to_numpy()
    if bad.any():
        raise DataError("values are not numbers", column=running, rows=tuple(int(i) + 2 for i in np.flatnonzero(bad)[:5]),
                        count=int(bad.sum()), fix="make the running variable numeric")
    x = vals.dropna().to_numpy(float)
    warnings: list[str] = []
    if vals.isna().any():
        warnings.append(Caution(f"{int(vals.isna().sum())} row(s) without a value of '{running}' left out.",
                                code="rd.missing_running"))
    nl, nr = int((x < cutoff).sum()), int((x >= cutoff).sum())
    if min(nl, nr) < 10:
        raise DesignError(f"only {min(nl, nr)} observation(s) on one side of the cutoff; the density test needs "
                          "at least 10 on each side")
    kw = {"p": p, "kernel": kern}
    if h is not None:
        kw["h"] = list(h) if isinstance(h, (tuple, list)) else [h, h]
    try:
        res, notes = _run(x, cutoff, **kw)
    except Exception as exc:
        raise DesignError(f"rddensity could not run the density test: {exc}") from exc
    warnings += [f"rddensity: {n}" for n in notes]
    diff, sd = float(res.hat["diff"]), float(res.sd_jk["diff"])
    z = stats.norm.ppf(1 - (1 - level) / 2)
    method = (f"Manipulation test (rddensity, Cattaneo, Jansson & Ma 2020): local polynomial density of order {p}, "
              f"{kernel} kernel, h = {float(res.h['left']):.4g} / {float(res.h['right']):.4g}; jackknife SE")
    return DensityResult(
        estimate=diff, se=sd, ci_low=diff - z * sd, ci_high=diff + z * sd, p_value=float(res.test["p_jk"]),
        n_obs=len(x), method=method, level=level, outcome=label or running, name="density_jump",
        extra={"statistic": float(res.test["t_jk"]), "density_left": float(res.hat["left"]),
               "density_right": float(res.hat["right"]), "h_left": float(res.h["left"]),
               "h_right": float(res.h["right"]), "n_left": nl, "n_right": nr,
               "n_eff_left": int(res.n["eff_left"]), "n_eff_right": int(res.n["eff_right"]), "cutoff": cutoff},
        warnings=tuple(warnings),
    )
