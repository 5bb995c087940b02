"""The summary's verdict strip, summary.json, sign-off trail and the portfolio index (no notebooks run)."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from tests.board.conftest import small_config, small_data
from toolkit.board.changes import _flips
from toolkit.board.index import portfolio_rows
from toolkit.board.signoff import sign_off
from toolkit.board.summary import build_summary
from toolkit.evaluations.loader import load_evaluation
from toolkit.rendering.pages import render_summary


def _summary(ev, results=None, signoff=None):
    return build_summary(ev, results=results or {"estimates": []}, run_id="r1", run_started="2026-11-28T07:00:00Z",
                         reports={}, signoff=signoff, changes=None)


def test_strip_counts_match_the_goals_table_and_json_carries_every_field(small_evaluation, tmp_path):
    cfg = small_config()
    cfg["charter"]["goals"][0]["target"] = 200  # 320 checks a month are delivered
    ev = small_evaluation(cfg, small_data(checks_core20=20, core20_after=0.52))
    view = _summary(ev)
    record = view.as_record()
    statuses = [g["status"] for g in record["goals"]]
    assert record["strip"]["goals"] == {"on track": statuses.count("on track"),
                                        "not on track": statuses.count("not on track"),
                                        "cannot tell": statuses.count("cannot tell"),
                                        "no data yet": statuses.count("no data since the scheme started")}
    for g in record["goals"]:
        assert {"kind", "status", "as_of", "observed", "ci_low", "ci_high", "expected", "rule", "explanation"} <= set(g)
    assert record["explanations"][0]["explanation"] == "reach"
    assert set(record["rules"]) == {"goals", "gap", "why", "value_for_money"}
    out = tmp_path / "summary.html"
    render_summary(view, out, disclosure_note="", attributions=[])
    html = out.read_text()
    assert "as of March 2024" in html and "Delivered, but not reaching the target group" in html
    assert "Most important caveat" in html and html.count("<img") == html.count('alt="')


def test_failed_pretrend_check_is_the_main_caveat(small_evaluation):
    results = {"estimates": [
        {"key": "impact.att", "name": "att", "estimate": 1.0, "ci_low": 0.5, "ci_high": 1.5, "kind": "effect",
         "sentence": "It worked.", "extra": {"warnings": ["few clusters"]}},
        {"key": "impact.pretrend_passed", "name": "pretrend_passed", "estimate": 0, "kind": "diagnostic"},
        {"key": "impact.pretrend_p", "name": "pretrend_p", "estimate": 0.01, "p_value": 0.01, "kind": "diagnostic"},
    ]}
    assert "pre-trend check failed" in _summary(small_evaluation(), results).strip.caveat


def test_headline_states_the_impact_goals_status_beside_the_effect(small_evaluation):
    cfg = small_config()
    cfg["stages"].append({"name": "impact", "template": "did", "source": "area"})
    cfg["charter"]["goals"].append({"id": "effect", "description": "More diagnoses", "impact": {"stage": "impact"},
                                    "target": 1.0, "direction": "increase", "by": "2024-03-31"})
    cfg["data"]["sources"]["area"]["columns"]["time"] = "month"
    results = {"estimates": [{"key": "impact.att", "name": "att", "estimate": 0.8, "ci_low": 0.3, "ci_high": 1.3,
                              "se": 0.25, "kind": "effect", "sentence": "The data point to a real increase."}]}
    view = _summary(small_evaluation(cfg), results)
    effect = next(g for g in view.goals if g.goal.id == "effect")
    assert effect.status == "cannot tell" and effect.as_of == dt.date(2024, 3, 31)  # judged at the data's end
    assert "The data point to a real increase." in view.strip.effect and "cannot tell" in view.strip.effect


def test_signoff_trail_lists_every_signoff_and_what_changed(tmp_path):
    from tests.board.conftest import write_evaluation

    folder = write_evaluation(tmp_path / "ev", small_config())
    sign_off(load_evaluation(folder), by="A, SRO", now=dt.datetime(2023, 3, 1, tzinfo=dt.timezone.utc))
    cfg = small_config()
    cfg["charter"]["goals"][3]["target"] = 58
    write_evaluation(folder, cfg)
    sign_off(load_evaluation(folder), by="B, SRO", now=dt.datetime(2024, 1, 1, tzinfo=dt.timezone.utc))
    trail = _summary(load_evaluation(folder)).trail
    assert [(t.by, t.on[:10]) for t in trail] == [("A, SRO", "2023-03-01"), ("B, SRO", "2024-01-01")]
    assert [(d.field, d.before, d.after) for d in trail[1].changes] == [("charter.goals[3].target", 60, 58)]


def test_a_status_that_flips_because_the_target_changed_says_so():
    old = {"goal_statuses": {"outcome": "not on track"}, "goal_targets": {"outcome": 60.0}}
    new = {"goal_statuses": {"outcome": "on track"}, "goal_targets": {"outcome": 58.0}}
    assert _flips(old, new)["Item"].tolist() == ["Goal outcome (the target changed from 60 to 58)"]


def test_corrupt_summary_json_is_an_error_on_the_portfolio_page(small_evaluation):
    ev = small_evaluation()
    run = ev.folder / "runs" / "2026-01-01T00-00-00Z"
    run.mkdir(parents=True)
    (run / "manifest.json").write_text(json.dumps({"status": "succeeded", "started_at": "2026-01-01T00:00:00Z"}))
    (run / "summary.json").write_text("{not json")
    row = portfolio_rows([ev.folder])[0]
    assert row.verdict == "error" and "cannot be read" in row.headline
    (run / "summary.json").write_text(json.dumps(_summary(ev).as_record()))
    row = portfolio_rows([ev.folder])[0]
    assert row.verdict != "error" and row.goals == view_goals_text(ev)


def view_goals_text(ev):
    return _summary(ev).strip.goals_text


@pytest.mark.parametrize("approach,words", [("descriptive", "does not estimate"), ("difference-in-differences",
                                                                                  "No impact estimate yet")])
def test_headline_without_a_design_stage(small_evaluation, approach, words):
    cfg = small_config()
    cfg["charter"]["design"]["approach"] = approach
    assert words in _summary(small_evaluation(cfg)).strip.effect
