"""`hitk validate` checks for charter goals: can every goal's measure be computed, does every result exist?

Also the catalogue of result names each template records, which a goal may use.
"""

from __future__ import annotations

import re

from toolkit.errors import Problem, ToolkitError
from toolkit.evaluations.loader import LoadedEvaluation

__all__ = ["TEMPLATE_RESULTS", "EFFECT_RESULTS", "goal_problems", "result_names_text"]

#: Result names each template records (tests check each appears in the template or its stage module);
#: ``<n>`` stands for a horizon number the stage's parameters choose.
TEMPLATE_RESULTS: dict[str, tuple[str, ...]] = {
    "baseline": ("core20_value", "core20_gap", "core20_ratio", "overall_value", "rest_value", "latest_value",
                 "quintile_gap", "sii", "rii"),
    "did": ("att", "gap_effect", "att_twfe", "pretrend_p"),
    "its": ("level_change", "slope_change", "controlled_level_change", "controlled_slope_change",
            "rate_ratio_h<n>", "difference_h<n>", "cumulative_difference_h<n>"),
    "synth": ("att", "rmspe_pre", "placebo_p"),
    "rd": ("effect", "density_p"),
}
#: The causal effects an impact goal may name, per design template.
EFFECT_RESULTS: dict[str, tuple[str, ...]] = {
    "did": ("att", "gap_effect", "att_twfe"),
    "its": ("level_change", "slope_change", "controlled_level_change", "controlled_slope_change",
            "rate_ratio_h<n>", "difference_h<n>", "cumulative_difference_h<n>"),
    "synth": ("att",),
    "rd": ("effect",),
}


def _known(result: str, names: tuple[str, ...]) -> bool:
    """``rate_ratio_h23`` matches ``rate_ratio_h<n>`` (a horizon the stage's parameters choose)."""
    return any(re.fullmatch(re.escape(n).replace(re.escape("<n>"), r"\d+"), result) for n in names)


def result_names_text() -> str:
    """For each template, the result names a goal may use (one line per template)."""
    return "; ".join(f"{t}: {', '.join(names)}" for t, names in TEMPLATE_RESULTS.items())


def _group_value_problems(ev: LoadedEvaluation, i: int, m, problems: list[Problem]) -> None:
    from toolkit.data.sources import SourceFiles, resolve_source, source_values

    source = ev.config.data.sources[m.source]
    column = source.columns[m.population.role]
    try:
        files = resolve_source(m.source, source, ev.folder)
        found = {v.strip() for v in source_values(files, column)}
    except ToolkitError:
        return  # the file problem is reported by the source checks
    missing = [v for v in m.population.values if str(v).strip() not in found]
    if missing:
        problems.append(Problem(
            f"group value(s) {', '.join(repr(v) for v in missing)} do not occur in column '{column}' "
            f"(role '{m.population.role}') of "
            f"{files.files[0].name if isinstance(files, SourceFiles) else files.label}",
            where=f"charter.goals[{i}].measure.population.values",
            fix="values in the data: " + ", ".join(sorted(found)[:15]) + (" …" if len(found) > 15 else "")))


def _measure_problems(ev: LoadedEvaluation, i: int, m, check_data: bool, problems: list[Problem]) -> None:
    where = f"charter.goals[{i}].measure"
    sources = ev.config.data.sources
    if m.source not in sources:
        problems.append(Problem(f"no data source called '{m.source}'", where=f"{where}.source",
                                fix=f"sources defined under data.sources: {', '.join(sources) or 'none'}"))
        return
    mapped = sources[m.source].columns
    for field in ("numerator", "denominator", "value", "period"):
        role = getattr(m, field)
        if role and role not in mapped:
            problems.append(Problem(
                f"role '{role}' is not mapped on data source '{m.source}'", where=f"{where}.{field}",
                fix=f"map it under data.sources.{m.source}.columns (`{role}: <your column>`); mapped roles: "
                    f"{', '.join(mapped) or 'none'}"))
    pop = m.population
    if pop.role and pop.role not in mapped:
        problems.append(Problem(f"role '{pop.role}' is not mapped on data source '{m.source}'",
                                where=f"{where}.population.role",
                                fix=f"map it under data.sources.{m.source}.columns, or choose one of: "
                                    f"{', '.join(mapped) or 'none'}"))
    elif pop.role and check_data:
        _group_value_problems(ev, i, m, problems)
    if (pop.core20 or pop.quintiles or pop.deciles) and not (
            "decile" in mapped or ((pop.core20 or pop.quintiles) and "quintile" in mapped)
            or ("lsoa" in mapped and ev.config.imd_vintage is not None)):
        problems.append(Problem(f"population {pop.text()} needs each record's deprivation",
                                where=f"{where}.population",
                                fix=f"map `lsoa:` on data.sources.{m.source} and set imd_vintage, or map `decile:` "
                                    "or `quintile:`"))


def _result_problems(ev: LoadedEvaluation, i: int, goal, problems: list[Problem]) -> None:
    templates = {s.name: s.template for s in ev.config.stages}
    if goal.impact is not None:
        where, stage, result = f"charter.goals[{i}].impact", goal.impact.stage, goal.impact.result
        allowed = EFFECT_RESULTS
    else:
        where = f"charter.goals[{i}].metric"
        stage, _, result = goal.metric.partition(".")
        allowed = TEMPLATE_RESULTS
    if stage not in templates:
        problems.append(Problem(f"no stage called '{stage}'", where=f"{where}" + (".stage" if goal.impact else ""),
                                fix=f"stages: {', '.join(templates)}; results a goal may use: {result_names_text()}"))
        return
    template = templates[stage]
    if goal.impact is not None and template not in EFFECT_RESULTS:
        problems.append(Problem(f"stage '{stage}' (template '{template}') estimates no causal effect",
                                where=f"{where}.stage",
                                fix="name a design stage (did, its, synth or rd), or measure the goal from data "
                                    "with measure:"))
        return
    names = allowed.get(template)
    if names is not None and not _known(result, names):
        problems.append(Problem(f"template '{template}' records no result '{result}'",
                                where=f"{where}" + (".result" if goal.impact else ""),
                                fix=f"results of '{template}' a goal may use: {', '.join(names)}"))


def goal_problems(ev: LoadedEvaluation, *, check_data: bool = True) -> list[Problem]:
    """Every problem with the charter's goals and qualitative log (empty when all can be computed)."""
    from toolkit.board.qualitative import log_problems

    problems: list[Problem] = []
    for i, goal in enumerate(ev.config.charter.goals):
        if goal.measure is not None:
            _measure_problems(ev, i, goal.measure, check_data, problems)
        else:
            _result_problems(ev, i, goal, problems)
    charter = ev.config.charter
    if charter.qualitative.log:
        problems.extend(log_problems(ev.folder / charter.qualitative.log, charter)[1])
    return problems
