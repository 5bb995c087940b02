"""The baseline stage's contract on the shipped example: build → record → sections.

One build of ``example-hypertension`` (with a short SII simulation) is recorded and every section is
rendered to HTML: the named results the board and the charter read are there, every chart has alt text
and its data, and the sections read the same numbers as the results.
"""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("Agg")

from toolkit.reporting.display import block_html  # noqa: E402
from toolkit.results import Results  # noqa: E402
from toolkit.stages import baseline  # noqa: E402
from toolkit.stages.base import Figure, Section, SummaryBox  # noqa: E402


@pytest.fixture(scope="module")
def results(analysis):
    res = Results(None, stage="baseline")
    analysis.record(res)
    return res


def test_records_the_named_results(results):
    names = {e.name for e in results}
    for name in ("core20_value", "rest_value", "core20_gap", "core20_ratio", "overall_value", "quintile_1",
                 "decile_10", "quintile_gap", "sii", "rii", "special_cause_points", "latest_value",
                 "imd_unmatched_share", "core20_gap_bound_low", "core20_gap_bound_high", "ethnicity_not_stated_share",
                 "rows_excluded", "periods_used", "core20_gap_standardised", "gap_explained_by_age",
                 "quintile_gap_standardised", "funnel_units_below", "funnel_units_above", "sii_trend",
                 "concentration_index", "attributable_fraction", "statutory_dimensions_flagged"):
        assert name in names, name
    tables = results.as_dict()["tables"]
    for table in ("by_quintile", "by_decile", "by_ethnicity", "by_age_band", "by_sex", "trend", "completeness",
                  "cautions", "age_scope", "funnel", "sii_by_year", "statutory_breakdowns", "statutory_quality"):
        assert table in tables, table
    assert "le_gap" not in names  # no deaths source mapped


def test_sections_render_with_alt_text_and_data(analysis):
    for key in baseline.SECTIONS:
        sec = analysis.section(key)
        assert isinstance(sec, Section) and sec.blocks, key
        for block in sec.blocks:
            if isinstance(block, Figure):
                assert len(block.alt) > 40 and block.data is not None and len(block.data), key
            assert block_html(block)
    box = analysis.section("summary").blocks[0]
    assert isinstance(box, SummaryBox) and "Core20" in box.answer and len(box.points) == 4
    assert baseline.SECTIONS[-2:] == ("methods", "appendix")


def test_sections_and_results_agree(analysis, results):
    gap = results["core20_gap"]
    assert analysis.section("core20").blocks[0].text == gap.sentence
    assert analysis.fit.core20["gap"]["value"] == gap.estimate
    le = analysis.section("le_gap").blocks
    assert "No deaths data are mapped" in le[0].text


def test_unknown_section_is_refused(analysis):
    with pytest.raises(KeyError, match="its sections are summary"):
        analysis.section("nope")
