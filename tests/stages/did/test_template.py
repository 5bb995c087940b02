"""The DiD template end to end from its scaffold: the three treatment specifications give one answer."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from toolkit.evaluations.scaffold import new_evaluation
from toolkit.runner import run_evaluation

pytestmark = pytest.mark.e2e


def _estimates(outcome) -> dict:
    data = json.loads((outcome.run_dir / "results.json").read_text())
    return {e["name"]: e for e in data["stages"]["impact"]["estimates"]}


def test_scaffold_runs_and_records_the_headline_numbers(project):
    path = new_evaluation(project, "did", "did-first-treated")
    first = run_evaluation(project, "did-first-treated")
    manifest = json.loads((first.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert not {k: v for k, v in manifest["dropped_outputs"]["impact"].items() if k != "stderr"}
    est = _estimates(first)
    for name in ("att", "gap_effect", "pretrend_p", "placebo_6", "placebo_12", "effect_quintile_1",
                 "effect_most_deprived", "effect_rest", "att_twfe"):
        assert name in est, name
    att = est["att"]
    assert att["ci_low"] < 1.5 < att["ci_high"] and "Callaway" in att["method"]  # true ATT 1.50 (README)
    assert att["extra"]["staggered"] is True and est["att_twfe"]["extra"]["comparison_only"] is True
    # staggered adoption: the headline pre-trend test is Callaway & Sant'Anna's, with a pass/fail flag (issue 11)
    pt, passed = est["pretrend_p"], est["pretrend_passed"]
    assert pt["extra"]["source"] == "callaway_santanna" and "permutation" in pt["method"]
    assert passed["estimate"] == (1.0 if pt["p_value"] >= 0.05 else 0.0) and passed["method"] == pt["method"]
    html = first.reports["impact"].read_text(encoding="utf-8")
    assert "Did it work, and did the gap narrow?" in html and "Comparison only" in html

    # the same panel with treatment as a 0/1 column: the same headline
    text = path.read_text(encoding="utf-8").replace("        first_treated: first_treated ",
                                                    "        # first_treated: first_treated ")
    text = text.replace("        # treatment: treated   ", "        treatment: treated     ")
    assert "\n        treatment: treated" in text and "# first_treated: first_treated" in text
    other = path.parent.parent / "did-treated-column" / "evaluation.yaml"
    other.parent.mkdir()
    other.write_text(text, encoding="utf-8")
    second = _estimates(run_evaluation(project, "did-treated-column"))
    assert second["att"]["estimate"] == pytest.approx(att["estimate"], rel=1e-12)
    assert second["gap_effect"]["estimate"] == pytest.approx(est["gap_effect"]["estimate"], rel=1e-12)


def test_rate_roles_and_effects_by_group_run_end_to_end(project):
    """Issue 12: numerator/denominator instead of an outcome column, and a group column, through the template."""
    path = new_evaluation(project, "did", "did-rate-groups")
    text = path.read_text(encoding="utf-8")
    old = "        outcome: outcome "
    assert old in text
    text = text.replace(old, "        numerator: new_diagnoses\n        denominator: list_size\n        group: imd_quintile\n"
                             "        # outcome: outcome ")
    text = text.replace("        quintile: imd_quintile ", "        # quintile: imd_quintile ")  # now the group
    text = text.replace("      level: 0.95 ", "      outcome_per: 12000\n      level: 0.95 ")
    text = text.replace("        weight: list_size ", "        # weight: list_size ")  # the denominator weights
    path.write_text(text, encoding="utf-8")
    outcome = run_evaluation(project, "did-rate-groups")
    est = _estimates(outcome)
    # data_samples/README.md: outcome = new_diagnoses / list_size x 12,000 (rounded to 3 decimals); true ATT 1.50
    assert est["att"]["ci_low"] < 1.5 < est["att"]["ci_high"]
    groups = [n for n in est if n.startswith("effect_group_")]
    assert groups and all(est[n]["extra"]["group_column"] == "imd_quintile" for n in groups)
    html = outcome.reports["impact"].read_text(encoding="utf-8")
    assert "Effects by group" in html and "new_diagnoses per 12,000 list_size" in html
