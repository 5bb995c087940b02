"""Small builders shared by tests: tiny templates and evaluations."""

from __future__ import annotations

from pathlib import Path

import nbformat
import yaml

from tests.conftest import REPO


def make_template(path: Path, body: str, *, roles: dict | None = None, extra_params: str = "") -> Path:
    """A minimal valid template whose one code cell runs ``body``."""
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    nb.metadata["hitk"] = {"title": "Test template", "description": "for tests",
                           "roles": roles or {"required": [], "optional": []}}
    params = nbformat.v4.new_code_cell(
        'evaluation_dir: str = ""\nstage: str = "s"\nresults_path: str = ""\n' + extra_params)
    params.metadata["tags"] = ["parameters"]
    nb.cells = [nbformat.v4.new_markdown_cell("## Section"), params, nbformat.v4.new_code_cell(body)]
    nbformat.write(nb, path)
    return path


def example_config() -> dict:
    return yaml.safe_load((REPO / "evaluations/example-hypertension/evaluation.yaml").read_text())


def make_evaluation(project, name: str, *, stages: list[dict] | None = None, sources: dict | None = None,
                    mutate=None) -> Path:
    data = example_config()
    if stages is not None:
        data["stages"] = stages
        names = {s["name"] for s in stages}  # keep only goals whose design stage is still there
        data["charter"]["goals"] = [g for g in data["charter"]["goals"]
                                    if "impact" not in g or g["impact"]["stage"] in names]
        if data["charter"].get("costs"):
            kept = {g["id"] for g in data["charter"]["goals"]}
            data["charter"]["costs"]["outcomes"] = [o for o in data["charter"]["costs"].get("outcomes", [])
                                                    if o["goal"] in kept]
    if sources is not None:
        original = data["data"]["sources"]
        goal_sources = {g["measure"]["source"] for g in data["charter"]["goals"] if "measure" in g}
        data["data"] = {"sources": {**{k: original[k] for k in goal_sources if k not in sources}, **sources}}
    if mutate:
        mutate(data)
    folder = project.evaluations_dir / name
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return folder
