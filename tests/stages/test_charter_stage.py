"""The charter stage: every section renders, empty parts say so, goal forecasts are recorded."""

from __future__ import annotations

import matplotlib
import pytest

from tests.conftest import REPO
from toolkit.evaluations.loader import load_evaluation
from toolkit.reporting.display import block_html
from toolkit.results import Results
from toolkit.stages import charter as stage
from toolkit.stages.base import Callout, Paragraph

matplotlib.use("Agg")


@pytest.fixture(scope="module")
def charter():
    return load_evaluation(REPO / "evaluations" / "example-admissions-its").config.charter


def test_every_section_renders(charter):
    analysis = stage.CharterAnalysis(charter=charter, checks=[])
    html = "".join(block_html(b) for sec in analysis.sections() for b in sec.blocks)
    assert "The scheme in brief" in html and charter.problem[:40] in html
    assert "Data sources the evaluation will use" in html
    # the logic model is text (an ordered list of stages), not an image
    assert 'class="logic-model"' in html and "<img" not in html
    # no power check: the fixed sentence instead of a table
    assert analysis.section("power").blocks == (Paragraph(stage.charter_power.NO_POWER_CHECK),)


def test_empty_parts_are_called_out(charter):
    bare = charter.model_copy(update={"risks": []})
    analysis = stage.CharterAnalysis(charter=bare, checks=[])
    (block,) = analysis.section("risks").blocks
    assert isinstance(block, Callout) and block.kind == "warning" and "No risks" in block.text


def test_records_each_goal_forecast(charter):
    res = Results(None, stage="charter")
    stage.CharterAnalysis(charter=charter, checks=[]).record(res)
    names = [e.name for e in res]
    assert names == [f"goal.{g.id}.target" for g in charter.goals]
    first = res[names[0]]
    assert first.kind == "forecast" and first.sentence.startswith("Forecast: ")


def test_logic_model_is_escaped_text_in_causal_order():
    markup = stage.logic_model_html([("Inputs", ["£2m <a> & more"]), ("Activities", []), ("Impact", ["Fewer"])])
    assert "&lt;a&gt; &amp; more" in markup and "<a>" not in markup
    assert markup.index("Inputs") < markup.index("Activities") < markup.index("Impact")
    assert "Step 1 of 3:" in markup and "None stated" in markup
