"""One exception hierarchy for the whole toolkit.

Every error a user can provoke is a :class:`ToolkitError`.  Errors about input
carry one or more :class:`Problem` records, each naming *where* the problem is
(a YAML path, or a file and column), *what* is wrong, example rows, how many rows
are affected and *how to fix it*.  The CLI prints them all at once and exits 2.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Iterable, Sequence

from toolkit.cautions import ToolkitWarning  # noqa: F401  (the structured warning, re-exported)

__all__ = [
    "ToolkitError",
    "Problem",
    "InputError",
    "ConfigError",
    "DataError",
    "DesignError",
    "TemplateError",
    "RunError",
    "ToolkitWarning",
]


@dataclass(frozen=True)
class Problem:
    """One thing wrong with the input.

    Parameters
    ----------
    message : str
        What is wrong, in plain English.
    where : str, optional
        A YAML path (``charter.goals[1].target``) or a location such as
        ``data_samples/x.csv`` or a column name.
    file, column : str, optional
        The data file and column concerned.
    rows : sequence of int, optional
        Example row numbers (1-based, as a spreadsheet shows them, header = row 1).
    count : int, optional
        How many rows are affected.
    fix : str, optional
        What the user should do.
    """

    message: str
    where: str | None = None
    file: str | None = None
    column: str | None = None
    rows: tuple[int, ...] = field(default_factory=tuple)
    count: int | None = None
    fix: str | None = None

    def __str__(self) -> str:
        loc = []
        if self.where:
            loc.append(self.where)
        if self.file:
            loc.append(f"file {self.file}")
        if self.column:
            loc.append(f"column '{self.column}'")
        head = ", ".join(loc)
        text = f"{head}: {self.message}" if head else self.message
        if self.count is not None:
            text += f" ({self.count:,} row{'s' if self.count != 1 else ''}"
            if self.rows:
                text += ", e.g. row" + ("s " if len(self.rows) > 1 else " ")
                text += ", ".join(str(r) for r in self.rows[:5])
            text += ")"
        elif self.rows:
            text += " (row" + ("s " if len(self.rows) > 1 else " ")
            text += ", ".join(str(r) for r in self.rows[:5]) + ")"
        if self.fix:
            text += f". Fix: {self.fix}"
        return text


class ToolkitError(Exception):
    """Base class of every error the toolkit raises on purpose."""

    exit_code = 2

    def __init__(self, message: str = "", problems: Iterable[Problem] | None = None):
        self.problems: tuple[Problem, ...] = tuple(problems or ())
        self.message = message
        super().__init__(self.__str__())

    def __str__(self) -> str:  # pragma: no cover - trivial
        if not self.problems:
            return self.message
        lines = [self.message] if self.message else []
        lines += [f"  - {p}" for p in self.problems]
        return "\n".join(lines)


class InputError(ToolkitError):
    """Invalid input or usage (exit code 2)."""


class ConfigError(InputError):
    """evaluation.yaml (or a stage's parameters) is invalid."""


class DataError(InputError):
    """A data file or DataFrame breaks the contract the analysis needs.

    Build it from a single problem with keyword arguments, or from many
    :class:`Problem` objects.
    """

    def __init__(
        self,
        message: str = "",
        problems: Sequence[Problem] | None = None,
        *,
        file: str | None = None,
        column: str | None = None,
        rows: Sequence[int] | None = None,
        count: int | None = None,
        fix: str | None = None,
    ):
        if problems is None and (file or column or rows or count is not None or fix):
            problems = [
                Problem(message, file=file, column=column, rows=tuple(rows or ()), count=count, fix=fix)
            ]
            message = "The data cannot be used as it is:"
        super().__init__(message, problems)


class DesignError(InputError):
    """The data cannot support the requested design (no comparison group, no pre-period, ...)."""


class TemplateError(InputError):
    """A template does not exist or is malformed."""


class RunError(ToolkitError):
    """A stage failed while executing (exit code 1)."""

    exit_code = 1
