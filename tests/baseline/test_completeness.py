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
    # All unknown in Core20: 40/120 - 60/100 = -26.667; all in the rest: 30/100 - 70/120 = -28.333.
    cells = _cells([("a", 1, 30, 100), ("b", 7, 60, 100), ("c", None, 10, 20)])
    b = core20_gap_bounds(cells)
    assert b["gap"] == pytest.approx(-30.0)
    assert b["gap_if_core20"] == pytest.approx(-80 / 3)
    assert b["gap_if_rest"] == pytest.approx(-85 / 3)
    assert (b["low"], b["high"]) == (pytest.approx(-85 / 3), pytest.approx(-80 / 3))
    assert b["unknown"] == 20 and b["unknown_pct"] == pytest.approx(20 / 220 * 100)
    assert b["unknown_value"] == pytest.approx(50.0)


def test_every_split_lies_within_the_bounds():
    o1, n1, o2, n2, ou, nu = 30, 100, 60, 100, 19, 20
    g1, g2 = gap_if_unknown_joined(o1, n1, o2, n2, ou, nu)
    lo, hi = min(g1, g2), max(g1, g2)
    for f in np.linspace(0, 1, 101):
        g = (o1 + f * ou) / (n1 + f * nu) - (o2 + (1 - f) * ou) / (n2 + (1 - f) * nu)
        assert lo - 1e-12 <= g <= hi + 1e-12


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
