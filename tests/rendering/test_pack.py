"""toolkit.rendering.pack without a browser: how the run's pages are combined into the pack.

Runs here are small hand-written folders shaped like the runner's output (manifest.json,
summary.html and stage reports with the same skeleton as the real templates).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from toolkit.errors import InputError
from toolkit.rendering import pack

PAGE = """<!DOCTYPE html><html lang="en-GB"><head><title>t</title></head><body>
<header class="report-header"><p class="report-org">NHS Test ICB</p><h1>Test scheme</h1>
<dl class="report-meta"><div><dt>Evaluation</dt><dd>test-eval</dd></div><div><dt>Report</dt><dd>{report}</dd></div></dl>
<p class="signoff">Charter signed off on 2026-03-01 by A. Smith, SRO.</p></header>
<nav class="toc"><h2 id="contents">Contents</h2></nav>
<main id="main">{main}</main></body></html>"""
CELL = '<div class="jp-Cell jp-MarkdownCell jp-Notebook-cell">{}</div>'
ABOUT = '<section aria-labelledby="about-this-report" class="about"><h2 id="about-this-report">About this report</h2><p>Run folder 2026-11-28T04-23-32Z.</p></section>'


def _run(tmp_path: Path, *, status: str = "succeeded", summary_main: str | None = None) -> Path:
    run = tmp_path / "evaluations" / "test-eval" / "runs" / "2026-11-28T04-23-32Z"
    run.mkdir(parents=True)
    (run.parent.parent / "evaluation.yaml").write_text("charter: {}\n")
    (run / "manifest.json").write_text(json.dumps({
        "evaluation": "test-eval", "status": status, "started_at": "2026-11-28T04:23:32Z",
        "reports": {"impact": "impact.html"}, "summary": "summary.html"}))
    summary_main = summary_main or (
        '<section class="summary-box" aria-labelledby="headline"><h2 id="headline">The answer in brief</h2>'
        '<p class="answer">It worked.</p></section><h2 id="goals">Goals</h2><p>See <a href="impact.html">the impact '
        'report</a> and <a href="impact.html#methods">its methods</a>.</p>'
        '<h2 id="reports">Stage reports</h2><ul><li><a href="impact.html">Impact</a></li></ul>' + ABOUT)
    (run / "summary.html").write_text(PAGE.format(report="Evaluation summary", main=summary_main))
    impact = (CELL.format('<h2 id="effect">The estimated effect</h2><p>Plain words.</p>')
              + CELL.format('<details><summary>Data for this chart</summary><table></table></details>')
              + CELL.format('<h2 id="methods">Methods</h2><p>CRV1 standard errors.</p><h3 id="m2">Detail</h3>')
              + ABOUT)
    (run / "impact.html").write_text(PAGE.format(report="Difference-in-differences", main=impact))
    return run


def test_stage_split_at_methods(tmp_path):
    run = _run(tmp_path)
    plain, technical = pack.split_stage((run / "impact.html").read_text())
    assert "Plain words" in plain and "Methods" not in plain and "About this report" not in plain
    assert "CRV1" in technical and "About this report" in technical


def test_technical_sections_move_but_the_conclusion_stays(tmp_path):
    page = PAGE.format(report="DiD", main=CELL.format("<h2>Effect</h2>") + CELL.format("<h2>For comparison: TWFE</h2>")
                       + CELL.format("<p>twfe table</p>") + CELL.format("<h2>Conclusion</h2><p>It worked.</p>")
                       + CELL.format("<h2>Methods</h2>"))
    plain, technical = pack.split_stage(page)
    assert "Effect" in plain and "Conclusion" in plain and "twfe table" not in plain
    assert technical.index("For comparison") < technical.index("twfe table") < technical.index("Methods")


def test_a_heading_alone_in_a_cell_stays_with_the_next_cell():
    page = PAGE.format(report="S", main=CELL.format("<h2>Chart</h2>") + CELL.format("<figure>c</figure>")
                       + CELL.format("<h2>Text</h2><p>" + "words " * 120 + "</p>") + CELL.format("<p>more</p>"))
    plain, _ = pack.split_stage(page)
    assert plain.count('class="pack-keep"') == 1
    kept = plain[plain.index('class="pack-keep"'):]
    assert kept.index("Chart") < kept.index("<figure>c</figure>") < kept.index("Text")


def test_stage_without_methods_keeps_everything_but_about(tmp_path):
    page = PAGE.format(report="Charter", main=CELL.format("<h2>Goals</h2><p>x</p>") + ABOUT)
    plain, technical = pack.split_stage(page)
    assert "Goals" in plain and "About this report" in technical and "About this report" not in plain


def test_pack_document_order_cover_footer_and_ids(tmp_path):
    doc = pack.pack_html(_run(tmp_path))
    doc = doc.replace("\u200b", "")  # zero-width spaces keep bookmark titles' spaces (tested in the browser)
    order = [doc.index(s) for s in ('id="pack-title"', 'It worked.', 'id="summary-title"', 'id="stage-impact-title"',
                                     'Plain words', 'id="appendix-title"', 'CRV1')]
    assert order == sorted(order)
    assert doc.count("It worked.") == 1  # on the cover, not repeated on the summary's first page
    assert "28 November 2026, 04:23" in doc and "2026-11-28T04:23:32Z" not in doc
    assert "Charter signed off on 2026-03-01 by A. Smith, SRO" in doc
    assert 'counter(page)' in doc and 'counter(pages)' in doc
    # ids are unique across parts and links point inside the pack
    assert doc.count('id="stage-impact-appendix-about-this-report"') == 1
    assert doc.count('id="summary-appendix-about-this-report"') == 1
    assert 'href="#stage-impact"' in doc and 'href="#stage-impact-methods"' in doc and 'href="impact.html' not in doc
    # chart data tables stay folded (and so unprinted) in the plain-English part; the cover says where they are
    assert "<details>" in doc and "<details open>" not in doc and "data behind each chart" in doc
    # the summary's list of links to the stage pages is not repeated: the pack holds the pages
    assert "Stage reports" not in doc
    # appendix headings are one level down so the bookmarks nest under "Technical appendices"
    assert '<h3 id="stage-impact-appendix-methods">' in doc and '<h4 id="stage-impact-appendix-m2">' in doc


def test_cover_takes_the_answer_box_with_its_verdict_strip(tmp_path):
    main = ('<section class="summary-box"><h2 id="headline">The answer in brief</h2>'
            '<dl class="facts verdict-strip"><dt>Did it work?</dt><dd>Yes.</dd></dl><p>The scheme: x.</p></section>'
            '<h2 id="goals">Goals</h2>' + ABOUT)
    doc = pack.pack_html(_run(tmp_path, summary_main=main))
    cover = doc[doc.index('class="pack-cover"'):doc.index('class="pack-part"')]
    assert "Did it work?" in cover and "The scheme: x." in cover and doc.count("Did it work?") == 1


def test_cover_adds_a_verdict_strip_outside_the_box(tmp_path):
    main = ('<section class="verdict-strip" aria-label="Verdict"><p>On track; gap narrowed.</p>'
            '<section class="inner"><p>nested</p></section></section>'
            '<p>Between.</p><section class="summary-box"><h2>The answer in brief</h2><p>It worked.</p></section>' + ABOUT)
    doc = pack.pack_html(_run(tmp_path, summary_main=main))
    cover = doc[doc.index('class="pack-cover"'):doc.index('class="pack-part"')]
    assert cover.index("On track; gap narrowed.") < cover.index("nested") < cover.index("It worked.")
    assert doc.count("On track; gap narrowed.") == 1 and doc.count("It worked.") == 1 and "Between." not in cover


def test_failed_run_is_refused(tmp_path):
    with pytest.raises(pack.PackError, match="did not succeed"):
        pack.pack_html(_run(tmp_path, status="failed"))


def test_missing_report_is_named(tmp_path):
    run = _run(tmp_path)
    (run / "impact.html").unlink()
    with pytest.raises(pack.PackError, match="impact.html is missing"):
        pack.build_pack(run)


def test_chromium_failure_leaves_the_run_untouched(tmp_path):
    run = _run(tmp_path)
    before = sorted(p.name for p in run.iterdir())
    fake = tmp_path / "fake-chromium"
    fake.write_text("#!/bin/sh\necho 'cannot print' >&2\nexit 3\n")
    fake.chmod(0o755)
    with pytest.raises(pack.PackError, match=r"did not produce the board pack.*exit 3.*unchanged"):
        pack.build_pack(run, chromium=str(fake))
    assert sorted(p.name for p in run.iterdir()) == before


def test_latest_run(tmp_path):
    run = _run(tmp_path)
    ev = run.parent.parent
    assert pack.latest_run(ev) == run  # no LATEST file: newest successful run
    (ev / "runs" / "LATEST").write_text(run.name + "\n")
    assert pack.latest_run(ev) == run
    with pytest.raises(InputError):
        pack.latest_run(tmp_path / "nowhere")
    (tmp_path / "empty").mkdir()
    (tmp_path / "empty" / "evaluation.yaml").write_text("x: 1\n")
    with pytest.raises(pack.PackError, match="no successful run"):
        pack.latest_run(tmp_path / "empty")


def test_run_with_pack_option_prints_the_pack(tmp_path, monkeypatch, capsys):
    """`hitk run NAME --pack` runs, then packs that run (the run and the pack are stubbed here)."""
    import toolkit.runner
    from toolkit.cli import main
    from toolkit.runner import RunOutcome

    run = _run(tmp_path)
    calls = []
    monkeypatch.setattr(toolkit.runner, "run_evaluation",
                        lambda project, name, **kw: RunOutcome(run, {"impact": run / "impact.html"}, run / "summary.html"))
    monkeypatch.setattr(pack, "build_pack", lambda run_dir: calls.append(run_dir) or run_dir / pack.PACK_NAME)
    monkeypatch.setattr("toolkit.cli._project", lambda args: None)
    assert main(["run", "test-eval", "--pack"]) == 0
    assert calls == [run] and f"board pack: {run / pack.PACK_NAME}" in capsys.readouterr().out
    calls.clear()
    assert main(["run", "test-eval"]) == 0 and calls == []
