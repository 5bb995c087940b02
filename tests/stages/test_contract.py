"""Every template is the same short sequence of calls into its ``toolkit.stages`` module (issue 14).

Checks, per template: its stage module exposes ``build`` whose keyword options are exactly the template's
parameters; the analysis class lists ``SECTIONS`` and the template shows each exactly once; the template has
at most 60 code lines, never calls ``results.record``, never filters warnings and builds no sentences.
"""

from __future__ import annotations

import ast
import importlib
import inspect
import json
import re
from pathlib import Path

import pytest

from toolkit.stages import STAGE_TEMPLATES
from toolkit.stages.base import Section, StageAnalysis

ROOT = Path(__file__).resolve().parents[2]
CONTEXT_PARAMS = {"evaluation_dir", "stage", "results_path"}


def _cells(name: str):
    nb = json.loads((ROOT / "templates" / f"{name}.ipynb").read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def _code_lines(cells) -> list[str]:
    lines = []
    for c in cells:
        for line in "".join(c["source"]).splitlines():
            if line.strip() and not line.strip().startswith("#"):
                lines.append(line)
    return lines


def _parameters(name: str) -> set[str]:
    cell = next(c for c in _cells(name) if "parameters" in c.get("metadata", {}).get("tags", []))
    tree = ast.parse("".join(cell["source"]))
    names = set()
    for node in tree.body:
        if isinstance(node, ast.AnnAssign):
            names.add(node.target.id)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
    return names - CONTEXT_PARAMS


@pytest.mark.parametrize("name", STAGE_TEMPLATES)
def test_build_takes_exactly_the_template_parameters(name):
    module = importlib.import_module(f"toolkit.stages.{name}")
    sig = inspect.signature(module.build)
    params = list(sig.parameters.values())
    assert params[0].name == "ctx"
    options = {p.name for p in params[1:]}
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in params[1:])
    assert options == _parameters(name)


@pytest.mark.parametrize("name", STAGE_TEMPLATES)
def test_template_is_a_short_sequence_of_calls(name):
    body = [c for c in _cells(name) if "parameters" not in c.get("metadata", {}).get("tags", [])]
    lines = _code_lines(body)
    code = "\n".join(lines)
    assert len(lines) <= 60, f"{name}.ipynb has {len(lines)} code lines (at most 60)"
    assert "results.record" not in code and ".record_" not in code
    assert "warnings" not in code
    assert not re.search(r"\bf[\"']", code), "templates build no sentences (f-strings belong in toolkit.stages)"
    assert not re.search(r"^\s*(for|while|def|class)\b", code, re.M), "templates hold no loops or definitions"


@pytest.mark.parametrize("name", STAGE_TEMPLATES)
def test_template_shows_every_section_once(name):
    module = importlib.import_module(f"toolkit.stages.{name}")
    analyses = [obj for obj in vars(module).values()
                if inspect.isclass(obj) and issubclass(obj, StageAnalysis) and obj is not StageAnalysis]
    assert analyses, f"toolkit.stages.{name} defines no StageAnalysis"
    keys = analyses[0].SECTIONS
    assert keys and list(keys) == list(module.SECTIONS)
    code = "\n".join(_code_lines(_cells(name)))
    shown = re.findall(r"\.section\(\s*[\"']([a-z_0-9]+)[\"']\s*\)", code)
    assert sorted(shown) == sorted(keys), f"{name}.ipynb shows {shown}, module defines {list(keys)}"


def test_section_drops_missing_blocks_and_rejects_unknown_keys():
    from toolkit.stages import base as b

    class Demo(StageAnalysis):
        SECTIONS = ("one",)

        def record(self, results):
            pass

        def _section_one(self):
            return [b.Paragraph("Hello."), None]

    sec = Demo().section("one")
    assert isinstance(sec, Section) and sec.blocks == (b.Paragraph("Hello."),)
    with pytest.raises(KeyError, match="its sections are one"):
        Demo().section("two")


def test_display_renders_every_block_kind():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from toolkit.reporting.display import block_html
    from toolkit.stages import base as b

    def draw():
        fig, ax = plt.subplots()
        ax.plot([1, 2], [3, 4])
        return fig

    frame = pd.DataFrame({"Group": ["A"], "Value": [1.23456]})
    html = "".join(block_html(x) for x in [
        b.Paragraph("A & B"), b.Heading("Title"), b.Bullets(("x", "y")), b.Facts((("Rows", 3),)),
        b.Callout("Careful", kind="warning"), b.SummaryBox("Q?", "A.", ("p",)),
        b.Table(frame, "Caption", decimals=1), b.Figure(draw, alt="A line rising from 3 to 4", data=frame),
        b.Html("<div>x</div>"),
    ])
    assert "A &amp; B" in html and "<h3>Title</h3>" in html and "1.2<" in html
    assert 'alt="A line rising from 3 to 4"' in html and "<div>x</div>" in html
    with pytest.raises(TypeError):
        block_html(object())
