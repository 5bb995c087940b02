"""Every template can start an evaluation: `hitk new T NAME` gives a commented evaluation.yaml that validates."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from toolkit.cli import main

TEMPLATES = sorted(p.stem for p in (REPO / "templates").glob("*.ipynb"))


def test_every_template_has_a_scaffold():
    missing = [t for t in TEMPLATES if not (REPO / "templates" / "scaffolds" / f"{t}.yaml").is_file()]
    assert not missing


@pytest.mark.parametrize("template", TEMPLATES)
def test_new_then_validate(project, capsys, template):
    name = f"new-{template}"
    assert main(["new", template, name]) == 0
    text = (project.evaluations_dir / name / "evaluation.yaml").read_text()
    assert text.count("#") >= 20, "scaffold fields should be explained in comments"
    assert main(["validate", name]) == 0, capsys.readouterr().err


# --- the result names each scaffold lists are the names its template records -----------------------------------
#
# Derived statically from the code: the first argument of every record(...), record_design(...) and
# record_table(...) call in the template and in the stage modules it calls.  An f-string argument becomes a pattern
# ("placebo_{c.shift}" -> "placebo_*"); a scaffold placeholder ("placebo_<shift>") is the same wildcard.  Names built
# away from the call (a loop variable, a helper) are listed in BUILT with the code that builds them, and the test
# checks that code is still there.

STAGE_CODE = {
    "did": ["toolkit/stages/did/stage.py", "toolkit/stages/did/wording.py", "toolkit/stages/did/inputs.py"],
    "its": ["toolkit/stages/its/analysis.py"],
    "synth": ["toolkit/stages/synth/analysis.py"],
    "rd": ["toolkit/stages/rd/analysis.py"],
    "charter": ["toolkit/stages/charter.py"],
    "baseline": ["toolkit/stages/baseline/record.py", "toolkit/stages/baseline/text.py"],
}

_IMD_LOOP = (r'name in \(\(f\.quintiles, "quintile"\), \(f\.deciles, "decile"\)\):[\s\S]*'
             r'record\(f"\{name\}_\{int\(row\[.group.\]\)\}"')

BUILT = {  # scaffold name -> code that builds it (a regex searched in the template and its stage code)
    "baseline": {
        "quintile_<1-5>": _IMD_LOOP,
        "decile_<1-10>": _IMD_LOOP,
        "ethnicity_<group>": r'for dim in \("ethnicity", "age_band", "sex"\)[\s\S]*record\(words\.result_name\(dim,',
        "age_band_<band>": r'for dim in \("ethnicity", "age_band", "sex"\)[\s\S]*record\(words\.result_name\(dim,',
        "sex_<sex>": r'for dim in \("ethnicity", "age_band", "sex"\)[\s\S]*record\(words\.result_name\(dim,',
        "le_gap_<cause>": r'record\(words\.result_name\("le_gap", row\.cause\)',
    },
    "did": {
        "effect_quintile_<1-5>": r'name = "effect_quintile_" \+',
        "effect_most_deprived": r'name = "effect_most_deprived"',
        "effect_rest": r'name = "effect_rest"',
        "effect_group_<value>": r'return f"effect_group_\{slug\}"[\s\S]*record_design\(name, r,'
                                r'|record_design\(name, r,[\s\S]*return f"effect_group_\{slug\}"',
    },
    "its": {
        f"{m}_h<horizon>": rf'"{m}": "{m}"[\s\S]*record\(f"\{{name\}}_h\{{int\(h\[.horizon.\]\)\}}"'
        for m in ("rate_ratio", "difference", "cumulative_difference")
    },
    "rd": {
        "effect_gradient": r'name = "effect_gradient" if',
        "effect_heterogeneity": r'else "effect_heterogeneity"',
    },
}


def _code(template: str) -> str:
    import nbformat

    nb = nbformat.read(REPO / "templates" / f"{template}.ipynb", as_version=4)
    text = "\n".join(c.source for c in nb.cells if c.cell_type == "code")
    return text + "\n".join((REPO / f).read_text() for f in STAGE_CODE.get(template, []))


def _recorded(code: str) -> tuple[set[str], set[str]]:
    """(patterns of record/record_design names, patterns of record_table names) with a literal start."""
    import re

    values, tables = set(), set()
    for m in re.finditer(r'\brecord(_design|_table)?\(\s*(f?)"([^"]+)"', code):
        name = re.sub(r"\{[^}]*\}", "*", m.group(3)) if m.group(2) else m.group(3)
        if name.startswith("*"):
            continue  # built away from the call: see BUILT
        (tables if m.group(1) == "_table" else values).add(name)
    return values, tables


def _listed(template: str) -> list[str]:
    text = (REPO / "templates" / "scaffolds" / f"{template}.yaml").read_text()
    block = text[text.index("# Results the"):].splitlines()[2:]
    return [n.strip() for line in block for n in line.lstrip("#").split(",") if n.strip()]


@pytest.mark.parametrize("template", [t for t in TEMPLATES if t != "charter"])
def test_scaffold_results_are_what_the_template_records(template):
    import fnmatch
    import re

    code = _code(template)
    values, tables = _recorded(code)
    built = BUILT.get(template, {})
    for name, pattern in built.items():
        assert re.search(pattern, code), f"{template}: the code that builds {name} has changed"
    listed = _listed(template)
    wild = [re.sub(r"<[^>]+>", "*", n) for n in listed]
    unknown = [n for n, w in zip(listed, wild)
               if n not in built and not any(fnmatch.fnmatchcase(w, p) for p in values | tables)]
    assert not unknown, f"{template} scaffold lists names its template does not record: {unknown}"
    missing = [p for p in values if not any(fnmatch.fnmatchcase(w, p) for w in wild)]
    assert not missing, f"{template} records results its scaffold does not list: {missing}"


def test_charter_scaffold_lists_the_goal_forecasts():
    assert _listed("charter") == ["goal.<goal id>.target"]
    assert 'record(f"goal.{goal.id}.target"' in _code("charter")


def test_scaffolds_and_hitk_templates_list_the_same_results():
    from toolkit.evaluations.guide import GUIDE

    for template in TEMPLATES:
        assert _listed(template) == list(GUIDE[template].results), template


@pytest.mark.parametrize("template, parameters", [
    ("baseline", ["period_use", "deaths_source"]),
    ("did", ["outcome_per", "outcome_scale"]),
    ("its", ["outcome_scale"]), ("rd", ["outcome_scale"]), ("synth", ["outcome_scale"]),
])
def test_scaffolds_show_the_new_parameters(template, parameters):
    from toolkit.evaluations.catalogue import get_template

    text = (REPO / "templates" / "scaffolds" / f"{template}.yaml").read_text()
    info = get_template(REPO / "templates", template)
    for p in parameters:
        assert info.parameter(p) is not None, (template, p)
        assert f"\n      {p}: " in text or f"\n      # {p}: " in text, (template, p)  # shown, or shown commented


def test_did_scaffold_explains_the_rate_and_group_roles():
    text = (REPO / "templates" / "scaffolds" / "did.yaml").read_text()
    for role in ("numerator", "denominator", "group"):
        assert f"# {role}: " in text, role


@pytest.mark.e2e
def test_did_scaffold_runs_on_a_rate_with_one_column_in_two_roles(project):
    """numerator/denominator instead of outcome, list_size as both denominator and weight (issue 12), end to end;
    every result the run records is one the scaffold lists."""
    import fnmatch
    import json
    import re

    import yaml

    from toolkit.evaluations.scaffold import new_evaluation
    from toolkit.runner import run_evaluation

    path = new_evaluation(project, "did", "did-rate")
    config = yaml.safe_load(path.read_text())
    columns = config["data"]["sources"]["panel"]["columns"]
    del columns["outcome"]
    columns.update(numerator="new_diagnoses", denominator="list_size", weight="list_size")
    config["stages"][1]["parameters"].update(outcome_per=1000, placebo_shifts=[6])
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    outcome = run_evaluation(project, "did-rate")
    data = json.loads((outcome.run_dir / "results.json").read_text())["stages"]["impact"]
    names = {e["name"] for e in data["estimates"]}
    assert "att" in names and "gap_effect" in names
    listed = [re.sub(r"<[^>]+>", "*", n) for n in _listed("did")]
    assert not [n for n in names if not any(fnmatch.fnmatchcase(n, w) for w in listed)]
