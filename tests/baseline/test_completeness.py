"""Completeness shares and Core20-gap bounds on tiny hand-made examples."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.baseline import aggregate, completeness_by_period, core20_gap_bounds, not_stated_by_quintile
from toolkit.baseline.completeness import gap_if_unknown_joined


def _cells(rows):
    return aggregate(pd.DataFrame(rows, columns=["lsoa", "imd_decile", "numerator", "denominator"])).cells


def test_bounds_by_hand():
    # Core20 30/100, rest 60/100, unknown 10/20.  Gap -30 points.
    # Scenarios (their own rate on one side): 40/120 - 60/100 = -26.667; 30/100 - 70/120 = -28.333.
    # Worst case: the 10 with an event in Core20 and the 10 without in the rest: 40/110 - 60/110 = -18.18;
    # the 10 without in Core20 and the 10 with in the rest: 30/110 - 70/110 = -36.36.
    cells = _cells([("a", 1, 30, 100), ("b", 7, 60, 100), ("c", None, 10, 20)])
    b = core20_gap_bounds(cells)
    assert b["gap"] == pytest.approx(-30.0)
    assert b["gap_if_core20"] == pytest.approx(-80 / 3)
    assert b["gap_if_rest"] == pytest.approx(-85 / 3)
    assert b["low"] == pytest.approx(-400 / 11) and b["high"] == pytest.approx(-200 / 11)
    assert b["unknown"] == 20 and b["unknown_pct"] == pytest.approx(20 / 220 * 100)
    assert b["unknown_value"] == pytest.approx(50.0)
    assert "worst-case" in b["method"]


def test_issue_counterexample_split_lies_inside_the_bounds_not_the_scenarios():
    """Issue 11: n1 = n2 = 100, p1 = 0.6, p2 = 0.4, 1,000 unknowns at 50%: scenarios [10.9, 10.9], a 50/50 split 3.3."""
    cells = _cells([("a", 1, 60, 100), ("b", 7, 40, 100), ("c", None, 500, 1000)])
    b = core20_gap_bounds(cells)
    assert b["gap_if_core20"] == pytest.approx(b["gap_if_rest"]) == pytest.approx(100 * (560 / 1100 - 0.4))
    half = (60 + 250) / 600 - (40 + 250) / 600
    assert half * 100 == pytest.approx(3.33, abs=0.01)
    assert b["low"] < half * 100 < b["high"]
    # extremes by hand: 500 with events + 0 without in Core20 vs 500 without in the rest, and the mirror
    assert b["high"] == pytest.approx(100 * (560 / 600 - 40 / 600))
    assert b["low"] == pytest.approx(100 * (60 / 600 - 540 / 600))


def test_bounds_equal_brute_force_over_every_placement():
    """Independent reference: every subset of 7 unknown people (3 with an event) placed in Core20."""
    from itertools import product

    from toolkit.baseline.completeness import worst_case_gap_bounds

    o1, n1, o2, n2 = 4, 9, 5, 8
    unknown = [1, 1, 1, 0, 0, 0, 0]
    gaps = []
    for where in product((0, 1), repeat=len(unknown)):
        e1 = sum(u for u, w in zip(unknown, where) if w)
        k = sum(where)
        gaps.append((o1 + e1) / (n1 + k) - (o2 + sum(unknown) - e1) / (n2 + len(unknown) - k))
    lo, hi = worst_case_gap_bounds(o1, n1, o2, n2, sum(unknown), len(unknown))
    assert lo == pytest.approx(min(gaps), abs=1e-12) and hi == pytest.approx(max(gaps), abs=1e-12)
    # and the old scenarios are strictly inside: they were never bounds
    g1, g2 = gap_if_unknown_joined(o1, n1, o2, n2, 3, 7)
    assert lo < min(g1, g2) and max(g1, g2) < hi


def test_no_unknowns_no_movement():
    b = core20_gap_bounds(_cells([("a", 2, 5, 10), ("b", 3, 6, 10)]))
    assert b["low"] == b["high"] == pytest.approx(b["gap"]) == pytest.approx(-10.0)
    assert b["unknown"] == 0


def test_completeness_by_period_by_hand(records):
    cells = aggregate(records).cells
    t = completeness_by_period(cells).set_index("period")
    # 2024-01: rows 1-6, not stated: person 2 and 5 ("" blank); no decile: none
    assert t.loc["2024-01", "people"] == 6 and t.loc["2024-01", "not_stated"] == 2
    assert t.loc["2024-01", "not_stated_pct"] == pytest.approx(100 * 2 / 6) and t.loc["2024-01", "no_imd"] == 0
    # 2024-02: persons 8 ("unknown") and 11 ("Not stated") not stated; persons 11, 12 no decile
    assert t.loc["2024-02", "not_stated"] == 2 and t.loc["2024-02", "no_imd_pct"] == pytest.approx(100 * 2 / 6)
    assert t.loc["All periods", "people"] == 12 and t.loc["All periods", "not_stated_pct"] == pytest.approx(100 / 3)


def test_not_stated_by_quintile(records):
    q = not_stated_by_quintile(aggregate(records).cells).set_index("quintile")
    # quintile 1 = deciles 1-2: persons 1-4, of whom person 2 is not stated
    assert q.loc["Quintile 1 (most deprived)", "people"] == 4
    assert q.loc["Quintile 1 (most deprived)", "not_stated_pct"] == pytest.approx(25.0)
    assert q.index[-1] == "No IMD decile" and q.loc["No IMD decile", "not_stated"] == 1
