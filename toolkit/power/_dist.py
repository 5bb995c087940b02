"""The normal, t and noncentral t functions of the power arithmetic, without importing ``scipy.stats``.

``scipy.stats`` takes about a second to import (its every distribution is built on import), a
fixed cost of each stage kernel that imports :mod:`toolkit.power` (the charter's power check)
although it evaluates only a few distribution functions.  Each function here calls the
``scipy.special`` function that ``scipy.stats`` itself calls for that distribution (scipy
>= 1.17: ``norm`` → ``ndtr``/``ndtri``, ``t.ppf`` → ``stdtrit``, ``nct.cdf`` → ``nctdtr``,
``nct.sf`` → the clipped ``_nct_sf`` ufunc), so the numbers are bit-identical
(tests/power/test_dist.py checks it on a grid).  Arguments outside the ordinary range (not
finite, a degree of freedom not > 0), or an older scipy, go to ``scipy.stats`` itself.
``scipy.special`` itself is imported on first use, so a charter without a power
check imports no scipy at all.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import scipy  # the package only (its subpackages load on first use)


def _version(text: str) -> tuple[int, int]:
    major, minor = (text.split(".") + ["0"])[:2]
    return int(major), int("".join(ch for ch in minor if ch.isdigit()) or 0)


@cache
def _special():
    """(scipy.special, the nct survival ufunc scipy.stats evaluates or None, whether to use them)."""
    from scipy import special

    try:  # scipy.special's own ufunc in recent scipy (scipy.stats.nct.sf calls it)
        from scipy.special._ufuncs import _nct_sf
    except ImportError:  # pragma: no cover - older scipy
        _nct_sf = None
    # scipy.stats is known to evaluate exactly these functions from scipy 1.17 (checked by the tests)
    return special, _nct_sf, _nct_sf is not None and _version(scipy.__version__) >= (1, 17)


def fast() -> bool:
    """True when these functions evaluate scipy.special directly (else they call scipy.stats)."""
    return _special()[2]


def _ordinary(*values: float) -> bool:
    return fast() and all(math.isfinite(v) for v in values)


def norm_cdf(x: float) -> float:
    """Φ(x), as ``scipy.stats.norm.cdf(x)``."""
    if not _ordinary(x):
        from scipy import stats
        return float(stats.norm.cdf(x))
    return float(_special()[0].ndtr(x))


def norm_sf(x: float) -> float:
    """1 − Φ(x), as ``scipy.stats.norm.sf(x)`` (which evaluates Φ(−x))."""
    if not _ordinary(x):
        from scipy import stats
        return float(stats.norm.sf(x))
    return float(_special()[0].ndtr(-x))


def norm_ppf(q: float) -> float:
    """Φ⁻¹(q), as ``scipy.stats.norm.ppf(q)``."""
    if not (_ordinary(q) and 0 < q < 1):
        from scipy import stats
        return float(stats.norm.ppf(q))
    return float(_special()[0].ndtri(q)) + 0.0  # scipy.stats adds loc = 0 (so a −0.0 reads 0.0)


def t_ppf(q: float, df: float) -> float:
    """The q quantile of t with ``df`` degrees of freedom, as ``scipy.stats.t.ppf(q, df)``."""
    if not (_ordinary(q, df) and 0 < q < 1 and df > 0):
        from scipy import stats
        return float(stats.t.ppf(q, df))
    return float(_special()[0].stdtrit(df, q)) + 0.0


def nct_cdf(x: float, df: float, nc: float) -> float:
    """P(T ≤ x) for noncentral t, as ``scipy.stats.nct.cdf(x, df, nc)``."""
    if not (_ordinary(x, df, nc) and df > 0):
        from scipy import stats
        return float(stats.nct.cdf(x, df, nc))
    return float(_special()[0].nctdtr(df, nc, x))


def nct_sf(x: float, df: float, nc: float) -> float:
    """P(T > x) for noncentral t, as ``scipy.stats.nct.sf(x, df, nc)``."""
    if not (_ordinary(x, df, nc) and df > 0):
        from scipy import stats
        return float(stats.nct.sf(x, df, nc))
    with np.errstate(over="ignore"):  # as scipy.stats (scipy gh-17432)
        return float(np.clip(_special()[1](x, df, nc), 0, 1))
