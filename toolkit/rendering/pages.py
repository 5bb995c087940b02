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
from toolkit.board.summary import SummaryView
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
STATUS_CLASS = {"on track": "good", "not on track": "bad", "cannot tell": "neutral",
                "no data since the scheme started": "neutral"}
VERDICT_CLASS = {"narrowed": "good", "widened": "bad", "no clear change": "neutral", "too early to tell": "neutral",
                 "not measurable with this design or data": "neutral", "error": "bad"}


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


def _fmt(x) -> str:
    from toolkit.board.status import fmt

    return fmt(x)


def _goal_row(g) -> dict:
    goal = g.goal
    if goal.measure is not None:
        m = goal.measure
        what = f"{m.kind} in {m.population.text()}" + (" minus the rest" if m.gap else "") + f", per {m.per} ({m.source})"
    else:
        what = f"effect estimated by {g.source}" if g.kind == "impact" else (g.source or goal.metric or "–")
    if g.baseline is None:
        base = "none"
    elif g.baseline_typed:
        base = f"{_fmt(g.baseline)} (typed)"
    elif g.baseline_low is not None:
        base = f"{_fmt(g.baseline)} ({_fmt(g.baseline_low)} to {_fmt(g.baseline_high)})"
    else:
        base = _fmt(g.baseline)
    miles = "; ".join(f"{m.value:g} by {m.date:%b %Y}" for m in goal.milestones)
    return {
        "Goal": goal.description, "Step": goal.step, "Measured as": what, "Baseline": base,
        "Forecast": f"{goal.target:g} by {goal.by:%B %Y} ({goal.direction})" + (f"; milestones {miles}" if miles else ""),
        "As of": f"{g.as_of:%B %Y}" if g.as_of else "–",
        "Observed": "–" if g.observed is None else (
            f"{_fmt(g.observed)} ({(g.level or 0.95) * 100:g}% CI {_fmt(g.ci_low)} to {_fmt(g.ci_high)})"),
        "Expected then": _fmt(g.expected_now), "Status": g.status, "Assurance": g.assurance or "–",
    }


def render_summary(view: SummaryView, output: Path, *, disclosure_note: str, attributions: list[str]) -> None:
    from toolkit.board.charts import goal_figure
    from toolkit.reporting.display import figure_html

    charter = view.evaluation.config.charter
    goals_table = table_html(pd.DataFrame([_goal_row(g) for g in view.goals]),
                             caption="Charter goals: the forecast against the data at the last period with data")
    details = []
    for g in view.goals:
        made = goal_figure(g, charter)
        fig = "" if made is None else figure_html(made[0], alt=made[1], data=made[2],
                                                  caption=f"{g.goal.description}: data against the forecast",
                                                  data_caption=f"{g.goal.description} by period, with the forecast")
        details.append((g, fig))
    planned = "; ".join(f"{p.method} with {p.who} ({p.when})" for p in charter.qualitative.planned)
    trail = pd.DataFrame([{"Signed off by": t.by, "On": t.on[:10],
                           "What changed": "; ".join(f"{d.field}: {d.before} → {d.after}" for d in t.changes)
                           or ("first sign-off" if i == 0 else "nothing")}
                          for i, t in enumerate(view.trail)])
    changes = view.changes
    context = dict(
        v=view, charter=charter, css=CSS, toolkit_version=__version__,
        page_title=f"{charter.title} — evaluation summary", heading=charter.title,
        organisation=view.evaluation.config.reporting.organisation,
        meta=[("Evaluation", view.evaluation.name), ("Report", "Evaluation summary"), ("Run", fmt_datetime(view.run_date)),
              ("Toolkit version", __version__)],
        signoff_html=signoff_banner(view.signoff, bool(view.deviations)),
        toc=[("headline", "The answer in brief"), ("goals", "Are we seeing the outcomes we forecast?"),
             ("why", "If not, why?"), ("gap", "Did the gap narrow?"), ("value", "Is it worth the money?"),
             ("changes", "What changed since last time"),
             ("deviations", "The charter since sign-off"), ("quality", "Data-quality caveats"),
             ("questions", "Questions the board should ask"), ("reports", "Stage reports"),
             ("about-this-report", "About this report")],
        goals_table=goals_table, goal_details=details, status_class=STATUS_CLASS,
        goal_names={g.goal.id: g.goal.description for g in view.goals},
        verdict_class={True: "good", False: "bad"}.get(view.gap.favourable, "neutral")
        if view.gap.verdict in ("narrowed", "widened") else VERDICT_CLASS.get(view.verdict, "neutral"),
        qualitative_table=table_html(view.qualitative, caption="Qualitative evidence against the goals' status")
        if view.qualitative is not None and len(view.qualitative) else "",
        planned=planned,
        trail_table=table_html(trail, caption="Every sign-off of the charter, and what each changed") if len(trail) else "",
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
        "Goals": r.goals, "Value for money": r.value, "Main caveat": r.caveat,
    } for r in rows], columns=["Evaluation", "Target group", "Stages", "Latest status", "Last run", "The gap", "Goals",
                               "Value for money", "Main caveat"])
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
