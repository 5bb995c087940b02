"""Run state never lies: partial runs, interruptions, unwritable folders, index failures, path containment."""

from __future__ import annotations

import json
import os
import signal

import pandas as pd
import pytest

from tests.helpers import make_evaluation, make_template
from toolkit.cli import main
from toolkit.runs import latest_successful, list_runs

BODY = """
from toolkit.evaluations.context import open_stage
from toolkit.reporting import display as show
ctx = open_stage(evaluation_dir, stage, results_path)
ctx.results.record("rows", 3, n=3, method="count", sentence="3 rows")
show.paragraph("Rows: 3")
"""


def _two_stage(project, name="two-stage"):
    make_template(project.templates_dir / "rows.ipynb", BODY)
    make_evaluation(project, name, stages=[{"name": "first", "template": "rows"},
                                           {"name": "second", "template": "rows"}])
    return project.evaluations_dir / name


def _snapshot(run_dir):
    return {p.relative_to(run_dir): p.read_bytes() for p in run_dir.rglob("*") if p.is_file()}


def test_partial_run_does_not_replace_the_whole_picture(project, capsys):
    folder = _two_stage(project)
    assert main(["run", "two-stage"]) == 0
    full = (folder / "runs" / "LATEST").read_text().strip()
    before = _snapshot(folder / "runs" / full)
    index_before = (project.evaluations_dir / "index.html").read_text()
    assert main(["run", "two-stage", "--stage", "second"]) == 0
    out = capsys.readouterr().out
    assert f"LATEST still names {full}" in out and "Run without --stage" in out
    (partial_dir, manifest), = [(p, m) for p, m in list_runs(folder / "runs") if p.name != full]
    assert manifest["status"] == "succeeded" and manifest["partial"] is True and manifest["stages"] == ["second"]
    assert (partial_dir / "second.html").is_file() and not (partial_dir / "summary.html").exists()
    assert (folder / "runs" / "LATEST").read_text().strip() == full
    assert latest_successful(folder / "runs")[0].name == full
    assert _snapshot(folder / "runs" / full) == before
    # the index still links the full run's summary
    assert f"two-stage/runs/{full}/summary.html" in (project.evaluations_dir / "index.html").read_text()
    assert f"runs/{full}/summary.html" in index_before


@pytest.mark.parametrize("how, code", [("sigint", 130), ("sigterm", 143)])
def test_interrupted_run_is_marked_and_latest_stays(project, monkeypatch, capsys, how, code):
    folder = _two_stage(project, name=f"stop-{how}")
    assert main(["run", folder.name]) == 0
    good = (folder / "runs" / "LATEST").read_text().strip()
    import toolkit.runner as runner

    real = runner.execute

    def stopping(template, output, **kw):
        if kw["parameters"]["stage"] == "second":
            if how == "sigint":
                raise KeyboardInterrupt
            os.kill(os.getpid(), signal.SIGTERM)  # a real signal: the runner's handler turns it into an interruption
        return real(template, output, **kw)

    monkeypatch.setattr(runner, "execute", stopping)
    handler_before = signal.getsignal(signal.SIGTERM)
    assert main(["run", folder.name]) == code
    assert signal.getsignal(signal.SIGTERM) == handler_before  # the run's own handler is removed again
    err = capsys.readouterr().err
    assert "was interrupted" in err and "LATEST still names the last good run" in err and "Traceback" not in err
    stopped_dir, manifest = list_runs(folder / "runs")[-1]
    assert manifest["status"] == "interrupted" and manifest["failure"]["stage"] == "second"
    assert not list(stopped_dir.glob("*.html"))
    assert (folder / "runs" / "LATEST").read_text().strip() == good
    main(["list"])
    assert "interrupted" in capsys.readouterr().out


def test_unwritable_runs_folder_is_one_paragraph(project, monkeypatch, capsys):
    _two_stage(project, name="no-write")
    import toolkit.runner as runner

    def refuse(*a, **k):
        raise PermissionError(13, "Permission denied", str(project.evaluations_dir / "no-write" / "runs"))

    monkeypatch.setattr(runner, "new_run_folder", refuse)
    assert main(["run", "no-write"]) == 2
    err = capsys.readouterr().err
    assert "Cannot create a run folder" in err and "Permission denied" in err and "Traceback" not in err
    assert "Fix: check the folder's permissions" in err


def test_failed_index_write_after_a_good_run_keeps_exit_0(project, monkeypatch, capsys):
    folder = _two_stage(project, name="index-fails")
    import toolkit.runner as runner

    def refuse(rows, out, **kw):
        raise PermissionError(13, "Permission denied", str(out))

    monkeypatch.setattr(runner, "render_index", refuse)
    assert main(["run", "index-fails"]) == 0
    out = capsys.readouterr().out
    assert "the run succeeded, but the portfolio index could not be written" in out and "hitk index" in out
    (run_dir, manifest), = list_runs(folder / "runs")
    assert manifest["status"] == "succeeded" and (folder / "runs" / "LATEST").read_text().strip() == run_dir.name
    assert main(["index"]) == 1
    err = capsys.readouterr().err
    assert "could not be written: Permission denied" in err and "Traceback" not in err


def test_unexpected_errors_are_one_paragraph(project, monkeypatch, capsys):
    import toolkit.evaluations.checks as checks

    def broken(*a, **k):
        raise RuntimeError("something odd")

    monkeypatch.setattr(checks, "check_evaluation", broken)
    assert main(["validate", "example-hypertension"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "RuntimeError: something odd" in err and "Earlier runs and reports are untouched" in err


def test_paths_outside_evaluations_are_refused(project, tmp_path, capsys):
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "evaluation.yaml").write_text(
        (project.evaluations_dir / "example-hypertension" / "evaluation.yaml").read_text())
    for argv in (["signoff", str(outside), "--by", "A. Smith, SRO"], ["signoff", "../outside", "--by", "X"],
                 ["run", str(outside)], ["validate", str(outside)]):
        assert main(argv) == 2, argv
        err = capsys.readouterr().err
        assert "not an evaluation of this project" in err or "No evaluation folder" in err or \
            "lowercase letters" in err, err
    assert sorted(p.name for p in outside.iterdir()) == ["evaluation.yaml"]


def test_data_outside_the_project_needs_saying_so(project, tmp_path, capsys):
    secret = project.root.parent / "secret.csv"
    secret.write_text("Practice,Val\nthis-line-must-not-be-echoed,1\n")
    make_template(project.templates_dir / "rows.ipynb", BODY, roles={"required": ["unit"], "optional": []})

    def ev(name, source):
        make_evaluation(project, name, stages=[{"name": "rows", "template": "rows", "source": "s"}],
                        sources={"s": {**source, "columns": {"unit": "Practice"}}})

    ev("climbs-out", {"path": "../../../secret.csv"})
    assert main(["validate", "climbs-out"]) == 2
    err = capsys.readouterr().err
    assert "outside the project folder" in err and "allow_outside_project: true" in err
    assert "this-line-must-not-be-echoed" not in err
    ev("says-so", {"path": "../../../secret.csv", "allow_outside_project": True})
    assert main(["validate", "says-so"]) == 0
    ev("absolute", {"path": str(secret)})
    assert main(["validate", "absolute"]) == 0


def test_decimal_commas_are_read(project, capsys):
    make_template(project.templates_dir / "rows.ipynb", BODY, roles={"required": ["unit"], "optional": ["value"]})
    folder = make_evaluation(project, "decimals", stages=[{"name": "rows", "template": "rows", "source": "s"}],
                             sources={"s": {"path": "x.csv", "delimiter": ";", "decimal": ",",
                                            "columns": {"unit": "Practice", "value": "Rate"}}})
    (folder / "x.csv").write_text("Practice;Rate\nP1;1,5\nP2;2,25\n")
    from toolkit.data.sources import read_source, resolve_files
    from toolkit.evaluations.loader import load_evaluation

    loaded = load_evaluation(folder)
    df = read_source(resolve_files("s", loaded.config.data.sources["s"], folder), {"unit": "Practice", "value": "Rate"})
    assert df["value"].tolist() == [1.5, 2.25]


def test_templates_say_which_question_each_answers(project, capsys):
    assert main(["templates"]) == 0
    out = capsys.readouterr().out
    assert "use it when: my scheme started in some practices (or PCNs, areas) and not others" in out
    assert "use it when: one area (or the whole ICB), a long monthly or quarterly series" in out


def test_scaffolds_list_their_results_and_source_options(project):
    from toolkit.evaluations.guide import GUIDE

    for template, guide in GUIDE.items():
        text = (project.scaffolds_dir / f"{template}.yaml").read_text()
        assert "# Results the" in text
        for name in guide.results:
            assert name in text, (template, name)
        for option in ("sheet", "delimiter", "decimal", "encoding", "allow_vintage_mismatch", "allow_outside_project"):
            assert option in text, (template, option)


# The guide's result names against what the templates record: tests/test_scaffolds.py
# (test_scaffold_results_are_what_the_template_records, test_scaffolds_and_hitk_templates_list_the_same_results).


def test_outcome_label_defaults_are_neutral():
    from tests.conftest import REPO
    from toolkit.evaluations.catalogue import get_template

    for name in ("did", "its", "rd", "synth"):
        assert get_template(REPO / "templates", name).parameter("outcome_label").default == "the outcome"


def test_user_capitals_are_kept():
    from toolkit.reporting.language import upper_first

    assert upper_first("NHS health checks per GP") == "NHS health checks per GP"
    assert upper_first("emergency admissions") == "Emergency admissions"
    assert upper_first("") == ""


def test_manifest_states_how_dates_were_read(project):
    make_template(project.templates_dir / "rows.ipynb", BODY, roles={"required": ["unit"], "optional": ["period"]})
    folder = make_evaluation(project, "dated", stages=[{"name": "rows", "template": "rows", "source": "s"}],
                             sources={"s": {"path": "x.csv", "columns": {"unit": "Practice", "period": "Month"}}})
    (folder / "x.csv").write_text("Practice,Month\nP1,04/01/2023\nP1,05/01/2023\n")
    from toolkit.runner import run_evaluation

    manifest = json.loads((run_evaluation(project, "dated").run_dir / "manifest.json").read_text())
    # (make_evaluation keeps the charter goals' own source too: its dates are stated as well)
    assert manifest["date_formats"]["s"] == {"Month": "month-first US dates (MM/DD/YYYY): every date falls on day 1 "
                                                  "of a month when read month first"}
    assert manifest["partial"] is False
