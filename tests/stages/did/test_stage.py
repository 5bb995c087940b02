"""The DiD stage contract on the shipped sample panel: build -> record -> every section renders."""

from __future__ import annotations

import html as html_lib
import json
import re
import subprocess
import sys
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.evaluations.loader import load_evaluation
from toolkit.reporting.display import block_html
from toolkit.stages import did
from toolkit.stages.did import charts
from toolkit.stages.did.appendix import TECHNICAL_TERMS

matplotlib.use("Agg")

MAPPING = {"unit": "practice_code", "time": "month", "outcome": "outcome", "first_treated": "first_treated",
           "quintile": "imd_quintile", "weight": "list_size"}
LABEL = "new diagnoses per 1,000 a year"


class Recorder:
    """Stands in for toolkit.results.Results: keeps the names in the order recorded."""

    def __init__(self):
        self.calls: list[tuple[str, str, dict]] = []

    def record(self, name, estimate, **kw):
        self.calls.append(("record", name, {"estimate": estimate, **kw}))

    def record_design(self, name, result, **kw):
        self.calls.append(("design", name, {"result": result, **kw}))

    def record_table(self, name, table):
        self.calls.append(("table", name, {"rows": len(table)}))


EXAMPLE = REPO / "evaluations" / "example-hypertension"


@pytest.fixture(scope="module")
def analysis():
    """The shipped example's panel and charter, the charter asking for Benjamini-Hochberg adjustment."""
    raw = pd.read_csv(REPO / "data_samples" / "did_practice_panel.csv", dtype={"first_treated": str, "month": str})
    data = raw.rename(columns={v: k for k, v in MAPPING.items()})[list(MAPPING)]
    source = SimpleNamespace(columns=MAPPING)
    charter = load_evaluation(EXAMPLE).config.charter.model_copy(update={"multiplicity": "bh"})
    ctx = SimpleNamespace(evaluation=SimpleNamespace(config=SimpleNamespace(data=SimpleNamespace(
        sources={"panel": source}), charter=charter)), stage=SimpleNamespace(source="panel"),
        data=lambda: data.copy(), source_label="did_practice_panel.csv")
    return did.build(ctx, outcome_label=LABEL, placebo_shifts=[6])


def test_record_writes_the_named_results_in_the_template_order(analysis):
    rec = Recorder()
    analysis.record(rec)
    names = [n for _, n, _ in rec.calls]
    assert names[:6] == ["att", "att_by_group", "event_study", "pretrend_p", "pretrend_passed", "placebo_6"]
    assert names.index("gap_effect") < names.index("effect_quintile_1") < names.index("effects_by_quintile")
    assert names.index("att_twfe") < names.index("robust_sun_abraham") and names[-1] == "effects_by_quintile_adjusted"
    kinds = dict((n, k) for k, n, _ in rec.calls)
    assert kinds["event_study"] == "table" and kinds["pretrend_p"] == "record" and kinds["att"] == "design"
    pretrend = next(kw for _, n, kw in rec.calls if n == "pretrend_p")
    assert pretrend["extra"]["source"] == "callaway_santanna" and pretrend["sentence"] == analysis.pretrend_text
    att = next(kw for _, n, kw in rec.calls if n == "att")
    assert att["extra"] == {"estimator": "callaway_santanna", "comparison": "not_yet", "staggered": True,
                            "outcome": LABEL}


def test_every_section_renders(analysis):
    html = {key: "".join(block_html(b) for b in analysis.section(key).blocks) for key in did.SECTIONS}
    assert all(html.values())
    assert "Did it work, and did the gap narrow?" in html["summary"]
    assert "Wald =" in html["appendix"] and "random reassignments of start dates" in html["appendix"]
    assert "Comparison only" in html["twfe"] and 'alt="Regression event-study chart' in html["twfe"]
    assert "the most deprived quintile" in html["equity"] and "References:" in html["methods"]
    assert "no population group" in html["groups"]


def test_the_light_modules_do_not_load_the_estimators():
    """hitk validate imports the treatment checks; the estimators load only in build()."""
    code = ("import sys, toolkit.stages.did.choose, toolkit.stages.did.inputs, toolkit.stages.did.treatment; "
            "assert 'toolkit.designs.did' not in sys.modules and 'matplotlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)


# ---------------------------------------------------------------- issue 15: a board page without code or jargon
def _visible_text(blocks) -> str:
    """The HTML of blocks as a reader meets it: tags dropped, alt text and captions kept, entities decoded."""
    page = "".join(block_html(b) for b in blocks)
    page = re.sub(r'<img[^>]*\balt="([^"]*)"[^>]*>', r" \1 ", page)
    return html_lib.unescape(re.sub(r"<[^>]+>", " ", page))


def _jargon(text: str) -> list[str]:
    found = []
    for term in TECHNICAL_TERMS:
        flags = 0 if term.isupper() else re.I
        if re.search(r"(?<![A-Za-z])" + re.escape(term) + r"(?![A-Za-z])", text, flags):
            found.append(term)
    found += [c for c in MAPPING.values() if "_" in c and c in text]  # column names
    found += re.findall(r"\b\d{4}-\d{2}-\d{2}T\d{2}[:-]\d{2}", text)  # ISO timestamps
    found += re.findall(r"\b(?:att|gap_effect|pretrend_p|effect_quintile_\w+|placebo_\d+)\b", text)  # result names
    return found


def test_no_code_or_unexplained_method_names_above_the_technical_appendix(analysis):
    board = did.SECTIONS[:did.SECTIONS.index("appendix")]
    found = {key: _jargon(_visible_text(analysis.section(key).blocks)) for key in board}
    assert not any(found.values()), {k: v for k, v in found.items() if v}
    # the appendix names the methods and glosses them
    appendix = _visible_text(analysis.section("appendix").blocks)
    assert all(term in appendix for term in ("ATT", "Callaway", "TWFE", "Wald", "Wild cluster bootstrap", "CRV1"))


def test_the_template_labels_the_appendix_and_keeps_its_markdown_plain():
    cells = json.loads((REPO / "templates" / "did.ipynb").read_text(encoding="utf-8"))["cells"]
    text = ["".join(c["source"]) for c in cells]
    at = next(i for i, t in enumerate(text) if t.startswith("## Technical appendix"))
    assert 'analysis.section("appendix")' in text[at + 1]
    assert all(re.search(r'section\("(twfe|methods)"\)', t) is None for t in text[:at])
    above = [t for c, t in zip(cells[:at], text[:at])
             if c["cell_type"] == "markdown" and "remove-cell" not in c["metadata"].get("tags", [])]
    assert not _jargon("\n".join(above))


def test_numbers_for_people_relative_effect_units_and_caveats(analysis):
    summary = _visible_text(analysis.section("summary").blocks)
    # +1.45 per 1,000 a year on a pre-scheme mean of about 12.9 in the treated practices: about 11% more
    assert analysis.pre_mean == pytest.approx(12.9, abs=0.05)
    assert "1.45 higher" in summary and "about 11% more than the 12.9 average in these practices" in summary
    assert "p = 0.99" in summary
    keys = [c.key for c in analysis.caveats]
    assert keys == ["regression_to_mean", "covid_before", "ecological"]  # targeted (Core20); data from Apr 2021
    assert "Bear in mind: deprivation is assigned to whole practices" in summary


def test_forest_rows_have_no_duplicate_or_empty_rows(analysis):
    eq = analysis.estimates.equity.table
    rows, missing = charts.forest_rows(eq, most_deprived=(1,))
    assert missing == ["quintile 4"] and rows["estimate"].notna().all()
    assert list(rows["term"]) == ["quintile 1 (most deprived)", "quintile 2", "quintile 3", "rest",
                                  "gap (most deprived - rest)"]
    assert len(charts.forest_rows(eq, most_deprived=(1, 2))[0]) == 6  # a two-quintile group is its own row


def test_the_charter_chooses_the_subgroup_adjustment(analysis):
    m = analysis.robustness.subgroups.extra["multiplicity"]
    assert m["method"] == "bh" and "Benjamini-Hochberg" in _visible_text(analysis.section("appendix").blocks)
    tab = analysis.robustness.subgroups.table
    assert (tab.loc[tab["group"] == "gap", "adjustment"] == "exempt (primary)").all()
    assert did.stage.charter_multiplicity(SimpleNamespace(evaluation=SimpleNamespace(config=None))) == "holm"
    shipped = SimpleNamespace(evaluation=load_evaluation(EXAMPLE))
    assert did.stage.charter_multiplicity(shipped) == "holm"
