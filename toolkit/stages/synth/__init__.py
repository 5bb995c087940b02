"""The ``synth`` template's stage: a synthetic control for one area with the scheme.

``build(ctx, ...)`` reads the stage's role-named panel, fits
:func:`toolkit.designs.synth.fit` (per group too, and synthetic DiD beside it) and
returns a :class:`SynthAnalysis`, which records the named results and gives the
report's sections (:data:`SECTIONS`).

Layout: :mod:`.fit` (periods, the treated unit, the estimator calls), :mod:`.compare`
(synthetic DiD and DiD beside the synthetic control), :mod:`.analysis` (records and
sections) and :mod:`.tables` (display tables).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from toolkit.stages.common import role_columns
from toolkit.stages.synth.analysis import SECTIONS, SynthAnalysis
from toolkit.stages.synth.fit import MIN_PRE_PERIODS, parse_periods, run_synth

__all__ = ["build", "SECTIONS", "SynthAnalysis", "run_synth", "parse_periods", "MIN_PRE_PERIODS"]


def build(
    ctx,
    *,
    treated_unit: Any,
    treatment_start: Any,
    donors: Sequence[Any] = (),
    outcome_label: str = "the outcome",
    period_label: str = "quarter",
    group_label: str = "deprivation quintile",
    outcome_scale: str = "",
) -> SynthAnalysis:
    """Fit the synthetic-control stage of an evaluation from its context and the template's parameters.

    Parameters
    ----------
    ctx : toolkit.evaluations.context.StageContext
        The stage's context (:func:`toolkit.evaluations.context.open_stage`).
    treated_unit, treatment_start, donors, outcome_label, period_label, group_label
        The template's parameters; see :func:`toolkit.stages.synth.fit.run_synth`.
    outcome_scale : str
        What the outcome measures; checked by ``hitk validate`` before the stage runs, unused here.

    Returns
    -------
    SynthAnalysis
        With the evaluation's charter attached (its title heads the design facts).
    """
    analysis = run_synth(ctx.data(), stage=ctx.stage.name, treated_unit=treated_unit,
                         treatment_start=treatment_start, donors=donors, outcome_label=outcome_label,
                         period_label=period_label, group_label=group_label, column_names=role_columns(ctx))
    return replace(analysis, charter=ctx.charter)
