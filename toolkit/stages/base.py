"""The one contract every stage follows: build → record → sections.

A *stage* is one template (charter, baseline, did, its, synth, rd).  Its module
in :mod:`toolkit.stages` exposes

``build(ctx, *, <the template's parameters>) -> <Stage>Analysis``
    validate the mapped data and parameters, fit the design, and keep the result;
    raises :class:`toolkit.errors.DataError` / :class:`~toolkit.errors.DesignError`
    naming the column and the fix.  Keyword names are exactly the template's
    parameters (``evaluation_dir``, ``stage`` and ``results_path`` excepted), so a
    template parameter finds its code in one hop.

``SECTIONS``
    the ordered keys of the sections the template shows.

The analysis object (a :class:`StageAnalysis`) then

``record(results)``
    writes the stage's named results (``results.json``);
``section(key) -> Section``
    returns one section of the report as presentation blocks (sentences, tables,
    figures with alt text and data), built from the fitted results.

A template is then the same short sequence of calls::

    ctx = open_stage(evaluation_dir, stage, results_path)
    analysis = its.build(ctx, intervention_start=intervention_start, ...)
    analysis.record(ctx.results)
    show.section(analysis.section("headline"))
    ...

with the explanations in its markdown cells.  Blocks are plain frozen data; the
HTML is made by :func:`toolkit.reporting.display.section`.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass, field
from typing import Any, Callable, ClassVar, Mapping, Union

import pandas as pd

__all__ = [
    "Paragraph", "Heading", "Bullets", "Facts", "Callout", "SummaryBox", "Table", "Figure", "Html",
    "Block", "Section", "StageAnalysis",
]


@dataclass(frozen=True)
class Paragraph:
    """A sentence or paragraph of plain text."""

    text: str


@dataclass(frozen=True)
class Heading:
    """A heading built from data (static headings belong in the template's markdown)."""

    text: str
    level: int = 3


@dataclass(frozen=True)
class Bullets:
    """A list of plain-text items."""

    items: tuple[str, ...]
    ordered: bool = False


@dataclass(frozen=True)
class Facts:
    """Label–value pairs (a definition list)."""

    pairs: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Callout:
    """A boxed note; ``kind`` is "info", "warning", "good" or "bad"."""

    text: str
    kind: str = "info"
    label: str | None = None


@dataclass(frozen=True)
class SummaryBox:
    """The answer-first box at the top of a report."""

    title: str
    answer: str
    points: tuple[str, ...] = ()


@dataclass(frozen=True)
class Table:
    """A data table with a caption; see :func:`toolkit.reporting.display.table_html`."""

    frame: pd.DataFrame
    caption: str
    decimals: Mapping[str, int] | int | None = None
    count_columns: tuple[str, ...] = ()
    labels: Mapping[str, str] | None = None
    row_header: bool = True


@dataclass(frozen=True)
class Figure:
    """A chart with alt text and (recommended) its data.

    ``draw`` is a matplotlib figure or a zero-argument callable returning one;
    a callable is only called when the section is shown.
    """

    draw: Any | Callable[[], Any]
    alt: str
    caption: str | None = None
    data: pd.DataFrame | None = None
    data_caption: str | None = None
    count_columns: tuple[str, ...] = ()


@dataclass(frozen=True)
class Html:
    """Trusted markup made by :mod:`toolkit.reporting` (e.g. the logic model)."""

    markup: str


Block = Union[Paragraph, Heading, Bullets, Facts, Callout, SummaryBox, Table, Figure, Html]


@dataclass(frozen=True)
class Section:
    """One part of a stage report: a key, an optional data-driven heading, its blocks."""

    key: str
    blocks: tuple[Block, ...] = field(default_factory=tuple)
    heading: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "blocks", tuple(b for b in self.blocks if b is not None))


class StageAnalysis(ABC):
    """What every stage's ``build`` returns: a fitted analysis that records and shows itself."""

    #: ordered section keys; the template shows each exactly once (checked by a test)
    SECTIONS: ClassVar[tuple[str, ...]] = ()

    @abstractmethod
    def record(self, results: Any) -> None:
        """Write this stage's named results (see the template's header for their names)."""

    def section(self, key: str) -> Section:
        """Return the section ``key`` (one of :attr:`SECTIONS`)."""
        if key not in self.SECTIONS:
            raise KeyError(f"{type(self).__name__} has no section {key!r}; its sections are {', '.join(self.SECTIONS)}")
        method = getattr(self, f"_section_{key}")
        out = method()
        return out if isinstance(out, Section) else Section(key, tuple(out))

    def sections(self) -> list[Section]:
        """Every section, in order."""
        return [self.section(k) for k in self.SECTIONS]
