"""Bad outcome values never pass silently (issue 11): impossible values, NaN and blanks at `hitk validate`."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.helpers import make_evaluation
from toolkit.data.checking import check_contract
from toolkit.data.contracts import REGISTRY
from toolkit.data.sources import resolve_files
from toolkit.errors import ConfigError
from toolkit.evaluations.schema import Source


def _panel(path, outcome):
    n = len(outcome)
    frame = pd.DataFrame({"practice": [f"P{i % 4}" for i in range(n)], "month": [f"2024-{i // 4 + 1:02d}" for i in range(n)],
                          "pct": outcome})
    frame.to_csv(path, index=False)
    return path


def _check(path, mapping, contract):
    files = resolve_files("s", Source(path=str(path), columns=mapping), path.parent)
    return check_contract(files, mapping, contract, folder=path.parent)


MAPPING = {"unit": "practice", "time": "month", "outcome": "pct"}


def test_a_percentage_of_250_or_minus_3_is_refused_when_the_scale_is_declared(tmp_path):
    path = _panel(tmp_path / "p.csv", [40.0, 55.5, 250.0, 61.0, -3.0, 47.0, 52.0, 49.0])
    assert _check(path, MAPPING, REGISTRY["did"]).problems == ()  # any number: a difference could be -3
    contract = REGISTRY["did"].with_parameters({"outcome_scale": "percentage"})
    (problem,) = _check(path, MAPPING, contract).problems
    assert problem.column == "pct" and problem.count == 2 and problem.rows == (4, 6)
    assert "from 0 to 100" in problem.message and "percentage by outcome_scale" in problem.message
    # a proportion column at 0-1
    path2 = _panel(tmp_path / "q.csv", [0.4, 0.55, 2.5, 0.61])
    (problem,) = _check(path2, MAPPING, REGISTRY["did"].with_parameters({"outcome_scale": "proportion"})).problems
    assert problem.count == 1 and problem.rows == (4,)
    with pytest.raises(ConfigError, match="outcome_scale"):
        REGISTRY["did"].with_parameters({"outcome_scale": "percent"}, where="stages[1].parameters")


def test_nan_outcomes_are_refused_and_blanks_counted(tmp_path):
    path = tmp_path / "n.csv"
    path.write_text("practice,month,pct\nP0,2024-01,40\nP1,2024-01,NaN\nP2,2024-01,\nP3,2024-01,nan\n")
    report = _check(path, MAPPING, REGISTRY["did"])
    (problem,) = report.problems
    assert "NaN" in problem.message and problem.count == 2 and problem.rows == (3, 5) and "blank" in problem.fix
    (excluded,) = report.exclusions
    assert excluded.role == "outcome" and excluded.rows == 1 and excluded.example_rows == (4,)
    # the interrupted time series cannot leave a period out: a blank outcome is refused there
    its = _check(path, {"time": "month", "outcome": "pct"}, REGISTRY["its"])
    assert any("missing" in p.message for p in its.problems)


def test_hitk_validate_refuses_an_impossible_percentage(project, capsys):
    from toolkit.cli import main

    folder = project.evaluations_dir / "pct"
    folder.mkdir(parents=True)
    _panel(folder / "panel.csv", [40.0, 55.5, 250.0, 61.0] * 4)
    make_evaluation(project, "pct",
                    stages=[{"name": "charter", "template": "charter"},
                            {"name": "impact", "template": "did", "source": "panel",
                             "parameters": {"outcome_scale": "percentage", "treated_units": ["P0"],
                                            "treatment_start": "2024-03"}}],
                    sources={"panel": {"path": "panel.csv", "columns": MAPPING}})
    assert main(["validate", "pct"]) == 2
    err = capsys.readouterr().err
    assert "pct" in err and "from 0 to 100" in err and "rows 4, 8" in err
