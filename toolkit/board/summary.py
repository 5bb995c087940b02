"""The evaluation summary: one page answering the board's questions, goal by goal.

"Are we seeing the outcomes we forecast? If not, why? Is it worth the money? Did the
gap narrow?"  Computes what the summary page shows (as plain data);
:mod:`toolkit.rendering.pages` turns it into HTML.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from toolkit.board.caveats import Caveat, design_caveats, read_manifest
from toolkit.board.changes import Changes
from toolkit.board.charter import DEFAULT_BOARD_QUESTIONS, target_group_text
from toolkit.board.gap import GapVerdict
from toolkit.board.goals import assess_goals
from toolkit.board.plain import code_columns, is_plain, plain_text, result_label
from toolkit.board.qualitative import against_goals, read_log
from toolkit.board.signoff import Deviation, SignOff, TrailEntry, charter_deviations, signoff_trail
from toolkit.board.status import GAP_RULE, GOAL_RULE, NO_DATA, GoalStatus, _num, gap_verdict
from toolkit.board.value import VFM_RULE, ValueForMoney, value_for_money
from toolkit.board.why import WHY_RULE, Explanation, explain_all
from toolkit.errors import ToolkitError
from toolkit.evaluations.loader import LoadedEvaluation
from toolkit.reporting.formatting import fmt_p
from toolkit.reporting.language import describe_effect, fmt_number

__all__ = ["SummaryView", "VerdictStrip", "build_summary", "headline_estimate", "interval_text", "goal_counts"]


def headline_estimate(results: dict[str, Any]) -> dict[str, Any] | None:
    """The main effect: one flagged ``extra.headline``, else ``att``, else the first effect."""
    estimates = (results or {}).get("estimates", [])
    for test in (lambda e: (e.get("extra") or {}).get("headline"), lambda e: e.get("name") == "att",
                 lambda e: e.get("kind") == "effect"):
        found = [e for e in estimates if test(e)]
        if found:
            return found[0]
    return None


def goal_counts(statuses: list[GoalStatus]) -> dict[str, int]:
    """n on track / not on track / cannot tell / no data yet (always all four)."""
    c = Counter(s.status for s in statuses)
    return {"on track": c["on track"], "not on track": c["not on track"], "cannot tell": c["cannot tell"],
            "no data yet": c[NO_DATA]}


@dataclass(frozen=True)
class VerdictStrip:
    """The five-line answer at the top of the summary (and per row of the portfolio index)."""

    effect: str
    gap: str
    goals: dict[str, int]
    value: str
    caveat: str

    @property
    def goals_text(self) -> str:
        return ", ".join(f"{n} {k}" for k, n in self.goals.items())

    def as_record(self) -> dict[str, Any]:
        return {"effect": self.effect, "gap": self.gap, "goals": dict(self.goals), "goals_text": self.goals_text,
                "value": self.value, "caveat": self.caveat}


@dataclass(frozen=True)
class SummaryView:
    evaluation: LoadedEvaluation
    run_id: str
    run_date: str
    headline: dict[str, Any] | None
    headline_sentence: str
    gap: GapVerdict
    verdict_estimate: dict[str, Any] | None
    goals: list[GoalStatus]
    explanations: list[Explanation]
    value: ValueForMoney | None
    qualitative: pd.DataFrame | None
    strip: VerdictStrip
    caveats: list[str]
    questions: list[str]
    reports: dict[str, str]
    signoff: SignOff | None
    deviations: list[Deviation]
    trail: list[TrailEntry]
    post_signoff: bool | None
    changes: Changes | None
    goal_rule: str = GOAL_RULE
    gap_rule: str = GAP_RULE
    why_rule: str = WHY_RULE
    vfm_rule: str = VFM_RULE
    stage_titles: dict[str, str] = field(default_factory=dict)
    design_caveats: list[Caveat] = field(default_factory=list)
    technical_caveats: list[tuple[str, str]] = field(default_factory=list)
    results: dict[str, Any] = field(default_factory=dict, repr=False)

    @property
    def verdict(self) -> str:
        return self.gap.verdict

    @property
    def verdict_reason(self) -> str:
        return self.gap.explanation

    @property
    def target_group(self) -> str:
        return target_group_text(self.evaluation.config.charter)

    def as_record(self) -> dict[str, Any]:
        """What the next run and the portfolio index read (stored as summary.json)."""
        return {
            "run_id": self.run_id,
            "gap_verdict": self.gap.verdict,
            "gap_favourable": self.gap.favourable,
            "gap_explanation": self.gap.explanation,
            "goal_statuses": {g.goal.id: g.status for g in self.goals},
            "goal_targets": {g.goal.id: g.goal.target for g in self.goals},
            "goals": [g.as_record() for g in self.goals],
            "explanations": [{"goal": e.goal_id, "explanation": e.code, "title": e.title, "evidence": e.evidence}
                             for e in self.explanations],
            "value_for_money": None if self.value is None else {
                "cost": self.value.cost, "currency": self.value.currency,
                "lines": [{"what": ln.what, "estimate": ln.estimate, "ci_low": ln.ci_low, "ci_high": ln.ci_high,
                           "text": ln.text} for ln in self.value.lines]},
            "strip": self.strip.as_record(),
            "rules": {"goals": GOAL_RULE, "gap": GAP_RULE, "why": WHY_RULE, "value_for_money": VFM_RULE},
            "headline": self.headline,
            "headline_sentence": self.headline_sentence,
        }


def _warning_text(e: dict[str, Any], warning: str, results: dict[str, Any]) -> str:
    """A stage warning worded for a board: the measure's plain label, never its result key."""
    label = result_label(e.get("key") or e.get("name"), e)
    return f"{label[0].upper()}{label[1:]}: {plain_text(str(warning), results)}"


def _caveats(results: dict[str, Any]) -> list[str]:
    """Data-quality sentences and stage warnings, each named by the measure's plain label."""
    out = []
    for e in results.get("estimates", []):
        if e.get("kind") == "quality" and e.get("sentence"):
            out.append(plain_text(e["sentence"], results))
        for w in (e.get("extra") or {}).get("warnings", []) or []:
            text = _warning_text(e, w, results)
            if text not in out:
                out.append(text)
    return out


def _technical_caveats(results: dict[str, Any]) -> list[tuple[str, str]]:
    """(result key, warning as recorded) for the technical appendix."""
    return [(str(e.get("key", e.get("name"))), str(w)) for e in results.get("estimates", [])
            for w in (e.get("extra") or {}).get("warnings", []) or []]


def _main_caveat(results: dict[str, Any], caveats: list[str], deviations: list[Deviation], *,
                 descriptive: bool = False, standing: list[Caveat] | None = None,
                 columns: tuple[str, ...] = ()) -> str:
    """The most important caveat: a failed pre-trend check, a failed placebo, a warning, a changed charter."""
    estimates = (results or {}).get("estimates", [])
    for e in estimates:
        if e.get("name") == "pretrend_passed" and _num(e.get("estimate")) == 0:
            return "The pre-trend check failed: the groups were not moving in parallel before the scheme, so the " \
                   "effect may partly reflect differences that were already there."
    for e in estimates:
        extra = e.get("extra") or {}
        if e.get("name") == "pretrend_p" and extra.get("valid", True) and _num(e.get("p_value")) is not None \
                and _num(e.get("p_value")) < 0.05:
            return (f"The pre-trend check failed (p = {fmt_p(_num(e.get('p_value')))}): the effect may partly reflect "
                    "differences that were already there before the scheme.")
    if any((e.get("extra") or {}).get("passed") is False for e in estimates if str(e.get("name", "")).startswith("placebo")):
        return "A placebo check showed an 'effect' at a fake start date: the comparison may not be fair."
    if deviations:
        return f"The charter has changed since sign-off ({len(deviations)} field(s)); see the sign-off trail."
    warned = [_warning_text(e, w, results) for e in estimates for w in (e.get("extra") or {}).get("warnings", []) or []]
    warned = [w for w in warned if is_plain(w, results, columns=columns)]
    caveats = [c for c in caveats if is_plain(c, results, columns=columns)]
    if warned:
        return warned[0]
    if descriptive:
        return ("No stage estimates the scheme's effect: changes are measured before and after the start, with no "
                "comparison group, so they are not causal estimates.")
    if caveats:
        return caveats[0]
    if standing:
        return standing[0].text
    return "None reported by the stages of this run, but see the design's standing caveats below."


def _effect_text(headline: dict | None, sentence: str, goals: list[GoalStatus]) -> str:
    if headline is None:
        return sentence
    lo, hi = _num(headline.get("ci_low")), _num(headline.get("ci_high"))
    if lo is not None and hi is not None and lo <= 0 <= hi:
        from toolkit.board.mde import mde_sentence

        mde = mde_sentence(headline.get("se"), level=headline.get("level") or 0.95)
        sentence = f"{sentence} {mde}." if mde else sentence
    linked = [g for g in goals if g.source == headline.get("key") and g.kind == "impact"]
    if linked:
        g = linked[0]
        return f"{sentence} Against the charter's forecast ({g.goal.description}): {g.status}."
    return sentence


def _gap_measurable(evaluation: LoadedEvaluation) -> bool:
    cfg = evaluation.config
    for stage in cfg.stages:
        source = cfg.data.sources.get(stage.source or "")
        if stage.template == "did" and source is not None and "quintile" in source.columns:
            return True
    return False


def build_summary(evaluation: LoadedEvaluation, *, results: dict[str, Any], run_id: str, run_started: str,
                  reports: dict[str, str], signoff: SignOff | None, changes: Changes | None,
                  stage_titles: dict[str, str] | None = None) -> SummaryView:
    """Assemble the summary for one run."""
    charter = evaluation.config.charter
    headline = headline_estimate(results)
    if headline is None and charter.design.approach in ("descriptive", "before-after"):
        sentence = (f"This evaluation is {charter.design.approach.replace('-', ' ')} (no comparison group), so it does "
                    "not estimate the scheme's effect; the goals below say whether the data follow the forecast.")
    elif headline is None:
        sentence = "No impact estimate yet: this run has no design stage, so it cannot say whether the scheme works."
    elif headline.get("sentence") and is_plain(headline["sentence"], results, columns=code_columns(evaluation.config)):
        sentence = headline["sentence"]  # the stage's own words, unless they carry code (then the plain wording)
    else:
        sentence = describe_effect(headline.get("estimate"), headline.get("ci_low"), headline.get("ci_high"),
                                   level=headline.get("level") or 0.95)
    goals = assess_goals(evaluation, results)
    measured_gap = next((g for g in goals if g.kind == "gap" and g.baseline is not None and not g.baseline_typed), None)
    gap, gap_est = gap_verdict(charter, results, measurable=_gap_measurable(evaluation),
                               baseline_gap=measured_gap.baseline if measured_gap else None, measured=measured_gap)
    explanations = explain_all(goals, charter)
    g0 = _num(((gap_est or {}).get("extra") or {}).get("baseline_gap"))
    g0 = g0 if g0 is not None else (measured_gap.baseline if measured_gap else None)
    vfm = value_for_money(charter, goals, gap_est, gap_sign=None if not g0 else (1 if g0 > 0 else -1))
    qualitative = None
    if charter.qualitative.log:
        try:
            log = read_log(evaluation.folder, charter)
            qualitative = against_goals(log, goals) if log is not None else None
        except ToolkitError:
            qualitative = None
    questions = list(charter.board_questions) + [q for q in DEFAULT_BOARD_QUESTIONS if q not in charter.board_questions]
    deviations = charter_deviations(signoff, evaluation.raw["charter"]) if signoff else []
    caveats = _caveats(results)
    standing = design_caveats(evaluation, results, manifest=read_manifest(evaluation, run_id))
    gap_text = gap.verdict + (f" — {gap.explanation}" if gap.explanation else "")
    strip = VerdictStrip(
        effect=_effect_text(headline, sentence, goals), gap=gap_text, goals=goal_counts(goals),
        value=vfm.headline if vfm is not None else "The charter states no costs, so value for money is not assessed.",
        caveat=_main_caveat(results, caveats, deviations, descriptive=headline is None, standing=standing,
                             columns=code_columns(evaluation.config)),
    )
    post = None if signoff is None else run_started >= signoff.on
    return SummaryView(
        evaluation=evaluation, run_id=run_id, run_date=run_started, headline=headline, headline_sentence=sentence,
        gap=gap, verdict_estimate=gap_est, goals=goals, explanations=explanations, value=vfm,
        qualitative=qualitative, strip=strip, caveats=caveats, questions=questions, reports=reports,
        signoff=signoff, deviations=deviations, trail=signoff_trail(evaluation.folder), post_signoff=post,
        changes=changes, stage_titles=dict(stage_titles or {}), design_caveats=standing,
        technical_caveats=_technical_caveats(results), results=dict(results or {}),
    )


def interval_text(value: float | None, lo: float | None, hi: float | None, level: float | None) -> str:
    if value is None:
        return "not available"
    if lo is None or hi is None:
        return fmt_number(value)
    return f"{fmt_number(value)} ({(level or 0.95) * 100:g}% CI {fmt_number(lo)} to {fmt_number(hi)})"


