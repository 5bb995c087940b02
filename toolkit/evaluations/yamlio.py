"""Reading evaluation.yaml safely.

PyYAML follows YAML 1.1, where ``001`` becomes the integer 1 and ``012`` the
octal 10.  Codes such as practice or area codes must stay text, so this loader
keeps any number written with a leading zero as a string.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import yaml

from toolkit.errors import ConfigError, Problem

__all__ = ["load_yaml", "dump_yaml"]

_LEADING_ZERO = re.compile(r"^[-+]?0[0-9_]+$")


class _SafeLoader(yaml.SafeLoader):
    """SafeLoader that keeps zero-padded numbers as strings and rejects duplicate keys."""


def _construct_int(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    if _LEADING_ZERO.match(node.value):
        return node.value
    return yaml.SafeLoader.construct_yaml_int(loader, node)


def _construct_mapping(loader: yaml.SafeLoader, node: yaml.MappingNode, deep: bool = False) -> dict:
    seen: dict[Any, int] = {}
    for key_node, _ in node.value:
        key = loader.construct_object(key_node, deep=deep)
        if key in seen:
            raise yaml.constructor.ConstructorError(
                None, None, f"duplicate key {key!r} (first on line {seen[key] + 1})", key_node.start_mark
            )
        seen[key] = key_node.start_mark.line
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


def _construct_timestamp(loader: yaml.SafeLoader, node: yaml.ScalarNode) -> Any:
    """A date as YAML writes it; an impossible one (2026-02-30, 2024-13-01) stays text.

    PyYAML raises a bare ValueError for those, which would end in a traceback; kept
    as text, the schema reports it at its YAML path ("not a real calendar date").
    """
    try:
        return yaml.SafeLoader.construct_yaml_timestamp(loader, node)
    except ValueError:
        return node.value


_SafeLoader.add_constructor("tag:yaml.org,2002:int", _construct_int)
_SafeLoader.add_constructor("tag:yaml.org,2002:timestamp", _construct_timestamp)
_SafeLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def load_yaml(path: Path) -> Any:
    """Load a YAML file, turning syntax errors into a :class:`ConfigError` with the line."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(
            f"No evaluation.yaml at {path}.",
            [Problem("file not found", where=str(path),
                     fix="create one with `hitk new TEMPLATE NAME`, or check the evaluation name")],
        ) from None
    except UnicodeDecodeError as exc:
        raise ConfigError(
            f"{path} is not UTF-8 text.",
            [Problem(str(exc), where=str(path), fix="save the file as UTF-8")],
        ) from None
    try:
        data = yaml.load(text, Loader=_SafeLoader)  # noqa: S506 - SafeLoader subclass
    except (yaml.YAMLError, ValueError, TypeError) as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        where = f"{path.name} line {mark.line + 1}, column {mark.column + 1}" if mark else path.name
        problem = getattr(exc, "problem", None) or str(exc)
        raise ConfigError(
            f"{path} is not valid YAML.",
            [Problem(str(problem), where=where,
                     fix="check indentation (spaces, not tabs) and that text containing ':' is quoted")],
        ) from None
    return data


def dump_yaml(data: Any) -> str:
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
