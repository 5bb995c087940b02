"""The portfolio index: every evaluation in the ICB on one page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from toolkit.board.charter import target_group_text
from toolkit.board.plain import stage_label
from toolkit.errors import ToolkitError
from toolkit.evaluations.loader import load_evaluation
from toolkit.runs import latest_successful, list_runs

__all__ = ["PortfolioRow", "portfolio_rows", "scheme_status", "status_counts", "SCHEME_STATUSES", "STATUS_RULE"]

#: A scheme's status on the portfolio index, in the order the index lists them (needs attention first).
SCHEME_STATUSES = ("not on track", "unclear", "on track", "not yet measurable")
STATUS_RULE = (
    "A scheme is not on track when any of its charter goals is not on track; on track when every goal with data "
    "since the scheme started is on track; unclear when some goals cannot tell yet and none is off track; not yet "
    "measurable when it has no successful run or no goal has data since the scheme started."
)


def scheme_status(goals: dict[str, int] | None) -> str:
    """The scheme's status from its goal counts (:data:`STATUS_RULE`)."""
    goals = goals or {}
    on, off, unsure = goals.get("on track", 0), goals.get("not on track", 0), goals.get("cannot tell", 0)
    if on + off + unsure == 0:
        return "not yet measurable"
    if off:
        return "not on track"
    return "on track" if unsure == 0 else "unclear"


def status_counts(rows: list["PortfolioRow"]) -> dict[str, int]:
    """How many schemes have each status (always all four, in :data:`SCHEME_STATUSES` order)."""
    return {s: sum(r.status == s for r in rows) for s in SCHEME_STATUSES}


@dataclass(frozen=True)
class PortfolioRow:
    name: str
    title: str
    scheme: str
    target_group: str
    stages: str
    last_status: str
    last_run: str
    headline: str
    verdict: str
    summary_link: str | None
    organisation: str | None = None
    goals: str = "–"
    value: str = "–"
    caveat: str = "–"
    status: str = "not yet measurable"
    design: str = "–"


def portfolio_rows(evaluations: list[Path]) -> list[PortfolioRow]:
    rows = []
    for folder in evaluations:
        try:
            ev = load_evaluation(folder)
        except ToolkitError:
            rows.append(PortfolioRow(folder.name, folder.name, "The evaluation's settings are invalid, so it cannot be run; the analyst should check them.",
                                     "–", "–", "invalid", "–", "–", "–", None))
            continue
        runs = list_runs(folder / "runs")
        last = runs[-1][1] if runs else None
        good = latest_successful(folder / "runs")
        headline, verdict, link = "No run yet", "no run yet", None
        strip: dict = {}
        if good is not None:
            try:
                summary = json.loads((good[0] / "summary.json").read_text(encoding="utf-8"))
                if not isinstance(summary, dict) or "gap_verdict" not in summary:
                    raise ValueError("no gap_verdict")
                headline = summary.get("headline_sentence") or "No impact estimate yet"
                verdict = summary["gap_verdict"]
                strip = summary.get("strip") or {}
                headline = strip.get("effect") or headline
            except (OSError, ValueError) as exc:
                headline = (f"Error: the summary of run {good[0].name} cannot be read ({type(exc).__name__}); "
                            "rerun the evaluation")
                verdict = "error"
            if (good[0] / "summary.html").exists():
                link = f"{folder.name}/runs/{good[0].name}/summary.html"
        stage_status = ", ".join(s.name for s in ev.config.stages)
        design = ", ".join(stage_label(s.template, s.name) for s in ev.config.stages if s.template != "charter")
        rows.append(PortfolioRow(
            name=folder.name, title=ev.config.charter.title, scheme=ev.config.charter.scheme,
            target_group=target_group_text(ev.config.charter), stages=stage_status,
            last_status=last.get("status", "?") if last else "never run",
            last_run=last.get("started_at", "–") if last else "–", headline=headline, verdict=verdict,
            summary_link=link, organisation=ev.config.reporting.organisation,
            goals=strip.get("goals_text", "–"), value=strip.get("value", "–"), caveat=strip.get("caveat", "–"),
            status=scheme_status(strip.get("goals")) if verdict not in ("error", "no run yet") else "not yet measurable",
            design=design or "–",
        ))
    order = {s: i for i, s in enumerate(SCHEME_STATUSES)}
    return sorted(rows, key=lambda r: (order.get(r.status, len(order)), r.title.lower()))
