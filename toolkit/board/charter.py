"""The charter as tables and sentences a board can sign off (presentation helpers, no analysis)."""

from __future__ import annotations

import pandas as pd

from toolkit.evaluations.schema import Charter

__all__ = ["goals_frame", "goal_measure_text", "costs_frame", "planned_evidence_frame", "logic_model_stages", "logic_model_frame", "target_group_text", "inequality_text",
           "DEFAULT_BOARD_QUESTIONS", "risks_frame", "data_sources_frame", "logic_model_alt"]

DEFAULT_BOARD_QUESTIONS = (
    "Are we seeing the outcomes we forecast in the charter? If not, why?",
    "Did the gap between the most and least deprived narrow, and how sure are we?",
    "Who is the scheme not reaching, and what does the data-completeness audit say about them?",
    "Was the evaluation design chosen before the results were seen, and has the charter changed since sign-off?",
)

_KINDS = {"access": "access to services", "experience": "experience of care", "outcomes": "outcomes"}


def goal_measure_text(goal) -> str:
    """What a goal measures, in words (a measure on data, a design stage's effect, or a named result)."""
    if goal.measure is not None:
        m = goal.measure
        who = m.population.text() + (" minus everyone else" if m.gap else "")
        of = m.value if m.kind == "mean" else m.numerator + (f" per {m.denominator}" if m.denominator else "")
        return f"{m.kind} of {of} in {who}, per {m.per}, from {m.source}"
    if goal.impact is not None:
        return f"effect '{goal.impact.result}' estimated by stage '{goal.impact.stage}'"
    return f"result {goal.metric}"


def goals_frame(charter: Charter) -> pd.DataFrame:
    rows = []
    for g in charter.goals:
        if g.measure is not None:
            base = "from the data before the scheme" + (f" (typed fallback {g.baseline:g})" if g.baseline is not None else "")
        elif g.baseline is not None:
            base = f"{g.baseline:g} (typed)"
        else:
            base = "no effect (0)" if g.impact is not None else "–"
        rows.append({
            "Goal": g.description,
            "Logic-model step": g.step,
            "Measured as": goal_measure_text(g) + (f" ({g.unit})" if g.unit else ""),
            "Baseline": base,
            "Forecast target": g.target,
            "Direction": "increase" if g.direction == "increase" else "decrease",
            "By": g.by.isoformat(),
            "Milestones": "; ".join(f"{m.value:g} by {m.date.isoformat()}" for m in g.milestones) or "straight line",
        })
    return pd.DataFrame(rows)


def costs_frame(charter: Charter) -> pd.DataFrame:
    """The scheme's costs (total, per period, by category) and the value of outcomes, as stated."""
    c = charter.costs
    if c is None:
        return pd.DataFrame(columns=["Item", "Amount"])
    rows = []
    if c.total is not None:
        rows.append({"Item": "Total cost", "Amount": f"{c.currency}{c.total:,.0f}"})
    if c.per_period is not None:
        rows.append({"Item": f"Cost per {c.per_period.every}", "Amount": f"{c.currency}{c.per_period.amount:,.0f}"})
    rows += [{"Item": f"of which {k}", "Amount": f"{c.currency}{v:,.0f}"} for k, v in c.by_category.items()]
    for o in c.outcomes:
        if o.unit_value is not None:
            rows.append({"Item": f"Value per {o.label} ({o.unit_value_source or 'source not stated'})",
                         "Amount": f"{c.currency}{o.unit_value:,.0f}"})
    return pd.DataFrame(rows, columns=["Item", "Amount"])


def planned_evidence_frame(charter: Charter) -> pd.DataFrame:
    """The qualitative evidence the charter plans to collect."""
    return pd.DataFrame([{"Method": p.method, "Who": p.who, "When": p.when, "Linked to": p.link or "–"}
                         for p in charter.qualitative.planned], columns=["Method", "Who", "When", "Linked to"])


def inequality_text(charter: Charter) -> str:
    kinds = [_KINDS[k] for k in charter.inequality.kinds]
    kind = kinds[0] if len(kinds) == 1 else ", ".join(kinds[:-1]) + " and " + kinds[-1]
    what = {"health": "a health inequality", "healthcare": "a healthcare inequality",
            "both": "both health and healthcare inequalities"}[charter.inequality.type]
    return f"This scheme addresses {what} in {kind}."


def target_group_text(charter: Charter) -> str:
    tg = charter.target_group
    parts = []
    if tg.core20:
        parts.append("Core20 (people living in the 20% most deprived neighbourhoods nationally, IMD deciles 1–2)")
    if tg.plus_groups:
        parts.append("PLUS groups: " + ", ".join(tg.plus_groups))
    if tg.clinical_areas:
        parts.append("clinical areas: " + ", ".join(a.replace("-", " ") for a in tg.clinical_areas))
    return "; ".join(parts)


def logic_model_stages(charter: Charter) -> list[tuple[str, list[str]]]:
    lm = charter.logic_model
    return [("Inputs", lm.inputs), ("Activities", lm.activities), ("Outputs", lm.outputs),
            ("Outcomes", lm.outcomes), ("Impact", lm.impact)]


def logic_model_frame(charter: Charter) -> pd.DataFrame:
    rows = [{"Stage": stage, "Items": "; ".join(items)} for stage, items in logic_model_stages(charter)]
    return pd.DataFrame(rows)


def logic_model_alt(charter: Charter) -> str:
    chain = " leads to ".join(f"{stage.lower()} ({'; '.join(items[:2])}{'…' if len(items) > 2 else ''})"
                              for stage, items in logic_model_stages(charter))
    return f"Logic model diagram: {chain}. Mechanism: {charter.logic_model.mechanism}"


def risks_frame(charter: Charter) -> pd.DataFrame:
    return pd.DataFrame([{"Risk": r.risk, "Mitigation": r.mitigation} for r in charter.risks],
                        columns=["Risk", "Mitigation"])


def data_sources_frame(charter: Charter) -> pd.DataFrame:
    return pd.DataFrame([{"Data source": d.name, "What it holds": d.description, "Owner": d.owner or "–"}
                         for d in charter.data_sources])
