"""The hitk command: each subcommand, its output and its exit codes (0 ok, 1 run failed, 2 bad input)."""

from __future__ import annotations

import pytest

from tests.helpers import make_evaluation, make_template
from toolkit.cli import main


def test_templates_lists_descriptions_and_parameters(project, capsys):
    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    assert "charter" in out and "project charter" in out.lower()


def test_new_creates_commented_yaml_that_validates(project, capsys):
    assert main(["new", "charter", "my-scheme"]) == 0
    path = project.evaluations_dir / "my-scheme" / "evaluation.yaml"
    text = path.read_text()
    assert "# " in text and "my-scheme" in text
    assert main(["validate", "my-scheme"]) == 0
    assert "valid" in capsys.readouterr().out


def test_new_refuses_existing_name(project, capsys):
    assert main(["new", "charter", "dup"]) == 0
    before = (project.evaluations_dir / "dup" / "evaluation.yaml").read_text()
    (project.evaluations_dir / "dup" / "evaluation.yaml").write_text(before + "\n# edited\n")
    assert main(["new", "charter", "dup"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert (project.evaluations_dir / "dup" / "evaluation.yaml").read_text().endswith("# edited\n")


@pytest.mark.parametrize("bad", ["../escape", "a/b", "..", "Capital", "has space", "trail-", "a--b", "x" * 65, ""])
def test_new_rejects_unsafe_names(project, capsys, bad):
    assert main(["new", "charter", bad]) == 2
    assert "lowercase letters, digits and hyphens" in capsys.readouterr().err
    assert not (project.root / "escape").exists()


def test_project_option_is_explicit(project, capsys, tmp_path):
    """--project names the project (beating HITK_PROJECT); a folder in no project is an error, never a fall-back."""
    elsewhere = tmp_path / "not-a-project"
    elsewhere.mkdir()
    assert main(["--project", str(elsewhere), "new", "charter", "lost"]) == 2
    assert "is not in a toolkit project" in capsys.readouterr().err
    assert not (project.evaluations_dir / "lost").exists() and not (elsewhere / "evaluations").exists()
    inside = project.evaluations_dir  # a folder inside the project finds it
    assert main(["--project", str(inside), "new", "charter", "found"]) == 0
    assert (project.evaluations_dir / "found" / "evaluation.yaml").exists()


def test_new_unknown_template(project, capsys):
    assert main(["new", "no-such-template", "x"]) == 2
    err = capsys.readouterr().err
    assert "There is no template called 'no-such-template'" in err and "charter" in err


def test_validate_lists_every_problem_with_paths(project, capsys):
    def mutate(d):
        d["charter"]["goals"][1]["target"] = "ten"
        d["charter"]["unexpected"] = 1

    make_evaluation(project, "broken", mutate=mutate)
    assert main(["validate", "broken"]) == 2
    err = capsys.readouterr().err
    assert 'charter.goals[1].target: expected a number, got "ten"' in err
    assert "charter.unexpected: unknown key" in err


def test_validate_missing_evaluation(project, capsys):
    assert main(["validate", "nothing-here"]) == 2
    assert "No evaluation.yaml" in capsys.readouterr().err


def test_validate_checks_data_files(project, capsys):
    make_template(project.templates_dir / "needs-data.ipynb", "pass",
                  roles={"required": ["unit"], "optional": []})
    make_evaluation(project, "nodata",
                    stages=[{"name": "charter", "template": "charter"},
                            {"name": "analysis", "template": "needs-data", "source": "extract"}],
                    sources={"extract": {"path": "missing.csv", "columns": {"unit": "practice"}}})
    assert main(["validate", "nodata"]) == 2
    err = capsys.readouterr().err
    assert "missing.csv does not exist" in err or "file not found" in err


def test_unknown_stage_parameter_and_wrong_type(project, capsys):
    make_template(project.templates_dir / "typed.ipynb", "pass", extra_params="threshold: float = 0.5\ncode: str = 'A'\n")
    make_evaluation(project, "typed", stages=[{"name": "t", "template": "typed",
                                                "parameters": {"threshold": "high", "code": 1, "nope": 1}}])
    assert main(["validate", "typed"]) == 2
    err = capsys.readouterr().err
    assert 'stages[0].parameters.threshold: expected a number, got "high"' in err
    assert "stages[0].parameters.code: expected text (put it in quotes), got 1" in err
    assert "template 'typed' has no parameter 'nope'" in err


def test_list_shows_evaluations_and_last_run(project, capsys):
    assert main(["list"]) == 0
    out = capsys.readouterr().out
    assert "example-hypertension" in out and "never" in out


def test_lab_dry_run_targets_the_evaluation(project, capsys):
    assert main(["lab", "example-hypertension", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert "jupyterlab" in out and "example-hypertension" in out


def test_usage_errors_exit_2(project, capsys):
    assert main(["frobnicate"]) == 2
    assert main(["run"]) == 2
