"""The estimation sample of Callaway & Sant'Anna: validation and the unit x period grid.

:func:`build_sample` checks a long panel for staggered adoption and turns it
into a :class:`CSSample` of read-only arrays (outcome grid, each unit's cohort
and weight, the periods), with the warnings the result carries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.errors import DesignError, Problem

__all__ = ["CSSample", "build_sample", "weight_drift_warning", "outcome_grid", "WEIGHT_CV_LIMIT",
           "WEIGHT_RATIO_LIMIT"]

#: Within-unit variation of the weights above which :func:`~toolkit.designs.did.staggered` warns
#: (coefficient of variation over a unit's periods, and max/min ratio).
WEIGHT_CV_LIMIT = 0.10
WEIGHT_RATIO_LIMIT = 1.25


def _frozen(a: np.ndarray | None) -> np.ndarray | None:
    if a is None:
        return None
    a = np.asarray(a)
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class CSSample:
    """Staggered-adoption data ready for estimation (read-only arrays).

    Attributes
    ----------
    Y : ndarray, shape (n, T)
        Outcome per unit and period (NaN where a unit is not observed).
    G : ndarray, shape (n,)
        First-treated period per unit on the scale of ``times`` (0 = never, or
        comparison only).
    w : ndarray, shape (n,)
        Unit weights, mean 1.
    times : ndarray, shape (T,)
        Period values (numeric).
    cohorts : ndarray
        Cohorts whose effects are estimated.
    control : {"never", "not_yet"}
    anticipation : int
        Periods before adoption in which units may already react.
    X : ndarray, shape (n, T, p), optional
        Covariates per unit and period (None without covariates).
    covariates : tuple of str
        Their names.
    """

    Y: np.ndarray
    G: np.ndarray
    w: np.ndarray
    times: np.ndarray
    cohorts: np.ndarray
    control: str
    anticipation: int = 0
    X: np.ndarray | None = None
    covariates: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for name in ("Y", "G", "w", "times", "cohorts", "X"):
            object.__setattr__(self, name, _frozen(getattr(self, name)))

    @property
    def n(self) -> int:
        return int(self.Y.shape[0])

    @property
    def n_obs(self) -> int:
        return int(np.isfinite(self.Y).sum())


def weight_drift_warning(wg: np.ndarray, column: str | None) -> list[str]:
    """A warning when weights vary materially over time within units (else nothing).

    Notes
    -----
    ``wg`` is the unit x period grid of weights (NaN where unobserved).  Per
    unit, :math:`CV = sd(w)/mean(w)` (``ddof=0``) and :math:`r = \\max w/\\min w`;
    the warning is given when :math:`CV >` :data:`WEIGHT_CV_LIMIT` or
    :math:`r >` :data:`WEIGHT_RATIO_LIMIT` for at least one unit.  Smaller drift
    (e.g. list sizes growing by a few per cent) is expected and not reported.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(wg, axis=1)
        cv = np.nanstd(wg, axis=1) / mean
        ratio = np.nanmax(wg, axis=1) / np.nanmin(wg, axis=1)
    material = (cv > WEIGHT_CV_LIMIT) | (ratio > WEIGHT_RATIO_LIMIT)
    if not material.any():
        return []
    return [Caution(
        f"Weights in '{column}' vary over time within units ({int(material.sum()):,} unit(s) by more than "
        f"{WEIGHT_CV_LIMIT:.0%} (coefficient of variation) or a max/min ratio above {WEIGHT_RATIO_LIMIT:g}; "
        f"largest ratio {np.nanmax(ratio):.3g}); each unit's weight in its first period is used.",
        code="did.time_varying_weights")]


def outcome_grid(panel: P.Panel) -> tuple[np.ndarray, list[str]]:
    """Unit x period outcome grid (NaN where a unit is not observed) and a warning describing any gaps.

    No unit is dropped for a gap: each ATT(g,t) uses the units observed in
    both of its periods (see :func:`~toolkit.designs.did.staggered`, Notes).
    """
    counts = np.bincount(panel.unit, minlength=panel.n_unit)
    gaps = counts < panel.n_time
    warns = []
    if gaps.any():
        missing = int(panel.n_unit * panel.n_time - counts.sum())
        warns.append(
            Caution(f"{int(gaps.sum()):,} of {panel.n_unit:,} units are not observed in every period ({missing:,} "
                    "unit-periods missing); no unit is left out for this: each group-time effect uses the units observed "
                    "in both of its periods.", code="did.unbalanced_panel")
        )
    grid = np.full((panel.n_unit, panel.n_time), np.nan)
    grid[panel.unit, panel.time] = panel.y
    return grid, warns


def _covariate_grid(panel: P.Panel, covariates: Sequence[str]) -> np.ndarray | None:
    if not covariates:
        return None
    cols = P.covariate_columns(panel.data, covariates, panel.positions)
    X = np.full((panel.n_unit, panel.n_time, len(cols)), np.nan)
    for j, v in enumerate(cols):
        X[panel.unit, panel.time, j] = v
    return X


def build_sample(data: pd.DataFrame, outcome: str, unit: str, time: str, first_treated: str, *,
                 control: str = "never", weights: str | None = None, covariates: Sequence[str] = (),
                 anticipation: int = 0) -> tuple[CSSample, list[str]]:
    """Validate the panel and build the estimation sample.

    Units treated in the first period (or within ``anticipation`` periods of
    it) are dropped; units first treated after the last period count as never
    treated; without never-treated units (``control="not_yet"``) periods from
    the last cohort's adoption (less ``anticipation``) on are dropped and that
    cohort serves as a comparison only (as in R's ``did``).
    """
    covariates = tuple(covariates or ())
    P.require_columns(data, {"first_treated": first_treated, **{f"covariate {c}": c for c in covariates}})
    panel = P.prepare_panel(
        data, outcome=outcome, unit=unit, time=time, weights=weights, other=list(covariates),
        roles={"first_treated": first_treated}, what="the staggered-adoption estimate",
    )
    warns = list(panel.warnings)
    tvals, G = P.adoption_periods(panel, first_treated, time, "staggered adoption")
    Y, bw = outcome_grid(panel)
    X = _covariate_grid(panel, covariates)
    warns += bw
    w_unit = np.ones(panel.n_unit)
    if panel.weights is not None:
        wg = np.full((panel.n_unit, panel.n_time), np.nan)
        wg[panel.unit, panel.time] = panel.weights
        first_col = np.argmax(~np.isnan(wg), axis=1)
        w_unit = wg[np.arange(panel.n_unit), first_col]
        warns += weight_drift_warning(wg, weights)
    tmin, tmax = tvals.min(), tvals.max()
    always = (G > 0) & (G <= tmin + anticipation)
    if always.any():
        ant = f" + {anticipation} anticipation period(s)" if anticipation else ""
        warns.append(
            Caution(f"{int(always.sum()):,} unit(s) were treated from the first period ({first_treated} <= "
                    f"{tmin:g}{ant}); they have no pre-period and were left out.", code="did.always_treated")
        )
    late = G > tmax
    if late.any():
        warns.append(
            Caution(f"{int(late.sum()):,} unit(s) are first treated after the last period ({tmax:g}); they "
                    "count as never treated.", code="did.late_adopters")
        )
        G = np.where(late, 0.0, G)
    keep = ~always
    Y, G, w_unit = Y[keep], G[keep], w_unit[keep]
    X = None if X is None else X[keep]
    if Y.shape[0] == 0:
        raise DesignError("No units are left for the staggered-adoption estimate.",
                          [Problem(w, column=first_treated) for w in warns]
                          or [Problem("every unit was left out", column=first_treated)])
    cohorts = np.unique(G[G > 0])
    if cohorts.size == 0:
        raise DesignError(
            "No unit is treated during the panel.",
            [Problem("no unit has a first-treated period inside the panel", column=first_treated,
                     fix="check the first-treated column (period of first treatment, 0 = never)")],
        )
    times = tvals
    if not (G == 0).any():
        if control == "never":
            raise DesignError(
                "There is no never-treated comparison group.",
                [Problem("every unit is treated at some point", column=first_treated, count=int(G.size),
                         fix='use control="not_yet" (compare with units not yet treated)')],
            )
        last = cohorts.max()
        warns.append(
            Caution(f"No unit is never treated: periods from {last - anticipation:g} on are dropped and the cohort "
                    f"first treated in {last:g} serves only as a comparison group.", code="did.no_never_treated")
        )
        cohorts = cohorts[cohorts < last]
        tkeep = times < last - anticipation
        Y, times = Y[:, tkeep], times[tkeep]
        X = None if X is None else X[:, tkeep]
        if cohorts.size == 0 or times.size < 2:
            raise DesignError(
                "With no never-treated units there is nothing to compare: only one adoption cohort.",
                [Problem("all units adopt at the same time and none is left untreated",
                         column=first_treated, fix="include untreated units in the data")],
            )
    w_unit = w_unit / w_unit.mean()
    Y = np.asfortranarray(Y)  # each cell reads two periods' columns: keep them contiguous
    sample = CSSample(Y=Y, G=G, w=w_unit, times=times, cohorts=cohorts, control=control,
                      anticipation=int(anticipation), X=X, covariates=covariates)
    return sample, warns
