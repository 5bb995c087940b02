"""Confidence-interval building blocks shared by the indicator functions.

Byar's and exact Poisson limits for counts, the Wilson score interval for
proportions, normal quantiles for confidence levels, and the helper that names
output columns for one level (``lower_ci``/``upper_ci``) or several
(``lower_ci_95``, ``upper_ci_95``, ``lower_ci_99_8``, ``upper_ci_99_8``).

References
----------
Breslow NE, Day NE. *Statistical methods in cancer research, vol. II*. IARC, 1987
(Byar's approximation). Wilson EB. Probable inference, the law of succession, and
statistical inference. *JASA* 1927;22:209-212. Newcombe RG. Two-sided confidence
intervals for the single proportion. *Stat Med* 1998;17:857-872.
"""

from __future__ import annotations

from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.errors import DataError

__all__ = [
    "levels_of",
    "z_of",
    "ci_columns",
    "byar_lower",
    "byar_upper",
    "exact_lower",
    "exact_upper",
    "poisson_limits",
    "wilson",
    "assemble",
]

#: z for a two-sided 95% interval, as used to turn 95% limits into a standard error.
Z95 = float(stats.norm.ppf(0.975))


def levels_of(confidence: float | Sequence[float]) -> tuple[float, ...]:
    """Validate ``confidence`` and return it as a tuple of levels in (0, 1).

    Accepts a single level (``0.95``) or several (``(0.95, 0.998)``).  Levels
    given as percentages from 50 to 100 (``95``, ``99.8``) are divided by 100,
    as PHEindicatormethods does.
    """
    if isinstance(confidence, (int, float, np.floating, np.integer)):
        raw: Iterable = [confidence]
    else:
        raw = list(confidence)
    out = []
    for c in raw:
        c = float(c)
        if 50.0 <= c < 100.0:
            c = c / 100.0
        if not (0.0 < c < 1.0):
            raise DataError(
                f"confidence level {c!r} is not between 0 and 1",
                column="confidence",
                fix="use 0.95, 0.998 or the pair (0.95, 0.998)",
            )
        out.append(c)
    if not out:
        raise DataError("no confidence level given", column="confidence", fix="use 0.95")
    if len(set(out)) != len(out):
        raise DataError("confidence levels repeat", column="confidence", fix="give each level once")
    return tuple(out)


def z_of(level: float) -> float:
    """Two-sided normal quantile z = Φ⁻¹(1 − α/2) for confidence ``level``."""
    return float(stats.norm.ppf(0.5 + level / 2.0))


def _suffix(level: float) -> str:
    pct = f"{level * 100:.6f}".rstrip("0").rstrip(".")
    return pct.replace(".", "_")


def ci_columns(levels: Sequence[float]) -> list[tuple[float, str, str]]:
    """Column names for each level: ``[(level, lower_name, upper_name), ...]``.

    One level gives ``lower_ci``/``upper_ci``; several give ``lower_ci_95``,
    ``upper_ci_95``, ``lower_ci_99_8``, ``upper_ci_99_8`` and so on.
    """
    if len(levels) == 1:
        return [(levels[0], "lower_ci", "upper_ci")]
    return [(lv, f"lower_ci_{_suffix(lv)}", f"upper_ci_{_suffix(lv)}") for lv in levels]


def ci_names(levels: Sequence[float]) -> list[str]:
    """Flat list of interval column names in output order."""
    names: list[str] = []
    for _, lo, hi in ci_columns(levels):
        names += [lo, hi]
    return names


def byar_lower(o, level: float):
    """Byar's lower limit of a Poisson count.

    Notes
    -----
    O_L = O·(1 − 1/(9O) − z/(3√O))³ (docs/methods.md); 0 when O = 0.
    """
    o = np.asarray(o, dtype=float)
    z = z_of(level)
    with np.errstate(divide="ignore", invalid="ignore"):
        res = o * (1.0 - 1.0 / (9.0 * o) - z / (3.0 * np.sqrt(o))) ** 3
    return np.where(o == 0, 0.0, res)


def byar_upper(o, level: float):
    """Byar's upper limit of a Poisson count.

    Notes
    -----
    O_U = (O+1)·(1 − 1/(9(O+1)) + z/(3√(O+1)))³ (docs/methods.md).
    """
    o1 = np.asarray(o, dtype=float) + 1.0
    z = z_of(level)
    return o1 * (1.0 - 1.0 / (9.0 * o1) + z / (3.0 * np.sqrt(o1))) ** 3


def exact_lower(o, level: float):
    """Exact (Garwood) lower limit: O_L = χ²(α/2; 2O)/2, 0 when O = 0."""
    o = np.asarray(o, dtype=float)
    alpha = 1.0 - level
    with np.errstate(invalid="ignore"):
        res = stats.chi2.ppf(alpha / 2.0, 2.0 * o) / 2.0
    return np.where(o == 0, 0.0, res)


def exact_upper(o, level: float):
    """Exact (Garwood) upper limit: O_U = χ²(1 − α/2; 2O + 2)/2."""
    o = np.asarray(o, dtype=float)
    alpha = 1.0 - level
    return stats.chi2.ppf(1.0 - alpha / 2.0, 2.0 * o + 2.0) / 2.0


def poisson_limits(o, level: float):
    """Limits of a Poisson count: exact below 10 events, Byar's from 10 upwards.

    Returns
    -------
    (lower, upper) : tuple of numpy arrays
        Limits on the count scale.
    """
    o = np.asarray(o, dtype=float)
    small = o < 10
    lo = np.where(small, exact_lower(np.where(small, o, 1.0), level), byar_lower(np.where(small, 10.0, o), level))
    hi = np.where(small, exact_upper(np.where(small, o, 1.0), level), byar_upper(np.where(small, 10.0, o), level))
    lo = np.where(o == 0, 0.0, lo)
    return lo, hi


def wilson(o, n, level: float):
    """Wilson score interval for a proportion O/n (as a proportion, 0-1).

    Notes
    -----
    (2O + z² ∓ z·√(z² + 4O(1 − O/n))) / (2(n + z²)) (docs/methods.md; Wilson 1927,
    Newcombe 1998 method 3).
    """
    o = np.asarray(o, dtype=float)
    n = np.asarray(n, dtype=float)
    z = z_of(level)
    root = z * np.sqrt(z * z + 4.0 * o * (1.0 - o / n))
    den = 2.0 * (n + z * z)
    return (2.0 * o + z * z - root) / den, (2.0 * o + z * z + root) / den

def assemble(
    keys: pd.DataFrame,
    by: Sequence[str],
    front: Mapping[str, np.ndarray],
    value: np.ndarray,
    limits: Mapping[float, tuple[np.ndarray, np.ndarray]],
    levels: Sequence[float],
    note: Sequence[str | None],
    back: Mapping[str, np.ndarray] | None = None,
) -> pd.DataFrame:
    """Build ``by`` + ``front`` + value + interval columns + ``back`` + note."""
    out = keys[list(by)].copy() if by else pd.DataFrame(index=range(len(value)))
    out = out.reset_index(drop=True)
    for k, v in front.items():
        out[k] = np.asarray(v)
    out["value"] = np.asarray(value, dtype=float)
    for lv, lo, hi in ci_columns(levels):
        out[lo] = np.asarray(limits[lv][0], dtype=float)
        out[hi] = np.asarray(limits[lv][1], dtype=float)
    for k, v in (back or {}).items():
        out[k] = np.asarray(v)
    out["note"] = pd.array([n if n else None for n in note], dtype="object")
    return out
