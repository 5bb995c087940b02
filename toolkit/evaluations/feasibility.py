"""Can each stage's design run on its data with its parameters?  Checked before anything runs.

``hitk run`` used to find these only minutes later, inside a notebook: a
treated unit or start date not in the data, every unit treated on one date,
treatment switching off and on, one treated unit, a deprivation quintile that
changes within a unit, a first-treated column on another time scale, dates
whose order (day or month first) cannot be told.  Here the stage's *own* input
code is called read-only on the stage's data (the DiD stage's
:func:`~toolkit.stages.did.treatment.resolve_treatment` and
:func:`~toolkit.stages.did.choose.choose_design`), so validate refuses exactly
what run would; the natural-experiment stages' start dates, treated unit and
threshold are checked against the data's periods, units and range.

Every problem names its YAML path or file/column/rows and the fix.  Date
formats found are returned so that validate can say which it assumed.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from toolkit.data.sources import SourceFiles, read_source
from toolkit.dates import DateReading, detect_format, to_iso_text
from toolkit.errors import InputError, Problem, ToolkitError

__all__ = ["Feasibility", "check_feasibility", "DATE_ROLES", "stage_parameters"]

DATE_ROLES = ("time", "period", "first_treated", "date", "month", "quarter")


@dataclass
class Feasibility:
    """Problems found, and how each date column was read (``{source: {column: description}}``)."""

    problems: list[Problem] = field(default_factory=list)
    date_formats: dict[str, dict[str, str]] = field(default_factory=dict)


def stage_parameters(template, values: dict[str, Any]) -> dict[str, Any]:
    """The template's defaults overlaid with the stage's parameters (what the notebook will see)."""
    merged = {p.name: p.default for p in template.user_parameters}
    merged.update(values)
    return merged


def _relocate(problems, *, stage_where: str, source: str, file: str) -> list[Problem]:
    """Replace the stage code's placeholders (``stages.<stage>``) with real YAML paths."""
    out = []
    for p in problems:
        where = p.where
        if where:
            where = where.replace("stages.<stage>", stage_where).replace("data.sources.<source>",
                                                                          f"data.sources.{source}")
        out.append(replace(p, where=where, file=p.file or (file if not where else p.file)))
    return out


def _error_problems(exc: ToolkitError, *, stage_where: str, source: str, file: str) -> list[Problem]:
    problems = exc.problems or (Problem(exc.message or str(exc), where=stage_where),)
    head = exc.message if exc.problems and exc.message and exc.message != "The data cannot be used as it is:" else ""
    if head:
        problems = tuple(replace(p, message=f"{head.rstrip('.:')}: {p.message}") for p in problems)
    return _relocate(problems, stage_where=stage_where, source=source, file=file)


def _contract_date_roles(ev, templates: dict) -> dict[str, set[str]]:
    """Per source, the roles its templates' data contracts declare as dates or periods."""
    from toolkit.data.contracts import contract_for

    out: dict[str, set[str]] = {}
    for stage in ev.config.stages:
        template = templates.get(stage.name)
        if template is None or stage.source is None:
            continue
        try:
            contract = contract_for(template.name, template.extra)
        except ToolkitError:
            continue
        if contract is not None:
            out.setdefault(stage.source, set()).update(
                r for r, spec in contract.roles.items() if spec.kind in ("date", "period"))
    return out


def _dates(files, mapping: dict[str, str], source: str, out: Feasibility,
           extra_roles: set[str] = frozenset()) -> None:
    """How each date-like column of a source is written (its distinct values, read in DuckDB)."""
    from toolkit.data.sources import source_values

    for role in (*DATE_ROLES, *sorted(set(extra_roles) - set(DATE_ROLES))):
        column = mapping.get(role)
        if column is None:
            continue
        try:
            values = source_values(files, column, limit=20000)
        except ToolkitError:
            continue  # unreadable files are reported by the file checks
        try:
            reading = detect_format(pd.Series(list(dict.fromkeys(values)), dtype=object), column=column,
                                    file=getattr(files, "spec_path", None) or files.label)
        except InputError as exc:
            out.problems.extend(replace(p, where=f"data.sources.{source}.columns.{role}") for p in exc.problems
                                if replace(p, where=f"data.sources.{source}.columns.{role}") not in out.problems)
            continue
        if reading is not None:
            out.date_formats.setdefault(source, {})[column] = reading.description


def _did(data, mapping, params, *, stage_where, source, file) -> list[Problem]:
    from toolkit.stages.did.choose import choose_design
    from toolkit.stages.did.inputs import prepare_inputs
    from toolkit.stages.did.treatment import resolve_treatment

    where_p = f"{stage_where}.parameters"
    try:  # as the template does: a rate from numerator/denominator, the overall panel from rows by group
        inputs = prepare_inputs(data, mapping, outcome_per=params.get("outcome_per", 1.0), file=file)
    except ToolkitError as exc:
        return _error_problems(exc, stage_where=stage_where, source=source, file=file)
    data, mapping = inputs.data, dict(inputs.columns)
    if params.get("treated_units") and params.get("treatment_start") and "time" in data.columns:
        outside = _start_problems(data["time"], params["treatment_start"], column=mapping.get("time", "time"),
                                  file=file, where=f"{where_p}.treatment_start", min_pre=1, exact=False)
        if outside:
            return outside
    try:
        dd = resolve_treatment(data, columns=mapping, treated_units=params.get("treated_units") or None,
                               start=params.get("treatment_start") or None, file=file)
    except ToolkitError as exc:
        problems = _error_problems(exc, stage_where=stage_where, source=source, file=file)
        if params.get("treated_units"):  # the listed units / start date are parameters: point there
            problems = [replace(p, where=p.where or f"{where_p}.treated_units") if "treated_units" in p.message
                        else replace(p, where=f"{where_p}.treatment_start") if p.column == "treatment_start"
                        else p for p in problems]
        return problems
    problems: list[Problem] = []
    try:
        choose_design(dd, comparison=params.get("comparison", "not_yet"))
    except ToolkitError as exc:
        problems += _error_problems(exc, stage_where=stage_where, source=source, file=file)
    treated = dd.first_treated[dd.first_treated > 0]
    if len(treated) == 1:
        problems.append(Problem(
            f"only one unit ({treated.index[0]}) is treated: difference-in-differences clusters its standard "
            "errors by unit and needs several treated units",
            where=f"data.sources.{source}.columns" if "treated_units" not in params or not params["treated_units"]
            else f"{where_p}.treated_units", file=file,
            fix="for one treated area use the synthetic control template (`hitk new synth NAME`), or add the other "
                "units that took part"))
    if "quintile" in data.columns:
        per_unit = data.groupby(data["unit"].astype(str))["quintile"].nunique(dropna=True)
        varying = per_unit[per_unit > 1].index
        if len(varying):
            mask = data["unit"].astype(str).isin(varying).to_numpy()
            problems.append(Problem(
                f"the deprivation quintile changes between rows of the same unit (e.g. {varying[0]}); "
                "effects by quintile need one quintile per unit",
                file=file, column=mapping.get("quintile", "quintile"),
                rows=tuple(int(i) + 2 for i in np.flatnonzero(mask)[:5]), count=int(mask.sum()),
                fix="give each unit one quintile on every row (e.g. its quintile at the start of the scheme)"))
    return problems


def _period_keys(values: pd.Series, column: str, file: str) -> tuple[list[str], DateReading | None]:
    """Distinct periods of a time column as comparable text (dates as YYYY-MM-DD, quarters normalised)."""
    text, reading = to_iso_text(values, column=column, file=file)
    keys = [_key(v) for v in pd.unique(text.dropna())]
    return sorted(set(keys), key=_sort_key), reading


def _key(value: Any) -> str:
    s = str(value).strip()
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        s = str(int(value))
    s = s.upper().replace(" ", "").replace("-Q", "Q")
    if len(s) >= 10 and s[4] == "-" and s[7] == "-":
        s = s[:10]
    return s


def _sort_key(s: str):
    try:
        return (0, float(s), s)
    except ValueError:
        return (1, 0.0, s)


def _start_problems(values: pd.Series, start: Any, *, column: str, file: str, where: str,
                    min_pre: int, exact: bool = True) -> list[Problem]:
    """The start period must be one of the data's periods, with ``min_pre`` before and one after."""
    if start in (None, ""):
        return [Problem("no start period is given", where=where, fix="write the scheme's first period as in the "
                                                                    f"column '{column}'")]
    keys, _ = _period_keys(values, column, file)
    wanted = _key(to_iso_text(pd.Series([str(start)]), column=where, file=None)[0].iloc[0]) if not isinstance(
        start, (int, float)) else _key(start)
    month_keys = [k[:7] for k in keys]
    if wanted not in keys and wanted[:7] in month_keys and len(wanted) in (7, 10):
        wanted = keys[month_keys.index(wanted[:7])]  # a month, or a day inside a month, of monthly/daily data
    if wanted not in keys and not exact:
        if not keys or {len(k) for k in keys} != {len(wanted)} or keys[0] <= wanted <= keys[-1]:
            return []  # on another scale, or inside the data: the stage's own reader decides
    if wanted not in keys:
        shown = f"{keys[0]} to {keys[-1]}" if keys else "none"
        return [Problem(f"the start '{start}' is not one of the periods in column '{column}' (they run {shown})",
                        where=where, file=file,
                        fix="write the first period of the scheme exactly as the time column does, inside the data")]
    pos = keys.index(wanted)
    problems = []
    if pos < min_pre:
        problems.append(Problem(
            f"the start '{start}' leaves {pos} period(s) before the scheme; the design needs at least {min_pre}",
            where=where, file=file, fix="use data that begin earlier, or check the start period"))
    if pos >= len(keys):
        problems.append(Problem(f"no period in the data is on or after the start '{start}'", where=where, file=file,
                                fix="add the periods since the scheme started"))
    return problems


def _its(data, mapping, params, *, stage_where, source, file) -> list[Problem]:
    from toolkit.designs.its import MIN_PRE_PERIODS

    if "time" not in data.columns:
        return []
    return _start_problems(data["time"], params.get("intervention_start"), column=mapping.get("time", "time"),
                           file=file, where=f"{stage_where}.parameters.intervention_start", min_pre=MIN_PRE_PERIODS)


def _synth(data, mapping, params, *, stage_where, source, file) -> list[Problem]:
    from toolkit.designs.synth import MIN_PRE_PERIODS

    problems: list[Problem] = []
    if "unit" in data.columns:
        units = set(data["unit"].astype(str).str.strip())
        names = set(data["unit_name"].astype(str).str.strip()) if "unit_name" in data.columns else set()
        treated = str(params.get("treated_unit", "")).strip()
        if treated not in units | names:
            shown = ", ".join(sorted(units)[:6])
            problems.append(Problem(
                f"the treated unit '{treated}' is not in column '{mapping.get('unit', 'unit')}'",
                where=f"{stage_where}.parameters.treated_unit", file=file,
                fix=f"use one of the {len(units)} units as written in the data, e.g. {shown}"))
        unknown = [str(d) for d in params.get("donors") or [] if str(d).strip() not in units | names]
        if unknown:
            problems.append(Problem(f"donor(s) not in the data: {', '.join(unknown[:5])}",
                                    where=f"{stage_where}.parameters.donors", file=file,
                                    fix="list donors exactly as the unit column writes them, or leave donors empty"))
    if "time" in data.columns:
        problems += _start_problems(data["time"], params.get("treatment_start"), column=mapping.get("time", "time"),
                                    file=file, where=f"{stage_where}.parameters.treatment_start",
                                    min_pre=MIN_PRE_PERIODS)
    return problems


def _rd(data, mapping, params, *, stage_where, source, file) -> list[Problem]:
    if "running" not in data.columns:
        return []
    x = pd.to_numeric(data["running"], errors="coerce").dropna()
    cutoff = params.get("cutoff")
    if not len(x) or not isinstance(cutoff, (int, float)) or isinstance(cutoff, bool):
        return []
    if not x.min() < cutoff < x.max():
        return [Problem(f"the threshold {cutoff:g} is outside the running variable's range "
                        f"({x.min():g} to {x.max():g} in column '{mapping.get('running', 'running')}')",
                        where=f"{stage_where}.parameters.cutoff", file=file,
                        fix="set cutoff to the eligibility threshold, written on the running variable's scale")]
    return []


_CHECKS = {"did": _did, "its": _its, "synth": _synth, "rd": _rd}


def check_feasibility(ev, templates: dict, sources: dict[str, SourceFiles], *,
                      skip: set[str] | frozenset[str] = frozenset()) -> Feasibility:
    """Run the design checks of every stage whose template is a design, on its source's data.

    Parameters
    ----------
    ev : LoadedEvaluation
    templates : dict
        Stage name -> :class:`~toolkit.evaluations.catalogue.TemplateInfo` (stages whose template exists).
    sources : dict
        Source name -> resolved files (sources that passed the file and column checks).
    skip : set of str
        Stages whose parameters are already known to be wrong (their design checks would repeat it).
    """
    out = Feasibility()
    unreadable_dates: set[str] = set()
    contract_roles = _contract_date_roles(ev, templates)
    for name, files in sources.items():
        before = len(out.problems)
        _dates(files, dict(ev.config.data.sources[name].columns), name, out, contract_roles.get(name, set()))
        if len(out.problems) > before:
            unreadable_dates.add(name)  # the designs would only repeat it
    read: dict[str, pd.DataFrame] = {}
    for i, stage in enumerate(ev.config.stages):
        template = templates.get(stage.name)
        if (template is None or stage.source is None or stage.source not in sources or stage.name in skip
                or stage.source in unreadable_dates):
            continue
        source = ev.config.data.sources[stage.source]
        mapping = dict(source.columns)
        file = source.label
        check = _CHECKS.get(template.name)
        if check is None:
            continue
        if stage.source not in read:
            try:
                read[stage.source] = read_source(sources[stage.source], mapping or None)
            except ToolkitError as exc:
                out.problems.extend(p for p in exc.problems if p not in out.problems)
                continue
        params = stage_parameters(template, dict(stage.parameters))
        try:
            found = check(read[stage.source], mapping, params, stage_where=f"stages[{i}]", source=stage.source,
                          file=file)
        except ToolkitError as exc:
            found = _error_problems(exc, stage_where=f"stages[{i}]", source=stage.source, file=file)
        out.problems.extend(p for p in found if p not in out.problems)
    return out
