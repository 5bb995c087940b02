"""Indicator breakdowns against hand-computed references (scipy's Wilson interval, Wald gap, exact SII)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.baseline import aggregate, by_dimension, by_imd, core20_summary, inequality_indices, overall, trend


def _wilson(k, n, level=0.95):
    # independent reference: scipy's binomial test result (Wilson score, no continuity correction)
    ci = stats.binomtest(int(k), int(n)).proportion_ci(confidence_level=level, method="wilson")
    return ci.low * 100, ci.high * 100


def test_overall_and_deciles_match_scipy_wilson(counts):
    cells = aggregate(counts).cells
    tot = overall(cells)
    assert tot["value"] == pytest.approx(235 / 530 * 100)
    lo, hi = _wilson(235, 530)
    assert tot["lower_ci"] == pytest.approx(lo, abs=1e-9) and tot["upper_ci"] == pytest.approx(hi, abs=1e-9)
    dec = by_imd(cells, benchmark=float(tot["value"]))
    assert list(dec["group"]) == list(range(1, 11))
    d1 = dec.iloc[0]
    assert (d1["numerator"], d1["denominator"]) == (62, 200)
    lo, hi = _wilson(62, 200)
    assert d1["lower_ci"] == pytest.approx(lo, abs=1e-9) and d1["upper_ci"] == pytest.approx(hi, abs=1e-9)
    assert d1["label"] == "Decile 1 (most deprived)" and dec.iloc[9]["label"] == "Decile 10 (least deprived)"
    # 62/200 = 31%, interval wholly below 44.3%; decile 6: 126/210 = 60%, wholly above
    assert d1["compared"] == "lower" and dec.iloc[5]["compared"] == "higher"
    assert dec.iloc[2]["compared"] == "no data" and np.isnan(dec.iloc[2]["value"])
    assert dec.attrs["unmatched"] == 20
    assert dec["share"].sum() == pytest.approx(100)
    q = by_imd(cells, quantile="quintile", level=0.998)
    lo, hi = _wilson(62 + 38, 300, 0.998)
    assert q.iloc[0]["lower_ci"] == pytest.approx(lo, abs=1e-9) and q.iloc[0]["upper_ci"] == pytest.approx(hi, abs=1e-9)


def test_core20_gap_is_the_wald_difference(counts):
    cells = aggregate(counts).cells
    s = core20_summary(cells)
    p1, n1, p2, n2 = 100 / 300, 300, 126 / 210, 210
    se = np.sqrt(p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2)
    assert s["core20"]["value"] == pytest.approx(p1 * 100) and s["rest"]["value"] == pytest.approx(p2 * 100)
    assert s["gap"]["value"] == pytest.approx((p1 - p2) * 100)
    assert s["gap"]["lower_ci"] == pytest.approx((p1 - p2 - 1.959964 * se) * 100, abs=1e-4)
    assert s["gap"]["se"] == pytest.approx(se * 100, rel=1e-6)
    assert s["core20"]["se"] == pytest.approx(np.sqrt(p1 * (1 - p1) / n1) * 100)
    assert s["ratio"]["value"] == pytest.approx(p1 / p2)
    katz = np.sqrt((1 - p1) / 100 + (1 - p2) / 126)
    assert s["ratio"]["upper_ci"] == pytest.approx(p1 / p2 * np.exp(1.959964 * katz), rel=1e-5)
    assert list(s["table"]["group"]) == ["Core20 (IMD deciles 1-2)", "Rest (deciles 3-10)"]


def test_sii_of_an_exact_gradient():
    """Equal quintile populations and values linear in the rank midpoint: SII = the end-to-end difference."""
    n = 100_000
    mids = np.array([0.1, 0.3, 0.5, 0.7, 0.9])
    p = 0.40 + 0.20 * mids                       # 42% ... 58%: SII = 20 points, RII = 0.60 / 0.40
    frame = pd.DataFrame({"group": range(1, 6), "denominator": n, "value": p * 100})
    lo, hi = zip(*(_wilson(round(x * n), n) for x in p))
    frame["lower_ci"], frame["upper_ci"] = lo, hi
    res = inequality_indices(frame, repetitions=20_000, seed=3)
    assert res["sii"] == pytest.approx(20.0, abs=1e-9)
    assert res["rii"] == pytest.approx(1.5, abs=1e-9)
    assert res["sii_lower"] < 20 < res["sii_upper"] and res["seed"] == 3 and res["note"] is None


def test_dimensions_ordered_and_compared(records):
    cells = aggregate(records).cells
    age = by_dimension(cells, "age_band", benchmark=50.0)
    assert list(age["label"]) == ["40-44", "45-49", "90+", "Not known"]
    eth = by_dimension(cells, "ethnicity")
    assert eth["label"].iloc[-1] == "Not stated" and eth["denominator"].sum() == 12
    assert eth.loc[eth["label"] == "White", "denominator"].iloc[0] == 5  # persons 1, 4, 6, 9, 10
    assert "compared" not in eth


def test_trend_has_spc_and_core20_columns(counts):
    cells = aggregate(counts).cells
    t = trend(cells)
    assert list(t["period"]) == ["2024-01", "2024-02"] and t.attrs["short"]
    assert t.loc[0, "core20_value"] == pytest.approx(50 / 150 * 100)
    assert t.loc[1, "gap"] == pytest.approx(50 / 150 * 100 - 66 / 110 * 100)
    assert t.loc[0, "centre"] == pytest.approx(t["value"].mean())
    assert set(t["variation"]) <= {"common cause", "special cause improvement", "special cause concern",
                                   "special cause neutral"}


def test_quintile_gap_by_hand(counts):
    from toolkit.baseline import quintile_gap

    cells = aggregate(pd.concat([counts, pd.DataFrame({"lsoa": ["E"], "imd_decile": [10], "period": ["2024-01"],
                                                       "numerator": [70], "denominator": [100]})])).cells
    g = quintile_gap(cells)
    # quintile 1: 100/300, quintile 5: 70/100; SEs from the Wilson 95% limits (scipy), combined
    se = [(_wilson(k, n)[1] - _wilson(k, n)[0]) / (2 * 1.959964) for k, n in ((100, 300), (70, 100))]
    assert g["value"] == pytest.approx(100 / 3 - 70)
    assert g["upper_ci"] == pytest.approx(100 / 3 - 70 + 1.959964 * np.hypot(*se), abs=1e-4)
    assert g["ratio"] == pytest.approx((100 / 300) / 0.7)
