"""Named results: what templates record, and the run's ``results.json``.

A template records each estimate with :meth:`Results.record` (or
:meth:`Results.record_design` for a design result).  Every record carries name,
estimate, standard error, confidence interval with its level, p-value where
meaningful, n, method and a plain-English sentence.  The stage's records are
written straight away to ``<run>/stages/<stage>.results.json``; the runner merges
the stages into ``<run>/results.json``.  Plain JSON, no scrapbook.
"""

from __future__ import annotations

import json
import math
import os
import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.cautions import code_of
from toolkit.errors import InputError, Problem

__all__ = ["Results", "Estimate", "write_json", "merge_stage_results", "RESULTS_SCHEMA_VERSION", "read_results"]

RESULTS_SCHEMA_VERSION = 1
_NAME = re.compile(r"^[a-z0-9]+(?:[_.-][a-z0-9]+)*$")


def _clean(value: Any) -> Any:
    """JSON-safe: NaN/inf -> None, numpy scalars -> Python."""
    if hasattr(value, "item") and not isinstance(value, (list, dict, str)):
        try:
            value = value.item()
        except (ValueError, AttributeError):
            pass
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {str(k): _clean(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_clean(v) for v in value]
    return value


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically (a crash never leaves half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(_clean(data), fh, indent=2, default=str, allow_nan=False)
            fh.write("\n")
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


@dataclass(frozen=True)
class Estimate:
    """One named estimate with its uncertainty."""

    name: str
    estimate: float | None
    se: float | None = None
    se_scale: str | None = None
    ci_low: float | None = None
    ci_high: float | None = None
    level: float = 0.95
    p_value: float | None = None
    n: int | None = None
    method: str = ""
    sentence: str = ""
    unit: str = ""
    kind: str = "estimate"
    extra: dict[str, Any] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return _clean({
            "name": self.name, "estimate": self.estimate, "se": self.se, "se_scale": self.se_scale,
            "ci_low": self.ci_low,
            "ci_high": self.ci_high, "level": self.level, "p_value": self.p_value, "n": self.n,
            "method": self.method, "sentence": self.sentence, "unit": self.unit, "kind": self.kind,
            "extra": self.extra,
        })


def _number(name: str, field_name: str, value: Any) -> float | None:
    if value is None:
        return None
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise InputError(f"Result '{name}': {field_name} must be a number, got {value!r}.") from None
    return out if math.isfinite(out) else None


class Results:
    """Collects a stage's named results and writes them as they are recorded.

    Parameters
    ----------
    path : str or Path, optional
        Where to write; empty means keep in memory only (e.g. when a template is
        opened by hand in JupyterLab).
    stage : str
        The stage name.
    """

    def __init__(self, path: str | os.PathLike | None = None, *, stage: str = "stage"):
        self.path = Path(path) if path else None
        self.stage = stage
        self._items: dict[str, Estimate] = {}
        self._tables: dict[str, Any] = {}
        self._attributions: list[str] = []

    def __iter__(self):
        return iter(self._items.values())

    def __getitem__(self, name: str) -> Estimate:
        return self._items[name]

    def __len__(self) -> int:
        return len(self._items)

    def record(
        self,
        name: str,
        estimate: float | None,
        *,
        se: float | None = None,
        se_scale: str | None = None,
        ci_low: float | None = None,
        ci_high: float | None = None,
        level: float = 0.95,
        p_value: float | None = None,
        n: int | None = None,
        method: str = "",
        sentence: str = "",
        unit: str = "",
        kind: str = "estimate",
        extra: dict[str, Any] | None = None,
    ) -> Estimate:
        """Record one named estimate (replacing an earlier one of the same name).

        ``se_scale`` says on which scale ``se`` is: ``"estimate"`` (the estimate's own
        units, the default when an SE is given) or ``"log"`` (the log of a ratio).
        """
        if not isinstance(name, str) or not _NAME.match(name):
            raise InputError(
                f"Result name {name!r} is not allowed.",
                [Problem("use lowercase letters, digits, '_', '-' or '.'", where=str(name))],
            )
        if not 0 < level < 1:
            raise InputError(f"Result '{name}': level must be between 0 and 1, got {level!r}.")
        values = {k: _number(name, k, v) for k, v in
                  {"estimate": estimate, "se": se, "ci_low": ci_low, "ci_high": ci_high, "p_value": p_value}.items()}
        if values["ci_low"] is not None and values["ci_high"] is not None and values["ci_low"] > values["ci_high"]:
            raise InputError(f"Result '{name}': ci_low ({ci_low}) is above ci_high ({ci_high}).")
        if se_scale not in (None, "estimate", "log"):
            raise InputError(f"Result '{name}': se_scale must be 'estimate' or 'log', got {se_scale!r}.")
        if values["se"] is None:
            se_scale = None
        elif se_scale is None:
            se_scale = "estimate"
        item = Estimate(name=name, level=level, n=None if n is None else int(n), method=method,
                        sentence=sentence, unit=unit, kind=kind, extra=dict(extra or {}), se_scale=se_scale,
                        **values)
        self._items[name] = item
        self._flush()
        return item

    def record_design(self, name: str, result: Any, *, unit: str = "", extra: dict[str, Any] | None = None) -> Estimate:
        """Record a :class:`toolkit.designs.DesignResult` under ``name``."""
        from toolkit.reporting.interpret import interpret

        return self.record(
            name, result.estimate, se=result.se, se_scale=getattr(result, "se_scale", None),
            ci_low=result.ci_low, ci_high=result.ci_high,
            level=result.level, p_value=result.p_value, n=result.n_obs, method=result.method,
            sentence=interpret(result), unit=unit, kind="effect",
            extra={"scale": result.scale, "warnings": [str(w) for w in result.warnings],
                   "warning_codes": [code_of(w) for w in result.warnings], **(extra or {})},
        )

    def record_table(self, name: str, table: Any) -> None:
        """Record a small table (a DataFrame) for summary pages (stored as records)."""
        records = table.to_dict(orient="records") if hasattr(table, "to_dict") else list(table)
        self._tables[name] = records
        self._flush()

    def add_attribution(self, text: str) -> None:
        """Credit a data source (e.g. the OGL notice for IMD data) in this stage's report."""
        if text not in self._attributions:
            self._attributions.append(text)
            self._flush()

    def as_dict(self) -> dict[str, Any]:
        return {
            "schema_version": RESULTS_SCHEMA_VERSION,
            "toolkit_version": __version__,
            "stage": self.stage,
            "estimates": [e.as_dict() for e in self._items.values()],
            "tables": _clean(self._tables),
            "attributions": list(self._attributions),
        }

    def _flush(self) -> None:
        if self.path is not None:
            write_json(self.path, self.as_dict())


def merge_stage_results(stage_files: dict[str, Path], *, evaluation: str, run_id: str) -> dict[str, Any]:
    """Merge per-stage result files into the run's results.json content."""
    stages: dict[str, Any] = {}
    flat: list[dict[str, Any]] = []
    for stage, path in stage_files.items():
        data = json.loads(path.read_text(encoding="utf-8")) if path.exists() else {"estimates": [], "tables": {}}
        stages[stage] = {"estimates": data.get("estimates", []), "tables": data.get("tables", {})}
        for est in data.get("estimates", []):
            flat.append({**est, "stage": stage, "key": f"{stage}.{est['name']}"})
    return {
        "schema_version": RESULTS_SCHEMA_VERSION,
        "toolkit_version": __version__,
        "evaluation": evaluation,
        "run_id": run_id,
        "stages": stages,
        "estimates": flat,
    }


def read_results(path: Path) -> dict[str, Any]:
    """Read a results.json, upgrading older layouts or explaining why it cannot."""
    data = json.loads(Path(path).read_text(encoding="utf-8"))
    version = data.get("schema_version")
    if version != RESULTS_SCHEMA_VERSION:
        raise InputError(
            f"{path} was written by toolkit {data.get('toolkit_version', 'unknown')} "
            f"(results schema {version}); this toolkit reads schema {RESULTS_SCHEMA_VERSION}.",
            [Problem("results from an incompatible toolkit version", where=str(path),
                     fix="rerun the evaluation with `hitk run` to regenerate its results")],
        )
    return data
