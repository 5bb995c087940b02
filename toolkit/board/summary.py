"""The evaluation summary: one page answering the charter's forecasts, goal by goal.

Computes what the summary page shows (as plain data); :mod:`toolkit.rendering.pages`
turns it into HTML.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from toolkit.board.changes import Changes
from toolkit.board.charter import DEFAULT_BOARD_QUESTIONS, target_group_text
from toolkit.board.signoff import Deviation, SignOff, charter_deviations
from toolkit.board.status import GAP_RULE, GOAL_RULE, GoalStatus, gap_verdict, goal_status
from toolkit.evaluations.loader import LoadedEvaluation
from toolkit.reporting.language import describe_effect, fmt_number

__all__ = ["SummaryView", "build_summary", "headline_estimate"]


def headline_estimate(results: dict[str, Any]) -> dict[str, Any] | None:
    """The main effect: one flagged ``extra.headline``, else ``att``, else the first effect."""
    estimates = (results or {}).get("estimates", [])
    for test in (lambda e: (e.get("extra") or {}).get("headline"), lambda e: e.get("name") == "att",
                 lambda e: e.get("kind") == "effect"):
        found = [e for e in estimates if test(e)]
        if found:
            return found[0]
    return None


@dataclass(frozen=True)
class SummaryView:
    evaluation: LoadedEvaluation
    run_id: str
    run_date: str
    headline: dict[str, Any] | None
    headline_sentence: str
    verdict: str
    verdict_reason: str
    verdict_estimate: dict[str, Any] | None
    goals: list[GoalStatus]
    caveats: list[str]
    questions: list[str]
    reports: dict[str, str]
    signoff: SignOff | None
    deviations: list[Deviation]
    post_signoff: bool | None
    changes: Changes | None
    goal_rule: str = GOAL_RULE
    gap_rule: str = GAP_RULE
    stage_titles: dict[str, str] = field(default_factory=dict)

    @property
    def target_group(self) -> str:
        return target_group_text(self.evaluation.config.charter)

    def as_record(self) -> dict[str, Any]:
        """What the next run compares against (stored as summary.json)."""
        return {
            "run_id": self.run_id,
            "gap_verdict": self.verdict,
            "goal_statuses": {g.goal.id: g.status for g in self.goals},
            "headline": self.headline,
            "headline_sentence": self.headline_sentence,
        }


def _caveats(results: dict[str, Any]) -> list[str]:
    out = []
    for e in results.get("estimates", []):
        if e.get("kind") == "quality" and e.get("sentence"):
            out.append(e["sentence"])
        for w in (e.get("extra") or {}).get("warnings", []) or []:
            text = f"{e.get('key', e.get('name'))}: {w}"
            if text not in out:
                out.append(text)
    return out


def build_summary(evaluation: LoadedEvaluation, *, results: dict[str, Any], run_id: str, run_started: str,
                  reports: dict[str, str], signoff: SignOff | None, changes: Changes | None,
                  stage_titles: dict[str, str] | None = None) -> SummaryView:
    """Assemble the summary for one run."""
    charter = evaluation.config.charter
    run_day = dt.date.fromisoformat(run_started[:10])
    headline = headline_estimate(results)
    if headline is None:
        sentence = "No impact estimate yet: this run has no design stage, so it is too early to say whether the scheme works."
    elif headline.get("sentence"):
        sentence = headline["sentence"]
    else:
        sentence = describe_effect(headline.get("estimate"), headline.get("ci_low"), headline.get("ci_high"),
                                   level=headline.get("level") or 0.95)
    verdict, reason, gap_est = gap_verdict(charter, results)
    goals = [goal_status(g, charter, results, today=run_day) for g in charter.goals]
    questions = list(charter.board_questions) + [q for q in DEFAULT_BOARD_QUESTIONS if q not in charter.board_questions]
    deviations = charter_deviations(signoff, evaluation.raw["charter"]) if signoff else []
    post = None if signoff is None else run_started >= signoff.on
    return SummaryView(
        evaluation=evaluation, run_id=run_id, run_date=run_started, headline=headline, headline_sentence=sentence,
        verdict=verdict, verdict_reason=reason, verdict_estimate=gap_est, goals=goals, caveats=_caveats(results),
        questions=questions, reports=reports, signoff=signoff, deviations=deviations, post_signoff=post,
        changes=changes, stage_titles=dict(stage_titles or {}),
    )


def interval_text(value: float | None, lo: float | None, hi: float | None, level: float | None) -> str:
    if value is None:
        return "not available"
    if lo is None or hi is None:
        return fmt_number(value)
    return f"{fmt_number(value)} ({(level or 0.95) * 100:g}% CI {fmt_number(lo)} to {fmt_number(hi)})"
