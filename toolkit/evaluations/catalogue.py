"""The template catalogue: which templates exist, what they need, what they accept.

A template is ``templates/<name>.ipynb``.  Its notebook metadata holds a ``hitk``
entry::

    {"title": "...", "description": "one line", "roles": {"required": [...], "optional": [...]}}

Its parameters are the typed assignments of the cell tagged ``parameters``
(``threshold: float = 0.5  # help text``), read with papermill's inspector.
``evaluation_dir``, ``stage`` and ``results_path`` are reserved: the runner sets them.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

import nbformat
import papermill

from toolkit.errors import Problem, TemplateError

__all__ = ["TemplateInfo", "Parameter", "list_templates", "get_template", "check_parameters", "RESERVED"]

RESERVED = ("evaluation_dir", "stage", "results_path")


@dataclass(frozen=True)
class Parameter:
    name: str
    type: str
    default: Any
    help: str


@dataclass(frozen=True)
class TemplateInfo:
    name: str
    path: Path
    title: str
    description: str
    parameters: tuple[Parameter, ...]
    required_roles: tuple[str, ...] = ()
    optional_roles: tuple[str, ...] = ()
    needs_source: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    @property
    def user_parameters(self) -> tuple[Parameter, ...]:
        return tuple(p for p in self.parameters if p.name not in RESERVED)

    def parameter(self, name: str) -> Parameter | None:
        return next((p for p in self.parameters if p.name == name), None)


def _literal(text: str) -> Any:
    try:
        return ast.literal_eval(text)
    except (ValueError, SyntaxError):
        return text


@lru_cache(maxsize=64)
def _load(path: Path, mtime: float) -> TemplateInfo:
    nb = nbformat.read(path, as_version=4)
    meta = nb.metadata.get("hitk", {})
    if not meta:
        raise TemplateError(
            f"Template {path.name} has no 'hitk' metadata.",
            [Problem("notebook metadata lacks hitk.title/description", where=str(path),
                     fix="add them (see templates/README.md)")],
        )
    params = papermill.inspect_notebook(str(path))
    parameters = tuple(
        Parameter(p["name"], p["inferred_type_name"], _literal(p["default"]), p.get("help", ""))
        for p in params.values()
    )
    missing = [r for r in RESERVED if r not in params]
    if missing:
        raise TemplateError(
            f"Template {path.name} does not declare {', '.join(missing)} in its parameters cell.",
            [Problem("reserved parameters missing", where=str(path))],
        )
    roles = meta.get("roles", {})
    return TemplateInfo(
        name=path.stem,
        path=path,
        title=meta.get("title", path.stem),
        description=meta.get("description", ""),
        parameters=parameters,
        required_roles=tuple(roles.get("required", ())),
        optional_roles=tuple(roles.get("optional", ())),
        needs_source=bool(meta.get("needs_source", bool(roles.get("required")))),
        extra={k: v for k, v in meta.items() if k not in ("title", "description", "roles", "needs_source")},
    )


def list_templates(templates_dir: Path) -> list[TemplateInfo]:
    """Every template in ``templates_dir``, sorted by the order given in metadata then name."""
    infos = [_load(p, p.stat().st_mtime) for p in sorted(templates_dir.glob("*.ipynb"))]
    return sorted(infos, key=lambda t: (t.extra.get("order", 99), t.name))


def get_template(templates_dir: Path, name: str) -> TemplateInfo:
    path = templates_dir / f"{name}.ipynb"
    if not path.is_file():
        known = [p.stem for p in sorted(templates_dir.glob("*.ipynb"))]
        raise TemplateError(
            f"There is no template called {name!r}.",
            [Problem("template not found", where=name,
                     fix=f"use one of: {', '.join(known)} (see `hitk templates`)")],
        )
    return _load(path, path.stat().st_mtime)


_TYPE_CHECKS = {
    "str": (lambda v: isinstance(v, str), "text (put it in quotes)"),
    "int": (lambda v: isinstance(v, int) and not isinstance(v, bool), "a whole number"),
    "float": (lambda v: isinstance(v, (int, float)) and not isinstance(v, bool), "a number"),
    "bool": (lambda v: isinstance(v, bool), "true or false"),
    "list": (lambda v: isinstance(v, list), "a list"),
    "dict": (lambda v: isinstance(v, dict), "a mapping"),
}


def check_parameters(template: TemplateInfo, values: dict[str, Any], *, where: str) -> list[Problem]:
    """Problems with stage parameters: unknown names, reserved names, wrong types."""
    problems = []
    known = {p.name: p for p in template.user_parameters}
    for key, value in values.items():
        path = f"{where}.{key}"
        if key in RESERVED:
            problems.append(Problem("is set by hitk itself and cannot be given", where=path, fix="remove it"))
            continue
        param = known.get(key)
        if param is None:
            names = ", ".join(known) or "none"
            problems.append(Problem(f"template '{template.name}' has no parameter '{key}'", where=path,
                                    fix=f"parameters it accepts: {names}"))
            continue
        check = _TYPE_CHECKS.get(param.type)
        if check and value is not None and not check[0](value):
            shown = f'"{value}"' if isinstance(value, str) else repr(value)
            problems.append(Problem(f"expected {check[1]}, got {shown}", where=path))
    return problems
