"""The charter as tables and sentences a board can sign off (presentation helpers, no analysis)."""

from __future__ import annotations

import pandas as pd

from toolkit.evaluations.schema import Charter

__all__ = ["goals_frame", "logic_model_stages", "logic_model_frame", "target_group_text", "inequality_text",
           "DEFAULT_BOARD_QUESTIONS", "risks_frame", "data_sources_frame", "logic_model_alt"]

DEFAULT_BOARD_QUESTIONS = (
    "Are we seeing the outcomes we forecast in the charter? If not, why?",
    "Did the gap between the most and least deprived narrow, and how sure are we?",
    "Who is the scheme not reaching, and what does the data-completeness audit say about them?",
    "Was the evaluation design chosen before the results were seen, and has the charter changed since sign-off?",
)

_KINDS = {"access": "access to services", "experience": "experience of care", "outcomes": "outcomes"}


def goals_frame(charter: Charter) -> pd.DataFrame:
    rows = []
    for g in charter.goals:
        rows.append({
            "Goal": g.description,
            "Metric": g.metric + (f" ({g.unit})" if g.unit else ""),
            "Baseline": g.baseline,
            "Forecast target": g.target,
            "Direction": "increase" if g.direction == "increase" else "decrease",
            "By": g.by.isoformat(),
        })
    return pd.DataFrame(rows)


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
