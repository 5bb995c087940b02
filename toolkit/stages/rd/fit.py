"""The regression-discontinuity stage's fitting: role-named data and parameters → estimator calls.

:func:`run_rd` calls :func:`toolkit.designs.rd.fit` (rdrobust) and
:func:`toolkit.designs.rd.fit_by` and returns an
:class:`~toolkit.stages.rd.analysis.RDAnalysis`; :func:`imd_checks` checks an IMD-rank
running variable against the official lookup first.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.designs import rd
from toolkit.errors import DataError, DesignError
from toolkit.stages.common import collecting_cautions, reraise_with_parameter, require_roles
from toolkit.stages.rd.analysis import RDAnalysis
from toolkit.stages.verdicts import (Verdict, bandwidth_verdict, effective_n_verdict, heterogeneity_verdict,
                                     manipulation_verdict)

__all__ = ["run_rd", "running_check_verdict", "imd_checks", "MIN_PER_SIDE"]

MIN_PER_SIDE = rd.MIN_PER_SIDE


def running_check_verdict(data: pd.DataFrame, matched: pd.DataFrame, *, vintage: int) -> Verdict:
    """Does the running variable agree with the official IMD rank of each unit?

    Parameters
    ----------
    data : DataFrame
        Role-named rows with ``running``.
    matched : DataFrame
        The same rows after :meth:`StageContext.attach_imd` (``imd_rank``, NaN when unmatched).

    Rule: good when every matched unit's running value equals its official rank and
    every unit matched; caution otherwise (the rows concerned are counted).
    """
    rank = pd.to_numeric(matched["imd_rank"], errors="coerce")
    run = pd.to_numeric(data["running"], errors="coerce").to_numpy()
    ok = rank.notna().to_numpy()
    differ = ok & ~np.isclose(run, rank.to_numpy(float), equal_nan=False)
    n, n_ok, n_diff = len(data), int(ok.sum()), int(differ.sum())
    status = "good" if n_ok == n and n_diff == 0 else "caution"
    text = f"{n_ok:,} of {n:,} units matched an official IMD {vintage} rank"
    if n_diff:
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(differ)[:5])
        text += f"; {n_diff:,} have a score that differs from it (e.g. rows {rows})."
    else:
        text += "; every matched unit's score is its official rank."
    return Verdict(f"Is the deprivation score the official IMD {vintage} rank?", status, text,
                   "good when every unit matches and every value equals the official rank")



def imd_checks(ctx, data: pd.DataFrame, *, running_is_imd_rank: bool) -> tuple[Verdict, ...]:
    """When the running variable is the IMD rank and units are LSOAs, check it against the official lookup.

    Uses :meth:`toolkit.evaluations.context.StageContext.attach_imd` (the evaluation's
    ``imd_vintage``; credits the OGL data in the report).  Returns no verdicts when
    ``running_is_imd_rank`` is false or no ``unit`` role is mapped.
    """
    if not running_is_imd_rank or "unit" not in data:
        return ()
    attached = ctx.attach_imd(data, "unit")
    matched = attached.data.reset_index(drop=True)
    return (running_check_verdict(data.reset_index(drop=True), matched, vintage=attached.vintage),)



@collecting_cautions
def run_rd(
    data: pd.DataFrame,
    *,
    stage: str,
    cutoff: float,
    treated_side: str = "below",
    level: float = 0.95,
    bins: int = 20,
    outcome_label: str = "the outcome",
    running_label: str = "the running variable",
    running_set_externally: bool = False,
    group_label: str = "group",
    effect_unit: str = "",
    extra_verdicts: tuple[Verdict, ...] = (),
    column_names: dict[str, str] | None = None,
) -> RDAnalysis:
    """Run the regression-discontinuity stage on role-named data.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit; columns under role names ``running`` and ``outcome``,
        optionally ``unit`` and ``group``.
    stage : str
        Stage name, for error messages that point into evaluation.yaml.
    cutoff : float
        The threshold of the running variable.
    treated_side : {"below", "above"}
        Which side gets the scheme (below: running < cutoff).
    level, bins
        Passed to :func:`toolkit.designs.rd.fit`.
    running_set_externally : bool
        The units cannot choose their running value (e.g. national IMD ranks); used
        by the manipulation verdict.
    effect_unit : str
        Unit of the jump in words (e.g. "percentage points").
    extra_verdicts : tuple of Verdict
        Checks made by the template beforehand (e.g. :func:`running_check_verdict`).
    column_names : dict, optional
        The source's ``{role: user column}`` mapping, so errors name the user's columns.

    Returns
    -------
    RDAnalysis

    Notes
    -----
    The estimate is rdrobust's conventional local-linear jump τ̂ = μ̂₊(c) − μ̂₋(c)
    with the sign set so it is always *treated side minus untreated side*; the
    interval is the robust bias-corrected one.  With a ``group`` role each group
    gets its own MSE-optimal bandwidth (:func:`toolkit.designs.rd.fit_by`).
    """
    require_roles(data, {"running": "the ranked or scored variable", "outcome": "the outcome"}, stage=stage)
    if treated_side not in ("below", "above"):
        raise DesignError(f"Stage '{stage}': treated_side must be 'below' or 'above', not {treated_side!r}.")
    kw = dict(treated=treated_side, level=level, outcome_label=outcome_label)
    try:
        result = rd.fit(data, "outcome", "running", float(cutoff), bins=bins, **kw)
    except DesignError as exc:
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter="cutoff",
                                     fix=f"set cutoff to the threshold inside the running variable's range, with at "
                                         f"least {MIN_PER_SIDE} units on each side") from None
    except DataError as exc:
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter=None,
                                     fix="correct the data file named in data.sources") from None
    by_group = None
    if "group" in data:
        by_group = rd.fit_by(data, "outcome", "running", float(cutoff), by="group", **kw)
        by_group = by_group.rename(columns={"group": group_label})
    verdicts = list(extra_verdicts) + [
        manipulation_verdict(result.density, running_label=running_label, set_externally=running_set_externally),
        effective_n_verdict(int(result.extra["n_eff_left"]), int(result.extra["n_eff_right"]), minimum=rd.WARN_EFFECTIVE),
        bandwidth_verdict(result.estimate, result.sensitivity),
    ]
    gradient = heterogeneity_verdict(by_group, by_label=group_label, term="") if by_group is not None else None
    notes: list[str] = []
    return RDAnalysis(result=result, by_group=by_group, verdicts=verdicts, notes=notes, outcome_label=outcome_label,
                      running_label=running_label, group_label=group_label, treated_side=treated_side,
                      effect_unit=effect_unit, gradient=gradient,
                      settings={"cutoff": cutoff, "treated_side": treated_side})
