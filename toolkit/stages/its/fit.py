"""The interrupted-time-series stage's fitting: role-named data and parameters → estimator calls.

:func:`run_its` turns the ``its`` template's data and parameters into calls to
:func:`toolkit.designs.its.segmented` (and ``segmented_by``) and returns an
:class:`~toolkit.stages.its.analysis.ITSAnalysis`; nothing here estimates anything itself.
"""

from __future__ import annotations

from typing import Any, Sequence

import pandas as pd

from toolkit.designs import its
from toolkit.errors import DataError, DesignError, ToolkitError
from toolkit.stages.common import collecting_cautions, reraise_with_parameter, require_roles
from toolkit.stages.its.analysis import ITSAnalysis
from toolkit.stages.its.inputs import parse_seasonality, split_series
from toolkit.stages.verdicts import (autocorrelation_verdict, controlled_verdict, heterogeneity_verdict,
                                     periods_verdict, seasonality_verdict)

__all__ = ["run_its", "MIN_PRE_PERIODS"]

MIN_PRE_PERIODS = its.MIN_PRE_PERIODS
_COMPARISON_ROLES = ("comparison_outcome", "comparison_denominator")


@collecting_cautions
def run_its(
    data: pd.DataFrame,
    *,
    stage: str,
    intervention_start: Any,
    family: str = "quasipoisson",
    seasonality: Any = "month",
    horizons: Sequence[int] = (),
    per: float = 1000,
    use_comparison: bool = True,
    level: float = 0.95,
    outcome_label: str = "the outcome",
    period_label: str = "month",
    rate_label: str = "",
    group_label: str = "deprivation quintile",
    min_pre: int = MIN_PRE_PERIODS,
    column_names: dict[str, str] | None = None,
) -> ITSAnalysis:
    """Run the interrupted-time-series stage on role-named data.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns under role names: ``time``, ``outcome`` and optionally ``denominator``,
        ``comparison_outcome``, ``comparison_denominator`` (a comparison area's series
        on the same rows) and ``group`` (e.g. IMD quintile, 1 = most deprived; then
        one row per group and period).
    stage : str
        Stage name, for error messages that point into evaluation.yaml.
    intervention_start
        First period of the scheme, in the time column's terms ("2023-04" or 49).
    family, per, level, min_pre
        Passed to :func:`toolkit.designs.its.segmented`.
    seasonality : str or int
        See :func:`parse_seasonality`.
    horizons : sequence of int
        Periods after the start (0 = first) at which to report the difference from
        the counterfactual; horizons beyond the data are dropped with a note, and the
        last observed period is always added.
    use_comparison : bool
        Fit a controlled ITS as a check when a comparison series is mapped.
    outcome_label, period_label, rate_label, group_label : str
        Words for the report.
    column_names : dict, optional
        The source's ``{role: user column}`` mapping, so errors name the user's columns.

    Returns
    -------
    ITSAnalysis

    Notes
    -----
    The headline is the single-series segmented regression (its level change β₂,
    a rate ratio exp(β₂) for count families; see
    :func:`toolkit.designs.its.segmented`).  The controlled ITS is a check: its
    verdict (:func:`toolkit.stages.verdicts.controlled_verdict`) says whether it
    agrees.  With a ``group`` role the headline uses the period totals
    Σ_g outcome and Σ_g denominator, and :func:`toolkit.designs.its.segmented_by`
    gives each group's effect with Cochran's Q and the gradient across groups.
    """
    require_roles(data, {"time": "the period", "outcome": "what is counted or measured"}, stage=stage)
    season = parse_seasonality(seasonality)
    comparison = use_comparison and "comparison_outcome" in data
    group = "group" in data
    series, control, notes = split_series(data, comparison=comparison, group=group, family=family)
    den = "denominator" if "denominator" in series else None
    common = dict(denominator=den, seasonality=season, family=family, per=per, level=level, min_pre=min_pre,
                  outcome_label=outcome_label, season_period=12 if period_label == "month" else
                  4 if period_label == "quarter" else None)
    try:
        first = its.segmented(series, "outcome", "time", intervention_start, **common)
    except DesignError as exc:
        fix = ("set intervention_start to the first period of the scheme, inside the data, with enough periods "
               f"before it (at least {min_pre})")
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter="intervention_start", fix=fix) from None
    except DataError as exc:
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter=None,
                                     fix="correct the data file named in data.sources") from None
    n_post = int(first.extra["n_post"])
    asked = sorted({int(h) for h in horizons})
    kept = [h for h in asked if 0 <= h < n_post]
    dropped = [h for h in asked if h not in kept]
    cautions: list[str] = []
    if dropped:
        cautions.append(f"Horizon(s) {', '.join(map(str, dropped))} {period_label}s after the start are beyond the "
                     f"data ({n_post} {period_label}s observed since the start) and are not shown.")
    hz = sorted(set(kept) | {n_post - 1})
    result = its.segmented(series, "outcome", "time", intervention_start, horizons=hz, **common)
    # the same model's effect at every period after the start, for the chart's band and effect panels
    effects = its.segmented(series, "outcome", "time", intervention_start, horizons=list(range(n_post)),
                            **common).horizons
    controlled = None
    if comparison:
        try:
            controlled = its.segmented(series, "outcome", "time", intervention_start, control=control, **common)
        except ToolkitError as exc:
            cautions.append(f"The comparison series could not be used: {exc}")
    by_group = gradient = None
    if group:
        long = data.drop(columns=[c for c in _COMPARISON_ROLES if c in data])
        by_group = its.segmented_by(long, "outcome", "time", intervention_start, by="group", **common)
        by_group = by_group.rename(columns={"group": group_label})
    unit = period_label
    verdicts = [
        periods_verdict(int(result.extra["n_pre"]), side="pre", unit=unit, minimum=min_pre),
        periods_verdict(n_post, side="post", unit=unit, minimum=2),
        seasonality_verdict(season, unit=unit),
        autocorrelation_verdict(result.diagnostics, cov=result.extra["cov"]),
    ]
    if controlled is not None:
        verdicts.append(controlled_verdict(result, controlled))
    if by_group is not None:
        gradient = heterogeneity_verdict(by_group, by_label=group_label, term="level_change_",
                                         ratio=result.scale == "ratio")
    return ITSAnalysis(result=result, controlled=controlled, by_group=by_group, verdicts=verdicts, notes=notes,
                       outcome_label=outcome_label, period_label=period_label, rate_label=rate_label,
                       group_label=group_label, gradient=gradient, cautions=cautions, effects=effects,
                       settings={"intervention_start": intervention_start, "family": family,
                                 "seasonality": season, "per": per, "horizons": hz})

