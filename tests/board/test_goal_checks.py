"""`hitk validate` on goals: every measure computable, every result real, bad input named with its fix."""

from __future__ import annotations

import json
import re

import pytest

from tests.board.conftest import small_config, write_evaluation
from tests.conftest import REPO
from toolkit.board.goal_checks import TEMPLATE_RESULTS, goal_problems
from toolkit.errors import ConfigError
from toolkit.evaluations.loader import load_evaluation


def _problems(tmp_path, mutate, log: str | None = None):
    cfg = small_config()
    mutate(cfg)
    folder = write_evaluation(tmp_path / "ev", cfg)
    if log is not None:
        (folder / "qualitative.csv").write_text(log, encoding="utf-8")
    return [f"{p.where or p.file}|{p.column}|{p.rows}: {p.message}. Fix: {p.fix}"
            for p in goal_problems(load_evaluation(folder))]


def test_a_good_small_evaluation_has_no_problems(tmp_path):
    assert _problems(tmp_path, lambda c: None) == []


def test_missing_source_role_and_group_value(tmp_path):
    def mutate(c):
        goals = c["charter"]["goals"]
        goals[0]["measure"]["source"] = "nowhere"
        goals[1]["measure"]["numerator"] = "visits"
        goals[3]["measure"]["population"] = {"role": "ethnicity", "values": ["Black Caribbean"]}
    got = "\n".join(_problems(tmp_path, mutate))
    assert "charter.goals[0].measure.source|None|(): no data source called 'nowhere'" in got
    assert "charter.goals[1].measure.numerator" in got and "role 'visits' is not mapped" in got
    assert "charter.goals[3].measure.population.values" in got and "'Black Caribbean'" in got
    assert "Black African" in got  # the fix lists the values the data hold


def test_a_result_no_stage_produces_is_an_error(tmp_path):
    def mutate(c):
        c["stages"].append({"name": "impact", "template": "did", "source": "area"})
        c["charter"]["goals"].append({"id": "x", "description": "x", "impact": {"stage": "impact", "result": "atx"},
                                      "target": 1, "direction": "increase", "by": "2024-01-01"})
        c["charter"]["goals"].append({"id": "y", "description": "y", "metric": "baseline.core20_value",
                                      "target": 1, "direction": "increase", "by": "2024-01-01"})
    got = "\n".join(_problems(tmp_path, mutate))
    assert "charter.goals[4].impact.result" in got and "records no result 'atx'" in got and "att, gap_effect" in got
    assert "charter.goals[5].metric" in got and "no stage called 'baseline'" in got


def test_qualitative_log_errors_name_file_row_and_column(tmp_path):
    log = ("date,method,who,n,theme,finding,link,stance\n"
           "2024-06-12,Interviews,Pharmacists,8,Access,Few walk in,reach,challenges\n"
           "June 2024,Survey,People,lots,Access,Mostly known to GP,nonsense,maybe\n"
           ",Survey,People,3,Access,x,outcome,supports\n")
    got = "\n".join(_problems(tmp_path, lambda c: c["charter"].update(qualitative={"log": "qualitative.csv"}), log))
    assert "qualitative.csv|date|(3,): 'June 2024' is not a date" in got and "YYYY-MM-DD" in got
    assert "qualitative.csv|link|(3,): 'nonsense' is not a goal id or logic-model step" in got
    assert "qualitative.csv|stance|(3,)" in got and "qualitative.csv|n|(3,)" in got
    assert "qualitative.csv|date|(4,): the date is missing" in got


@pytest.mark.parametrize("mutate,where", [
    (lambda c: c["charter"]["goals"][3].update(milestones=[{"date": "2024-01-01", "value": 55},
                                                           {"date": "2023-09-01", "value": 52}]),
     "charter.goals[3]"),
    (lambda c: c["charter"]["goals"][3].update(by="2023-01-01"), "charter"),
    (lambda c: c["charter"].update(costs={"total": -1}), "charter.costs.total"),
    (lambda c: c["charter"].update(costs={"total": "a lot"}), "charter.costs.total"),
])
def test_schema_errors_name_the_yaml_path(tmp_path, mutate, where):
    cfg = small_config()
    mutate(cfg)
    folder = write_evaluation(tmp_path / "ev", cfg)
    with pytest.raises(ConfigError) as info:
        load_evaluation(folder)
    text = "\n".join(str(p) for p in info.value.problems)
    assert where in text
    if "by" in str(cfg["charter"]["goals"][3].get("by")) or where == "charter":
        assert "goals[3].by (2023-01-01) is on or before the scheme start" in text or where != "charter"


def test_every_catalogued_result_is_recorded_by_its_template():
    """The catalogue cannot go stale: each name appears in the template or the stage module that records it."""
    sources = {
        "baseline": sorted((REPO / "toolkit/stages/baseline").glob("*.py")),
        "did": sorted((REPO / "toolkit/stages/did").glob("*.py")),
        "its": [REPO / "toolkit/stages/its/analysis.py"], "synth": [REPO / "toolkit/stages/synth/analysis.py"],
        "rd": [REPO / "toolkit/stages/rd/analysis.py"],
    }
    for template, names in TEMPLATE_RESULTS.items():
        text = "".join(p.read_text(encoding="utf-8") for p in sources[template])
        for name in names:
            if "<n>" in name:  # recorded as f"{name}_h{horizon}" from a table of measure names
                assert f'"{name.split("_h<n>")[0]}"' in text and '_h{int(h[' in text, (template, name)
                continue
            assert re.search(rf'record(?:_design)?\(\s*\\?"{re.escape(name)}\\?"', text), (template, name)


def test_shipped_examples_validate(project):
    from toolkit.cli import main

    assert main(["validate", "example-pharmacy-reach"]) == 0
    assert main(["validate", "example-hypertension"]) == 0
