"""Can this evaluation tell at all? The charter's power check, before outcome data are in.

For each goal judged by a difference-in-differences stage's effect, the stage's
data are read as the stage reads them (role mapping, ``outcome_per``,
``treated_units``/``treatment_start``), the periods before the first unit joins
the scheme form the baseline panel, and :mod:`toolkit.power` gives the minimum
detectable effect (MDE) of the planned study: the treated and comparison units
of the data, their pre-scheme periods and the periods after, up to the goal's
date.  A forecast change smaller than the MDE is flagged: the study cannot
detect it.  Nothing is estimated from post-scheme outcomes.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from toolkit.data.sources import read_source, resolve_files
from toolkit.errors import ToolkitError
from toolkit.evaluations.schema import Evaluation, Goal
from toolkit.power import PowerResult, mde_did, mde_gap, mde_staggered

__all__ = ["GoalPower", "goal_power", "charter_power", "power_frame", "power_sentence", "power_table",
           "NO_POWER_CHECK", "CANNOT_DETECT"]

CANNOT_DETECT = "this study cannot detect the change you forecast; consider more units or a longer period"
NO_POWER_CHECK = ("No goal is judged by a difference-in-differences stage with data, so the smallest effect the "
                  "evaluation could detect cannot be worked out at charter time.")


@dataclass(frozen=True)
class GoalPower:
    """One goal's power check: the MDE of its planned design against its forecast change.

    ``result`` is None (and ``reason`` says why) when no MDE could be worked out.
    """

    goal: Goal
    design: str
    forecast: float
    result: PowerResult | None
    units: str = "units"
    reason: str = ""

    @property
    def mde(self) -> float:
        return float(self.result.mde) if self.result is not None else math.nan

    @property
    def cannot_detect(self) -> bool:
        """True when |forecast change| < MDE (the planned study would probably miss it)."""
        return bool(np.isfinite(self.mde) and abs(self.forecast) < self.mde)


def _forecast_change(goal: Goal) -> float:
    """Target − baseline; an impact goal's baseline is no effect (0) unless typed."""
    return float(goal.target - (goal.baseline if goal.baseline is not None else 0.0))


def _stage_panel(evaluation: Evaluation, folder, stage):
    """The stage's panel as the DiD stage builds it (:class:`toolkit.did_stage.treatment.DidData`)."""
    from toolkit.did_stage.inputs import prepare_inputs
    from toolkit.did_stage.treatment import resolve_treatment

    source = evaluation.data.sources[stage.source]
    files = resolve_files(stage.source, source, folder)
    mapping = dict(source.columns)
    params = dict(stage.parameters)
    inputs = prepare_inputs(read_source(files, mapping or None), mapping,
                            outcome_per=float(params.get("outcome_per", 1.0)), file=source.path)
    return resolve_treatment(inputs.data, columns=inputs.columns, treated_units=params.get("treated_units") or None,
                             start=params.get("treatment_start") or None, file=source.path)


def _did_power(dd, goal: Goal, params: dict, *, level: float, power: float) -> tuple[str, PowerResult]:
    first = dd.first_treated
    treated = first[first > 1]
    if treated.empty:
        raise ValueError("no unit joins the scheme after a period of data before it")
    start = int(treated.min())
    end = int(math.floor(dd.scale.parse_value(goal.by.isoformat(), where=f"goal {goal.id}: by")))
    if end < start:
        raise ValueError(f"the goal's date ({goal.by:%d %B %Y}) is before the first unit joins the scheme")
    never = int((first == 0).sum())
    data = dd.data
    base = data[data["period"] < start]
    common = dict(unit="unit", time="period", outcome="outcome", level=level, power=power)
    cohorts = {int(g) - 1: int(n) for g, n in treated.value_counts().items() if g <= end}
    is_gap = "gap" in goal.impact.result
    if is_gap:
        if "quintile" not in data.columns:
            raise ValueError("a gap goal needs the deprivation quintile of each unit (map `quintile:`)")
        focus = list(params.get("most_deprived", [1]))
        q = data.groupby("unit")["quintile"].first()
        in_focus = q.isin(focus)
        t = first.reindex(q.index).between(2, end)
        c = first.reindex(q.index) == 0
        n_t = (int((t & in_focus).sum()), int((t & ~in_focus).sum()))
        n_c = (int((c & in_focus).sum()), int((c & ~in_focus).sum()))
        if min(n_t + n_c) < 1:
            raise ValueError("the gap needs treated and never-treated units in both the most deprived group and the rest")
        return "gap", mde_gap(base, group="quintile", focus=focus, n_treated=n_t, n_control=n_c,
                              pre_periods=start - 1, post_periods=end - start + 1, **common)
    if never < 1:
        raise ValueError("no unit stays out of the scheme, so there is no comparison group to plan with")
    if len(cohorts) == 1:
        return "did", mde_did(base, n_treated=sum(cohorts.values()), n_control=never, pre_periods=start - 1,
                              post_periods=end - start + 1, **common)
    return "staggered", mde_staggered(base, cohorts=cohorts, n_control=never, periods=end, **common)


def goal_power(evaluation: Evaluation, folder, goal: Goal, *, level: float = 0.95,
               power: float = 0.8) -> GoalPower | None:
    """The power check of one goal; None for a goal no design stage estimates (measured or legacy goals).

    Parameters
    ----------
    evaluation : Evaluation
        The whole configuration.
    folder : path
        The evaluation folder (source paths are relative to it).
    goal : Goal
    level, power : float
        Confidence level of the two-sided test (the stage's ``level`` parameter when it sets one, as its
        verdict will use) and target power.

    Notes
    -----
    Staggered adoption with never-treated units uses :func:`toolkit.power.mde_staggered`
    (the Callaway–Sant'Anna simple ATT the stage reports), one cohort
    :func:`toolkit.power.mde_did`, and a goal on the gap (``impact.result``
    containing "gap") :func:`toolkit.power.mde_gap` with the stage's
    ``most_deprived`` quintiles (pre and post periods counted from the first
    unit's start).  The baseline variance comes from every unit's periods before
    the first start.  Stages other than ``did`` are not planned here (reason given).
    """
    if goal.impact is None:
        return None
    forecast = _forecast_change(goal)
    try:
        stage = evaluation.stage(goal.impact.stage)
    except KeyError:
        return GoalPower(goal, "", forecast, None, reason=f"there is no stage called '{goal.impact.stage}'")
    if stage.template != "did" or stage.source is None:
        return GoalPower(goal, stage.template, forecast, None,
                         reason=f"the power check is planned only for difference-in-differences stages "
                                f"(stage '{stage.name}' uses the {stage.template} template)")
    params = dict(stage.parameters)
    try:
        dd = _stage_panel(evaluation, folder, stage)
        design, result = _did_power(dd, goal, params, level=float(params.get("level", level)), power=power)
    except (ToolkitError, ValueError) as exc:
        return GoalPower(goal, "did", forecast, None, reason=str(exc).rstrip("."))
    unit_role = dict(evaluation.data.sources[stage.source].columns).get("unit", "unit")
    return GoalPower(goal, design, forecast, result, units=f"units ({unit_role})")


def charter_power(evaluation: Evaluation, folder, *, level: float = 0.95, power: float = 0.8) -> list[GoalPower]:
    """:func:`goal_power` for every goal a design stage estimates, in charter order."""
    out = [goal_power(evaluation, folder, g, level=level, power=power) for g in evaluation.charter.goals]
    return [p for p in out if p is not None]


def power_frame(checks: list[GoalPower]) -> pd.DataFrame:
    """goal, design, MDE, forecast change, and the flag ("cannot detect" / "can detect" / "not worked out")."""
    rows: list[dict[str, Any]] = []
    for p in checks:
        flag = "not worked out" if p.result is None else ("cannot detect" if p.cannot_detect else "can detect")
        rows.append({"goal": p.goal.id, "design": p.design or "–", "mde": p.mde, "forecast": p.forecast,
                     "unit": p.goal.unit or "", "flag": flag})
    return pd.DataFrame(rows, columns=["goal", "design", "mde", "forecast", "unit", "flag"])


def power_sentence(check: GoalPower) -> str:
    """One plain sentence per goal: the MDE (:func:`toolkit.power.describe_power`) and, when it is, the flag."""
    from toolkit.board.numbers import fmt
    from toolkit.power import describe_power

    goal = check.goal
    if check.result is None:
        return f"{goal.description}: the smallest detectable effect could not be worked out ({check.reason})."
    outcome = goal.unit or "the outcome"
    said = describe_power(check.result, outcome=outcome, units="units")
    text = f"{goal.description}: {said[:1].lower()}{said[1:]}"
    change = f"The forecast change is {fmt(check.forecast)}"
    if check.cannot_detect:
        return f"{text} {change}, smaller than that: {CANNOT_DETECT}."
    return f"{text} {change}, which the study should be able to detect."


_DESIGNS = {"did": "difference-in-differences", "staggered": "staggered roll-out (Callaway and Sant'Anna)",
            "gap": "difference in the gap (triple difference)"}


def power_table(checks: list[GoalPower]) -> pd.DataFrame:
    """:func:`power_frame` with board headings and words, for the charter's table."""
    f = power_frame(checks)
    return pd.DataFrame({
        "Goal": [p.goal.description for p in checks],
        "Design": [_DESIGNS.get(d, d) for d in f["design"]],
        "Smallest detectable effect": f["mde"].round(3),
        "Forecast change": f["forecast"].round(3),
        "Units": f["unit"].replace("", "–"),
        "Can the study detect the forecast?": f["flag"].map({"cannot detect": "no: consider more units or a "
                                                             "longer period", "can detect": "yes",
                                                             "not worked out": "not worked out"}),
    })
