"""A locked charter: who signed it off, when, and what has changed since.

``hitk signoff`` stores the charter exactly as signed (and its SHA-256) in
``evaluations/NAME/signoff.json``; every later report compares the current
charter with it, field by field.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.errors import InputError, Problem
from toolkit.evaluations.loader import LoadedEvaluation, charter_hash
from toolkit.results import write_json

__all__ = ["SignOff", "sign_off", "read_signoff", "charter_deviations", "Deviation", "signoff_trail", "TrailEntry"]

SIGNOFF_FILE = "signoff.json"


@dataclass(frozen=True)
class SignOff:
    by: str
    on: str  # ISO date-time (UTC)
    charter_sha256: str
    charter: dict[str, Any]

    @property
    def date(self) -> str:
        return self.on[:10]


@dataclass(frozen=True)
class Deviation:
    field: str
    before: Any
    after: Any


def sign_off(evaluation: LoadedEvaluation, *, by: str, now: dt.datetime | None = None) -> SignOff:
    """Record that ``by`` signed off the (already validated) charter of ``evaluation``."""
    name = (by or "").strip()
    if not name:
        raise InputError("Sign-off needs the name of the person signing.",
                         [Problem("empty name", where="--by", fix='use --by "Name, role"')])
    now = now or dt.datetime.now(dt.timezone.utc)
    charter = evaluation.raw["charter"]
    record = SignOff(by=name, on=now.isoformat(timespec="seconds").replace("+00:00", "Z"),
                     charter_sha256=charter_hash(charter), charter=json.loads(json.dumps(charter, default=str)))
    path = evaluation.folder / SIGNOFF_FILE
    history = []
    if path.exists():
        history = json.loads(path.read_text(encoding="utf-8")).get("history", [])
    entry = {"by": record.by, "on": record.on, "charter_sha256": record.charter_sha256, "charter": record.charter,
             "toolkit_version": __version__}
    write_json(path, {"current": entry, "history": history + [entry]})
    return record


def read_signoff(folder: Path) -> SignOff | None:
    path = Path(folder) / SIGNOFF_FILE
    if not path.exists():
        return None
    data = json.loads(path.read_text(encoding="utf-8"))["current"]
    return SignOff(by=data["by"], on=data["on"], charter_sha256=data["charter_sha256"], charter=data["charter"])


def _flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(value, dict):
        out: dict[str, Any] = {}
        for k, v in value.items():
            out.update(_flatten(v, f"{prefix}.{k}" if prefix else str(k)))
        return out
    if isinstance(value, list) and any(isinstance(v, (dict, list)) for v in value):
        out = {}
        for i, v in enumerate(value):
            out.update(_flatten(v, f"{prefix}[{i}]"))
        return out
    return {prefix: value}


def charter_deviations(signed: SignOff, current_charter: dict[str, Any]) -> list[Deviation]:
    """Every charter field that differs from the signed-off version (before -> after)."""
    before = _flatten(signed.charter)
    after = _flatten(json.loads(json.dumps(current_charter, default=str)))
    out = []
    for key in sorted(set(before) | set(after), key=lambda k: (k.split(".")[0], k)):
        b, a = before.get(key, "(absent)"), after.get(key, "(absent)")
        if b != a:
            out.append(Deviation(f"charter.{key}", b, a))
    return out


@dataclass(frozen=True)
class TrailEntry:
    """One sign-off in the history, and what it changed from the one before."""

    by: str
    on: str
    changes: list[Deviation]


def signoff_trail(folder: Path) -> list[TrailEntry]:
    """Every sign-off recorded in ``signoff.json``, oldest first, with the charter fields each changed."""
    path = Path(folder) / SIGNOFF_FILE
    if not path.exists():
        return []
    history = json.loads(path.read_text(encoding="utf-8")).get("history", [])
    out, previous = [], None
    for entry in history:
        changes = [] if previous is None else charter_deviations(
            SignOff(previous["by"], previous["on"], previous["charter_sha256"], previous["charter"]), entry["charter"])
        out.append(TrailEntry(entry["by"], entry["on"], changes))
        previous = entry
    return out
