"""The DiD stage contract on the shipped sample panel: build -> record -> every section renders."""

from __future__ import annotations

import subprocess
import sys
from types import SimpleNamespace

import matplotlib
import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.reporting.display import block_html
from toolkit.stages import did

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


@pytest.fixture(scope="module")
def analysis():
    raw = pd.read_csv(REPO / "data_samples" / "did_practice_panel.csv", dtype={"first_treated": str, "month": str})
    data = raw.rename(columns={v: k for k, v in MAPPING.items()})[list(MAPPING)]
    source = SimpleNamespace(columns=MAPPING)
    ctx = SimpleNamespace(evaluation=SimpleNamespace(config=SimpleNamespace(data=SimpleNamespace(
        sources={"panel": source}))), stage=SimpleNamespace(source="panel"), data=lambda: data.copy(),
        source_label="did_practice_panel.csv")
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
    assert "Wald =" in html["event_time"] and "random reassignments of start dates" in html["event_time"]
    assert "Comparison only" in html["twfe"] and 'alt="Regression event-study chart' in html["twfe"]
    assert "the most deprived quintile" in html["equity"] and "References:" in html["methods"]
    assert "No group column is mapped" in html["groups"]


def test_the_light_modules_do_not_load_the_estimators():
    """hitk validate imports the treatment checks; the estimators load only in build()."""
    code = ("import sys, toolkit.stages.did.choose, toolkit.stages.did.inputs, toolkit.stages.did.treatment; "
            "assert 'toolkit.designs.did' not in sys.modules and 'matplotlib' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], cwd=REPO, check=True)
