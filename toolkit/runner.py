"""Run an evaluation: validate -> fingerprint inputs -> execute stages -> render -> record.

A run never overwrites an earlier one: it writes a new folder under ``runs/``.
A failed stage keeps its executed notebook, renders no report, marks the
manifest failed and raises :class:`RunError` with one readable paragraph.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Callable

from toolkit import __version__
from toolkit.data.engine import TableSource
from toolkit.data.sources import PERIOD_ROLES, count_rows, distinct_values, file_fingerprint
from toolkit.errors import InputError, Problem, RunError, ToolkitError
from toolkit.evaluations.checks import CheckedEvaluation, check_evaluation
from toolkit.evaluations.loader import charter_hash
from toolkit.execution import execute
from toolkit.project import Project
from toolkit.rendering import render_notebook
from toolkit.reporting.disclosure import DisclosureRule
from toolkit.results import merge_stage_results, write_json
from toolkit.board.changes import compare_runs
from toolkit.board.index import portfolio_rows
from toolkit.board.signoff import charter_deviations, read_signoff
from toolkit.board.summary import build_summary
from toolkit.rendering.pages import render_index, render_summary, signoff_banner
from toolkit.runs import RunFolder, iso, latest_successful, new_run_folder, utc_now

__all__ = ["run_evaluation", "RunOutcome", "fingerprint_inputs"]


@dataclass(frozen=True)
class RunOutcome:
    run_dir: Path
    reports: dict[str, Path]
    summary: Path | None


def fingerprint_inputs(checked: CheckedEvaluation, stage_names: list[str]) -> list[dict]:
    """SHA-256, size and row count of every input file the selected stages read.

    A table or query source is one item: its ``table`` (or ``query`` and ``query_sha256``),
    ``engine`` kind, ``connection`` (``"env VARIABLE"`` or ``"spark"``, never the URL),
    ``rows`` and ``periods``; its ``sha256`` is ``"table"`` (a table has no file hash).
    """
    config = checked.evaluation.config
    used = {config.stage(s).source for s in stage_names} - {None}
    # sources a stage names in its parameters (e.g. baseline's imd_lookup) are inputs too
    used |= {value for s in stage_names for value in config.stage(s).parameters.values()
             if isinstance(value, str) and value in config.data.sources and value in checked.sources}
    # then the sources the charter's measured goals read (the summary computes them)
    goal_sources = {g.measure.source for g in config.charter.goals
                    if g.measure is not None and g.measure.source in checked.sources} - used
    out = []
    for name in [*sorted(used), *sorted(goal_sources)]:
        files = checked.sources[name]
        mapping = config.data.sources[name].columns
        period_col = next((mapping[r] for r in PERIOD_ROLES if r in mapping), None)
        if isinstance(files, TableSource):
            out.append(_table_item(name, files, period_col))
            continue
        for path in files.files:
            item = {
                "source": name,
                "path": str(path),
                "bytes": path.stat().st_size,
                "sha256": file_fingerprint(path),
                "rows": count_rows(files, path),
            }
            if period_col:
                item["period_column"] = period_col
                item["periods"] = distinct_values(files, path, period_col)
            out.append(item)
    return out


def _table_item(name: str, table: TableSource, period_col: str | None) -> dict:
    """The manifest's record of a table/query source (no credentials: the connection is named, never shown)."""
    from toolkit.data.tables import connection_label, distinct_table_values, engine_for, query_sha256, table_rows

    item = {"source": name, **({"query": table.query, "query_sha256": query_sha256(table)} if table.query
                               else {"table": table.table}),
            "engine": engine_for(table).kind, "connection": connection_label(table), "sha256": "table",
            "rows": table_rows(table)}
    if period_col:
        item["period_column"] = period_col
        item["periods"] = distinct_table_values(table, period_col)
    return item


def _source_text(source) -> str:
    """A stage's source for the report's appendix: the file as written, or the table/query and the connection's
    name (``the connection in HITK_WAREHOUSE_URL``, ``the Spark session``) — never the URL."""
    if source.path is not None:
        return source.path
    conn = source.connection
    where = "the Spark session" if conn == "spark" else f"the connection in {conn.get('env')}"
    return f"table {source.table} on {where}" if source.table else f"a query on {where}"


def _current_hash(path: Path) -> str | None:
    """SHA-256 of an input now (None if it has gone), to detect files changed during a run."""
    try:
        return file_fingerprint(path)
    except OSError:
        return None


def _select(checked: CheckedEvaluation, only: list[str] | None) -> list[str]:
    names = [s.name for s in checked.evaluation.config.stages]
    if not only:
        return names
    unknown = [s for s in only if s not in names]
    if unknown:
        raise InputError(
            f"Evaluation '{checked.evaluation.name}' has no stage {', '.join(repr(u) for u in unknown)}.",
            [Problem("unknown stage", where=u, fix=f"stages: {', '.join(names)}") for u in unknown],
        )
    return [n for n in names if n in only]


def _failure_paragraph(stage: str, template: str, failure, notebook: Path, project: Project) -> str:
    where = f"code cell {failure.cell_index}" if failure.cell_index else "the notebook"
    try:
        shown = notebook.relative_to(project.root)
    except ValueError:
        shown = notebook
    return (
        f"Stage '{stage}' (template '{template}') failed in {where}: {failure.error_name}: "
        f"{failure.error_value.strip().rstrip('.')}. The executed notebook is kept at {shown} for diagnosis "
        f"(open it with `hitk lab`). No report was rendered and earlier runs are untouched."
    )


DEPRIVATION_ROLES = {"lsoa", "imd_decile", "imd_quintile", "imd_score", "imd_rank", "quintile", "decile"}


def _uses_deprivation(ev, stage) -> bool:
    """Whether a stage's data carry IMD-derived columns (so the OGL notice must go with its report)."""
    if ev.config.imd_vintage is None or stage.source is None:
        return False
    return bool(DEPRIVATION_ROLES & set(ev.config.data.sources[stage.source].columns))


def _exclusion_text(exclusion, rule: DisclosureRule) -> str:
    """One sentence for the report: how many rows a documented rule left out, and why."""
    from toolkit.reporting.disclosure import mask_count

    return (f"{mask_count(exclusion.rows, rule)} row(s) of {Path(exclusion.file).name} were left out of the "
            f"analysis: {exclusion.reason} (column '{exclusion.column}', role '{exclusion.role}').")


def _stage_results_path(run: RunFolder, stage: str) -> Path:
    return run.path / "stages" / f"{stage}.results.json"


class _Terminated(BaseException):
    """SIGTERM during a run (raised from the signal handler, like KeyboardInterrupt for SIGINT)."""


def _raise_terminated(signum, frame):  # pragma: no cover - exercised through a subprocess test
    raise _Terminated()


def run_evaluation(project: Project, evaluation: str, *, stages: list[str] | None = None,
                   progress: Callable[[str], None] = lambda _msg: None, publish: bool = True) -> RunOutcome:
    """Validate and run an evaluation (all stages, or the named ones).

    A run of only some stages is *partial*: it renders those stages' reports but
    no evaluation summary and does not become LATEST (see :mod:`toolkit.runs`).
    Ctrl-C or SIGTERM marks the run ``interrupted``; LATEST keeps naming the last
    good run.  ``publish=False`` leaves the portfolio index alone (``hitk run --all``
    with several jobs writes it once, after every evaluation has finished).

    Raises
    ------
    InputError
        Invalid evaluation.yaml or data: nothing is executed and no run folder is made.
    RunError
        A stage failed, or the run was interrupted: the run folder keeps the executed
        notebooks and a failed/interrupted manifest.
    """
    folder = project.evaluation_dir(evaluation)
    checked = check_evaluation(folder, project.templates_dir)
    ev = checked.evaluation
    selected = _select(checked, stages)
    partial = len(selected) < len(ev.config.stages)
    inputs = fingerprint_inputs(checked, selected)
    parameters = {s: dict(ev.config.stage(s).parameters) for s in selected}
    try:
        run = new_run_folder(ev.runs_dir, evaluation=ev.name, stages=selected, parameters=parameters,
                             inputs=inputs, charter_sha256=charter_hash(ev.raw.get("charter")), partial=partial,
                             date_formats=checked.date_formats)
    except OSError as exc:
        raise InputError(
            f"Cannot create a run folder in {ev.runs_dir}: {exc.strerror or exc}.",
            [Problem("the runs folder is not writable", where=str(ev.runs_dir),
                     fix="check the folder's permissions and free disk space, then run again")]) from None
    previous_handler = None
    try:
        import signal
        import threading

        if threading.current_thread() is threading.main_thread():
            previous_handler = signal.signal(signal.SIGTERM, _raise_terminated)
    except (ImportError, ValueError, AttributeError):  # pragma: no cover - platforms without SIGTERM
        previous_handler = None
    try:
        outcome = _execute_and_render(project, checked, run, selected, inputs, progress)
    except (KeyboardInterrupt, _Terminated) as exc:
        how = "Ctrl-C" if isinstance(exc, KeyboardInterrupt) else "SIGTERM"
        try:
            for path in [*run.path.glob("*.html"), run.path / "summary.json"]:
                path.unlink(missing_ok=True)  # half-rendered reports are not kept
            run.finish("interrupted", failure={"stage": run.manifest.get("current_stage"), "error": "Interrupted",
                                               "message": f"stopped by {how}"})
        except OSError:
            pass
        error = RunError(f"The run {run.run_id} of '{ev.name}' was interrupted ({how}). Its manifest says "
                         f"'interrupted'; no report was kept from it and LATEST still names the last good run.")
        error.exit_code = 130 if how == "Ctrl-C" else 143
        raise error from None
    except OSError as exc:
        try:
            run.finish("failed", failure={"stage": run.manifest.get("current_stage"), "error": type(exc).__name__,
                                          "message": str(exc)})
        except OSError:
            pass
        raise RunError(f"The run {run.run_id} of '{ev.name}' could not write its files: "
                       f"{exc.strerror or exc} ({exc.filename or ev.runs_dir}). Earlier runs are untouched; "
                       "check permissions and free disk space, then run again.") from None
    finally:
        if previous_handler is not None:
            import signal

            signal.signal(signal.SIGTERM, previous_handler)
    if not publish:
        return outcome
    try:
        index = publish_index(project)
        progress(f"Portfolio index: {index}")
    except (OSError, ToolkitError) as exc:  # the run itself succeeded and is recorded: do not turn it into a failure
        progress(f"Warning: the run succeeded, but the portfolio index could not be written ({exc}). "
                 "Fix the problem and run `hitk index`.")
    return outcome


def _execute_and_render(project: Project, checked: CheckedEvaluation, run: RunFolder, selected: list[str],
                        inputs: list[dict], progress: Callable[[str], None]) -> RunOutcome:
    ev = checked.evaluation
    progress(f"Run {run.run_id} of '{ev.name}': {len(selected)} stage(s)"
             + (" (partial: it will not replace the latest full run)" if run.partial else ""))
    for i, name in enumerate(selected, start=1):
        stage = ev.config.stage(name)
        template = checked.templates[name]
        progress(f"  [{i}/{len(selected)}] {name} ({template.name}) ...")
        run.manifest["current_stage"] = name
        notebook = run.path / f"{name}.ipynb"
        failure = execute(
            template.path, notebook,
            parameters={"evaluation_dir": str(ev.folder), "stage": name,
                        "results_path": str(_stage_results_path(run, name)), **stage.parameters},
            cwd=ev.folder, timeout=stage.timeout_seconds,
        )
        if failure is not None:
            if failure.error_name == "KeyboardInterrupt":
                raise KeyboardInterrupt
            message = _failure_paragraph(name, template.name, failure, notebook, project)
            run.finish("failed", failure={"stage": name, "cell": failure.cell_index, "error": failure.error_name,
                                          "message": failure.error_value, "notebook": str(notebook)})
            raise RunError(message)
    run.manifest.pop("current_stage", None)
    changed = [i for i in inputs if "path" in i and _current_hash(Path(i["path"])) != i["sha256"]]
    if changed:
        message = (f"Input file {changed[0]['path']} changed while the run was executing, so its results "
                   "cannot be trusted. No report was rendered; rerun when the file is complete.")
        run.finish("failed", failure={"stage": None, "error": "InputChanged", "message": message})
        raise RunError(message)
    reports, summary = _render_all(project, checked, run, selected)
    run.finish("succeeded", reports={k: v.name for k, v in reports.items()},
               summary=summary.name if summary else None)
    progress(f"Done. Reports in {run.path}")
    if run.partial:
        latest = latest_successful(ev.runs_dir)
        progress("This run covered only " + ", ".join(selected) + ", so it has no evaluation summary and "
                 + (f"LATEST still names {latest[0].name}, the last run of every stage. " if latest else
                    "does not become LATEST. ")
                 + "Run without --stage to update the summary and the portfolio index.")
    return RunOutcome(run.path, reports, summary)


def publish_index(project: Project) -> Path:
    """Render ``evaluations/index.html`` listing every evaluation (``hitk index`` and every run)."""
    rows = portfolio_rows(project.evaluations())
    organisations = {r.organisation for r in rows} - {None}
    organisation = organisations.pop() if len(organisations) == 1 else "NHS integrated care board"
    out = project.evaluations_dir / "index.html"
    render_index(rows, out, organisation=organisation, generated=iso(utc_now()))
    return out



def _render_all(project: Project, checked: CheckedEvaluation, run: RunFolder,
                selected: list[str]) -> tuple[dict[str, Path], Path | None]:
    ev = checked.evaluation
    stage_files = {s: _stage_results_path(run, s) for s in selected}
    results = merge_stage_results(stage_files, evaluation=ev.name, run_id=run.run_id)
    write_json(run.path / "results.json", results)
    rule = DisclosureRule.from_config(ev.config.reporting.disclosure)
    signoff = read_signoff(ev.folder)
    changed = bool(signoff and charter_deviations(signoff, ev.raw["charter"]))
    banner = signoff_banner(signoff, changed)
    reports: dict[str, Path] = {}
    dropped: dict[str, dict] = {}
    all_attributions: list[str] = []
    try:
        for name in selected:
            template = checked.templates[name]
            stage = ev.config.stage(name)
            results_file = stage_files[name]
            attributions = []
            if results_file.exists():
                attributions = json.loads(results_file.read_text(encoding="utf-8")).get("attributions", [])
            if _uses_deprivation(ev, stage):
                from toolkit.data.imd import ATTRIBUTION

                attributions = attributions + ([ATTRIBUTION] if ATTRIBUTION not in attributions else [])
            all_attributions += [a for a in attributions if a not in all_attributions]
            params = [("evaluation", ev.name), ("stage", name), ("template", template.name)]
            params += [(k, v) for k, v in stage.parameters.items()]
            if stage.source:
                params.append(("data source", _source_text(ev.config.data.sources[stage.source])))
            excluded = [_exclusion_text(e, rule) for e in checked.exclusions if e.source == stage.source]
            out = run.path / f"{name}.html"
            stats = render_notebook(
                run.path / f"{name}.ipynb", out,
                title=ev.config.charter.title, evaluation=ev.name, stage_title=template.title,
                template=template.name, run_id=run.run_id, run_date=run.manifest["started_at"],
                toolkit_version=__version__, parameters=params,
                organisation=ev.config.reporting.organisation, disclosure_note=rule.describe(),
                attributions=attributions, signoff_html=banner, exclusions=excluded,
            )
            dropped[name] = stats.dropped
            reports[name] = out
        summary_path = None
        if not run.partial:  # a partial run has no whole picture to summarise
            summary_path = run.path / "summary.html"
            previous = latest_successful(ev.runs_dir, before=run.run_id)
            view = build_summary(
                ev, results=results, run_id=run.run_id, run_started=run.manifest["started_at"],
                reports={k: v.name for k, v in reports.items()}, signoff=signoff, changes=None,
                stage_titles={s: checked.templates[s].title for s in selected},
            )
            if previous is not None:
                view = replace(view, changes=compare_runs(previous[0], run.manifest, results, view.as_record()))
            render_summary(view, summary_path, disclosure_note=rule.describe(), attributions=all_attributions)
            write_json(run.path / "summary.json", view.as_record())
    except Exception as exc:
        for path in [*reports.values(), run.path / "summary.html", run.path / "summary.json"]:
            path.unlink(missing_ok=True)
        run.finish("failed", failure={"stage": None, "error": type(exc).__name__, "message": f"rendering failed: {exc}"})
        raise RunError(f"Rendering the reports failed: {exc}. No report was kept; earlier runs are untouched.") from exc
    run.manifest["dropped_outputs"] = dropped
    run.manifest["exclusions"] = [
        {"source": e.source, "file": e.file, "role": e.role, "column": e.column, "reason": e.reason, "rows": e.rows}
        for e in checked.exclusions
    ]
    return reports, summary_path
