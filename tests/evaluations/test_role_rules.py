"""hitk validate needs "outcome, or numerator and denominator" for the did template (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import make_evaluation
from toolkit.errors import ConfigError
from toolkit.evaluations.checks import check_evaluation
from toolkit.evaluations.role_rules import check_role_alternatives

MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]
BASE = {"unit": "unit", "time": "month", "first_treated": "start", "quintile": "q"}


def _panel():
    rng = np.random.default_rng(3)
    rows = []
    for u in range(1, 9):
        for m in MONTHS:
            rows.append({"unit": f"U{u}", "month": m, "events": int(rng.poisson(20)), "list_size": 2000 + 100 * u,
                         "y": round(float(rng.normal(10, 1)), 3), "q": 1 + (u % 5),
                         "start": "2023-07" if u <= 3 else ""})
    return pd.DataFrame(rows)


def _check(project, columns, name):
    folder = make_evaluation(
        project, name,
        stages=[{"name": "impact", "template": "did", "source": "panel", "parameters": {}}],
        sources={"panel": {"path": "panel.csv", "columns": {**BASE, **columns}}})
    _panel().to_csv(folder / "panel.csv", index=False)
    return check_evaluation(folder, project.templates_dir)


def _problems(project, columns, name):
    with pytest.raises(ConfigError) as err:
        _check(project, columns, name)
    return str(err.value)


def test_neither_outcome_nor_rate_is_refused_by_validate(project):
    text = _problems(project, {}, "no-outcome")
    assert "has 1 problem(s)" in text  # the design checks do not repeat it
    assert ("data.sources.panel.columns: template 'did' needs an outcome: neither `outcome:` nor "
            "`numerator:` and `denominator:` is mapped") in text
    assert "Fix: add `outcome: <your column name>`" in text
    assert "`outcome_per` under stages[0].parameters" in text


def test_numerator_without_denominator_is_refused(project):
    text = _problems(project, {"numerator": "events"}, "half-rate")
    assert "has 1 problem(s)" in text
    assert "data.sources.panel.columns: `numerator:` is mapped without `denominator:`: a rate needs both" in text
    assert "Fix: add `denominator: <your column name>` (e.g. list size)." in text


def test_denominator_without_numerator_is_refused(project):
    text = _problems(project, {"denominator": "list_size"}, "half-rate-2")
    assert "`denominator:` is mapped without `numerator:`" in text
    assert "add `numerator: <your column name>` (e.g. new diagnoses)" in text


def test_outcome_and_rate_together_are_refused(project):
    text = _problems(project, {"outcome": "y", "numerator": "events", "denominator": "list_size"}, "twice")
    assert "data.sources.panel.columns.numerator: template 'did' takes either `outcome:` or" in text


@pytest.mark.parametrize("columns", [{"outcome": "y"}, {"numerator": "events", "denominator": "list_size"}])
def test_either_alternative_passes(project, columns):
    checked = _check(project, columns, "ok-" + "-".join(columns))
    assert checked.rows["panel"] == 8 * len(MONTHS)


def test_a_column_may_serve_two_roles(project):
    """denominator and weight both mapped to list_size (issue 12): validate and reading both accept it."""
    checked = _check(project, {"numerator": "events", "denominator": "list_size", "weight": "list_size"}, "two-roles")
    assert checked.rows["panel"] == 8 * len(MONTHS)


def test_templates_without_alternatives_are_not_affected():
    assert check_role_alternatives("its", ["time", "outcome"], where="x") == []
    assert check_role_alternatives("did", ["unit", "time", "outcome"], where="x") == []


def test_hitk_templates_says_which_roles_are_alternatives(project, capsys):
    from toolkit.cli import main

    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    blocks, name = {}, None
    for line in out.splitlines():
        if line and not line.startswith(" "):
            name = line.split()[0]
        blocks.setdefault(name, []).append(line)
    assert "    needs one of: outcome, or numerator and denominator" in blocks["did"]
    assert out.count("needs one of:") == 1


@pytest.mark.parametrize("parameter", ["deaths_source", "imd_lookup"])
def test_a_parameter_naming_a_source_must_name_a_defined_one(project, parameter):
    folder = make_evaluation(
        project, f"bad-{parameter}",
        stages=[{"name": "baseline", "template": "baseline", "source": "records", "parameters": {parameter: "deaths"}}],
        sources={"records": {"path": "../../data_samples/baseline_records.parquet",
                             "columns": {"numerator": "bp_recorded", "lsoa": "lsoa21_code"}}})
    with pytest.raises(ConfigError) as err:
        check_evaluation(folder, project.templates_dir, check_data=False)
    text = str(err.value)
    assert f"stages[0].parameters.{parameter}: {parameter} names 'deaths', which is not one of data.sources" in text
    assert "Fix: name one of data.sources (" in text and "records" in text
    assert f"add that source, or leave {parameter} empty" in text
