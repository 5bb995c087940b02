"""The ``its`` template's stage: interrupted time series (segmented regression).

``build(ctx, ...)`` reads the stage's role-named data, fits
:func:`toolkit.designs.its.segmented` (and a controlled ITS and the by-group fits
when mapped) and returns an :class:`ITSAnalysis`, which records the named results
and gives the report's sections (:data:`SECTIONS`).

Layout: :mod:`.inputs` (the seasonality parameter, the series to fit), :mod:`.fit`
(the estimator calls), :mod:`.analysis` (records and sections), :mod:`.words`
(sentences) and :mod:`.tables` (display tables).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any, Sequence

from toolkit.reporting.formatting import fmt_number
from toolkit.stages.common import role_columns
from toolkit.stages.its.analysis import SECTIONS, ITSAnalysis
from toolkit.stages.its.fit import MIN_PRE_PERIODS, run_its
from toolkit.stages.its.inputs import parse_seasonality, split_series

__all__ = ["build", "SECTIONS", "ITSAnalysis", "run_its", "parse_seasonality", "split_series", "MIN_PRE_PERIODS"]


def build(
    ctx,
    *,
    intervention_start: Any,
    family: str = "quasipoisson",
    seasonality: Any = "month",
    horizons: Sequence[int] = (),
    per: float = 1000.0,
    population_label: str = "residents",
    use_comparison: bool = True,
    level: float = 0.95,
    outcome_label: str = "the outcome",
    period_label: str = "month",
    group_label: str = "deprivation quintile",
    outcome_scale: str = "",
) -> ITSAnalysis:
    """Fit the ITS stage of an evaluation from its context and the template's parameters.

    Parameters
    ----------
    ctx : toolkit.evaluations.context.StageContext
        The stage's context (:func:`toolkit.evaluations.context.open_stage`).
    intervention_start, family, seasonality, horizons, per, use_comparison, level, outcome_label, \
period_label, group_label
        The template's parameters; see :func:`toolkit.stages.its.fit.run_its`.
    population_label : str
        Who the denominator counts: rates read "per ``per`` ``population_label``".
    outcome_scale : str
        What the outcome measures; checked by ``hitk validate`` before the stage runs, unused here.

    Returns
    -------
    ITSAnalysis
        With the evaluation's charter attached (its title heads the design facts).
    """
    rate_label = f"per {fmt_number(per)} {population_label}"
    analysis = run_its(ctx.data(), stage=ctx.stage.name, intervention_start=intervention_start, family=family,
                       seasonality=seasonality, horizons=horizons, per=per, use_comparison=use_comparison,
                       level=level, outcome_label=outcome_label, period_label=period_label, rate_label=rate_label,
                       group_label=group_label, column_names=role_columns(ctx))
    return replace(analysis, charter=ctx.charter)
