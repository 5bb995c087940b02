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
from toolkit.reporting.formatting import fmt_date, fmt_datetime, fmt_period

__all__ = ["render_summary", "render_index", "signoff_banner"]

_ENV = jinja2.Environment(
    loader=jinja2.FileSystemLoader(str(Path(__file__).parent / "templates" / "pages")),
    autoescape=True, trim_blocks=False, lstrip_blocks=False,
)
_ENV.filters["human_datetime"] = fmt_datetime  # "28 November 2026, 04:23" from ISO times and run ids
_ENV.filters["human_date"] = fmt_date
STATUS_CLASS = {"on track": "good", "not on track": "bad", "cannot tell": "neutral",
                "no data since the scheme started": "neutral"}
INDEX_STATUS_CLASS = {"on track": "good", "not on track": "bad", "unclear": "neutral", "not yet measurable": "neutral"}
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


def render_summary(view: SummaryView, output: Path, *, disclosure_note: str, attributions: list[str]) -> None:
    """Write the evaluation summary: plain words above the technical appendix, codes and methods below it."""
    from toolkit.board.charts import goal_figure
    from toolkit.board.plain import GLOSSARY, code_columns, is_plain, stage_label
    from toolkit.reporting.formatting import fmt_measure
    from toolkit.rendering import summary_parts as parts
    from toolkit.reporting.display import callout_html, figure_html

    charter = view.evaluation.config.charter
    goals_table = table_html(pd.DataFrame([parts.goal_row(g, view) for g in view.goals]),
                             caption="Charter goals: the forecast against the data at the last period with data "
                                     "(ranges are 95% confidence intervals)")
    details = []
    for g in view.goals:
        made = goal_figure(g, charter)
        fig = "" if made is None else figure_html(
            made[0], alt=made[1], data=made[2],
            caption=" ".join(x for x in (f"{g.goal.description}: data against the forecast.",
                                         getattr(made, "icons_text", "")) if x),
            data_caption=f"{g.goal.description} by period, with the forecast")
        if made is not None and getattr(made, "note", None):
            fig += callout_html(made.note, kind="warning")
        details.append((g, fig))
    planned = "; ".join(f"{p.method} with {p.who} ({p.when})" for p in charter.qualitative.planned)
    trail = pd.DataFrame([{"Signed off by": t.by, "On": fmt_date(t.on[:10]),
                           "What changed": "; ".join(f"{d.field}: {d.before} → {d.after}" for d in t.changes)
                           or ("first sign-off" if i == 0 else "nothing")}
                          for i, t in enumerate(view.trail)])
    changes = view.changes
    columns = code_columns(view.evaluation.config)
    plain_quality = [c for c in view.caveats if is_plain(c, view.results, columns=columns)]
    plain_changes = parts.plain_changes(view)
    technical = parts.technical_results(view)
    context = dict(
        v=view, charter=charter, css=CSS, toolkit_version=__version__,
        page_title=f"{charter.title} — evaluation summary", heading=charter.title,
        organisation=view.evaluation.config.reporting.organisation,
        meta=[("Report", "Evaluation summary"),
              ("Scheme period", f"{fmt_period(charter.period.start)} to {fmt_period(charter.period.end)}"),
              ("Run", fmt_datetime(view.run_date))],
        signoff_html=signoff_banner(view.signoff, bool(view.deviations)),
        toc=[("headline", "The answer in brief"), ("goals", "Are we seeing the outcomes we forecast?"),
             ("why", "If not, why?"), ("gap", "Did the gap narrow?"), ("value", "Is it worth the money?"),
             ("caveats", "Caveats"), ("changes", "What changed since last time"),
             ("deviations", "The charter since sign-off"),
             ("questions", "Questions the board should ask"), ("reports", "Stage reports"),
             ("about-this-report", "About this report"), ("technical-appendix", "Technical appendix"),
             ("glossary", "Glossary")],
        goals_table=goals_table, goal_details=details, status_class=STATUS_CLASS,
        goal_names={g.goal.id: g.goal.description for g in view.goals},
        verdict_class={True: "good", False: "bad"}.get(view.gap.favourable, "neutral")
        if view.gap.verdict in ("narrowed", "widened") else VERDICT_CLASS.get(view.verdict, "neutral"),
        qualitative_table=table_html(view.qualitative, caption="Qualitative evidence against the goals' status")
        if view.qualitative is not None and len(view.qualitative) else "",
        planned=planned,
        trail_table=table_html(trail, caption="Every sign-off of the charter, and what each changed") if len(trail) else "",
        changes_data=table_html(plain_changes["data"], caption="Input data that changed")
        if "data" in plain_changes else "",
        changes_flips=table_html(plain_changes["flips"], caption="Verdicts and statuses that changed")
        if "flips" in plain_changes else "",
        changes_estimates=table_html(plain_changes["estimates"], caption="Estimates that moved")
        if "estimates" in plain_changes else "",
        raw_changes=[table_html(changes.data, caption="Input data that changed, by data source and file"),
                     table_html(changes.estimates[changes.estimates["changed"]].drop(columns="changed"),
                                caption="Estimates that moved, by result key (and whether by more than one "
                                        "standard error)")]
        if changes is not None and (len(changes.data) or (len(changes.estimates) and changes.estimates["changed"].any()))
        else [],
        deviations_table=table_html(parts.plain_deviations(view), caption="Charter fields changed since sign-off")
        if view.deviations else "",
        raw_deviations=table_html(pd.DataFrame([{"Field": d.field, "Signed off": str(d.before), "Now": str(d.after)}
                                                for d in view.deviations]),
                                  caption="Charter fields changed since sign-off, by field path") if view.deviations else "",
        technical_table=table_html(technical, caption="Every effect, test and diagnostic this run recorded")
        if len(technical) else "",
        technical_goals=table_html(parts.technical_goals(view), caption="How each goal is computed")
        if view.goals else "",
        glossary=GLOSSARY, run_started_iso=view.run_date,
        plain_quality=plain_quality,
        technical_count=len(view.technical_caveats) + sum(not is_plain(c, view.results, columns=columns)
                                                          for c in view.caveats
                                                          if not any(c.endswith(w) for _, w in view.technical_caveats)),
        goal_sentences={g.goal.id: parts.goal_sentence(g, view) for g in view.goals},
        typed_baseline={g.goal.id: fmt_measure(g.baseline, parts.goal_unit(g, view)) for g in view.goals
                        if g.baseline_typed},
        stage_names={s.name: stage_label(s.template, s.name).capitalize() for s in view.evaluation.config.stages},
        disclosure_note=disclosure_note, attributions=attributions,
    )
    _write(output, _ENV.get_template("summary.html.j2").render(**context))


def render_index(rows: list[PortfolioRow], output: Path, *, organisation: str, generated: str) -> None:
    """Write the portfolio index: status counts first, then every scheme sorted by status, names linked."""
    from toolkit.board.index import STATUS_RULE, status_counts

    generated = fmt_datetime(generated)
    counts = status_counts(rows)
    n = len(rows)
    first_line = (f"{n} scheme{'s' if n != 1 else ''}: " + ", ".join(f"{k} {s}" for s, k in counts.items()) + ".")
    verdicts = Counter(r.verdict for r in rows)
    verdict_line = "The gap: " + (", ".join(f"{k} {v}" for v, k in verdicts.items()) or "no verdict yet") + "."
    context = dict(
        rows=rows, css=CSS, toolkit_version=__version__, page_title=f"{organisation} — health-inequalities evaluations",
        heading="Health-inequalities evaluations", organisation=organisation,
        meta=[("Schemes", str(n)), ("Updated", generated)],
        signoff_html="", first_line=first_line, counts=counts, verdict_line=verdict_line, generated=generated,
        status_rule=STATUS_RULE, status_class=INDEX_STATUS_CLASS,
        last_run={r.name: fmt_datetime(r.last_run) if r.last_run != "–" else "never run" for r in rows},
        toc=[("portfolio", "Health-inequalities portfolio"), ("evaluations", "Schemes by status")]
        + [(f"ev-{r.name}", r.title) for r in rows] + [("about-this-report", "About this page")],
    )
    _write(output, _ENV.get_template("index.html.j2").render(**context))
