"""``hitk new``: a new evaluation folder from a template's commented scaffold."""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import InputError, Problem, TemplateError
from toolkit.evaluations.catalogue import get_template
from toolkit.project import Project, check_name

__all__ = ["new_evaluation"]


def new_evaluation(project: Project, template: str, name: str) -> Path:
    """Create ``evaluations/NAME/evaluation.yaml`` from ``templates/scaffolds/TEMPLATE.yaml``.

    The scaffold is copied as text, so its comments (which explain every field)
    are kept; ``{name}`` placeholders are filled in.  Refuses an existing name.
    """
    check_name(name)
    get_template(project.templates_dir, template)  # the template itself must exist
    scaffold = project.scaffolds_dir / f"{template}.yaml"
    if not scaffold.is_file():
        raise TemplateError(
            f"Template '{template}' has no scaffold to start an evaluation from.",
            [Problem("missing scaffold", where=str(scaffold), fix="add templates/scaffolds/<template>.yaml")],
        )
    folder = project.evaluations_dir / name
    if folder.exists():
        raise InputError(
            f"An evaluation called '{name}' already exists.",
            [Problem("name taken", where=str(folder), fix="choose another name, or edit the existing evaluation")],
        )
    text = scaffold.read_text(encoding="utf-8").replace("{name}", name)
    folder.mkdir(parents=True)
    (folder / "evaluation.yaml").write_text(text, encoding="utf-8")
    return folder / "evaluation.yaml"
