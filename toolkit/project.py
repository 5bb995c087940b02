"""Where things live: the project root, its templates and its evaluations.

The project root is the folder holding ``templates/`` and ``evaluations/``.  It is
found, in order, from ``hitk --project`` (that folder or one above it, else an error),
the ``HITK_PROJECT`` environment variable, by walking up from the current directory,
or next to the installed ``toolkit`` package (the repository checkout used by
``make demo``).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import InputError, Problem

__all__ = ["Project", "find_project", "check_name", "NAME_PATTERN"]

NAME_PATTERN = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")


def check_name(name: str, *, what: str = "evaluation name") -> str:
    """Return ``name`` if it is lowercase letters, digits and single hyphens only.

    Rejects anything that could escape the evaluations folder (``/``, ``..``,
    spaces, capitals, leading/trailing hyphens).
    """
    if not isinstance(name, str) or not NAME_PATTERN.match(name) or len(name) > 64:
        raise InputError(
            f"Invalid {what} {name!r}.",
            [
                Problem(
                    f"{what} must use lowercase letters, digits and hyphens only "
                    "(no '/', '..', spaces or capitals), at most 64 characters",
                    where=str(name),
                    fix="choose a name such as 'hypertension-core20'",
                )
            ],
        )
    return name


def _looks_like_root(path: Path) -> bool:
    return (path / "templates").is_dir() and (path / "evaluations").is_dir()


@dataclass(frozen=True)
class Project:
    """Paths of one toolkit project."""

    root: Path

    @property
    def templates_dir(self) -> Path:
        return self.root / "templates"

    @property
    def scaffolds_dir(self) -> Path:
        return self.root / "templates" / "scaffolds"

    @property
    def evaluations_dir(self) -> Path:
        return self.root / "evaluations"

    def evaluation_dir(self, name_or_path: str | os.PathLike) -> Path:
        """Resolve an evaluation given by name (``my-eval``) or by path.

        A path must lead to a folder directly inside ``evaluations/``: nothing
        hitk writes (runs, sign-offs) can land outside it.
        """
        text = str(name_or_path)
        candidate = Path(text)
        looks_like_path = os.sep in text or "/" in text or text in (".", "..")
        if looks_like_path or (candidate.is_dir() and (candidate / "evaluation.yaml").exists()):
            if candidate.is_dir():
                return self._contained(candidate, text)
            raise InputError(
                f"No evaluation folder at {text}.",
                [Problem("folder does not exist", where=text, fix="run `hitk list` to see evaluations")],
            )
        check_name(text)
        return self.evaluations_dir / text

    def _contained(self, candidate: Path, text: str) -> Path:
        resolved = candidate.resolve()
        if resolved.parent != self.evaluations_dir.resolve():
            raise InputError(
                f"{text} is not an evaluation of this project.",
                [Problem("evaluations live directly inside the project's evaluations/ folder; hitk does not read "
                         "or write evaluations anywhere else", where=text,
                         fix=f"give the evaluation's name (see `hitk list`), or move it into {self.evaluations_dir}")])
        return resolved

    def evaluations(self) -> list[Path]:
        if not self.evaluations_dir.is_dir():
            return []
        return sorted(p for p in self.evaluations_dir.iterdir() if (p / "evaluation.yaml").is_file())


def find_project(start: str | os.PathLike | None = None) -> Project:
    """Find the project root (see module docstring).

    ``start`` (``hitk --project``) is explicit: the project is that folder or one above it, and nothing else — a
    folder that is in no project is an error, never a silent fall-back to another project.
    """
    if start is not None:
        given = Path(start).resolve()
        for candidate in (given, *given.parents):
            if _looks_like_root(candidate):
                return Project(candidate)
        raise InputError(
            f"{start} is not in a toolkit project.",
            [Problem("no folder holding templates/ and evaluations/ at or above it", where=str(given),
                     fix="point --project at the toolkit checkout (the folder with templates/ and evaluations/)")],
        )
    env = os.environ.get("HITK_PROJECT")
    if env:
        root = Path(env).resolve()
        if not _looks_like_root(root):
            raise InputError(
                f"HITK_PROJECT={env} is not a toolkit project.",
                [Problem("it has no templates/ and evaluations/ folders", where=env,
                         fix="unset HITK_PROJECT or point it at the toolkit checkout")],
            )
        return Project(root)
    here = Path.cwd().resolve()
    for candidate in (here, *here.parents):
        if _looks_like_root(candidate):
            return Project(candidate)
    package_root = Path(__file__).resolve().parents[1]
    if _looks_like_root(package_root):
        return Project(package_root)
    raise InputError(
        "Cannot find the toolkit project (a folder with templates/ and evaluations/).",
        [Problem("not found from the current directory upwards", where=str(here),
                 fix="run hitk from inside the toolkit checkout, or set HITK_PROJECT")],
    )
