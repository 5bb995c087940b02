"""What templates show: accessible HTML blocks marked for the report renderer.

Every function here displays one block of HTML with ``metadata={"hitk": True}``;
the renderer keeps only such outputs, so nothing else a notebook prints can
reach a board.  All text passed in is HTML-escaped.  The ``*_html`` functions
return the markup without displaying it (used by tests and summary pages).
"""

from __future__ import annotations

import base64
import html
import io
import math
import re
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from toolkit.reporting.disclosure import DEFAULT_RULE, DisclosureRule, apply_disclosure

__all__ = [
    "show_html", "paragraph", "bullets", "facts", "callout", "summary_box", "table", "figure",
    "paragraph_html", "bullets_html", "facts_html", "callout_html", "summary_box_html", "table_html",
    "figure_html", "set_disclosure", "heading",
]

_rule: DisclosureRule = DEFAULT_RULE
_PLACEHOLDER_ALT = re.compile(r"^\s*(image|figure|chart|plot|graph|picture|img|alt|\.|-)?\s*$", re.I)


def set_disclosure(rule: DisclosureRule) -> None:
    """Set the disclosure rule used by :func:`table` for count columns in this session."""
    global _rule
    _rule = rule


def esc(text: Any) -> str:
    return html.escape("" if text is None else str(text), quote=True)


def show_html(markup: str) -> None:
    """Display trusted markup as a report block."""
    from IPython.display import display

    display({"text/html": markup}, raw=True, metadata={"hitk": True})


# ------------------------------------------------------------------ text blocks
def paragraph_html(text: str) -> str:
    return f"<p>{esc(text)}</p>"


def heading(text: str, *, level: int = 3) -> None:
    """A heading built from data (static headings belong in markdown cells)."""
    if level not in (2, 3, 4):
        raise ValueError("level must be 2, 3 or 4")
    show_html(f"<h{level}>{esc(text)}</h{level}>")


def paragraph(text: str) -> None:
    show_html(paragraph_html(text))


def bullets_html(items: Iterable[Any], *, ordered: bool = False) -> str:
    tag = "ol" if ordered else "ul"
    inner = "".join(f"<li>{esc(i)}</li>" for i in items)
    return f"<{tag}>{inner}</{tag}>" if inner else "<p>(none given)</p>"


def bullets(items: Iterable[Any], *, ordered: bool = False) -> None:
    show_html(bullets_html(items, ordered=ordered))


def facts_html(pairs: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> str:
    items = pairs.items() if isinstance(pairs, Mapping) else pairs
    rows = []
    for k, v in items:
        value = ", ".join(esc(x) for x in v) if isinstance(v, (list, tuple)) else esc(v)
        rows.append(f"<dt>{esc(k)}</dt><dd>{value or '(not set)'}</dd>")
    return f'<dl class="facts">{"".join(rows)}</dl>'


def facts(pairs: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> None:
    show_html(facts_html(pairs))


_KIND_LABEL = {"info": "Note", "warning": "Caution", "concern": "Concern", "good": "Good news"}


def callout_html(text: str, *, kind: str = "info", label: str | None = None) -> str:
    if kind not in _KIND_LABEL:
        raise ValueError(f"kind must be one of {', '.join(_KIND_LABEL)}")
    lab = label or _KIND_LABEL[kind]
    return f'<div class="callout {kind}"><p><span class="label">{esc(lab)}:</span> {esc(text)}</p></div>'


def callout(text: str, *, kind: str = "info", label: str | None = None) -> None:
    """A highlighted note; the label names its kind in words, not by colour alone."""
    show_html(callout_html(text, kind=kind, label=label))


def summary_box_html(title: str, answer: str, points: Iterable[str] = ()) -> str:
    pts = list(points)
    extra = bullets_html(pts) if pts else ""
    return (f'<section class="summary-box" aria-label="{esc(title)}"><h2>{esc(title)}</h2>'
            f'<p class="answer">{esc(answer)}</p>{extra}</section>')


def summary_box(title: str, answer: str, points: Iterable[str] = ()) -> None:
    """The plain-English box at the top of a report: the answer and how sure we are."""
    show_html(summary_box_html(title, answer, points))


# ------------------------------------------------------------------ tables
def _fmt_cell(value: Any, decimals: int | None) -> tuple[str, bool]:
    if value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value)):
        return "–", True
    if isinstance(value, bool):
        return ("Yes" if value else "No"), False
    if isinstance(value, int) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") in "iu"):
        return f"{int(value):,}", True
    if isinstance(value, float) or (hasattr(value, "dtype") and getattr(value.dtype, "kind", "") == "f"):
        v = float(value)
        if decimals is None:
            decimals = 0 if abs(v) >= 1000 else 1 if abs(v) >= 100 else 2 if abs(v) >= 1 else 3
        return f"{v:,.{decimals}f}", True
    return esc(value), False


def table_html(
    df: pd.DataFrame,
    *,
    caption: str,
    count_columns: Iterable[str] = (),
    decimals: Mapping[str, int] | None = None,
    rule: DisclosureRule | None = None,
    row_header: bool = True,
    labels: Mapping[str, str] | None = None,
) -> str:
    """An accessible table: caption, column headers with scope, first column as row header.

    Count columns are masked by the disclosure rule for display only.
    """
    if not caption or not caption.strip():
        raise ValueError("every table needs a caption")
    counts = list(count_columns)
    shown = apply_disclosure(df, counts, rule or _rule) if counts else df
    decimals = dict(decimals or {})
    labels = dict(labels or {})
    num_attr = ' class="num"'
    head = "".join(
        f'<th scope="col"{num_attr if pd.api.types.is_numeric_dtype(df[c]) else ""}>{esc(labels.get(c, c))}</th>'
        for c in df.columns
    )
    rows = []
    for _, row in shown.iterrows():
        cells = []
        for j, col in enumerate(df.columns):
            if col in counts:
                text, num = esc(row[col]), True
            else:
                text, num = _fmt_cell(row[col], decimals.get(col))
            cls = ' class="num"' if num else ""
            if j == 0 and row_header:
                cells.append(f'<th scope="row"{cls}>{text}</th>')
            else:
                cells.append(f"<td{cls}>{text}</td>")
        rows.append("<tr>" + "".join(cells) + "</tr>")
    # a wide table scrolls inside its wrapper: keyboard users must be able to focus it (WCAG 2.1.1)
    return (f'<div class="table-wrap" tabindex="0" role="region" aria-label="{esc(caption)}">'
            f'<table class="data-table"><caption>{esc(caption)}</caption>'
            f"<thead><tr>{head}</tr></thead><tbody>{''.join(rows)}</tbody></table></div>")


def table(df: pd.DataFrame, *, caption: str, count_columns: Iterable[str] = (),
          decimals: Mapping[str, int] | None = None, labels: Mapping[str, str] | None = None,
          row_header: bool = True) -> None:
    show_html(table_html(df, caption=caption, count_columns=count_columns, decimals=decimals,
                         labels=labels, row_header=row_header))


# ------------------------------------------------------------------ figures
def figure_html(fig: Any, *, alt: str, caption: str | None = None, data: pd.DataFrame | None = None,
                data_caption: str | None = None, count_columns: Iterable[str] = (), dpi: int = 110) -> str:
    """A chart as an embedded PNG with real alt text, and its data as a table.

    Raises
    ------
    ValueError
        When ``alt`` is empty or a placeholder such as "chart".
    """
    if not isinstance(alt, str) or _PLACEHOLDER_ALT.match(alt) or len(alt.strip()) < 15:
        raise ValueError("every chart needs alt text that says what it shows (at least 15 characters)")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=dpi, bbox_inches="tight", facecolor="white")
    try:
        import matplotlib.pyplot as plt

        plt.close(fig)
    except Exception:  # noqa: BLE001
        pass
    encoded = base64.b64encode(buf.getvalue()).decode("ascii")
    parts = [f'<figure class="chart"><img src="data:image/png;base64,{encoded}" alt="{esc(alt)}">']
    if caption:
        parts.append(f"<figcaption>{esc(caption)}</figcaption>")
    parts.append("</figure>")
    if data is not None:
        parts.append(
            "<details><summary>Data for this chart</summary>"
            + table_html(data, caption=data_caption or (caption or alt), count_columns=count_columns)
            + "</details>"
        )
    return "".join(parts)


def figure(fig: Any, *, alt: str, caption: str | None = None, data: pd.DataFrame | None = None,
           data_caption: str | None = None, count_columns: Iterable[str] = ()) -> None:
    """Show a matplotlib figure with alt text and (recommended) its data table."""
    show_html(figure_html(fig, alt=alt, caption=caption, data=data, data_caption=data_caption,
                          count_columns=count_columns))


# ------------------------------------------------------------------ stage sections
def block_html(block: Any) -> str:
    """The HTML of one :mod:`toolkit.stages.base` block."""
    from toolkit.stages import base as b

    if isinstance(block, b.Paragraph):
        return paragraph_html(block.text)
    if isinstance(block, b.Heading):
        if block.level not in (2, 3, 4):
            raise ValueError("level must be 2, 3 or 4")
        return f"<h{block.level}>{esc(block.text)}</h{block.level}>"
    if isinstance(block, b.Bullets):
        return bullets_html(block.items, ordered=block.ordered)
    if isinstance(block, b.Facts):
        return facts_html(block.pairs)
    if isinstance(block, b.Callout):
        return callout_html(block.text, kind=block.kind, label=block.label)
    if isinstance(block, b.SummaryBox):
        return summary_box_html(block.title, block.answer, block.points)
    if isinstance(block, b.Table):
        decimals = block.decimals
        if isinstance(decimals, int):
            decimals = {c: decimals for c in block.frame.columns}
        return table_html(block.frame, caption=block.caption, count_columns=block.count_columns,
                          decimals=decimals, labels=block.labels, row_header=block.row_header)
    if isinstance(block, b.Figure):
        fig = block.draw() if callable(block.draw) and not hasattr(block.draw, "savefig") else block.draw
        return figure_html(fig, alt=block.alt, caption=block.caption, data=block.data,
                           data_caption=block.data_caption, count_columns=block.count_columns)
    if isinstance(block, b.Html):
        return block.markup
    raise TypeError(f"not a report block: {type(block).__name__}")


def section(sec: Any) -> None:
    """Show a stage section (:class:`toolkit.stages.base.Section`): its heading, then each block."""
    if sec.heading:
        show_html(f"<h3>{esc(sec.heading)}</h3>")
    for block in sec.blocks:
        show_html(block_html(block))
