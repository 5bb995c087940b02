"""No code or unexplained jargon above the technical appendix (issue 15).

Each stage is built from its shipped example (as the template does, without papermill) and every
block of every section before ``appendix`` is read as text — sentences, facts, table captions,
headers and cells, figure captions, alt text and data tables, HTML — along with the template's
visible markdown above the appendix heading.  Metric keys, column names, CLI commands, ISO
timestamps and method names a board cannot be expected to know must not appear there; they
belong in the appendix, whose glossary explains them.
"""

from __future__ import annotations

import html
import importlib
import inspect
import json
import re

import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.evaluations.context import open_stage
from toolkit.stages import base

CASES = {"its": "example-admissions-its", "synth": "example-synth-area", "rd": "example-outreach-rd",
         "charter": "example-hypertension"}

#: method names and abbreviations that must be explained in the appendix, not used above it
TERMS = ("rdrobust", "rddensity", "MSE-optimal", "mserd", "RMSPE", "running variable", "CRV1", "Newey-West",
         "Newey and West", "Durbin-Watson", "Ljung-Box", "Breusch-Godfrey", "HAC", "GLM", "quasi-Poisson",
         "Bartlett", "Cochran", "ATT", "SDID", "TWFE", "ITS", "bias-corrected", "kernel", "hitk ")
PATTERNS = {
    "a metric key or column name (snake_case)": re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b"),
    "a role or column name in quotes": re.compile(r"'[a-z_]+'"),
    "an ISO date or timestamp": re.compile(r"\b\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2})?"),
}


def _build(name):
    ctx = open_stage(REPO / "evaluations" / CASES[name], name)
    module = importlib.import_module(f"toolkit.stages.{name}")
    allowed = inspect.signature(module.build).parameters
    return module.build(ctx, **{k: v for k, v in ctx.parameters.items() if k in allowed})


def _frame_text(frame: pd.DataFrame | None) -> list[str]:
    if frame is None:
        return []
    cells = [str(v) for col in frame.columns if not pd.api.types.is_numeric_dtype(frame[col]) for v in frame[col]]
    return [str(c) for c in frame.columns] + cells


def _texts(block) -> list[str]:
    if isinstance(block, (base.Paragraph, base.Heading, base.Callout)):
        return [block.text, block.label or ""] if isinstance(block, base.Callout) else [block.text]
    if isinstance(block, base.Bullets):
        return list(block.items)
    if isinstance(block, base.Facts):
        return [str(x) for pair in block.pairs for x in pair]
    if isinstance(block, base.SummaryBox):
        return [block.title, block.answer, *block.points]
    if isinstance(block, base.Table):
        return [block.caption, *_frame_text(block.frame)]
    if isinstance(block, base.Figure):
        return [block.caption or "", block.alt, block.data_caption or "", *_frame_text(block.data)]
    if isinstance(block, base.Html):
        return [html.unescape(re.sub(r"<style.*?</style>|<[^>]+>", " ", block.markup, flags=re.S))]
    raise AssertionError(f"unknown block {block!r}")


def _problems(text: str) -> list[str]:
    found = [f"{t!r}" for t in TERMS if re.search(rf"(?<![\w-]){re.escape(t.strip())}(?![\w-])", text)]
    found += [f"{what}: {m.group(0)!r}" for what, rx in PATTERNS.items() for m in rx.finditer(text)]
    return found


def _markdown_above_appendix(name: str) -> list[str]:
    nb = json.loads((REPO / "templates" / f"{name}.ipynb").read_text(encoding="utf-8"))
    out = []
    for cell in nb["cells"]:
        src = "".join(cell["source"])
        if cell["cell_type"] != "markdown" or "remove-cell" in cell.get("metadata", {}).get("tags", []):
            continue
        if "Technical appendix" in src:
            break
        out.append(src)
    return out


@pytest.mark.parametrize("name", sorted(CASES))
def test_no_code_or_jargon_above_the_appendix(name):
    analysis = _build(name)
    assert analysis.SECTIONS[-1] == "appendix", "the technical appendix is the last section"
    problems = []
    for key in analysis.SECTIONS[:-1]:
        sec = analysis.section(key)
        for block in sec.blocks:
            for text in _texts(block) + [sec.heading or ""]:
                problems += [f"section {key!r}: {p} in {text[:120]!r}" for p in _problems(text)]
    for text in _markdown_above_appendix(name):
        # inline code (`...`) in the template's visible markdown is code on the page
        problems += [f"template markdown: code {m!r}" for m in re.findall(r"`[^`]+`", text)]
        problems += [f"template markdown: {p}" for p in _problems(text)]
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("name", sorted(CASES))
def test_appendix_has_a_glossary(name):
    blocks = _build(name).section("appendix").blocks
    assert any(isinstance(b, base.Heading) and b.text == "Glossary" for b in blocks)
    nb = json.loads((REPO / "templates" / f"{name}.ipynb").read_text(encoding="utf-8"))
    assert any("Technical appendix" in "".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "markdown")


def test_design_limits_on_the_headline():
    """Issue 15: each design's standing threats are named on its headline, not left to a caveat elsewhere."""
    def limits(name):
        blocks = _build(name).section("headline").blocks
        return next(b.text for b in blocks if isinstance(b, base.Callout) and b.label == "Limits of this design")

    its_text, synth_text, rd_text = limits("its"), limits("synth"), limits("rd")
    for text in (its_text, synth_text):
        assert "anything else that changed" in text and "single area" in text
    assert "COVID-19" not in its_text  # the ITS example starts in April 2023
    assert "below 1 in 20" in synth_text and "COVID-19" in synth_text  # 19 donors; starts 2022 Q1
    assert "local to the threshold" in rd_text


@pytest.mark.parametrize("start, unit, inside", [("2020-03", "month", True), ("2022Q1", "quarter", True),
                                                 ("2022-04", "month", False), ("2019-12-31", "day", False),
                                                 (49, "month", False)])
def test_covid_start_is_called_out(start, unit, inside):
    from toolkit.stages.common import covid_caution

    assert (covid_caution(start, unit=unit) is not None) is inside
