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

from toolkit.data.sources import read_source, resolve_source
from toolkit.errors import ToolkitError
from toolkit.evaluations.schema import Evaluation, Goal
from toolkit.power import PowerResult, mde_did, mde_gap, mde_its, mde_staggered

__all__ = ["GoalPower", "goal_power", "charter_power", "power_frame", "power_sentence", "power_table",
           "NO_POWER_CHECK", "CANNOT_DETECT"]

CANNOT_DETECT = "this study cannot detect the change you forecast; consider more units or a longer period"
NO_POWER_CHECK = ("No goal is judged by a difference-in-differences stage with data, so the smallest effect the "
                  "evaluation could detect cannot be worked out at charter time.")


@dataclass(frozen=True)
class GoalPower:
    """One goal's power check: the MDE of its planned design against its forecast change.

    ``result`` is None (and ``reason`` says why) when no MDE could be worked out.  On the ``"ratio"`` scale
    (an ITS rate ratio) ``forecast`` and the MDE are log ratios; :attr:`shown` gives them as ratios.
    """

    goal: Goal
    design: str
    forecast: float
    result: PowerResult | None
    units: str = "units"
    reason: str = ""
    scale: str = "difference"

    @property
    def mde(self) -> float:
        return float(self.result.mde) if self.result is not None else math.nan

    @property
    def shown(self) -> tuple[float, float]:
        """(smallest detectable effect, forecast) in the goal's units: a ratio on the ratio scale."""
        if self.scale != "ratio":
            return self.mde, self.forecast
        sign = -1.0 if self.goal.direction == "decrease" else 1.0
        return float(np.exp(sign * self.mde)), float(np.exp(self.forecast))

    @property
    def cannot_detect(self) -> bool:
        """True when |forecast change| < MDE (the planned study would probably miss it)."""
        return bool(np.isfinite(self.mde) and abs(self.forecast) < self.mde)


def _forecast_change(goal: Goal) -> float:
    """Target − baseline; an impact goal's baseline is no effect (0) unless typed."""
    return float(goal.target - (goal.baseline if goal.baseline is not None else 0.0))


def _stage_panel(evaluation: Evaluation, folder, stage):
    """The stage's panel as the DiD stage builds it (:class:`toolkit.stages.did.treatment.DidData`)."""
    from toolkit.stages.did.inputs import prepare_inputs
    from toolkit.stages.did.treatment import resolve_treatment

    source = evaluation.data.sources[stage.source]
    files = resolve_source(stage.source, source, folder)
    mapping = dict(source.columns)
    params = dict(stage.parameters)
    inputs = prepare_inputs(read_source(files, mapping or None), mapping,
                            outcome_per=float(params.get("outcome_per", 1.0)), file=source.label)
    return resolve_treatment(inputs.data, columns=inputs.columns, treated_units=params.get("treated_units") or None,
                             start=params.get("treatment_start") or None, file=source.label)


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
    if stage.template not in ("did", "its") or stage.source is None:
        return GoalPower(goal, stage.template, forecast, None,
                         reason=f"the power check is planned only for difference-in-differences and interrupted "
                                f"time series stages with data, and stage '{stage.name}' uses the {stage.template} "
                                "template")
    params = dict(stage.parameters)
    if stage.template == "its":
        return _its_power(evaluation, folder, stage, goal, params, level=float(params.get("level", level)),
                          power=power)
    try:
        dd = _stage_panel(evaluation, folder, stage)
        design, result = _did_power(dd, goal, params, level=float(params.get("level", level)), power=power)
    except (ToolkitError, ValueError) as exc:
        return GoalPower(goal, "did", forecast, None, reason=str(exc).rstrip("."))
    unit_role = dict(evaluation.data.sources[stage.source].columns).get("unit", "unit")
    return GoalPower(goal, design, forecast, result, units=f"units ({unit_role})")


def _deseasonalise(series: pd.Series, season: np.ndarray) -> pd.Series:
    """Remove calendar-month (or quarter) means from a series' residuals about its linear trend.

    The stage fits a term per month of the year; the power simulation has none, so the seasonal swing is
    taken out of the baseline first rather than counted as noise (which would overstate the MDE).
    """
    t = np.arange(series.size, dtype=float)
    resid = series.to_numpy() - np.polyval(np.polyfit(t, series.to_numpy(), 1), t)
    means = pd.Series(resid).groupby(season).transform("mean").to_numpy()
    return pd.Series(series.to_numpy() - means, index=series.index)


def _its_power(evaluation: Evaluation, folder, stage, goal: Goal, params: dict, *, level: float,
               power: float) -> GoalPower:
    """ITS: the level change's MDE from the pre-scheme series (log scale for the count families' rate ratio).

    The stage's seasonality (a term per month) is removed from the baseline first; the level-change MDE is
    used for every ITS goal (a horizon's rate ratio also carries the slope change, so its MDE is larger).
    """
    from toolkit.stages.did.periods import parse_periods

    ratio = str(params.get("family", "quasipoisson")) != "gaussian"
    base = goal.baseline if goal.baseline is not None else (1.0 if ratio else 0.0)
    try:
        forecast = float(np.log(goal.target / base)) if ratio else float(goal.target - base)
    except (ZeroDivisionError, ValueError):
        forecast = math.nan
    scale = "ratio" if ratio else "difference"
    try:
        source = evaluation.data.sources[stage.source]
        mapping = dict(source.columns)
        data = read_source(resolve_source(stage.source, source, folder), mapping or None)
        y = pd.to_numeric(data["outcome"], errors="coerce")
        if "denominator" in data.columns:
            y = y / pd.to_numeric(data["denominator"], errors="coerce")
        periods, pscale = parse_periods(data["time"], column=mapping.get("time", "time"))
        if not params.get("intervention_start"):
            raise ValueError(f"stage '{stage.name}' does not say when the scheme starts (intervention_start)")
        start = pscale.parse_value(str(params["intervention_start"]), where=f"stages.{stage.name}.intervention_start")
        end = math.floor(pscale.parse_value(goal.by.isoformat(), where=f"goal {goal.id}: by"))
        pre = pd.Series(y.to_numpy(), index=periods).sort_index()
        pre = pre[pre.index < start].dropna()
        if ratio:
            pre = np.log(pre[pre > 0])
        if params.get("seasonality", "month") == "month" and pscale.freq in ("month", "quarter") and pscale.step == 1:
            pre = _deseasonalise(pre, np.array([pscale.ordinal(i) for i in pre.index]) % (12 if pscale.freq ==
                                                                                          "month" else 4))
        result = mde_its(n_pre=int(pre.size), n_post=int(end - math.ceil(start) + 1), baseline_series=pre.to_numpy(),
                         effect="level", level=level, power=power)
    except (ToolkitError, ValueError, KeyError) as exc:
        return GoalPower(goal, "its", forecast, None, reason=str(exc).rstrip("."), scale=scale)
    return GoalPower(goal, "its", forecast, result, units="periods", scale=scale)


def charter_power(evaluation: Evaluation, folder, *, level: float = 0.95, power: float = 0.8) -> list[GoalPower]:
    """:func:`goal_power` for every goal a design stage estimates, in charter order."""
    out = [goal_power(evaluation, folder, g, level=level, power=power) for g in evaluation.charter.goals]
    return [p for p in out if p is not None]


def power_frame(checks: list[GoalPower]) -> pd.DataFrame:
    """goal, design, MDE, forecast change, and the flag ("cannot detect" / "can detect" / "not worked out").

    MDE and forecast are in the goal's units: for an ITS rate ratio the ratio at the MDE (in the forecast's
    direction) and the forecast ratio.
    """
    rows: list[dict[str, Any]] = []
    for p in checks:
        flag = "not worked out" if p.result is None else ("cannot detect" if p.cannot_detect else "can detect")
        mde, forecast = p.shown
        rows.append({"goal": p.goal.id, "design": p.design or "–", "mde": mde, "forecast": forecast,
                     "unit": p.goal.unit or "", "flag": flag})
    return pd.DataFrame(rows, columns=["goal", "design", "mde", "forecast", "unit", "flag"])


def power_sentence(check: GoalPower) -> str:
    """One plain sentence per goal: the MDE (:func:`toolkit.power.describe_power`) and, when it is, the flag."""
    from toolkit.board.numbers import fmt
    from toolkit.power import describe_power

    goal = check.goal
    if check.result is None:
        return f"{goal.description}: the smallest detectable effect could not be worked out, as {check.reason}."
    if check.scale == "ratio":
        mde, forecast = check.shown
        n, chance = check.result.n, f"{check.result.power:.0%}"
        text = (f"{goal.description}: with {n['pre_periods']} periods before the scheme and {n['post_periods']} "
                f"after, the evaluation has {'an' if chance[0] == '8' else 'a'} {chance} chance of detecting a change in level to a rate "
                f"ratio of {fmt(mde)} or further from 1 (two-sided test at the {check.result.level:.0%} confidence "
                "level); a smaller change could be real but missed.")
        change = f"The forecast rate ratio is {fmt(forecast)}"
        if check.cannot_detect:
            return f"{text} {change}, closer to 1 than that: {CANNOT_DETECT}."
        return f"{text} {change}, which the study should be able to detect."
    outcome = goal.unit or "the outcome"
    said = describe_power(check.result, outcome=outcome, units="units")
    text = f"{goal.description}: {said[:1].lower()}{said[1:]}"
    change = f"The forecast change is {fmt(check.forecast)}"
    if check.cannot_detect:
        return f"{text} {change}, smaller than that: {CANNOT_DETECT}."
    return f"{text} {change}, which the study should be able to detect."


_DESIGNS = {"did": "difference-in-differences", "its": "interrupted time series (level change)", "staggered": "staggered roll-out (Callaway and Sant'Anna)",
            "gap": "difference in the gap (triple difference)"}


def power_table(checks: list[GoalPower]) -> pd.DataFrame:
    """:func:`power_frame` with board headings and words, for the charter's table."""
    f = power_frame(checks)
    return pd.DataFrame({
        "Goal": [p.goal.description for p in checks],
        "Design": [_DESIGNS.get(d, d) for d in f["design"]],
        "Smallest detectable effect": f["mde"].round(3),
        "Forecast change (ratio for a rate ratio)": f["forecast"].round(3),
        "Units": f["unit"].replace("", "–"),
        "Can the study detect the forecast?": f["flag"].map({"cannot detect": "no: consider more units or a "
                                                             "longer period", "can detect": "yes",
                                                             "not worked out": "not worked out"}),
    })
