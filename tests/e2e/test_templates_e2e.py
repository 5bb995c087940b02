"""Every template runs on its shipped example, end to end, and its HTML is fit for a board."""

from __future__ import annotations

import json
import re

import nbformat
import pytest

from tests.conftest import REPO
from toolkit.rendering.exporter import EXTERNAL_RESOURCE

pytestmark = pytest.mark.e2e


def _reports(demo_runs):
    _, outcomes = demo_runs
    for evaluation, outcome in outcomes.items():
        for stage, path in outcome.reports.items():
            yield evaluation, stage, path


def test_every_template_is_exercised_by_an_example(demo_runs):
    project, outcomes = demo_runs
    used = set()
    for evaluation in outcomes:
        manifest = json.loads((outcomes[evaluation].run_dir / "manifest.json").read_text())
        assert manifest["status"] == "succeeded"
        from toolkit.evaluations.loader import load_evaluation

        ev = load_evaluation(project.evaluations_dir / evaluation)
        used |= {s.template for s in ev.config.stages}
    templates = {p.stem for p in (REPO / "templates").glob("*.ipynb")}
    assert templates <= used, f"templates without an example: {templates - used}"


def test_reports_hold_no_code_tracebacks_or_external_resources(demo_runs):
    for evaluation, stage, path in _reports(demo_runs):
        html = path.read_text(encoding="utf-8")
        where = f"{evaluation}/{stage}"
        assert "jp-InputArea-editor" not in html and "highlight" not in html and "jp-InputPrompt" not in html, where
        assert "Traceback" not in html and "Error:" not in html.replace("Standard Error:", ""), where
        assert not re.search(r"\b(import |from toolkit|open_stage\(|show\.)", html), where
        assert "injected-parameters" not in html, where
        assert not EXTERNAL_RESOURCE.search(html), where
        assert "<script" not in html.lower(), where
        for alt in re.findall(r'<img[^>]*\balt="([^"]*)"', html):
            assert len(alt) >= 15, where
        assert html.count("<img") == len(re.findall(r'<img[^>]*\balt="[^"]+"', html)), where


def test_expected_headings_are_present(demo_runs):
    for evaluation, stage, path in _reports(demo_runs):
        html = path.read_text(encoding="utf-8")
        template = json.loads((path.parent / "manifest.json").read_text())
        nb = nbformat.read(path.with_suffix(".ipynb"), as_version=4)
        headings = [line[3:].strip() for c in nb.cells if c.cell_type == "markdown"
                    and "remove-cell" not in c.metadata.get("tags", [])
                    for line in c.source.splitlines() if line.startswith("## ")]
        assert headings, f"{evaluation}/{stage}: template has no section headings"
        for heading in headings:
            assert re.search(r"<h2[^>]*>\s*" + re.escape(heading.replace("&", "&amp;")), html), \
                f"{evaluation}/{stage}: heading {heading!r} missing"
        assert re.search(r'<nav[^>]*class="toc"', html) and "About this report" in html
        assert template["toolkit_version"] in html


def test_no_stray_outputs_were_dropped(demo_runs):
    """Templates show things only through toolkit.reporting.display: nothing else to drop."""
    _, outcomes = demo_runs
    for evaluation, outcome in outcomes.items():
        manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
        for stage, dropped in manifest["dropped_outputs"].items():
            stray = {k: v for k, v in dropped.items() if k != "stderr"}
            assert not stray, f"{evaluation}/{stage} printed outside the report: {stray}"


def test_templates_run_unchanged_with_their_defaults(tmp_path):
    """Opened in JupyterLab, a template's parameter defaults run the shipped example."""
    from toolkit.execution import execute

    for template in sorted((REPO / "templates").glob("*.ipynb")):
        failure = execute(template, tmp_path / template.name, parameters={}, cwd=REPO / "templates", timeout=600)
        assert failure is None, f"{template.name}: {failure}"


def test_reports_on_deprivation_data_carry_the_ogl_attribution(demo_runs):
    """Issue 8: every report that uses the IMD data shows the Open Government Licence notice."""
    project, outcomes = demo_runs
    from toolkit.evaluations.loader import load_evaluation
    from toolkit.runner import _uses_deprivation

    checked = 0
    for evaluation, outcome in outcomes.items():
        ev = load_evaluation(project.evaluations_dir / evaluation)
        for stage, path in outcome.reports.items():
            if _uses_deprivation(ev, ev.config.stage(stage)):
                checked += 1
                assert "Open Government Licence v3.0" in path.read_text(), f"{evaluation}/{stage}"
    assert checked >= 2


def _runtime_warnings(run_dir) -> list[str]:
    """RuntimeWarnings a run let through: printed by a kernel, or collected as a report caution."""
    found = []
    for path in sorted(run_dir.glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            for out in cell.get("outputs", []):
                text = out.get("text", "") if out.get("output_type") == "stream" else ""
                if "RuntimeWarning" in text:
                    found.append(f"{path.stem}: {text.strip()[:300]}")
    results = run_dir / "results.json"
    if results.exists():
        data = json.loads(results.read_text())
        for stage, body in (data.get("stages") or {}).items():
            for caution in (body.get("tables") or {}).get("cautions", []) or []:
                if caution.get("code") == "estimator.runtime":
                    found.append(f"{stage}: {caution.get('message')}")
    return found


def test_no_stage_lets_a_runtime_warning_through(demo_runs):
    """Issue 11: a RuntimeWarning (division by zero, no convergence) fails the end-to-end tests."""
    _, outcomes = demo_runs
    for evaluation, outcome in outcomes.items():
        assert not _runtime_warnings(outcome.run_dir), (evaluation, _runtime_warnings(outcome.run_dir))


def test_baseline_stage_runs_without_runtime_warnings(project):
    """The baseline example alone (fast): no RuntimeWarning, and its cautions are recorded with codes."""
    from toolkit.runner import run_evaluation

    outcome = run_evaluation(project, "example-hypertension", stages=["baseline"])
    assert not _runtime_warnings(outcome.run_dir)
    data = json.loads((outcome.run_dir / "results.json").read_text())
    body = data["stages"]["baseline"]
    assert "cautions" in body["tables"]
    assert all(set(c) == {"code", "message"} for c in body["tables"]["cautions"])
    template = (REPO / "templates" / "baseline.ipynb").read_text()
    assert "simplefilter(\\\"ignore\\\"" not in template and 'simplefilter("ignore"' not in template


def test_baseline_with_an_empty_quintile_and_one_period_runs_with_cautions(tmp_path):
    """Issue 11: a small area with nobody in quintile 5 crashed on an internal column; one period crashed SPC."""
    import pandas as pd
    import yaml

    from toolkit.execution import execute

    rows = [{"area_decile": d, "month": "2024-03", "checked": 30 + 3 * d, "adults": 300} for d in range(1, 9)]
    folder = tmp_path / "small-icb"
    folder.mkdir()
    pd.DataFrame(rows).to_csv(folder / "small.csv", index=False)
    ev = yaml.safe_load((REPO / "evaluations/example-hypertension/evaluation.yaml").read_text())
    ev["data"]["sources"] = {"small": {"path": "small.csv", "columns": {
        "imd_decile": "area_decile", "period": "month", "numerator": "checked", "denominator": "adults"}}}
    ev["stages"] = [{"name": "baseline", "template": "baseline", "source": "small"}]
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(ev, sort_keys=False), encoding="utf-8")
    out = tmp_path / "baseline.ipynb"
    failure = execute(REPO / "templates/baseline.ipynb", out, cwd=REPO / "templates", timeout=600,
                      parameters={"evaluation_dir": str(folder), "sii_repetitions": 2000})
    assert failure is None, failure
    html = "".join(o.get("data", {}).get("text/html", "") for c in nbformat.read(out, as_version=4).cells
                   for o in c.get("outputs", []))
    assert "nobody in the data is in IMD quintile 5" in html and "&#x27;area_decile&#x27;" in html
    assert "single period (2024-03 in &#x27;month&#x27;)" in html
    assert "column &#x27;denominator&#x27;" not in html and "Traceback" not in html
    assert not _runtime_warnings(tmp_path)
