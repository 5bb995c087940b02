"""Render an executed notebook to a self-contained board report.

Uses nbconvert's HTMLExporter with our own template (``templates/hitk``, which
extends nbconvert's ``lab`` cell rendering but supplies its own page: no
require.js, MathJax, Mermaid or CDN links, NHS styling inlined).  Before
rendering, the notebook is cleaned: code is never shown, papermill parameter
cells and cells tagged ``remove-cell`` (notes for analysts) are removed, and of the outputs only those produced by
:mod:`toolkit.reporting.display` (marked ``metadata.hitk``) are kept, so stray
prints, warnings and stderr never reach a board.
"""

from __future__ import annotations

import copy
import html
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import nbformat
from nbconvert import HTMLExporter

from toolkit.reporting.formatting import fmt_datetime

__all__ = ["render_notebook", "RenderStats", "clean_notebook", "EXTERNAL_RESOURCE"]

TEMPLATE_DIR = Path(__file__).parent / "templates"
CSS = (TEMPLATE_DIR / "hitk" / "report.css").read_text(encoding="utf-8")
_REMOVE_TAGS = {"parameters", "injected-parameters", "remove-cell"}
_HEADING = re.compile(r"<h([23])\b([^>]*)>(.*?)</h\1>", re.S | re.I)
_ID = re.compile(r'\bid="([^"]+)"')
_TAGS = re.compile(r"<[^>]+>")
EXTERNAL_RESOURCE = re.compile(
    r"""<(?:script|link|img|iframe|source|video|audio|embed|object)\b[^>]*\b(?:src|href|data)\s*=\s*["']?\s*(?:https?:)?//"""
    r"""|url\(\s*["']?\s*(?:https?:)?//|@import""",
    re.I,
)


@dataclass
class RenderStats:
    """What the cleaner removed (a template that prints stray output shows up here)."""

    dropped: dict[str, int] = field(default_factory=dict)

    def add(self, kind: str) -> None:
        self.dropped[kind] = self.dropped.get(kind, 0) + 1

    @property
    def stray_outputs(self) -> int:
        """Outputs other than stderr/warnings that were dropped (should be 0 for a good template)."""
        return sum(v for k, v in self.dropped.items() if k not in ("stderr",))


def _keep(output: dict[str, Any], stats: RenderStats) -> bool:
    kind = output.get("output_type")
    if kind == "stream":
        stats.add("stderr" if output.get("name") == "stderr" else "stdout")
        return False
    if kind in ("display_data", "execute_result") and output.get("metadata", {}).get("hitk"):
        return True
    stats.add(kind or "unknown")
    return False


def clean_notebook(nb: nbformat.NotebookNode) -> tuple[nbformat.NotebookNode, RenderStats]:
    """A copy of ``nb`` fit for a board: no parameter cells, only toolkit display outputs."""
    nb = copy.deepcopy(nb)
    stats = RenderStats()
    cells = []
    for cell in nb.cells:
        tags = set(cell.get("metadata", {}).get("tags", []))
        if tags & _REMOVE_TAGS:
            continue
        if cell.cell_type == "code":
            cell.outputs = [o for o in cell.get("outputs", []) if _keep(o, stats)]
            if not cell.outputs:
                continue
        elif cell.cell_type == "raw":
            continue
        cells.append(cell)
    nb.cells = cells
    return nb, stats


def _slug(text: str, used: set[str]) -> str:
    base = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-") or "section"
    slug, n = base, 2
    while slug in used:
        slug, n = f"{base}-{n}", n + 1
    used.add(slug)
    return slug


def _add_toc(body: str) -> str:
    """Give every h2/h3 an id and build the contents list from them."""
    used: set[str] = {"contents", "about-this-report", "main"}
    entries: list[tuple[int, str, str]] = []

    def repl(match: re.Match) -> str:
        level, attrs, inner = int(match.group(1)), match.group(2), match.group(3)
        text = html.unescape(_TAGS.sub("", inner)).replace("¶", "").strip()
        found = _ID.search(attrs)
        if found and found.group(1) in ("contents", "about-this-report"):
            return match.group(0)
        if found:
            ident = found.group(1)
            used.add(ident)
        else:
            ident = _slug(text, used)
            attrs = f' id="{ident}"' + attrs
        entries.append((level, ident, text))
        return f"<h{level}{attrs}>{inner}</h{level}>"

    body = _HEADING.sub(repl, body)
    parts = ["<ul>"]
    open_sub = False
    for level, ident, text in entries:
        item = f'<li><a href="#{html.escape(ident)}">{html.escape(text)}</a>'
        if level == 3 and parts[-1] != "<ul>":
            if not open_sub:
                parts[-1] = parts[-1].removesuffix("</li>")
                parts.append("<ul>")
                open_sub = True
            parts.append(item + "</li>")
        else:
            if open_sub:
                parts.append("</ul></li>")
                open_sub = False
            parts.append(item + "</li>")
    if open_sub:
        parts.append("</ul></li>")
    parts.append("<li><a href=\"#about-this-report\">About this report</a></li></ul>")
    return body.replace("<!--HITK_TOC-->", "\n".join(parts), 1)


@lru_cache(maxsize=1)
def _exporter() -> HTMLExporter:
    """One exporter per process: finding and compiling the Jinja templates is most of its cost.

    Safe to share: every call passes its own notebook and resources, and the exporter
    keeps no state between calls.
    """
    return HTMLExporter(
        template_name="hitk",
        extra_template_basedirs=[str(TEMPLATE_DIR)],
        exclude_input=True,
        exclude_input_prompt=True,
        exclude_output_prompt=True,
        exclude_anchor_links=True,
        embed_images=True,
    )


def render_notebook(
    notebook: Path | nbformat.NotebookNode,
    output: Path,
    *,
    title: str,
    evaluation: str,
    stage_title: str,
    template: str,
    run_id: str,
    run_date: str,
    toolkit_version: str,
    parameters: Iterable[tuple[str, Any]] = (),
    organisation: str = "NHS integrated care board",
    disclosure_note: str = "",
    attributions: Iterable[str] = (),
    signoff_html: str = "",
    exclusions: Iterable[str] = (),
) -> RenderStats:
    """Render ``notebook`` to ``output`` (HTML) and return what was dropped.

    ``signoff_html`` is trusted HTML built by the toolkit (already escaped); every
    other text argument is escaped by the template.
    """
    nb = nbformat.read(notebook, as_version=4) if isinstance(notebook, (str, Path)) else notebook
    nb, stats = clean_notebook(nb)
    exporter = _exporter()
    resources = {
        "hitk": {
            "css": CSS,
            "page_title": f"{title} — {stage_title}",
            "title": title,
            "evaluation": evaluation,
            "stage_title": stage_title,
            "template": template,
            "run_id": run_id,
            "run_date": fmt_datetime(run_date),
            "toolkit_version": toolkit_version,
            "parameters": [(str(k), _show(v)) for k, v in parameters],
            "organisation": organisation,
            "disclosure_note": disclosure_note,
            "attributions": list(attributions),
            "signoff_html": signoff_html,
            "exclusions": list(exclusions),
        }
    }
    body, _ = exporter.from_notebook_node(nb, resources=resources)
    body = _add_toc(body)
    if found := EXTERNAL_RESOURCE.search(body):
        raise RuntimeError(f"report would load an external resource: {found.group(0)[:120]}")
    output.write_text(body, encoding="utf-8")
    return stats


def _show(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return ", ".join(str(v) for v in value) or "(none)"
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items()) or "(none)"
    if value is None or value == "":
        return "(not set)"
    return str(value)
