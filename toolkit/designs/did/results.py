"""Result objects of the difference-in-differences designs.

All are frozen subclasses of :class:`toolkit.designs.result.DesignResult`:
they carry numbers only (the models that fit them live in the design
modules); the plain-English wording comes from :mod:`toolkit.reporting.interpret`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.designs.did._tidy import coef_row, inference
from toolkit.designs.did.cs_aggregate import GroupTimeEffects, aggregate
from toolkit.designs.result import DesignResult

__all__ = [
    "inference",  # re-exported from toolkit.designs.did._tidy
    "coef_row",
    "TwoByTwoResult",
    "TwfeResult",
    "EventStudyResult",
    "StaggeredResult",
    "AggregateResult",
    "EquityResult",
]

@dataclass(frozen=True)
class TwoByTwoResult(DesignResult):
    """2×2 difference-in-differences; ``means`` holds the four cell means."""

    @property
    def means(self) -> pd.DataFrame:
        """Treated/control × pre/post means with their counts."""
        return self.extra["means"].copy()


@dataclass(frozen=True)
class TwfeResult(DesignResult):
    """Two-way fixed-effects estimate; ``vcov`` is the CRV1 covariance of all slopes."""

    @property
    def vcov(self) -> pd.DataFrame:
        return self.extra["vcov"].copy()


@dataclass(frozen=True)
class EventStudyResult(DesignResult):
    """Event-study coefficients by event time (reference period omitted).

    ``table`` has one row per event time with ``event_time`` and ``period``
    (``"pre"``/``"post"``/``"reference"``); ``pretrend`` is the joint Wald test
    that every lead is zero.  The headline ``estimate`` is the average of the
    post-adoption coefficients.
    """

    @property
    def pretrend(self) -> dict[str, float]:
        return dict(self.extra["pretrend"])

    @property
    def pretrend_note(self) -> str:
        """Why :attr:`pretrend` has no p-value (too many leads for the clusters), or ``""``."""
        return str(self.extra.get("pretrend_note", ""))

    def summary(self) -> str:
        text = super().summary()
        pt = self.extra["pretrend"]
        if pt.get("df1") and self.pretrend_note:
            text += f"\nPre-trend test (all {pt['df1']} leads = 0): not computed. {self.pretrend_note}"
        elif pt.get("df1"):
            text += (f"\nPre-trend test (all {pt['df1']} leads = 0): F = {pt['stat']:.4g}, "
                     f"p = {pt['p_value']:.4g}")
        return text

@dataclass(frozen=True)
class AggregateResult(DesignResult):
    """An aggregation of Callaway–Sant'Anna ATT(g,t): simple, group, dynamic or calendar.

    ``table`` holds the per-group / per-event-time / per-period effects; the
    headline is the overall average.
    """



@dataclass(frozen=True)
class StaggeredResult(DesignResult):
    """Callaway & Sant'Anna (2021) group-time effects.

    ``att_gt`` is the ATT(g,t) table; :meth:`aggregate` combines them.  The
    headline ``estimate`` is the simple aggregate (cohort-size weighted
    average of post-adoption cells).

    Besides the headline numbers it carries, read-only, what the
    aggregations need (``effects``: every ATT(g,t), its influence function,
    each unit's cohort and weight) and the estimation sample (``sample``: the
    unit x period outcome grid, for tests that reuse the data such as
    :func:`~toolkit.designs.did.pretrend.cs_pretrend`); it holds no model and
    fits nothing.  :class:`~toolkit.designs.did.staggered.CallawaySantAnna`
    is the model that validates the data and fits.
    """

    effects: GroupTimeEffects | None = field(default=None, repr=False, compare=False)
    sample: Any = field(default=None, repr=False, compare=False)

    @property
    def att_gt(self) -> pd.DataFrame:
        return self.extra["att_gt"].copy()

    @property
    def pretrend(self) -> dict[str, float]:
        """Wald pre-test that all pre-adoption ATT(g,t) are zero: ``stat``, ``df``, ``p_value``, ``rank``.

        ``stat`` and ``p_value`` are NaN when the test is not reliable (too
        many pre-period cells for the units); :attr:`pretrend_note` says why.
        """
        return dict(self.extra["pretrend"])

    @property
    def pretrend_note(self) -> str:
        """Why :attr:`pretrend` has no p-value, or ``""``."""
        return str(self.extra.get("pretrend_note", ""))

    def summary(self) -> str:
        text = super().summary()
        pt = self.extra.get("pretrend", {})
        if pt.get("df") and self.pretrend_note:
            text += (f"\nPre-test of parallel trends (all {pt['df']} pre-adoption ATT(g,t) = 0): not computed. "
                     f"{self.pretrend_note}")
        elif pt.get("df"):
            text += (f"\nPre-test of parallel trends (all {pt['df']} pre-adoption ATT(g,t) = 0): "
                     f"chi2 = {pt['stat']:.4g}, p = {pt['p_value']:.4g}")
        return text

    def aggregate(self, kind: str = "simple", *, min_e: float = -math.inf, max_e: float = math.inf) -> AggregateResult:
        """Aggregate ATT(g,t) as R's ``did::aggte`` does.

        Parameters
        ----------
        kind : {"simple", "group", "dynamic", "calendar"}
        min_e, max_e : float
            Event-time window for ``"dynamic"`` (and the cap on post-periods
            used by every kind, as ``did``'s ``max_e``).

        Notes
        -----
        See :func:`toolkit.designs.did.cs_aggregate.aggregate` for the weights
        and the influence functions (which include the estimation error of
        the cohort-size weights).  ``extra["influence_function"]`` holds the
        overall estimate's influence function; a ``"dynamic"`` aggregate also
        has ``extra["vcov"]``, the covariance of its event-time estimates.
        """
        agg = aggregate(self.effects, kind, level=self.level, min_e=min_e, max_e=max_e)
        head = coef_row(f"overall ({kind})", agg.estimate, agg.se, self.level)
        table = pd.DataFrame(agg.rows + [head]) if agg.rows else pd.DataFrame([head])
        extra = {"kind": kind, "influence_function": agg.influence}
        if agg.vcov is not None:
            extra["vcov"] = agg.vcov
        return AggregateResult(
            estimate=head["estimate"], se=agg.se, ci_low=head["ci_low"], ci_high=head["ci_high"],
            p_value=head["p_value"], n_obs=self.n_obs,
            method=f"{self.method}; aggregated {agg.label}",
            level=self.level, outcome=self.outcome, name=f"att_{kind}", table=table,
            extra=extra, warnings=self.warnings,
        )


@dataclass(frozen=True)
class EquityResult(DesignResult):
    """Effect by deprivation quintile and the effect on the gap (triple difference).

    The headline ``estimate`` is the gap effect: the effect in the most
    deprived quintile(s) minus the effect in the rest.  ``table`` lists the
    effect within every quintile, in the most deprived group, in the rest,
    and the gap.
    """

    @property
    def by_quintile(self) -> pd.DataFrame:
        tab = self.table
        return tab[tab["term"].astype(str).str.startswith("quintile ")].copy()

    @property
    def baseline_gap(self) -> float:
        """Most deprived minus rest, mean outcome before adoption."""
        return float(self.extra.get("baseline_gap", float("nan")))

    @property
    def gap_narrowed(self) -> bool | None:
        """True/False when the interval for the gap effect excludes 0, else None (unclear).

        The gap narrows when the gap effect has the opposite sign to the
        baseline gap.
        """
        if not self.significant or not np.isfinite(self.baseline_gap) or self.baseline_gap == 0:
            return None
        return bool(np.sign(self.estimate) != np.sign(self.baseline_gap))

