"""Board pages in plain words (issue 15): no code above the technical appendix, caveats by design, the index.

Summaries are built from the shipped example charters with synthetic results (no notebooks run), except
one test that reads every page the demo produced.
"""

from __future__ import annotations

import html as htmllib
import re
from pathlib import Path

import pytest

from toolkit.board.caveats import design_caveats, min_placebo_p
from toolkit.board.index import PortfolioRow, scheme_status, status_counts
from toolkit.board.plain import code_columns, code_found, result_label
from toolkit.board.summary import build_summary
from toolkit.evaluations.loader import load_evaluation
from toolkit.rendering.pages import render_index, render_summary

REPO = Path(__file__).resolve().parents[2]
APPENDIX = 'id="technical-appendix"'


def _example(name: str):
    return load_evaluation(REPO / "evaluations" / name)


def _visible_text(page: str) -> str:
    """The page's text (no tags, styles or attributes), unescaped."""
    page = re.sub(r"<(style|script)\b.*?</\1>", " ", page, flags=re.S)
    return htmllib.unescape(re.sub(r"<[^>]+>", " ", page))


def board_part(page: str) -> str:
    """The text of a board page above its technical appendix (the whole page when it has none)."""
    cut = page.find(APPENDIX)
    return _visible_text(page[:cut] if cut >= 0 else page)


def assert_no_code(page: str, *, keys=(), columns=()) -> None:
    found = code_found(board_part(page), keys=tuple(keys), columns=tuple(columns))
    assert not found, f"code above the technical appendix: {sorted(set(found))}"


def _est(key, estimate, lo=None, hi=None, **kw):
    stage, name = key.split(".", 1)
    return {"key": key, "stage": stage, "name": name, "estimate": estimate, "ci_low": lo, "ci_high": hi,
            "level": 0.95, "kind": kw.pop("kind", "effect"), **kw}


ITS_RESULTS = {"estimates": [
    _est("its.level_change", 0.93054, 0.9138, 0.9476, se=0.00925, se_scale="log", unit="rate ratio",
         p_value=7.1e-15, method="Segmented regression, quasi-Poisson; Newey-West HAC SEs",
         sentence="Emergency admissions were an estimated 6.9% lower than expected without the scheme.",
         extra={"scale": "ratio", "warnings": ["Residual autocorrelation: the TWFE CRV1 RMSPE check failed"]}),
    _est("its.rate_ratio_h23", 0.8352, 0.8162, 0.8546, se=0.0117, se_scale="log", unit="rate ratio"),
    _est("its.controlled_level_change", 0.912, 0.888, 0.938, unit="rate ratio"),
]}
RD_RESULTS = {"estimates": [
    _est("rd.effect", 3.12, 2.14, 3.99, unit="percentage points", p_value=0.00001,
         method="Local linear, MSE-optimal bandwidth, rdrobust", sentence="Checks rose by 3.1 points at the threshold.",
         extra={"cutoff": 6751.5, "warnings": ["The density of 'running' jumps at the cutoff (rddensity p = 0.044)"]}),
    _est("rd.density_p", 0.044, kind="test", p_value=0.044, method="rddensity"),
]}


@pytest.mark.parametrize("name, results", [("example-admissions-its", ITS_RESULTS),
                                           ("example-outreach-rd", RD_RESULTS)])
def test_summary_shows_no_code_above_the_technical_appendix(name, results, tmp_path):
    ev = _example(name)
    view = build_summary(ev, results=results, run_id="2026-11-28T04-23-32Z", run_started="2026-11-28T04:23:32Z",
                         reports={"charter": "charter.html"}, signoff=None, changes=None)
    out = tmp_path / "summary.html"
    render_summary(view, out, disclosure_note="", attributions=[])
    page = out.read_text(encoding="utf-8")
    keys = [e["key"] for e in results["estimates"]]
    assert_no_code(page, keys=keys, columns=code_columns(ev.config))
    appendix = _visible_text(page[page.find(APPENDIX):])
    assert all(k in appendix for k in keys)                       # keys live in the appendix, beside their labels
    assert "hitk signoff" in appendix and "Glossary" in appendix and "RMSPE" in appendix
    assert "28 November 2026, 04:23" in board_part(page)         # human run time
    assert "No caveat" not in page and "None reported" not in view.strip.caveat


def test_goal_table_numbers_are_for_people(tmp_path):
    ev = _example("example-admissions-its")
    view = build_summary(ev, results=ITS_RESULTS, run_id="r", run_started="2026-11-28T04:23:32Z", reports={},
                         signoff=None, changes=None)
    out = tmp_path / "summary.html"
    render_summary(view, out, disclosure_note="", attributions=[])
    text = board_part(out.read_text(encoding="utf-8"))
    assert "5% fewer by March 2025" in text and "10% fewer by March 2025" in text      # rate-ratio goals in words
    assert "6.9% fewer (range 5.2% to 8.6% fewer)" in text
    assert "no change (typed into the charter)" in text


def test_warnings_are_named_by_the_measure_not_its_key():
    ev = _example("example-admissions-its")
    results = {"estimates": [_est("impact.gap_effect", 0.3, -2.8, 3.4, extra={"warnings": ["Too few units."]})]}
    view = build_summary(ev, results=results, run_id="r", run_started="2026-11-28T04:23:32Z", reports={},
                         signoff=None, changes=None)
    assert "The effect on the gap: Too few units." in view.caveats
    assert not any("impact.gap_effect" in c for c in view.caveats)
    assert view.technical_caveats == [("impact.gap_effect", "Too few units.")]
    assert result_label("its.rate_ratio_h23") == "the outcome against its expected trend, 24 months in"


def _codes(ev, results=None, manifest=None):
    return [c.code for c in design_caveats(ev, results or {}, manifest=manifest)]


def test_caveats_by_design():
    its = _example("example-admissions-its")
    manifest = {"inputs": [{"source": "admissions", "periods": [f"{y}-{m:02d}" for y in range(2019, 2026)
                                                               for m in range(1, 13)]}]}
    assert _codes(its, ITS_RESULTS, manifest) == ["co-intervention", "single-area", "regression-to-mean", "covid"]
    assert "one comparison area" in design_caveats(its, ITS_RESULTS)[1].text
    assert "covid" not in _codes(its, ITS_RESULTS, {"inputs": [{"source": "admissions", "periods": ["2023-01"]}]})

    synth = _example("example-synth-area")
    placebo = {"estimates": [_est("synth.placebo_p", 0.05, kind="test", n=20)]}  # our area + 19 donors
    caveats = {c.code: c.text for c in design_caveats(synth, placebo)}
    assert min_placebo_p(19) == pytest.approx(0.05)
    assert "smallest p-value it can give is 0.050 (1 in 20)" in caveats["placebo-floor"]
    assert "started in January 2022, during the COVID-19 disruption" in caveats["covid"]   # start 2022Q1

    rd = _example("example-outreach-rd")
    assert _codes(rd, RD_RESULTS) == ["local-effect"]                  # a threshold design: no regression to the mean

    did = _example("example-hypertension")
    codes = _codes(did, {"estimates": [_est("impact.gap_effect", 0.3, -2.8, 3.4)]})
    assert {"ecological", "crude-gap", "regression-to-mean"} <= set(codes)
    assert "per practice, not per person" in design_caveats(did, {})[0].text


def _row(name, goals, link=True):
    return PortfolioRow(name=name, title=name.title(), scheme="A scheme.", target_group="Core20", stages="charter",
                        last_status="succeeded", last_run="2026-11-28T04:23:32Z", headline="It worked.",
                        verdict="no clear change", summary_link=f"{name}/runs/r/summary.html" if link else None,
                        goals="", status=scheme_status(goals), design="interrupted time series")


def test_index_first_screen_counts_schemes_by_status_and_links_names(tmp_path):
    rows = [_row("a", {"on track": 2}), _row("b", {"on track": 1, "not on track": 1}),
            _row("c", {"on track": 1, "cannot tell": 1}), _row("d", {}, link=False)]
    assert [r.status for r in rows] == ["on track", "not on track", "unclear", "not yet measurable"]
    assert status_counts(rows) == {"not on track": 1, "unclear": 1, "on track": 1, "not yet measurable": 1}
    out = tmp_path / "index.html"
    render_index(rows, out, organisation="NHS Example ICB", generated="2026-11-28T04:23:32Z")
    page = out.read_text(encoding="utf-8")
    text = _visible_text(page)
    assert "4 schemes: 1 not on track, 1 unclear, 1 on track, 1 not yet measurable." in text
    assert "evaluation(s)" not in text and "28 November 2026, 04:23" in text
    assert '<a href="a/runs/r/summary.html">A</a>' in page
    assert_no_code(page)


def test_demo_summaries_and_index_show_no_code(demo_runs):
    """Every summary the shipped examples produce, and the index, with real results."""
    import json

    project, outcomes = demo_runs
    for name, outcome in outcomes.items():
        ev = load_evaluation(project.evaluations_dir / name)
        results = json.loads((outcome.run_dir / "results.json").read_text(encoding="utf-8"))
        keys = [e["key"] for e in results.get("estimates", []) if e.get("key")]
        page = outcome.summary.read_text(encoding="utf-8")
        assert APPENDIX in page, name
        try:
            assert_no_code(page, keys=keys, columns=code_columns(ev.config))
        except AssertionError as exc:
            raise AssertionError(f"{name}: {exc}") from None
    assert_no_code((project.evaluations_dir / "index.html").read_text(encoding="utf-8"))


def test_goal_status_is_explained_with_units(tmp_path):
    ev = _example("example-admissions-its")
    view = build_summary(ev, results=ITS_RESULTS, run_id="r", run_started="2026-11-28T04:23:32Z", reports={},
                         signoff=None, changes=None)
    from toolkit.rendering.summary_parts import goal_sentence

    assert goal_sentence(view.goals[0], view) == (
        "The estimated effect, 6.9% fewer (range 5.2% to 8.6% fewer), is on track: its whole range is at or "
        "beyond the 5% fewer the forecast expects by March 2025.")


def test_a_headline_sentence_with_code_is_replaced_by_plain_words():
    ev = _example("example-outreach-rd")
    results = {"estimates": [_est("rd.effect", 3.12, 2.14, 3.99, sentence="The MSE-optimal ATT at 'running' = 6751.5",
                                  extra={"cutoff": 6751.5})]}
    view = build_summary(ev, results=results, run_id="r", run_started="2026-11-28T04:23:32Z", reports={},
                         signoff=None, changes=None)
    assert "MSE-optimal" not in view.headline_sentence and "3.12" in view.headline_sentence
