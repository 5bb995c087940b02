"""Cross-checks that need more than the schema: templates, parameters, data files, columns.

Used by ``hitk validate`` and, identically, at the start of ``hitk run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from toolkit.data.checking import Exclusion, check_contract
from toolkit.data.contracts import Contract, contract_for
from toolkit.data.sources import SourceFiles, describe_columns, resolve_files
from toolkit.errors import ConfigError, InputError, Problem, ToolkitError
from toolkit.evaluations.catalogue import TemplateInfo, check_parameters, get_template
from toolkit.evaluations.loader import LoadedEvaluation, load_evaluation

__all__ = ["CheckedEvaluation", "check_evaluation"]


@dataclass(frozen=True)
class CheckedEvaluation:
    """An evaluation that passed every check, with its templates and resolved files."""

    evaluation: LoadedEvaluation
    templates: dict[str, TemplateInfo]
    sources: dict[str, SourceFiles] = field(default_factory=dict)
    exclusions: tuple[Exclusion, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)


def _delimiter_hint(columns: list[str]) -> str:
    if len(columns) == 1:
        for sep, word in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in columns[0]:
                return f"the file looks {word}-separated: set `delimiter: \"{sep}\"` on this source. "
    return ""


def _check_sources(ev: LoadedEvaluation, problems: list[Problem]) -> dict[str, SourceFiles]:
    import difflib

    resolved: dict[str, SourceFiles] = {}
    for name, source in ev.config.data.sources.items():
        try:
            files = resolve_files(name, source, ev.folder)
            columns = describe_columns(files)
        except ToolkitError as exc:
            problems.extend(exc.problems or [Problem(str(exc), where=f"data.sources.{name}")])
            continue
        ok = True
        for role, column in source.columns.items():
            if column not in columns:
                ok = False
                close = difflib.get_close_matches(column, columns, n=1)
                problems.append(Problem(
                    f"column '{column}' (mapped to role '{role}') is not in {files.files[0].name}",
                    where=f"data.sources.{name}.columns.{role}",
                    fix=_delimiter_hint(columns) + (f"did you mean '{close[0]}'? " if close else "")
                    + f"the file has: {', '.join(columns[:12])}{' …' if len(columns) > 12 else ''}",
                ))
        if ok and len(files.files) > 1:
            ok = _check_other_files(name, source, files, problems)
        if ok:
            resolved[name] = files
    return resolved


def _check_other_files(name: str, source, files: SourceFiles, problems: list[Problem]) -> bool:
    """Every file of a many-file source must hold the mapped columns."""
    ok = True
    for path in files.files[1:]:
        single = replace(files, files=(path,))
        try:
            columns = describe_columns(single)
        except ToolkitError as exc:
            problems.extend(exc.problems)
            ok = False
            continue
        for role, column in source.columns.items():
            if column not in columns:
                ok = False
                problems.append(Problem(
                    f"column '{column}' (mapped to role '{role}') is not in {path.name}, "
                    f"although it is in {files.files[0].name}",
                    where=f"data.sources.{name}.columns.{role}", file=str(path), column=column,
                    fix="every file of a source needs the same columns; re-export the odd file or move it out "
                        f"of the pattern {source.path}"))
    return ok


def _check_data(ev: LoadedEvaluation, templates: dict[str, TemplateInfo], sources: dict[str, SourceFiles],
                problems: list[Problem]) -> tuple[tuple[Exclusion, ...], dict[str, int]]:
    """Check each stage's source against its template's data contract (one pass per source and template)."""
    exclusions: list[Exclusion] = []
    rows: dict[str, int] = {}
    done: set[tuple[str, str]] = set()
    for stage in ev.config.stages:
        template = templates.get(stage.name)
        if template is None or stage.source is None or stage.source not in sources:
            continue
        if (stage.source, template.name) in done:
            continue
        done.add((stage.source, template.name))
        try:
            contract = contract_for(template.name, template.extra) or Contract(template.name)
        except ToolkitError as exc:
            problems.extend(exc.problems)
            continue
        source = ev.config.data.sources[stage.source]
        report = check_contract(sources[stage.source], dict(source.columns), contract, folder=ev.folder,
                                imd_vintage=ev.config.imd_vintage,
                                allow_vintage_mismatch=source.allow_vintage_mismatch)
        problems.extend(p for p in report.problems if p not in problems)
        exclusions.extend(e for e in report.exclusions if e not in exclusions)
        rows[stage.source] = report.n_rows
    return tuple(exclusions), rows


def check_evaluation(folder: Path, templates_dir: Path, *, check_data: bool = True) -> CheckedEvaluation:
    """Validate an evaluation completely without executing anything.

    Raises
    ------
    ConfigError
        With every problem found (schema, templates, parameters, roles, files, columns).
    """
    ev = load_evaluation(folder)
    problems: list[Problem] = []
    templates: dict[str, TemplateInfo] = {}
    for i, stage in enumerate(ev.config.stages):
        where = f"stages[{i}]"
        try:
            template = get_template(templates_dir, stage.template)
        except InputError as exc:
            problems.extend(Problem(p.message, where=f"{where}.template", fix=p.fix) for p in exc.problems)
            continue
        templates[stage.name] = template
        problems.extend(check_parameters(template, stage.parameters, where=f"{where}.parameters"))
        if template.needs_source and stage.source is None:
            problems.append(Problem(f"template '{template.name}' needs a data source", where=f"{where}.source",
                                    fix="name one of data.sources"))
        if stage.source is not None:
            source = ev.config.data.sources.get(stage.source)
            if source is None:
                known = ", ".join(ev.config.data.sources) or "none defined"
                problems.append(Problem(f"no data source called '{stage.source}'", where=f"{where}.source",
                                        fix=f"sources defined under data.sources: {known}"))
                continue
            allowed = set(template.required_roles) | set(template.optional_roles)
            for role in template.required_roles:
                if role not in source.columns:
                    problems.append(Problem(
                        f"role '{role}' is needed by template '{template.name}' but not mapped",
                        where=f"data.sources.{stage.source}.columns",
                        fix=f"add `{role}: <your column name>`",
                    ))
            for role in source.columns:
                if allowed and role not in allowed:
                    problems.append(Problem(
                        f"'{role}' is not a role template '{template.name}' uses",
                        where=f"data.sources.{stage.source}.columns.{role}",
                        fix=f"roles it uses: {', '.join(sorted(allowed))}",
                    ))
    sources = _check_sources(ev, problems) if check_data else {}
    from toolkit.board.goal_checks import goal_problems  # charter goals: can every measure be computed?

    problems.extend(goal_problems(ev, check_data=check_data))
    exclusions, rows = _check_data(ev, templates, sources, problems) if check_data else ((), {})
    if problems:
        raise ConfigError(f"{ev.yaml_path} has {len(problems)} problem(s):", problems)
    return CheckedEvaluation(ev, templates, sources, exclusions, rows)
