"""The difference-in-differences stage: build the analysis, record its results, give its sections.

:func:`build` reads the stage's panel, resolves who is treated when, chooses the design and runs
every estimate the report shows; :class:`DidAnalysis` records the named results
(``results.json``) and gives the sections (:mod:`~toolkit.stages.did.sections`).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import pandas as pd

from toolkit.stages.base import StageAnalysis
from toolkit.stages.did import wording
from toolkit.stages.did.caveats import Caveat, design_caveats, treated_pre_mean, unit_words
from toolkit.stages.did.choose import DesignChoice, choose_design
from toolkit.stages.did.inputs import DidInputs, group_effects, prepare_inputs
from toolkit.stages.did.sections import SECTIONS, DidSections
from toolkit.stages.did.treatment import DidData, resolve_treatment

if TYPE_CHECKING:  # the estimators load in build(): `hitk validate` imports this package's light modules
    from toolkit.stages.did.estimate import DidEstimates
    from toolkit.stages.did.placebo import PlaceboCheck
    from toolkit.stages.did.robustness import Robustness

__all__ = ["DidAnalysis", "build", "SECTIONS"]


@dataclass(frozen=True)
class DidAnalysis(DidSections, StageAnalysis):
    """Every estimate of the DiD report, the choices behind them, and the words for them.

    Attributes
    ----------
    inputs : DidInputs
        The prepared data (outcome from numerator/denominator, groups).
    dd : DidData
        The validated panel with treatment on one period scale.
    choice : DesignChoice
        Staggered (Callaway & Sant'Anna headline) or one start time (two-way fixed effects).
    estimates : DidEstimates
        The headline, TWFE, event study, effects by cohort and over time, equity, pre-trend test.
    checks : list of PlaceboCheck
        Placebo effects at fake start dates.
    robustness : Robustness
        Sun & Abraham, imputation, wild bootstrap, adjusted subgroup p-values, honest sensitivity.
    group_table, group_results
        Effects within each ``group`` value (None and () when no group column is mapped).
    label, higher_is_better, most_deprived, leads, level, group_column
        The parameters as the sections use them.
    caveats : tuple of Caveat
        The design's standing caveats that apply (:func:`~toolkit.stages.did.caveats.design_caveats`).
    pre_mean : float
        The treated units' mean outcome before they started: the reference of the relative effect.
    unit_word : str
        What the units are, in words ("practices").
    """

    SECTIONS = SECTIONS

    inputs: DidInputs
    dd: DidData
    choice: DesignChoice
    estimates: DidEstimates
    checks: tuple[PlaceboCheck, ...]
    robustness: Robustness
    group_table: pd.DataFrame | None
    group_results: tuple[tuple[str, Any], ...]
    label: str
    higher_is_better: bool
    most_deprived: tuple
    leads: int
    level: float
    group_column: str = "group"
    caveats: tuple[Caveat, ...] = ()
    pre_mean: float = math.nan
    unit_word: str = "units"

    @property
    def cautions(self) -> list[str]:
        """What the board should bear in mind, once each: data checks, estimators, placebo checks."""
        found = (list(self.inputs.warnings) + list(self.dd.warnings) + list(self.estimates.warnings)
                 + [w for c in self.checks if c.result is not None for w in c.result.warnings])
        return list(dict.fromkeys(found))

    def record(self, results) -> None:
        """Record the stage's named results (the scaffold lists them; ``results.json``)."""
        an, choice = self.estimates, self.choice
        results.record_design("att", an.headline, extra={"estimator": choice.headline, "comparison": choice.control,
                                                         "staggered": choice.staggered, "outcome": self.label})
        if an.by_cohort is not None:
            results.record_table("att_by_group", an.by_cohort.table)
        results.record_table("event_study", an.dynamic.table if choice.staggered else an.event_study.table)
        self._record_pretrend(results)
        for c in self.checks:
            if c.result is not None:
                results.record_design(f"placebo_{c.shift}", c.result, extra={
                    "shift": c.shift, "passed": c.passed, "cohorts": [self.dd.scale.label(g) for g in c.cohorts],
                    "design": "stacked pre-treatment panels, fake start shifted earlier"})
        if an.equity is not None:
            results.record_design("gap_effect", an.equity, extra={
                "baseline_gap": an.equity.baseline_gap, "gap_narrowed": an.equity.gap_narrowed,
                "most_deprived": list(self.most_deprived)})
            for rec in wording.quintile_records(an.equity):
                results.record(rec.pop("name"), rec.pop("estimate"), kind="effect", **rec)
            results.record_table("effects_by_quintile", an.equity.table)
        if self.group_table is not None:
            for name, r in self.group_results:
                results.record_design(name, r, extra={"group_column": self.group_column})
            results.record_table("effects_by_group", self.group_table)
        if choice.staggered:
            results.record_design("att_twfe", an.twfe, extra={"comparison_only": True,
                                                              "label": "potentially biased under staggered adoption"})
        self._record_robustness(results)

    def _record_pretrend(self, results) -> None:
        an = self.estimates
        pretrend, ok = an.pretrend, an.pretrend_ok
        text = self.pretrend_text
        results.record("pretrend_p", pretrend["p_value"] if ok else None,
                       p_value=pretrend["p_value"] if ok else None, kind="diagnostic",
                       n=an.headline.n_obs if an.cs_pretrend is not None else an.event_study.n_obs,
                       method=an.pretrend_method, sentence=text,
                       extra={**{k: float(v) for k, v in pretrend.items()}, "valid": ok, "source": an.pretrend_source})
        passed = an.pretrend_passed()
        if passed is not None:
            results.record("pretrend_passed", 1.0 if passed else 0.0, kind="diagnostic", method=an.pretrend_method,
                           sentence=text, extra={"alpha": 0.05, "source": an.pretrend_source})

    def _record_robustness(self, results) -> None:
        rb = self.robustness
        if rb.honest is not None:
            results.record_table("honest_sensitivity", rb.honest.table)
        for r in rb.rows:
            if r.result is not None:
                results.record_design(f"robust_{r.key}", r.result, extra={"comparison_only": True, "label": r.label})
        if rb.subgroups is not None:
            results.record_table("effects_by_quintile_adjusted", rb.subgroups.table)


def _charter(ctx):
    return getattr(getattr(ctx.evaluation, "config", None), "charter", None)


def charter_multiplicity(ctx) -> str:
    """The charter's adjustment for subgroup p-values (``charter.multiplicity``: "holm" or "bh"; default "holm")."""
    return getattr(_charter(ctx), "multiplicity", None) or "holm"


def build(
    ctx,
    *,
    outcome_label: str = "the outcome",
    higher_is_better: bool = True,
    treated_units: list | None = None,
    treatment_start: str = "",
    comparison: str = "not_yet",
    most_deprived: list | None = None,
    leads: int = 12,
    lags: int = 12,
    placebo_shifts: list | None = None,
    level: float = 0.95,
    outcome_scale: str = "",
    outcome_per: float = 1.0,
) -> DidAnalysis:
    """Read the stage's panel and run every estimate the DiD report shows.

    Parameters
    ----------
    ctx : StageContext
        From :func:`toolkit.evaluations.context.open_stage`.
    outcome_label : str
        The outcome in words for the board (empty: the column name, or the rate's description).
    higher_is_better : bool
        An increase in the outcome is the hoped-for change.
    treated_units : list, optional
        Treated unit identifiers, when treatment is given as units plus ``treatment_start``.
    treatment_start : str
        When the listed units started (YYYY-MM, YYYY-Qn or YYYY-MM-DD).
    comparison : {"not_yet", "never"}
        Staggered adoption: the comparison units (:func:`~toolkit.stages.did.choose.choose_design`).
    most_deprived : list, optional
        Deprivation quintile(s) forming the most deprived group for the gap (default [1], Core20).
    leads, lags : int
        Event-study window: periods before adoption (tested for pre-trends) and after it.
    placebo_shifts : list, optional
        Placebo checks: pretend each group started this many periods earlier (default [6, 12]).
    level : float
        Confidence level of every interval.
    outcome_scale : str
        What the outcome measures; checked by ``hitk validate`` against the data, not used here.
    outcome_per : float
        With numerator and denominator mapped: the outcome is numerator / denominator times this.

    Returns
    -------
    DidAnalysis

    Raises
    ------
    ConfigError, DataError, DesignError
        A mapping, the data or the design cannot give an estimate (the message names the column and the fix).

    Notes
    -----
    The effects by deprivation group are shown with p-values adjusted as the charter chooses
    (``charter.multiplicity``: Holm, the default, or Benjamini-Hochberg); the effect on the gap,
    the primary estimate, is not adjusted.
    """
    from toolkit.stages.did.estimate import estimate_did
    from toolkit.stages.did.placebo import placebo_checks
    from toolkit.stages.did.robustness import robustness_checks

    most_deprived = [1] if most_deprived is None else list(most_deprived)
    placebo_shifts = [6, 12] if placebo_shifts is None else list(placebo_shifts)
    treated_units = [] if treated_units is None else list(treated_units)
    mapping = dict(ctx.evaluation.config.data.sources[ctx.stage.source].columns)
    inputs = prepare_inputs(ctx.data(), mapping, outcome_per=outcome_per, file=ctx.source_label)
    dd = resolve_treatment(inputs.data, columns=inputs.columns, treated_units=treated_units,
                           start=treatment_start or None, file=ctx.source_label)
    label = outcome_label or inputs.columns.get("outcome", "the outcome")
    choice = choose_design(dd, comparison=comparison)
    an = estimate_did(dd, choice, outcome_label=label, leads=leads, lags=lags, most_deprived=most_deprived,
                      level=level)
    checks = placebo_checks(dd, shifts=placebo_shifts, control=choice.control, outcome_label=label, level=level)
    group_table, group_results = None, ()
    if inputs.groups:
        group_table, records = group_effects(inputs, staggered=choice.staggered, control=choice.control,
                                             treated_units=treated_units, start=treatment_start or None,
                                             outcome_label=label, level=level, file=ctx.source_label)
        group_results = tuple(records)
    rb = robustness_checks(an, outcome_label=label, level=level, multiplicity=charter_multiplicity(ctx))
    words = unit_words(mapping.get("unit", "unit"))
    caveats = design_caveats(dd, charter=_charter(ctx), equity_estimated=an.equity is not None, robustness=rb,
                             unit_word=words)
    return DidAnalysis(inputs, dd, choice, an, tuple(checks), rb, group_table, group_results, label,
                       bool(higher_is_better), tuple(most_deprived), leads, level,
                       mapping.get("group", "group"), tuple(caveats), treated_pre_mean(dd), words)
