"""The summary page's tables in plain words, and its technical appendix.

The page body names every measure by its plain label and every number with its unit
(:mod:`toolkit.reporting.formatting`); result keys, source names, field paths, commands and
method names appear only in the technical appendix at the end of the page.
"""

from __future__ import annotations

import re
from typing import Any

import pandas as pd

from toolkit.board.plain import GLOSSARY, result_label, stage_label
from toolkit.board.status import GoalStatus, find_estimate
from toolkit.board.summary import SummaryView
from toolkit.reporting.formatting import (
    MISSING, fmt_count, fmt_measure, fmt_measure_range, fmt_number, fmt_p, fmt_period, is_missing, is_ratio_unit,
)

__all__ = ["goal_row", "goal_sentence", "goal_unit", "measured_as", "plain_changes", "plain_deviations", "technical_results",
           "technical_goals", "GLOSSARY"]

_KIND = {"proportion": "Share", "rate": "Rate", "count": "Number", "mean": "Average"}
_STEP = {"input": "input", "activity": "activity", "output": "output", "reach": "reach", "fidelity": "fidelity",
         "outcome": "outcome", "impact": "impact"}


def _templates(view: SummaryView) -> dict[str, str]:
    return {s.name: s.template for s in view.evaluation.config.stages}


def goal_unit(g: GoalStatus, view: SummaryView) -> str:
    """The goal's unit: the charter's, else the linked estimate's (a rate ratio is recognised either way)."""
    if g.goal.unit:
        return g.goal.unit
    est = find_estimate(view.results, g.source) if g.source and not g.source.startswith("data:") else None
    if est is not None and ((est.get("extra") or {}).get("scale") == "ratio" or is_ratio_unit(est.get("unit"))):
        return "rate ratio"
    return (est or {}).get("unit") or ""


def measured_as(g: GoalStatus, view: SummaryView) -> str:
    """What the goal measures, in words (no source names, no result keys)."""
    goal = g.goal
    unit = goal_unit(g, view)
    if goal.measure is not None:
        m = goal.measure
        text = f"{_KIND.get(m.kind, m.kind.title())} in {m.population.text()}"
        text += ", minus everyone else" if m.gap else ""
        text += f", each {m.per}"
    elif g.kind == "impact" and g.source:
        stage = g.source.split(".", 1)[0]
        template = _templates(view).get(stage)
        label = result_label(g.source, find_estimate(view.results, g.source), template=template)
        text = f"{stage_label(template, stage).capitalize()}: {label}"
    else:
        text = result_label(g.source or goal.metric)
    return f"{text} ({unit})" if unit and not is_ratio_unit(unit) else text


def _forecast(g: GoalStatus, unit: str) -> str:
    goal = g.goal
    text = f"{fmt_measure(goal.target, unit)} by {fmt_period(goal.by)}"
    miles = "; ".join(f"{fmt_measure(m.value, unit, short=True)} by {fmt_period(m.date)}" for m in goal.milestones)
    return text + (f" (milestones: {miles})" if miles else "")


def goal_row(g: GoalStatus, view: SummaryView) -> dict[str, str]:
    """One row of the goals table: every number with its unit, ranges as "range a to b"."""
    unit = goal_unit(g, view)
    signed = g.kind == "impact" and not is_ratio_unit(unit)
    if g.baseline is None:
        base = "none"
    elif g.baseline_typed:
        base = f"{fmt_measure(g.baseline, unit)} (typed into the charter)"
    elif g.kind == "impact":
        base = "no effect (the forecast starts from none)"
    else:
        base = fmt_measure_range(g.baseline, g.baseline_low, g.baseline_high, unit)
    observed = "–" if g.observed is None else fmt_measure_range(g.observed, g.ci_low, g.ci_high, unit, signed=signed)
    return {
        "Goal": g.goal.description, "Step": _STEP.get(g.goal.step, g.goal.step), "Measured as": measured_as(g, view),
        "Before the scheme": base, "Forecast": _forecast(g, unit),
        "Latest data": fmt_period(g.as_of) if g.as_of else "–", "Observed": observed,
        "Expected by then": "–" if g.expected_now is None else fmt_measure(g.expected_now, unit, signed=signed),
        "Status": g.status, "Assurance": g.assurance or "–",
    }


_IS = {"on track": "is on track", "not on track": "is not on track", "cannot tell": "cannot tell us yet"}
_VERB = {"on track": "its whole range is at or beyond", "not on track": "its whole range falls short of",
         "cannot tell": "its range includes"}


def goal_sentence(g: GoalStatus, view: SummaryView) -> str:
    """Why the goal has its status, with units: "The latest value, 57.1% (range 55.7% to 58.5%), is on track:
    its whole range is at or beyond the 54.8% expected by March 2024." (the recorded reason otherwise)."""
    if g.observed is None or g.ci_low is None or g.expected_now is None or g.status not in _VERB:
        return g.reason[:1].upper() + g.reason[1:] + "."
    unit = goal_unit(g, view)
    signed = g.kind == "impact" and not is_ratio_unit(unit)
    what = "The estimated effect" if g.kind == "impact" else "The latest value"
    when = fmt_period(g.as_of) if g.as_of else "then"
    text = (f"{what}, {fmt_measure_range(g.observed, g.ci_low, g.ci_high, unit, signed=signed)}, {_IS[g.status]}: "
            f"{_VERB[g.status]} the {fmt_measure(g.expected_now, unit, signed=signed)} the forecast expects by {when}.")
    left_out = [part for part in g.reason.split("; ") if "left out" in part]
    return text + (f" {left_out[0][:1].upper()}{left_out[0][1:]}." if left_out else "")


def plain_deviations(view: SummaryView) -> pd.DataFrame:
    """Charter changes since sign-off, each field named in words (``charter.goals[0].target`` → goal's target)."""
    names = {i: g.description for i, g in enumerate(view.evaluation.config.charter.goals)}
    rows = []
    for d in view.deviations:
        path = re.sub(r"^charter\.", "", d.field)
        m = re.match(r"goals\[(\d+)\]\.?(.*)", path)
        if m:
            what = f"Goal '{names.get(int(m.group(1)), 'a removed goal')}': {m.group(2).replace('_', ' ').replace('.', ', ') or 'the goal'}"
        else:
            what = path.replace("_", " ").replace(".", ", ").replace("[", " ").replace("]", "").capitalize()
        rows.append({"What changed": what, "Signed off": str(d.before), "Now": str(d.after)})
    return pd.DataFrame(rows, columns=["What changed", "Signed off", "Now"])


def _periods_text(text: str) -> str:
    if not text or text == "none":
        return "none"
    return ", ".join(fmt_period(p.strip()) if p.strip() != "…" else "…" for p in text.replace(" …", ", …").split(","))


def plain_changes(view: SummaryView) -> dict[str, pd.DataFrame]:
    """The 'what changed' tables with labels and human periods (the raw ones go to the appendix)."""
    c = view.changes
    out: dict[str, pd.DataFrame] = {}
    if c is None:
        return out
    sources = view.evaluation.config.data.sources
    if len(c.data):
        out["data"] = pd.DataFrame({
            "Data": [(sources[s].description if s in sources and sources[s].description else str(s).replace("_", " "))
                     for s in c.data["Source"]],
            "Change": c.data["Change"],
            "Rows before": [fmt_count(x, about=False) if not is_missing(x) else "–" for x in c.data["Rows before"]],
            "Rows now": [fmt_count(x, about=False) if not is_missing(x) else "–" for x in c.data["Rows now"]],
            "New periods": [_periods_text(str(p)) for p in c.data["New periods"]],
        })
    if len(c.flips):
        goals = {g.goal.id: g.goal.description for g in view.goals}
        items = [re.sub(r"^Goal (\S+)", lambda m: f"Goal '{goals.get(m.group(1), m.group(1))}'", str(i))
                 for i in c.flips["Item"]]
        out["flips"] = pd.DataFrame({"Item": items, "Before": c.flips["Before"], "Now": c.flips["Now"]})
    moved = c.estimates[c.estimates["changed"]] if len(c.estimates) else c.estimates
    if len(moved):
        out["estimates"] = pd.DataFrame({
            "Measure": [result_label(k).capitalize() for k in moved["Result"]],
            "Before": [fmt_number(x) if not is_missing(x) else "–" for x in moved["Before"]],
            "Now": [fmt_number(x) if not is_missing(x) else "–" for x in moved["Now"]],
            "Moved by more than its usual uncertainty": moved["Moved more than one SE"]
            .replace({"no SE": "not known", "new": "new this run"}),
        })
    return out


def technical_results(view: SummaryView) -> pd.DataFrame:
    """Every effect, test and diagnostic of the run: plain label beside its key, method and p-value."""
    rows = []
    for e in view.results.get("estimates", []):
        if e.get("kind") in ("forecast", "power") or not e.get("key"):
            continue
        if e.get("kind") not in ("effect", "test", "diagnostic"):
            continue
        lo, hi = e.get("ci_low"), e.get("ci_high")
        rows.append({"Measure": result_label(e["key"], e).capitalize(), "Result key": e["key"],
                     "Estimate": fmt_number(e.get("estimate")),
                     "Interval": "–" if is_missing(lo) or is_missing(hi) else f"{fmt_number(lo)} to {fmt_number(hi)}",
                     "p-value": fmt_p(e.get("p_value")), "Unit": e.get("unit") or "–", "Method": e.get("method") or "–"})
    return pd.DataFrame(rows, columns=["Measure", "Result key", "Estimate", "Interval", "p-value", "Unit", "Method"])


def technical_goals(view: SummaryView) -> pd.DataFrame:
    """How each goal is computed: the data source and roles, or the stage result it reads."""
    rows = []
    for g in view.goals:
        m = g.goal.measure
        how: Any = (f"{m.kind} of {m.numerator or m.value or 'rows'} over {m.denominator or 'rows'} "
                    f"× {m.multiplier:g} from data source '{m.source}', population {m.population.text()}"
                    + (" minus the rest" if m.gap else "") + f", per {m.per}") if m is not None else (g.source or "–")
        rows.append({"Goal": g.goal.id, "Computed from": how, "Charter unit": g.goal.unit or "–",
                     "Standard error": fmt_number(g.se) if g.se is not None else MISSING})
    return pd.DataFrame(rows, columns=["Goal", "Computed from", "Charter unit", "Standard error"])
