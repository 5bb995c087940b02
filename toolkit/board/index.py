"""The portfolio index: every evaluation in the ICB on one page."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from toolkit.board.charter import target_group_text
from toolkit.errors import ToolkitError
from toolkit.evaluations.loader import load_evaluation
from toolkit.runs import latest_successful, list_runs

__all__ = ["PortfolioRow", "portfolio_rows"]


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


def portfolio_rows(evaluations: list[Path]) -> list[PortfolioRow]:
    rows = []
    for folder in evaluations:
        try:
            ev = load_evaluation(folder)
        except ToolkitError:
            rows.append(PortfolioRow(folder.name, folder.name, "evaluation.yaml is invalid: run hitk validate",
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
        rows.append(PortfolioRow(
            name=folder.name, title=ev.config.charter.title, scheme=ev.config.charter.scheme,
            target_group=target_group_text(ev.config.charter), stages=stage_status,
            last_status=last.get("status", "?") if last else "never run",
            last_run=last.get("started_at", "–") if last else "–", headline=headline, verdict=verdict,
            summary_link=link, organisation=ev.config.reporting.organisation,
            goals=strip.get("goals_text", "–"), value=strip.get("value", "–"), caveat=strip.get("caveat", "–"),
        ))
    return rows
