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
    frame = pd.DataFrame({"group": range(1, 6), "numerator": np.round(p * n), "denominator": n, "value": p * 100})
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


def _quintile_cells(values, people):
    """Aggregated cells with one area per quintile (deciles 1, 3, 5, 7, 9)."""
    frame = pd.DataFrame({"lsoa": [f"A{q}" for q in range(len(values))],
                          "imd_decile": [2 * q + 1 for q in range(len(values))],
                          "numerator": [round(v * n) for v, n in zip(values, people)], "denominator": people})
    return aggregate(frame).cells


def test_sii_interval_at_998_reads_95_limits_whatever_the_table_level():
    """Issue 11: the table's limits at `level` were read by sii as 95% limits (1.58x too wide at 99.8%)."""
    from toolkit import indicators as ind

    cells = _quintile_cells([0.30, 0.34, 0.40, 0.43, 0.50], [400, 350, 300, 320, 380])
    kw = dict(level=0.998, seed=11, repetitions=50_000)
    got = inequality_indices(by_imd(cells, quantile="quintile", level=0.998), **kw)
    same = inequality_indices(by_imd(cells, quantile="quintile", level=0.95), **kw)
    assert got["sii_lower"] == pytest.approx(same["sii_lower"]) and got["sii_upper"] == pytest.approx(same["sii_upper"])
    # independent route: PHEindicatormethods' convention, each quintile's Wilson 95% limits (scipy) into phe_sii
    q = by_imd(cells, quantile="quintile")
    ref = pd.DataFrame({"q": q["group"], "pop": q["denominator"], "p": q["numerator"] / q["denominator"]})
    ref["lo"], ref["hi"] = zip(*((lo / 100, hi / 100) for lo, hi in (_wilson(k, n) for k, n in
                                                                      zip(q["numerator"], q["denominator"]))))
    want = ind.sii(ref, "q", "pop", "p", lower_ci="lo", upper_ci="hi", value_type="proportion", multiplier=100,
                   repetitions=50_000, seed=11, confidence=0.998).iloc[0]
    assert got["sii_lower"] == pytest.approx(want["sii_lower"], abs=1e-9)
    assert got["sii_upper"] == pytest.approx(want["sii_upper"], abs=1e-9)
    # the 99.8% interval is about z(0.999)/z(0.975) = 1.58 times the 95% one, not 1.58² = 2.5 times
    at95 = inequality_indices(q, level=0.95, seed=11, repetitions=50_000)
    ratio = (got["sii_upper"] - got["sii_lower"]) / (at95["sii_upper"] - at95["sii_lower"])
    assert ratio == pytest.approx(stats.norm.ppf(0.999) / stats.norm.ppf(0.975), rel=0.06)


def test_empty_quintile_skips_sii_with_the_users_column_named():
    """Issue 11: a small area with nobody in quintile 5 crashed with an internal column's name."""
    cells = _quintile_cells([0.30, 0.34, 0.40, 0.43], [1000, 800, 700, 500])
    q = by_imd(cells, quantile="quintile")
    assert q.loc[4, "denominator"] == 0
    res = inequality_indices(q, repetitions=2000, columns={"numerator": "bp_done", "lsoa": "lsoa11cd",
                                                          "denominator": "patients"})
    assert res["skipped"] and np.isnan(res["sii"]) and np.isnan(res["rii_upper"])
    assert "quintile 5" in res["note"] and "'lsoa11cd'" in res["note"] and "'patients'" in res["note"]
    assert "column 'denominator'" not in res["note"]
    from toolkit.stages.baseline.text import sii_sentence

    assert "could not be calculated" in sii_sentence(res)


def test_single_period_trend_is_skipped_with_a_caution(counts):
    cells = aggregate(counts[counts["period"] == "2024-01"]).cells
    t = trend(cells, columns={"period": "month"})
    assert len(t) == 1 and "centre" not in t
    assert "'month'" in t.attrs["caution"] and t.attrs["caution_code"] == "baseline.single_period"
