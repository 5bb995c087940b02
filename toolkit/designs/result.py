"""The read-only result every design returns.

Modelled on linearmodels' results objects: the model (a design's ``fit``-like
function) validates and fits; this object only carries numbers — no fitted model,
no data — and can describe them.  Prose lives in :mod:`toolkit.reporting.interpret`
and plots in :mod:`toolkit.reporting.plots`, so that computation and presentation
stay apart.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Mapping

import pandas as pd

from toolkit.errors import DesignError

__all__ = ["DesignResult", "SE_SCALES", "se_distance"]

#: Scales a standard error can be on: the estimate's own units, or the log of a ratio.
SE_SCALES = ("estimate", "log")


def se_distance(before: float, now: float, se: float, se_scale: str = "estimate") -> float:
    """How many standard errors apart two estimates are, on the SE's own scale.

    |now − before| / se, or |log(now) − log(before)| / se when ``se_scale="log"``
    (a ratio whose SE is that of its logarithm).  NaN when it cannot be told (no SE,
    or a non-positive ratio).
    """
    if se_scale not in SE_SCALES:
        raise DesignError(f"se_scale must be one of {', '.join(SE_SCALES)}, not {se_scale!r}")
    if not (se > 0) or any(math.isnan(v) for v in (before, now, se)):
        return float("nan")
    if se_scale == "log":
        if before <= 0 or now <= 0:
            return float("nan")
        return abs(math.log(now) - math.log(before)) / se
    return abs(now - before) / se


def _freeze(mapping: Mapping[str, Any] | None) -> Mapping[str, Any]:
    return MappingProxyType(dict(mapping or {}))


@dataclass(frozen=True)
class DesignResult:
    """The headline estimate of a design, with its uncertainty.

    Parameters
    ----------
    estimate : float
        The point estimate of the effect (in the outcome's units, or a ratio
        when ``scale="ratio"``).
    se : float
        Its standard error (NaN when a design has none, e.g. a permutation test), on
        the scale ``se_scale`` names, and the one behind the reported interval (for
        RD the robust SE of rdrobust's bias-corrected estimate, not the conventional SE).
    ci_low, ci_high : float
        Confidence interval at ``level``.
    p_value : float
        Two-sided p-value for no effect (NaN where not meaningful).
    n_obs : int
        Observations used in the fit.
    method : str
        Short description of the estimator and its inference, e.g.
        ``"Two-way fixed effects, CRV1 SEs clustered by practice (fixest convention)"``.
    level : float
        Confidence level of ``ci_low``/``ci_high``.
    outcome : str
        Name of the outcome (used in sentences).
    name : str
        Machine name of the estimate (``"att"``, ``"level_change"``...).
    scale : {"difference", "ratio"}
        Whether "no effect" is 0 (difference) or 1 (ratio).
    table : pandas.DataFrame, optional
        Tidy table of all coefficients (``term, estimate, se, ci_low, ci_high, p_value``).
    extra : mapping, optional
        Further design-specific numbers or DataFrames (read-only mapping).
    warnings : tuple of str
        Conditions the analyst and the board should know about (each may be a
        :class:`toolkit.cautions.Caution`, which carries a ``code``).
    se_scale : {"estimate", "log"}, optional
        The scale of ``se``: ``"estimate"`` (the estimate's own units) or ``"log"``
        (the log of a ratio: a rate ratio's SE is that of log(ratio)).  By default
        ``"log"`` when ``scale="ratio"``, else ``"estimate"``.  Whoever compares a
        change with the SE (the rerun comparison, power) must work on this scale.
    df : float, optional
        Degrees of freedom of the t distribution behind the interval and p-value
        (e.g. n − k for OLS with t intervals); NaN (the default) when they are normal
        or permutation-based.  ``tidy()`` shows it in its ``df`` column.

    Notes
    -----
    Read-only: the dataclass is frozen, ``extra`` is a read-only mapping and
    :meth:`tidy` returns a copy of ``table``.  A result never holds the fitted model
    or the data; whatever a later step needs (an aggregation, a plot) is a number or
    a DataFrame here.
    """

    estimate: float
    se: float
    ci_low: float
    ci_high: float
    p_value: float
    n_obs: int
    method: str
    level: float = 0.95
    outcome: str = "the outcome"
    name: str = "effect"
    scale: str = "difference"
    table: pd.DataFrame | None = field(default=None, repr=False, compare=False)
    extra: Mapping[str, Any] = field(default_factory=dict, repr=False, compare=False)
    warnings: tuple[str, ...] = ()
    se_scale: str | None = None
    df: float = field(default=float("nan"), compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "extra", _freeze(self.extra))
        object.__setattr__(self, "warnings", tuple(self.warnings))
        if self.scale not in ("difference", "ratio"):
            raise DesignError(f"scale must be 'difference' or 'ratio', not {self.scale!r}")
        if self.se_scale is None:
            object.__setattr__(self, "se_scale", "log" if self.scale == "ratio" else "estimate")
        if self.se_scale not in SE_SCALES:
            raise DesignError(f"se_scale must be one of {', '.join(SE_SCALES)}, not {self.se_scale!r}")
        object.__setattr__(self, "df", float("nan") if self.df is None else float(self.df))

    # ------------------------------------------------------------------ views
    @property
    def null_value(self) -> float:
        return 1.0 if self.scale == "ratio" else 0.0

    @property
    def interval(self) -> tuple[float, float]:
        """The confidence interval at ``level``, as ``(ci_low, ci_high)``."""
        return (self.ci_low, self.ci_high)

    @property
    def significant(self) -> bool:
        """True when the interval excludes "no effect"."""
        if any(math.isnan(v) for v in (self.ci_low, self.ci_high)):
            return False
        return not (self.ci_low <= self.null_value <= self.ci_high)

    def tidy(self) -> pd.DataFrame:
        """All coefficients as a tidy DataFrame (the headline row when there is no table).

        Columns ``term, estimate, se, ci_low, ci_high, p_value``, then ``n_obs`` and
        ``df`` (degrees of freedom of a t interval, NaN where it is normal) and any
        design-specific columns.  ``df`` comes from the table when it has one, else
        from :attr:`df`.  A copy: changing it does not change the result.
        """
        if self.table is not None:
            out = self.table.copy()
        else:
            out = pd.DataFrame(
                [
                    {
                        "term": self.name,
                        "estimate": self.estimate,
                        "se": self.se,
                        "ci_low": self.ci_low,
                        "ci_high": self.ci_high,
                        "p_value": self.p_value,
                        "n_obs": self.n_obs,
                    }
                ]
            )
        if "df" not in out.columns:
            out["df"] = self.df
        return out

    def summary(self) -> str:
        """A short text summary: method, headline estimate, interval, p-value, n, warnings."""
        pct = f"{self.level * 100:g}%"
        lines = [
            self.method,
            f"Outcome: {self.outcome}",
            f"Estimate ({self.name}): {self.estimate:.6g}  SE {self.se:.6g}"
            + (" (of the log ratio)" if self.se_scale == "log" else ""),
            f"{pct} CI: [{self.ci_low:.6g}, {self.ci_high:.6g}]  p = {self.p_value:.4g}"
            + ("" if math.isnan(self.df) else f"  (t, {self.df:g} df)"),
            f"Observations: {self.n_obs:,}",
        ]
        lines += [f"Warning: {w}" for w in self.warnings]
        return "\n".join(lines)

    def to_record(self) -> dict[str, Any]:
        """The fields results.json stores for this estimate."""
        return {
            "name": self.name,
            "estimate": self.estimate,
            "se": self.se,
            "se_scale": self.se_scale,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high,
            "level": self.level,
            "p_value": self.p_value,
            "n": self.n_obs,
            "method": self.method,
            "scale": self.scale,
            "warnings": list(self.warnings),
        }

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}({self.name}={self.estimate:.4g}, se={self.se:.4g}, "
            f"ci=[{self.ci_low:.4g}, {self.ci_high:.4g}], n={self.n_obs})"
        )
