"""Every template can start an evaluation: `hitk new T NAME` gives a commented evaluation.yaml that validates."""

from __future__ import annotations

import pytest

from tests.conftest import REPO
from toolkit.cli import main

TEMPLATES = sorted(p.stem for p in (REPO / "templates").glob("*.ipynb"))


def test_every_template_has_a_scaffold():
    missing = [t for t in TEMPLATES if not (REPO / "templates" / "scaffolds" / f"{t}.yaml").is_file()]
    assert not missing


@pytest.mark.parametrize("template", TEMPLATES)
def test_new_then_validate(project, capsys, template):
    name = f"new-{template}"
    assert main(["new", template, name]) == 0
    text = (project.evaluations_dir / name / "evaluation.yaml").read_text()
    assert text.count("#") >= 20, "scaffold fields should be explained in comments"
    assert main(["validate", name]) == 0, capsys.readouterr().err
