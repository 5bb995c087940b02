"""Cross-checks that need more than the schema: templates, parameters, data files, columns.

Used by ``hitk validate`` and, identically, at the start of ``hitk run``.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path

from toolkit.data.checking import Exclusion, check_contract
from toolkit.data.contracts import Contract, contract_for
from toolkit.data.engine import TableSource
from toolkit.data.sources import SourceFiles, describe_columns, resolve_source
from toolkit.data.contract_support import contract_supported  # TEMPORARY (issue 18 merge)
from toolkit.data.tables import engine_for
from toolkit.errors import ConfigError, InputError, Problem, ToolkitError
from toolkit.evaluations.catalogue import TemplateInfo, check_parameters, get_template
from toolkit.evaluations.feasibility import check_feasibility
from toolkit.evaluations.loader import LoadedEvaluation, load_evaluation
from toolkit.evaluations.parameter_rules import check_values
from toolkit.evaluations.role_rules import check_role_alternatives

__all__ = ["CheckedEvaluation", "check_evaluation"]


@dataclass(frozen=True)
class CheckedEvaluation:
    """An evaluation that passed every check, with its templates and resolved files."""

    evaluation: LoadedEvaluation
    templates: dict[str, TemplateInfo]
    sources: dict[str, SourceFiles | TableSource] = field(default_factory=dict)
    exclusions: tuple[Exclusion, ...] = ()
    rows: dict[str, int] = field(default_factory=dict)
    date_formats: dict[str, dict[str, str]] = field(default_factory=dict)


def _delimiter_hint(columns: list[str]) -> str:
    if len(columns) == 1:
        for sep, word in ((";", "semicolon"), ("\t", "tab"), ("|", "pipe")):
            if sep in columns[0]:
                return f"the file looks {word}-separated: set `delimiter: \"{sep}\"` on this source. "
    return ""


def _sheet_hint(files: SourceFiles, source) -> str:
    """For a workbook: which sheets hold every mapped column (when the one read does not)."""
    if files.format != "xlsx":
        return ""
    from toolkit.data.sources import sheets_with_columns

    names, having = sheets_with_columns(files.files[0], list(source.columns.values()))
    having = [h for h in having if h != (files.sheet or names[0])]
    if having:
        return (f"the mapped columns are on sheet(s) {', '.join(repr(h) for h in having)}: "
                f"set `sheet: \"{having[0]}\"` on this source")
    return ""


def _table_columns(name: str, source, table: TableSource, columns: list[str], problems: list[Problem]) -> bool:
    """Every mapped column must be a column of the table (or of the query's result)."""
    import difflib

    ok = True
    for role, column in source.columns.items():
        if column not in columns:
            ok = False
            close = difflib.get_close_matches(column, columns, n=1)
            problems.append(Problem(
                f"column '{column}' (mapped to role '{role}') is not in {table.label} (data source '{name}')",
                where=f"data.sources.{name}.columns.{role}", file=table.label, column=column,
                fix=(f"did you mean '{close[0]}'? " if close else "") + "correct the mapping; the table has: "
                    + ", ".join(columns[:20]) + (" …" if len(columns) > 20 else "")))
    return ok


def _check_sources(ev: LoadedEvaluation, problems: list[Problem]) -> dict[str, SourceFiles | TableSource]:
    import difflib

    resolved: dict[str, SourceFiles | TableSource] = {}
    for name, source in ev.config.data.sources.items():
        try:
            files = resolve_source(name, source, ev.folder)
            columns = describe_columns(files)
        except ToolkitError as exc:
            problems.extend(exc.problems or [Problem(str(exc), where=f"data.sources.{name}")])
            continue
        if isinstance(files, TableSource):
            if _table_columns(name, source, files, columns, problems):
                resolved[name] = files
            continue
        ok = True
        sheet_hint = _sheet_hint(files, source)
        for role, column in source.columns.items():
            if column not in columns:
                ok = False
                close = difflib.get_close_matches(column, columns, n=1)
                problems.append(Problem(
                    f"column '{column}' (mapped to role '{role}') is not in {files.files[0].name}"
                    + (f" (sheet '{files.sheet}')" if files.sheet else " (first sheet)" if files.format == "xlsx" else ""),
                    where=f"data.sources.{name}.columns.{role}",
                    fix=sheet_hint or (_delimiter_hint(columns) + (f"did you mean '{close[0]}'? " if close else "")
                    + f"the file has: {', '.join(columns[:12])}{' …' if len(columns) > 12 else ''}"),
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


def _check_data(ev: LoadedEvaluation, templates: dict[str, TemplateInfo], sources: dict,
                problems: list[Problem]) -> tuple[tuple[Exclusion, ...], dict[str, int]]:
    """Check each stage's source against its template's data contract (one pass per source and template)."""
    exclusions: list[Exclusion] = []
    rows: dict[str, int] = {}
    done: set[tuple] = set()
    for index, stage in enumerate(ev.config.stages):
        template = templates.get(stage.name)
        if template is None or stage.source is None or stage.source not in sources:
            continue
        scale = stage.parameters.get("outcome_scale")
        if (stage.source, template.name, scale) in done:
            continue
        done.add((stage.source, template.name, scale))
        try:
            contract = contract_for(template.name, template.extra) or Contract(template.name)
            contract = contract.with_parameters(stage.parameters, where=f"stages[{index}].parameters")
        except ToolkitError as exc:
            problems.extend(exc.problems)
            continue
        source = ev.config.data.sources[stage.source]
        found = sources[stage.source]
        if not contract_supported(found):  # TEMPORARY (issue 18 merge): see toolkit.data.contract_support
            continue
        extra = {"engine": engine_for(found)} if isinstance(found, TableSource) else {}
        report = check_contract(found, dict(source.columns), contract, folder=ev.folder,
                                imd_vintage=ev.config.imd_vintage,
                                allow_vintage_mismatch=source.allow_vintage_mismatch, **extra)
        problems.extend(p for p in report.problems if p not in problems)
        exclusions.extend(e for e in report.exclusions if e not in exclusions)
        rows[stage.source] = report.n_rows
    return tuple(exclusions), rows


#: Stage parameters whose value names another data source (empty: not used).
SOURCE_PARAMETERS = ("imd_lookup", "deaths_source")


def _source_parameters(ev: LoadedEvaluation, stage, where: str) -> list[Problem]:
    """A parameter naming a data source (``deaths_source``, ``imd_lookup``) must name one that is defined."""
    out = []
    for name in SOURCE_PARAMETERS:
        value = stage.parameters.get(name)
        if isinstance(value, str) and value and value not in ev.config.data.sources:
            known = ", ".join(ev.config.data.sources) or "none defined"
            out.append(Problem(f"{name} names '{value}', which is not one of data.sources",
                               where=f"{where}.parameters.{name}",
                               fix=f"name one of data.sources ({known}), add that source, or leave {name} empty"))
    return out


def _raw_stage_problems(folder: Path, templates_dir: Path) -> list[Problem]:
    """Parameter problems of stages in an evaluation.yaml the schema rejected, so that all are reported at once."""
    from toolkit.evaluations.yamlio import load_yaml

    try:
        raw = load_yaml(folder / "evaluation.yaml")
    except ToolkitError:
        return []
    stages = raw.get("stages") if isinstance(raw, dict) else None
    problems: list[Problem] = []
    for i, stage in enumerate(stages if isinstance(stages, list) else []):
        if not isinstance(stage, dict) or not isinstance(stage.get("template"), str):
            continue
        parameters = stage.get("parameters")
        if not isinstance(parameters, dict):
            continue
        try:
            template = get_template(templates_dir, stage["template"])
        except ToolkitError:
            continue
        problems += check_parameters(template, parameters, where=f"stages[{i}].parameters")
        problems += check_values(template.name, parameters, where=f"stages[{i}].parameters")
    return problems


def check_evaluation(folder: Path, templates_dir: Path, *, check_data: bool = True) -> CheckedEvaluation:
    """Validate an evaluation completely without executing anything.

    Raises
    ------
    ConfigError
        With every problem found (schema, templates, parameters, roles, files, columns).
    """
    try:
        ev = load_evaluation(folder)
    except ConfigError as exc:
        extra = [p for p in _raw_stage_problems(Path(folder), templates_dir) if p not in exc.problems]
        if not extra:
            raise
        problems = [*exc.problems, *extra]
        raise ConfigError(f"{Path(folder) / 'evaluation.yaml'} has {len(problems)} problem(s):", problems) from None
    problems: list[Problem] = []
    templates: dict[str, TemplateInfo] = {}
    bad_parameters: set[str] = set()
    for i, stage in enumerate(ev.config.stages):
        where = f"stages[{i}]"
        try:
            template = get_template(templates_dir, stage.template)
        except InputError as exc:
            problems.extend(Problem(p.message, where=f"{where}.template", fix=p.fix) for p in exc.problems)
            continue
        templates[stage.name] = template
        found = check_parameters(template, stage.parameters, where=f"{where}.parameters")
        found += check_values(template.name, stage.parameters, where=f"{where}.parameters")
        if found:
            bad_parameters.add(stage.name)
        problems.extend(found)
        problems.extend(p for p in _source_parameters(ev, stage, where) if p not in problems)
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
            role_problems = check_role_alternatives(template.name, source.columns,
                                                    where=f"data.sources.{stage.source}.columns",
                                                    parameters_where=f"{where}.parameters")
            if role_problems:
                bad_parameters.add(stage.name)  # the design checks would only repeat it
            problems.extend(p for p in role_problems if p not in problems)
            for role in source.columns:
                if allowed and role not in allowed:
                    problems.append(Problem(
                        f"'{role}' is not a role template '{template.name}' uses",
                        where=f"data.sources.{stage.source}.columns.{role}",
                        fix=f"roles it uses: {', '.join(sorted(allowed))}",
                    ))
    sources = _check_sources(ev, problems) if check_data else {}
    before = len(problems)
    exclusions, rows = _check_data(ev, templates, sources, problems) if check_data else ((), {})
    date_formats: dict[str, dict[str, str]] = {}
    if check_data and len(problems) == before:
        # the designs' own input checks, on data that passed the contract (else they would repeat its problems)
        feasibility = check_feasibility(ev, templates, sources, skip=bad_parameters)
        problems.extend(p for p in feasibility.problems if p not in problems)
        date_formats = feasibility.date_formats
    from toolkit.board.goal_checks import goal_problems  # charter goals: can every measure be computed?

    problems.extend(p for p in goal_problems(ev, check_data=check_data) if p not in problems)
    if problems:
        raise ConfigError(f"{ev.yaml_path} has {len(problems)} problem(s):", problems)
    return CheckedEvaluation(ev, templates, sources, exclusions, rows, date_formats)
