"""Load and validate an evaluation: YAML -> schema -> cross-checks, every problem at once."""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from toolkit.errors import ConfigError, Problem
from toolkit.evaluations.schema import Evaluation
from toolkit.evaluations.yamlio import load_yaml

__all__ = ["LoadedEvaluation", "load_evaluation", "format_location", "charter_hash"]


@dataclass(frozen=True)
class LoadedEvaluation:
    """A validated evaluation and where it lives."""

    name: str
    folder: Path
    config: Evaluation
    raw: dict[str, Any]

    @property
    def yaml_path(self) -> Path:
        return self.folder / "evaluation.yaml"

    @property
    def runs_dir(self) -> Path:
        return self.folder / "runs"

    def source_path(self, source_name: str) -> Path:
        """The resolved path of a file source (a table or query source has none)."""
        return (self.folder / self.config.data.sources[source_name].path).resolve()


def format_location(loc: tuple[Any, ...]) -> str:
    """``('charter', 'goals', 1, 'target')`` -> ``charter.goals[1].target``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "(top level)"


def _describe(value: Any) -> str:
    if isinstance(value, str):
        return f'"{value}"'
    if value is None:
        return "nothing"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (dict, list)):
        return "a mapping" if isinstance(value, dict) else "a list"
    return str(value)


def _known_fields(model: type, loc: tuple[Any, ...]) -> list[str]:
    """Field names (and aliases) allowed at the parent of ``loc``, for 'did you mean'."""
    from pydantic import BaseModel

    current: Any = model
    for part in loc[:-1]:
        if isinstance(part, int) or current is None:
            continue
        fields = getattr(current, "model_fields", {})
        field = fields.get(part) or next((f for f in fields.values() if f.alias == part), None)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        candidates = [ann, *args]
        nxt = None
        for c in candidates:
            if isinstance(c, type) and issubclass(c, BaseModel):
                nxt = c
                break
            for inner in getattr(c, "__args__", ()):
                if isinstance(inner, type) and issubclass(inner, BaseModel):
                    nxt = inner
        current = nxt
    if current is None:
        return []
    names = []
    for name, f in getattr(current, "model_fields", {}).items():
        names.append(f.alias or name)
    return names


_MESSAGES = {
    "float_parsing": "expected a number, got {value}",
    "float_type": "expected a number, got {value}",
    "int_parsing": "expected a whole number, got {value}",
    "int_type": "expected a whole number, got {value}",
    "int_from_float": "expected a whole number, got {value}",
    "bool_parsing": "expected true or false, got {value}",
    "bool_type": "expected true or false, got {value}",
    "string_type": "expected text, got {value}",
    "list_type": "expected a list (lines starting with '- '), got {value}",
    "dict_type": "expected a mapping of keys to values, got {value}",
    "model_type": "expected a mapping of keys to values, got {value}",
    "date_from_datetime_parsing": "expected a date written YYYY-MM-DD, got {value}",
    "date_parsing": "expected a date written YYYY-MM-DD, got {value}",
    "date_type": "expected a date written YYYY-MM-DD, got {value}",
    "missing": "required field is missing",
    "too_short": "must not be empty",
    "string_too_short": "must not be empty",
    "string_pattern_mismatch": "must use lowercase letters, digits and hyphens only, got {value}",
}


_CALENDAR = re.compile(r"^\d{4}-\d{1,2}-\d{1,2}$")


def _problems_from_validation(exc: ValidationError) -> list[Problem]:
    problems = []
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        # pydantic appends the literal/union member to loc for some errors; trim non-field parts
        loc = tuple(p for p in loc if not (isinstance(p, str) and ("[" in p or p.startswith("function-"))))
        where = format_location(loc)
        etype = err["type"]
        value = err.get("input")
        fix = None
        if etype == "extra_forbidden":
            key = loc[-1] if loc else ""
            known = _known_fields(Evaluation, loc)
            close = difflib.get_close_matches(str(key), known, n=1)
            message = "unknown key"
            fix = f"did you mean '{close[0]}'?" if close else (
                f"remove it; allowed keys here are: {', '.join(known)}" if known else "remove it")
        elif etype == "literal_error":
            expected = err.get("ctx", {}).get("expected", "")
            message = f"expected one of {expected}, got {_describe(value)}"
        elif etype.startswith("date_") and isinstance(value, str) and _CALENDAR.match(value.strip()):
            message = f"{_describe(value)} is not a real calendar date"
            fix = "write a date that exists, as YYYY-MM-DD (months 01-12, days up to 28-31)"
        elif etype in _MESSAGES:
            message = _MESSAGES[etype].format(value=_describe(value))
        elif etype == "value_error" and hasattr(err.get("ctx", {}).get("error"), "problems"):
            # a data source's own checks (toolkit.evaluations.schema_sources.SourceProblems): one problem per key
            for key, message, fix in err["ctx"]["error"].problems:
                problems.append(Problem(message, where=f"{where}.{key}" if loc else key, fix=fix))
            continue
        elif etype == "value_error":
            message = str(err.get("ctx", {}).get("error", err["msg"]))
        else:
            message = err["msg"]
        problems.append(Problem(message, where=where, fix=fix))
    return problems


def load_evaluation(folder: Path, *, name: str | None = None) -> LoadedEvaluation:
    """Load ``folder/evaluation.yaml`` and validate it against the schema.

    Raises
    ------
    ConfigError
        Listing every problem, each with its YAML path.
    """
    folder = Path(folder)
    path = folder / "evaluation.yaml"
    raw = load_yaml(path)
    if raw is None:
        raise ConfigError(f"{path} is empty.", [Problem("the file has no content", where=str(path),
                                                        fix="start again from `hitk new`")])
    if not isinstance(raw, dict):
        raise ConfigError(f"{path} must be a mapping of keys to values.",
                          [Problem(f"got {_describe(raw)}", where="(top level)")])
    try:
        config = Evaluation.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path} has {exc.error_count()} problem(s):",
                          _problems_from_validation(exc)) from None
    return LoadedEvaluation(name=name or folder.name, folder=folder.resolve(), config=config, raw=raw)


def charter_hash(raw_charter: Any) -> str:
    """SHA-256 of the charter's canonical JSON form (key order and formatting do not matter)."""
    text = json.dumps(raw_charter, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
