"""The baseline's deeper measures: known-truth cells for the age standardisation, the charter's
age scope, the financial-year trend, the statutory table, and the example evaluation end to end
through the DuckDB unit aggregation."""

from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from toolkit.stages.baseline import measure_text as mt
from toolkit.baseline import measures as ms
from toolkit.baseline.statutory import statutory_breakdowns

ROOT = Path(__file__).resolve().parents[2]
BANDS = ["20-24", "40-44", "60-64", "80-84"]
RATE = {"20-24": 0.3, "40-44": 0.5, "60-64": 0.7, "80-84": 0.8}


def _cells(mix_core, mix_rest, extra_rest=0.0):
    """Core20 (decile 1) and the rest (decile 6) with the same age-specific rates but different age mixes."""
    rows = []
    for decile, mix, add in ((1, mix_core, 0.0), (6, mix_rest, extra_rest)):
        for band, n in zip(BANDS, mix):
            rows.append({"imd_decile": decile, "imd_quintile": (decile + 1) // 2, "core20": decile <= 2,
                         "age_band": band, "period": "2023-05", "sex": "Female", "ethnicity": "White",
                         "denominator": float(n), "numerator": float(round(n * (RATE[band] + add)))})
    return pd.DataFrame(rows)


def test_age_mix_alone_is_explained_fully_by_standardisation():
    # younger Core20, older rest, identical age-specific rates: the crude gap is all age structure
    res = ms.standardised_comparison(_cells([4000, 3000, 2000, 1000], [1000, 2000, 3000, 4000]))
    g = res["core20_gap"]
    assert g["crude"] < -10
    assert g["standardised"] == pytest.approx(0.0, abs=1e-9)
    assert g["explained_by_age"] == pytest.approx(100.0)
    assert "explains 100%" in mt.standardised_sentence(res, indicator="recording")


def test_same_age_mix_leaves_gap_unchanged():
    res = ms.standardised_comparison(_cells([2500] * 4, [2500] * 4, extra_rest=0.05))
    g = res["core20_gap"]
    assert g["crude"] == pytest.approx(-5.0, abs=1e-9)
    assert g["standardised"] == pytest.approx(-5.0, abs=1e-9)
    assert g["explained_by_age"] == pytest.approx(0.0, abs=1e-9)
    table = res["table"].set_index("group")
    assert {"IMD quintile 1", "IMD quintile 3", "Core20 (IMD deciles 1-2)", "Rest (deciles 3-10)"} <= set(table.index)


def test_age_scope_reads_the_charter():
    cells = pd.DataFrame({"age_band": ["15-19", "20-24", "90+", "Not known"], "denominator": [10.0, 20, 5, 2]})
    charter = SimpleNamespace(scope=SimpleNamespace(in_scope=["Adults aged 18 and over registered"]),
                              target_group=SimpleNamespace(description="adults"))
    res = ms.age_scope(cells, charter).set_index("age_band")
    assert res.attrs["scope"][0] == 18
    assert res.loc["15-19", "status"] == "partly outside" and "15-17" in res.loc["15-19", "note"]
    assert res.loc["20-24", "status"] == "in scope" and res.loc["90+", "status"] == "in scope"
    assert res.loc["Not known", "status"] == "not known"
    ranged = SimpleNamespace(scope=SimpleNamespace(in_scope=["People aged 40 to 74"]), target_group=None)
    res2 = ms.age_scope(cells, ranged).set_index("age_band")
    assert res2.loc["15-19", "status"] == "outside" and res2.loc["90+", "status"] == "outside"
    none = ms.age_scope(cells, SimpleNamespace(scope=SimpleNamespace(in_scope=["Everyone"]), target_group=None))
    assert none.attrs["scope"] is None and "names no age range" in mt.age_scope_sentence(none)


def test_financial_year():
    s = pd.Series(["2023-03", "2023-04", "2024-03", "2024-12", "Q1"])
    assert ms.financial_year(s).tolist() == ["2022/23", "2023/24", "2023/24", "2024/25", "Q1"]


def test_statutory_flags():
    cells = _cells([2500] * 4, [2500] * 4)
    cells.loc[0, "ethnicity"] = "Not stated"  # 2,500 of 20,000 people: 12.5% not stated
    charter = SimpleNamespace(scope=SimpleNamespace(in_scope=["Adults aged 18 and over"]),
                              target_group=SimpleNamespace(description="x", plus_groups=["Gypsy and Traveller"],
                                                           clinical_areas=["hypertension"]))
    res = statutory_breakdowns(cells, charter=charter, indicator="recording")
    q = res["quality"].set_index("dimension")
    assert q.loc["Ethnic group", "flag"] == "check" and "12.5%" in q.loc["Ethnic group", "note"]
    assert q.loc["IMD quintile", "flag"] == "ok" and q.loc["Sex", "flag"] == "ok"
    assert q.loc["PLUS group", "flag"] == "not mapped" and "Gypsy and Traveller" in q.loc["PLUS group", "note"]
    assert "hypertension" in q.loc["Core20PLUS5 clinical area", "note"]
    t = res["table"]
    assert set(t["dimension"]) == {"IMD quintile", "Ethnic group", "Age band", "Sex"}
    sex = t[t["dimension"] == "Sex"].iloc[0]
    assert sex["denominator"] == cells["denominator"].sum()


@pytest.fixture(scope="module")
def example():
    from toolkit import baseline as bl
    from toolkit.evaluations.context import open_stage

    ctx = open_stage(ROOT / "evaluations" / "example-hypertension", "baseline")
    return ctx, bl.aggregate_source(ctx)[1]


def test_example_evaluation_measures(example):
    ctx, agg = example
    units, label, left_out = ms.funnel_units(ctx)
    assert label == "neighbourhoods" and left_out > 0
    assert units["unit"].str.startswith("E01").all()
    matched = agg.cells[agg.cells["imd_decile"].notna()]
    assert units["numerator"].sum() == matched["numerator"].sum()
    assert units["denominator"].sum() == matched["denominator"].sum()
    fun = ms.unit_funnel(units, unit="unit")
    assert fun["baseline"].iloc[0] == pytest.approx(matched["numerator"].sum() / matched["denominator"].sum() * 100)
    assert "neighbourhoods" in mt.funnel_sentence(fun)
    tr = ms.gap_trend(agg.cells, repetitions=10_000, seed=1)
    assert tr["period"].tolist() == ["2021/22", "2022/23", "2023/24"]
    assert np.isfinite(tr.attrs["trend"]["slope"]) and "percentage points a year" in mt.sii_trend_sentence(tr)
    summ = ms.summary_measures(agg.cells)
    assert summ["concentration"]["value"] > 0  # recording higher in less deprived areas
    assert summ["paf"]["value"] < 0 and summ["paf"]["reference"] == 5
    assert "more people" in mt.paf_sentence(summ["paf"])


def test_summary_measures_say_why_when_impossible():
    cells = _cells([2500] * 4, [2500] * 4)
    cells.loc[cells["imd_decile"] == 6, "numerator"] = 0.0  # no events in the least deprived quintile present
    res = ms.summary_measures(cells)
    assert res["paf"] is None and "no events" in res["paf_note"]
    assert res["concentration"] is not None
