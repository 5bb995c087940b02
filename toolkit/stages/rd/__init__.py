"""The ``rd`` template's stage: a sharp regression discontinuity at a threshold of a running variable.

``build(ctx, ...)`` reads the stage's role-named data, checks an IMD-rank running
variable against the official lookup, fits :func:`toolkit.designs.rd.fit` (and
``fit_by`` per group) and returns an :class:`RDAnalysis`, which records the named
results and gives the report's sections (:data:`SECTIONS`).

Layout: :mod:`.fit` (the IMD check and the estimator calls), :mod:`.analysis`
(sentences, records and sections) and :mod:`.tables` (display tables).
"""

from __future__ import annotations

from dataclasses import replace

from toolkit.stages.common import role_columns
from toolkit.stages.rd.analysis import SECTIONS, RDAnalysis, fmt_cutoff
from toolkit.stages.rd.fit import MIN_PER_SIDE, imd_checks, run_rd, running_check_verdict

__all__ = ["build", "SECTIONS", "RDAnalysis", "run_rd", "imd_checks", "running_check_verdict", "fmt_cutoff",
           "MIN_PER_SIDE"]


def build(
    ctx,
    *,
    cutoff: float,
    treated_side: str = "below",
    level: float = 0.95,
    bins: int = 20,
    outcome_label: str = "the outcome",
    effect_unit: str = "",
    running_label: str = "the running variable",
    running_set_externally: bool = False,
    running_is_imd_rank: bool = False,
    group_label: str = "group",
    outcome_scale: str = "",
) -> RDAnalysis:
    """Fit the regression-discontinuity stage of an evaluation from its context and the template's parameters.

    Parameters
    ----------
    ctx : toolkit.evaluations.context.StageContext
        The stage's context (:func:`toolkit.evaluations.context.open_stage`).
    cutoff, treated_side, level, bins, outcome_label, effect_unit, running_label, running_set_externally, \
group_label
        The template's parameters; see :func:`toolkit.stages.rd.fit.run_rd`.
    running_is_imd_rank : bool
        The running variable is the national IMD rank of LSOA units: with a ``unit`` role, each
        unit's value is checked against the official rank (:func:`toolkit.stages.rd.fit.imd_checks`).
    outcome_scale : str
        What the outcome measures; checked by ``hitk validate`` before the stage runs, unused here.

    Returns
    -------
    RDAnalysis
        With the evaluation's charter attached (its title heads the design facts).
    """
    data = ctx.data()
    analysis = run_rd(data, stage=ctx.stage.name, cutoff=cutoff, treated_side=treated_side, level=level, bins=bins,
                      outcome_label=outcome_label, effect_unit=effect_unit, running_label=running_label,
                      running_set_externally=running_set_externally, group_label=group_label,
                      extra_verdicts=imd_checks(ctx, data, running_is_imd_rank=running_is_imd_rank),
                      column_names=role_columns(ctx))
    return replace(analysis, charter=ctx.charter)
