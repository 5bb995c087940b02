"""The synthetic-control stage glue: sample data, bad input, groups, recorded names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.errors import DataError, DesignError
from toolkit.stages.synth import parse_periods, run_synth
from toolkit.results import Results

ROLES = {"area_code": "unit", "area_name": "unit_name", "quarter": "time", "rate_per_1000": "outcome"}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    d = pd.read_csv(REPO / "data_samples" / "synth_areas.csv")
    return d[list(ROLES)].rename(columns=ROLES)


def test_sample_recovers_the_true_effect(sample):
    a = run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2022Q1", period_label="quarter")
    assert a.result.estimate == pytest.approx(-1.5, abs=0.25)
    assert a.result.p_value == pytest.approx(1 / 20)
    assert a.treated_label == "Our ICB" and a.time_unit == "quarter"
    assert {v.status for v in a.verdicts} == {"good"}
    answer, points = a.headline()
    assert "lower" in answer and "placebo p" in answer and any("no confidence interval" in p for p in points)


def test_records_named_results(sample):
    a = run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2022Q1")
    res = Results(None)
    a.record(res)
    assert {"att", "att_sdid", "rmspe_pre", "placebo_p", "att_leave_one_out_min",
            "att_leave_one_out_max"} <= {e.name for e in res}
    assert res["att"].p_value == pytest.approx(0.05)


def test_numeric_time_and_treated_unit_by_name(sample):
    d = pd.read_csv(REPO / "data_samples" / "synth_areas.csv")[["area_code", "period", "rate_per_1000"]]
    d.columns = ["unit", "time", "outcome"]
    a = run_synth(d, stage="synth", treated_unit="A01", treatment_start="29")
    b = run_synth(sample, stage="synth", treated_unit="Our ICB", treatment_start="2022Q1")
    assert a.result.estimate == pytest.approx(b.result.estimate)


def test_treated_unit_missing_names_the_parameter(sample):
    with pytest.raises(DataError) as exc:
        run_synth(sample, stage="synth", treated_unit="A99", treatment_start="2022Q1")
    assert "stages.synth.parameters.treated_unit" in str(exc.value) and "A99" in str(exc.value)
    assert "A01 (Our ICB)" in str(exc.value)


def test_start_outside_the_data_is_refused(sample):
    with pytest.raises(DesignError, match="outside the data"):
        run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2030Q1")


def test_too_few_pre_periods_is_refused(sample):
    with pytest.raises(DesignError, match="at least 5"):
        run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2015Q4")


def test_donor_with_missing_periods_is_excluded_with_a_warning(sample):
    d = sample[~((sample["unit"] == "A05") & sample["time"].isin(["2016Q1", "2016Q2"]))]
    a = run_synth(d, stage="synth", treated_unit="A01", treatment_start="2022Q1")
    assert any("excluded" in w and "1 donor" in w for w in a.warnings)
    assert int(a.result.extra["n_donors"]) == 18


def test_treated_unit_with_missing_periods_is_an_error(sample):
    d = sample[~((sample["unit"] == "A01") & (sample["time"] == "2016Q1"))]
    with pytest.raises(DataError, match="no outcome"):
        run_synth(d, stage="synth", treated_unit="A01", treatment_start="2022Q1")


def test_groups_give_an_effect_per_group():
    rng = np.random.default_rng(11)
    rows = []
    loadings = rng.normal(1, 0.3, 12)
    factor = np.cumsum(rng.normal(0, 0.3, 30))
    for u in range(12):
        for q, eff in ((1, -2.0), (2, -0.5)):
            level = 20 + 2 * u + 3 * q
            for t in range(30):
                y = level + loadings[u] * factor[t] + rng.normal(0, 0.1)
                if u == 0 and t >= 20:
                    y += eff
                rows.append({"unit": f"U{u:02d}", "time": t + 1, "group": q, "outcome": y})
    data = pd.DataFrame(rows)
    a = run_synth(data, stage="synth", treated_unit="U00", treatment_start="21")
    assert a.by_group is not None and len(a.by_group) == 2
    assert any("average over the groups" in n for n in a.notes)
    res = Results(None)
    a.record(res)
    assert {"att_1", "att_2"} <= {e.name for e in res}
    html = _html(a)  # every section renders, the groups one with its table
    assert "Average gap in each deprivation quintile" in html and "no breakdown" not in html
    assert html.count("<img") == 3 and "Diagnostic checks in plain English" in html


def test_parse_periods():
    s, unit = parse_periods(pd.Series(["2022Q1", "2022Q2"]))
    assert unit == "quarter" and s.iloc[1] == pd.Timestamp("2022-04-01")
    s, unit = parse_periods(pd.Series([1, 2]))
    assert unit is None


def test_donor_list_by_code_or_name(sample):
    a = run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2022Q1",
                  donors=["A04", "A09", "A15", "A02", "A03"])
    assert int(a.result.extra["n_donors"]) == 5
    assert set(a.weights_table()["Comparison area"]) <= set(sample.loc[sample["unit"].isin(
        ["A04", "A09", "A15", "A02", "A03"]), "unit_name"])
    with pytest.raises(DataError) as exc:
        run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2022Q1", donors=["A04", "Z99"])
    assert "stages.synth.parameters.donors" in str(exc.value)


def test_areas_table_shows_every_area_and_its_role(sample):
    d = sample[~((sample["unit"] == "A05") & (sample["time"] == "2016Q1"))]
    t = run_synth(d, stage="synth", treated_unit="A01", treatment_start="2022Q1").areas_table()
    assert len(t) == 20 and t["Role"].iloc[0] == "has the scheme"
    assert (t["Role"] == "not used").sum() == 1
    assert t["Weight"].sum() == pytest.approx(1.0)


def test_sdid_shown_beside_sc(sample):
    """The template's comparison: SDID with a placebo interval (sample has a true effect of -1.5), DiD for reference."""
    a = run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2022Q1")
    c = a.comparison
    assert c is not None and len(c.table) == 3
    assert c.table["estimate"].iloc[0] == pytest.approx(a.result.estimate, abs=1e-12)
    assert c.sdid.estimate == pytest.approx(-1.5, abs=0.3) and c.sdid.ci_low < -1.5 < c.sdid.ci_high
    assert len(c.sdid.placebo_estimates) == a.result.extra["n_donors"]  # every donor once
    assert "Synthetic difference-in-differences" in c.sentence and "agree" in c.sentence
    assert run_synth(sample, stage="synth", treated_unit="A01", treatment_start="2022Q1",
                     compare=False).comparison is None


def _html(analysis) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from toolkit.reporting.display import block_html

    return "".join(block_html(b) for sec in analysis.sections() for b in sec.blocks)
