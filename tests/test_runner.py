"""hitk run: run folders, manifests, failures that keep the notebook and touch no earlier run."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from tests.helpers import make_evaluation, make_template
from toolkit.cli import main
from toolkit.errors import ConfigError, RunError
from toolkit.runner import run_evaluation
from toolkit.runs import list_runs

RECORDING_BODY = """
from toolkit.evaluations.context import open_stage
from toolkit.reporting import display as show
ctx = open_stage(evaluation_dir, stage, results_path)
df = ctx.data()
ctx.results.record("rows", len(df), n=len(df), method="count", sentence=f"{len(df)} rows")
show.paragraph(f"Rows: {len(df)}; first unit {df['unit'].iloc[0]}")
"""


def _data_project(project, body=RECORDING_BODY):
    make_template(project.templates_dir / "rows.ipynb", body, roles={"required": ["unit"], "optional": ["value"]})
    data = project.evaluations_dir / "with-data" / "extract.csv"
    data.parent.mkdir(parents=True)
    pd.DataFrame({"Practice": ["001", "002", "003"], "Val": [1.0, 2.0, 3.0]}).to_csv(data, index=False)
    make_evaluation(project, "with-data",
                    stages=[{"name": "charter", "template": "charter"},
                            {"name": "rows", "template": "rows", "source": "extract"}],
                    sources={"extract": {"path": "extract.csv", "columns": {"unit": "Practice", "value": "Val"}}})
    return data


def test_run_writes_folder_with_manifest_results_and_reports(project):
    data = _data_project(project)
    outcome = run_evaluation(project, "with-data")
    run = outcome.run_dir
    assert run.parent.name == "runs"
    for name in ("charter.ipynb", "charter.html", "rows.ipynb", "rows.html", "results.json", "manifest.json"):
        assert (run / name).is_file(), name
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert manifest["inputs"][0]["rows"] == 3
    import hashlib

    assert manifest["inputs"][0]["sha256"] == hashlib.sha256(data.read_bytes()).hexdigest()
    assert manifest["packages"]["pandas"] == pd.__version__
    assert manifest["started_at"] <= manifest["finished_at"]
    results = json.loads((run / "results.json").read_text())
    rows = next(e for e in results["estimates"] if e["key"] == "rows.rows")
    assert rows["estimate"] == 3 and rows["n"] == 3
    # codes with leading zeros survive the column mapping as text
    assert "first unit 001" in (run / "rows.html").read_text()
    assert (run.parent / "LATEST").read_text().strip() == run.name


def test_runs_never_overwrite(project):
    first = run_evaluation(project, "example-hypertension", stages=["charter"]).run_dir
    html_before = (first / "charter.html").read_bytes()
    second = run_evaluation(project, "example-hypertension", stages=["charter"]).run_dir
    assert first != second
    assert (first / "charter.html").read_bytes() == html_before
    assert len(list_runs(first.parent)) == 2


def test_failing_cell_keeps_notebook_renders_nothing_and_exits_1(project, capsys):
    good = run_evaluation(project, "example-hypertension").run_dir
    snapshot = {p.name: p.read_bytes() for p in good.iterdir() if p.is_file()}
    make_template(project.templates_dir / "boom.ipynb", "x = 1\nraise ValueError('the data had no rows for 2024')")
    make_evaluation(project, "example-hypertension",
                    stages=[{"name": "charter", "template": "charter"}, {"name": "boom", "template": "boom"}])
    assert main(["run", "example-hypertension"]) == 1
    err = capsys.readouterr().err
    assert "Stage 'boom' (template 'boom') failed in code cell 2: ValueError: the data had no rows for 2024." in err
    assert "boom.ipynb" in err and "earlier runs are untouched" in err
    runs = list_runs(good.parent)
    failed_dir, failed = runs[-1]
    assert failed["status"] == "failed" and failed["failure"]["stage"] == "boom"
    assert (failed_dir / "boom.ipynb").exists()
    assert not list(failed_dir.glob("*.html"))
    assert {p.name: p.read_bytes() for p in good.iterdir() if p.is_file()} == snapshot
    assert (good.parent / "LATEST").read_text().strip() == good.name


def test_invalid_input_creates_no_run_folder(project):
    _data_project(project)
    (project.evaluations_dir / "with-data" / "extract.csv").unlink()
    with pytest.raises(ConfigError, match="problem"):
        run_evaluation(project, "with-data")
    assert not (project.evaluations_dir / "with-data" / "runs").exists()


def test_missing_mapped_column_is_named(project, capsys):
    _data_project(project)
    path = project.evaluations_dir / "with-data" / "evaluation.yaml"
    path.write_text(path.read_text().replace("unit: Practice", "unit: Practise"))
    assert main(["validate", "with-data"]) == 2
    err = capsys.readouterr().err
    assert "column 'Practise' (mapped to role 'unit') is not in extract.csv" in err
    assert "did you mean 'Practice'?" in err


def test_unknown_stage(project):
    from toolkit.errors import InputError

    with pytest.raises(InputError, match="no stage 'nope'"):
        run_evaluation(project, "example-hypertension", stages=["nope"])


def test_user_text_is_escaped_in_reports(project):
    make_evaluation(project, "escaping",
                    mutate=lambda d: d["charter"].__setitem__("problem", "<script>alert('x')</script> & <b>bold</b>"))
    run = run_evaluation(project, "escaping").run_dir
    html = (run / "charter.html").read_text()
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert('x')&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in html


def test_run_works_with_mplbackend_agg_in_environment(project, monkeypatch):
    monkeypatch.setenv("MPLBACKEND", "Agg")
    run = run_evaluation(project, "example-hypertension").run_dir
    assert "data:image/png;base64," in (run / "baseline.html").read_text()  # the charter draws no chart since its logic model became HTML


def test_sources_named_in_stage_parameters_are_fingerprinted(project):
    """A lookup source a stage names in its parameters is an input of the run too."""
    make_template(project.templates_dir / "lookup.ipynb", "pass", extra_params='lookup: str = ""\n')
    folder = project.evaluations_dir / "with-lookup"
    folder.mkdir(parents=True)
    pd.DataFrame({"area": ["A", "B"], "decile": [1, 9]}).to_csv(folder / "lookup.csv", index=False)
    make_evaluation(project, "with-lookup",
                    stages=[{"name": "charter", "template": "charter"},
                            {"name": "l", "template": "lookup", "parameters": {"lookup": "areas"}}],
                    sources={"areas": {"path": "lookup.csv"}})
    manifest = json.loads((run_evaluation(project, "with-lookup").run_dir / "manifest.json").read_text())
    # stage inputs first, then the source the charter's measured goals read (the example charter's bp_records)
    assert [(i["source"], i["rows"]) for i in manifest["inputs"]] == [("areas", 2), ("bp_records", 167623)]


def test_input_deleted_during_the_run_fails_cleanly(project):
    body = RECORDING_BODY + "\nimport pathlib\npathlib.Path('extract.csv').unlink()\n"
    _data_project(project, body=body)
    with pytest.raises(RunError, match="changed while the run was executing"):
        run_evaluation(project, "with-data")
    failed_dir, failed = list_runs(project.evaluations_dir / "with-data" / "runs")[-1]
    assert failed["status"] == "failed" and not list(failed_dir.glob("*.html"))


def _only(project, *names):
    """Leave only the named evaluations in the project copy (run --all must not run the big examples)."""
    import shutil

    for folder in project.evaluations():
        if folder.name not in names:
            shutil.rmtree(folder)


def test_run_all_in_parallel_keeps_a_failure_to_itself(project, capsys):
    make_template(project.templates_dir / "boom.ipynb", "raise ValueError('no rows for 2024')")
    make_evaluation(project, "good", stages=[{"name": "charter", "template": "charter"}])
    make_evaluation(project, "bad", stages=[{"name": "charter", "template": "charter"},
                                            {"name": "boom", "template": "boom"}])
    _only(project, "good", "bad")
    assert main(["run", "--all", "--jobs", "2"]) == 1
    out, err = capsys.readouterr()
    good_runs, bad_runs = (list_runs(project.evaluations_dir / n / "runs") for n in ("good", "bad"))
    (good_dir, good), = good_runs
    (bad_dir, bad), = bad_runs
    assert good["status"] == "succeeded" and (good_dir / "summary.html").is_file()
    assert (good_dir.parent / "LATEST").read_text().strip() == good_dir.name
    assert bad["status"] == "failed" and bad["failure"]["stage"] == "boom" and not list(bad_dir.glob("*.html"))
    assert not (bad_dir.parent / "LATEST").exists()
    # one line per evaluation as it finishes, then the summary; the reason on stderr, never a traceback
    lines = [ln for ln in out.splitlines() if ln.startswith("[")]
    assert sorted(ln.split("]")[1].split(":")[0].strip() for ln in lines) == ["bad", "good"]
    assert any("good: ok" in ln for ln in lines) and any("bad: FAILED" in ln for ln in lines)
    assert "2 evaluation(s)" in out and "1 succeeded, 1 failed (bad)" in out
    assert "Stage 'boom' (template 'boom') failed in code cell 2: ValueError: no rows for 2024" in err
    assert "Traceback" not in err
    # the portfolio index is written once, after both, and lists both
    index = (project.evaluations_dir / "index.html").read_text()
    assert "good" in index and "bad" in index and f"good/runs/{good_dir.name}/summary.html" in index


def test_run_all_jobs_1_runs_one_after_another(project, capsys):
    make_evaluation(project, "only-one", stages=[{"name": "charter", "template": "charter"}])
    _only(project, "only-one")
    assert main(["run", "--all", "--jobs", "1"]) == 0
    out = capsys.readouterr().out
    assert "[1/1] charter (charter) ..." in out and "summary:" in out and "Portfolio index:" in out
    assert main(["run", "--all", "--jobs", "0"]) == 2
