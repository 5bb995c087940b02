"""Small shared pieces of the stages: periods in words, result names, errors that point into evaluation.yaml.

Numbers, intervals and p-values are formatted by :mod:`toolkit.reporting.formatting` (one module for every page).
"""

from __future__ import annotations

import math
import re
import functools
from dataclasses import replace
from typing import Any

import pandas as pd

from toolkit.errors import ConfigError, Problem, ToolkitError
from toolkit.reporting.formatting import fmt_number

__all__ = ["fmt_time", "slug", "pct_change_text", "reraise_with_parameter", "require_roles", "role_columns",
           "collecting_cautions"]


def fmt_time(value: Any, *, unit: str = "month") -> str:
    """A period for a board: ``Apr 2023`` for monthly dates, ``2022 Q1`` for quarters, else as given."""
    if isinstance(value, pd.Timestamp) or hasattr(value, "strftime"):
        ts = pd.Timestamp(value)
        if unit == "quarter":
            return f"{ts.year} Q{ts.quarter}"
        if unit == "year":
            return f"{ts.year}"
        if unit in ("week", "day"):
            return f"{ts:%d %b %Y}"
        return f"{ts:%b %Y}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return str(value)


def slug(value: Any) -> str:
    """A result-name-safe form of a group label (``"Quintile 1"`` → ``quintile-1``)."""
    text = re.sub(r"[^a-z0-9]+", "-", str(value).strip().lower()).strip("-")
    return text or "group"


def pct_change_text(ratio: float) -> str:
    """``0.93`` → ``7.0% lower``; ``1.05`` → ``5.0% higher``."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "not available"
    change = (ratio - 1) * 100
    return f"{fmt_number(abs(change), digits=2)}% {'lower' if change < 0 else 'higher'}"


def require_roles(data: pd.DataFrame, roles: dict[str, str], *, stage: str) -> None:
    """Raise :class:`ConfigError` naming the evaluation.yaml path when a needed role is not mapped."""
    problems = [Problem(f"role '{role}' is not mapped to a column ({why})",
                        where=f"data.sources (stage {stage}).columns", fix=f"add `{role}: <your column name>`")
                for role, why in roles.items() if role not in data.columns]
    if problems:
        raise ConfigError("The stage's data source lacks columns this design needs:", problems)


def reraise_with_parameter(exc: ToolkitError, *, stage: str, parameter: str | None, fix: str,
                           column_names: dict[str, str] | None = None) -> ToolkitError:
    """Re-build an estimator's error so it names the evaluation.yaml setting to change and the user's columns.

    The error keeps its class (``DataError``, ``DesignError``...) and its problems;
    role names in ``Problem.column`` become the user's column names via ``column_names``.
    """
    names = column_names or {}
    where = f"stages.{stage}.parameters.{parameter}" if parameter else f"stages.{stage}"
    if exc.problems:
        problems = [replace(p, column=names.get(p.column, p.column)) if p.column else p for p in exc.problems]
        problems.append(Problem("this is where the analysis is configured", where=where, fix=fix))
    else:
        problems = [Problem(exc.message or str(exc), where=where, fix=fix)]
    return type(exc)(f"Stage '{stage}' cannot be analysed as configured:", problems)


def role_columns(ctx) -> dict[str, str]:
    """The stage source's ``{role: user column}`` mapping (empty without a source), for error messages."""
    if ctx.stage.source is None:
        return {}
    return dict(ctx.evaluation.config.data.sources[ctx.stage.source].columns)


def collecting_cautions(run):
    """Run a stage function collecting every caution raised while it fits (:func:`toolkit.cautions.collect`).

    ToolkitWarnings and RuntimeWarnings raised inside the estimators (a division by zero,
    an optimiser that did not converge) land in the returned analysis's ``raised``
    field, which its ``warnings`` show in the report, instead of a kernel's stderr.
    """
    from toolkit import cautions

    @functools.wraps(run)
    def wrapper(*args, **kwargs):
        with cautions.collect() as found:
            analysis = run(*args, **kwargs)
        return replace(analysis, raised=tuple(found)) if found else analysis

    return wrapper
