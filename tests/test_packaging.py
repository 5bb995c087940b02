"""The package declares what the issue asks, and environment.yml agrees with pyproject.toml."""

from __future__ import annotations

import re
import tomllib

import yaml

from tests.conftest import REPO


def _norm(spec: str) -> tuple[str, str]:
    spec = spec.split(";")[0].strip()
    m = re.match(r"^([A-Za-z0-9_.\-\[\]]+)\s*(.*)$", spec)
    name = re.sub(r"[-_.]+", "-", m.group(1).split("[")[0]).lower()
    return name, m.group(2).replace(" ", "")


def test_environment_yml_matches_pyproject():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    env = yaml.safe_load((REPO / "environment.yml").read_text())
    pip = next(d["pip"] for d in env["dependencies"] if isinstance(d, dict) and "pip" in d)
    env_specs = dict(_norm(s) for s in pip if not s.startswith("-e"))
    extras = pyproject["project"]["optional-dependencies"]
    wanted = pyproject["project"]["dependencies"] + extras["test"] + extras.get("bench", [])
    for spec in wanted:
        name, rng = _norm(spec)
        assert name in env_specs, f"{name} is in pyproject.toml but not environment.yml"
        assert env_specs[name] == rng, f"{name}: pyproject {rng!r} vs environment.yml {env_specs[name]!r}"
    extra = set(env_specs) - {_norm(s)[0] for s in wanted}
    assert not extra, f"environment.yml lists packages pyproject.toml does not: {extra}"
    python = next(d for d in env["dependencies"] if isinstance(d, str) and d.startswith("python"))
    assert python.replace("python", "") == pyproject["project"]["requires-python"]


def test_pyproject_declares_package_command_and_test_extra():
    pyproject = tomllib.loads((REPO / "pyproject.toml").read_text())
    assert pyproject["project"]["scripts"]["hitk"] == "toolkit.cli:main"
    assert pyproject["project"]["requires-python"] == ">=3.11"
    names = {_norm(s)[0] for s in pyproject["project"]["dependencies"]}
    for needed in ("jupyterlab", "papermill", "nbconvert", "ipykernel", "pandas", "linearmodels",
                   "matplotlib", "pydantic", "pyyaml", "duckdb", "rdrobust"):
        assert needed in names
    assert "pytest" in {_norm(s)[0] for s in pyproject["project"]["optional-dependencies"]["test"]}


def test_layout_is_as_specified():
    for path in ("templates", "evaluations", "toolkit", "data_samples", "tests", "environment.yml",
                 "pyproject.toml", "Makefile", "README.md", ".ci/run"):
        assert (REPO / path).exists(), path
    assert "make test" in (REPO / ".ci/run").read_text()


def test_templates_are_committed_without_outputs():
    import nbformat

    for path in sorted((REPO / "templates").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, f"{path.name} has outputs"
