"""Pages the toolkit writes itself (not from notebooks): the evaluation summary and the portfolio index.

Same page skeleton, CSS and accessibility rules as the stage reports; Jinja2 with
autoescaping, so every user-supplied text is escaped.
"""

from __future__ import annotations

import html
from collections import Counter
from pathlib import Path

import jinja2
import pandas as pd

from toolkit import __version__
from toolkit.board.index import PortfolioRow
from toolkit.board.signoff import SignOff
from toolkit.board.summary import SummaryView, interval_text
from toolkit.rendering.exporter import CSS, EXTERNAL_RESOURCE
from toolkit.reporting.display import table_html
from toolkit.reporting.formatting import fmt_date, fmt_datetime

__all__ = ["render_summary", "render_index", "signoff_banner"]

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates" / "pages")),
    autoescape=True, trim_blocks=False, lstrip_blocks=False,
)
_ENV.filters["human_datetime"] = fmt_datetime  # "28 November 2026, 04:23" from ISO times and run ids
_ENV.filters["human_date"] = fmt_date
STATUS_CLASS = {"on track": "good", "not on track": "bad", "cannot tell": "neutral", "too early": "neutral"}
VERDICT_CLASS = {"narrowed": "good", "widened": "bad", "no clear change": "neutral", "too early to tell": "neutral"}


def signoff_banner(signoff: SignOff | None, changed: bool) -> str:
    """The 'charter signed off on … by …' line shown in every report header (escaped HTML)."""
    if signoff is None:
        return '<p class="signoff changed">Charter not yet signed off.</p>'
    text = f"Charter signed off on {fmt_date(signoff.date)} by {signoff.by}."
    if changed:
        return (f'<p class="signoff changed">{html.escape(text)} It has changed since: '
                "see the deviations section of the evaluation summary.</p>")
    return f'<p class="signoff">{html.escape(text)}</p>'


def _write(path: Path, text: str) -> None:
    found = EXTERNAL_RESOURCE.search(text)
    if found:
        raise RuntimeError(f"page would load an external resource: {found.group(0)[:120]}")
    path.write_text(text, encoding="utf-8")


def render_summary(view: SummaryView, output: Path, *, disclosure_note: str, attributions: list[str]) -> None:
    charter = view.evaluation.config.charter
    goal_rows = []
    for g in view.goals:
        goal_rows.append({
            "Goal": g.goal.description,
            "Metric": g.goal.metric,
            "Baseline": g.goal.baseline,
            "Forecast": f"{g.goal.target:g} by {g.goal.by.isoformat()} ({g.goal.direction})",
            "Expected by now": g.expected_now,
            "Observed": interval_text(g.observed, g.ci_low, g.ci_high, g.level),
            "Status": g.status,
            "Measured": "no sign-off yet" if view.post_signoff is None else (
                "after sign-off" if view.post_signoff else "before sign-off"),
        })
    goals_table = table_html(pd.DataFrame(goal_rows), caption="Charter goals: forecast against what this run observed")
    counts = Counter(g.status for g in view.goals)
    goal_counts = ", ".join(f"{n} {s}" for s, n in counts.items()) or "no goals"
    changes = view.changes
    context = dict(
        v=view, charter=charter, css=CSS, toolkit_version=__version__,
        page_title=f"{charter.title} — evaluation summary", heading=charter.title,
        organisation=view.evaluation.config.reporting.organisation,
        meta=[("Evaluation", view.evaluation.name), ("Report", "Evaluation summary"), ("Run", fmt_datetime(view.run_date)),
              ("Toolkit version", __version__)],
        signoff_html=signoff_banner(view.signoff, bool(view.deviations)),
        toc=[("headline", "The answer in brief"), ("goals", "Are we seeing the outcomes we forecast?"),
             ("gap", "Did the gap narrow?"), ("changes", "What changed since last time"),
             ("deviations", "The charter since sign-off"), ("quality", "Data-quality caveats"),
             ("questions", "Questions the board should ask"), ("reports", "Stage reports"),
             ("about-this-report", "About this report")],
        goals_table=goals_table, goal_counts=goal_counts, status_class=STATUS_CLASS,
        verdict_class=VERDICT_CLASS.get(view.verdict, "neutral"),
        changes_data=table_html(changes.data, caption="Input data that changed") if changes is not None and len(changes.data) else "",
        changes_flips=table_html(changes.flips, caption="Verdicts and statuses that changed") if changes is not None and len(changes.flips) else "",
        changes_estimates=(table_html(changes.estimates[changes.estimates["changed"]].drop(columns="changed"),
                                      caption="Estimates that moved (and whether by more than one standard error)")
                           if changes is not None and len(changes.estimates) and changes.estimates["changed"].any() else ""),
        deviations_table=table_html(pd.DataFrame([{"Field": d.field, "Signed off": str(d.before), "Now": str(d.after)}
                                                  for d in view.deviations]),
                                    caption="Charter fields changed since sign-off (before → after)") if view.deviations else "",
        disclosure_note=disclosure_note, attributions=attributions,
    )
    _write(output, _ENV.get_template("summary.html.j2").render(**context))


def render_index(rows: list[PortfolioRow], output: Path, *, organisation: str, generated: str) -> None:
    generated = fmt_datetime(generated)
    verdicts = Counter(r.verdict for r in rows)
    verdict_line = "Gap verdicts: " + (", ".join(f"{n} {v}" for v, n in verdicts.items()) or "none yet") + "."
    frame = pd.DataFrame([{
        "Evaluation": r.title, "Target group": r.target_group, "Stages": r.stages, "Latest status": r.last_status,
        "Last run": fmt_datetime(r.last_run) if r.last_run != "–" else r.last_run, "The gap": r.verdict,
    } for r in rows], columns=["Evaluation", "Target group", "Stages", "Latest status", "Last run", "The gap"])
    context = dict(
        rows=rows, css=CSS, toolkit_version=__version__, page_title=f"{organisation} — health-inequalities evaluations",
        heading="Health-inequalities evaluations", organisation=organisation,
        meta=[("Evaluations", str(len(rows))), ("Generated", generated), ("Toolkit version", __version__)],
        signoff_html="", verdict_line=verdict_line, generated=generated,
        toc=[("portfolio", "Health-inequalities portfolio"), ("evaluations", "Evaluations")]
        + [(f"ev-{r.name}", r.title) for r in rows] + [("about-this-report", "About this page")],
        table=table_html(frame, caption="Every evaluation, its latest run and the verdict on the gap"),
    )
    _write(output, _ENV.get_template("index.html.j2").render(**context))
