"""Shared fixtures: a throw-away copy of the project so tests never touch real evaluations."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
_IGNORE = shutil.ignore_patterns(".venv", ".git", "runs", "index.html", "__pycache__", ".pytest_cache",
                                 "*.egg-info", "benchmarks", "tests")


def copy_project(dest: Path) -> Path:
    """Copy templates/, evaluations/ and data_samples/ (not runs) into ``dest``."""
    for name in ("templates", "evaluations", "data_samples"):
        src = REPO / name
        if src.exists():
            shutil.copytree(src, dest / name, ignore=_IGNORE)
    (dest / "evaluations").mkdir(exist_ok=True)
    return dest


def pytest_collection_modifyitems(config, items):
    """Group tests for ``pytest -n 2 --dist loadgroup`` (what ``make test`` runs).

    Every test using the session-wide ``demo_runs`` shares one worker, so the examples run once; the rest go
    by file, so module-scoped fixtures are built once.  Without pytest-xdist the markers are inert.
    """
    for item in items:
        group = "demo" if "demo_runs" in getattr(item, "fixturenames", ()) else item.nodeid.split("::")[0]
        item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture
def project(tmp_path, monkeypatch):
    """A fresh project copy; HITK_PROJECT points at it."""
    from toolkit.project import Project

    root = copy_project(tmp_path / "project")
    monkeypatch.setenv("HITK_PROJECT", str(root))
    return Project(root)


@pytest.fixture(scope="session")
def demo_runs(tmp_path_factory):
    """Every shipped example evaluation run once, in a session-wide project copy.

    Returns ``(project, {evaluation: RunOutcome})``.
    """
    from toolkit.project import Project
    from toolkit.runner import run_evaluation

    root = copy_project(tmp_path_factory.mktemp("demo") / "project")
    project = Project(root)
    outcomes = {folder.name: run_evaluation(project, str(folder)) for folder in project.evaluations()}
    return project, outcomes


def all_pages(demo_runs):
    """(label, path) of every HTML page the demo produced: stage reports, summaries, the index."""
    project, outcomes = demo_runs
    pages = []
    for ev, out in outcomes.items():
        pages += [(f"{ev}/{stage}", path) for stage, path in out.reports.items()]
        pages.append((f"{ev}/summary", out.summary))
    pages.append(("index", project.evaluations_dir / "index.html"))
    return pages


def write_yaml(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path
