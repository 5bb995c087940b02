"""The ITS stage glue: sample data, bad input, groups, recorded names."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.errors import ConfigError, DataError, DesignError
from toolkit.stages.its import parse_seasonality, run_its
from toolkit.results import Results

ROLES = {"month": "time", "admissions": "outcome", "population": "denominator",
         "comparison_admissions": "comparison_outcome", "comparison_population": "comparison_denominator"}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    d = pd.read_csv(REPO / "data_samples" / "its_emergency_admissions.csv")
    return d[list(ROLES)].rename(columns=ROLES)


def _grouped(seed: int = 7, effects=(0.90, 0.92, 0.94, 0.96, 0.98)) -> pd.DataFrame:
    """Monthly counts by quintile with a known level change per quintile (no slope change)."""
    rng = np.random.default_rng(seed)
    months = pd.period_range("2019-04", periods=60, freq="M").astype(str)
    rows = []
    for q, rr in enumerate(effects, start=1):
        pop = 150_000
        for t, m in enumerate(months):
            rate = 0.01 * np.exp(0.001 * t + 0.05 * np.cos(2 * np.pi * (t - 9) / 12))
            if t >= 36:
                rate *= rr
            rows.append({"time": m, "group": q, "outcome": rng.poisson(pop * rate), "denominator": pop})
    return pd.DataFrame(rows)


def test_sample_recovers_the_true_effect(sample):
    a = run_its(sample, stage="its", intervention_start="2023-04", horizons=[11, 23])
    lv = a.result.level_change
    assert lv["ci_low"] < 0.94 < lv["ci_high"]
    assert a.result.slope_change["ci_low"] < 0.995 < a.result.slope_change["ci_high"]
    assert a.controlled is not None
    assert [v.status for v in a.verdicts] == ["good"] * 5
    answer, points = a.headline()
    assert "lower" in answer and "95% CI" in answer and len(points) >= 3


def test_records_named_results(sample):
    a = run_its(sample, stage="its", intervention_start="2023-04", horizons=[11])
    res = Results(None, stage="its")
    a.record(res)
    names = {e.name for e in res}
    assert {"level_change", "slope_change", "rate_ratio_h11", "difference_h11", "cumulative_difference_h11",
            "rate_ratio_h23", "controlled_level_change", "controlled_slope_change"} <= names
    assert res["level_change"].ci_low < res["level_change"].estimate < res["level_change"].ci_high
    assert res["level_change"].sentence


def test_horizon_beyond_the_data_is_dropped_with_a_note(sample):
    a = run_its(sample, stage="its", intervention_start="2023-04", horizons=[5, 40])
    assert set(a.result.horizons["horizon"]) == {5, 23}
    assert any("40" in n and "beyond" in n for n in a.warnings)


def test_too_few_pre_periods_is_refused_naming_the_parameter(sample):
    with pytest.raises(DesignError) as exc:
        run_its(sample, stage="its", intervention_start="2019-10")
    text = str(exc.value)
    assert "stages.its.parameters.intervention_start" in text and "at least 8" in text


def test_start_outside_the_data_is_refused(sample):
    with pytest.raises(DesignError, match="outside the data"):
        run_its(sample, stage="its", intervention_start="2026-01")


def test_gap_in_the_series_is_an_error(sample):
    with pytest.raises(DataError, match="gaps"):
        run_its(sample.drop(index=[10, 11]), stage="its", intervention_start="2023-04")


def test_missing_role_names_evaluation_yaml(sample):
    with pytest.raises(ConfigError, match="outcome"):
        run_its(sample.drop(columns=["outcome"]), stage="its", intervention_start="2023-04")


def test_no_comparison_mapped_says_so(sample):
    a = run_its(sample.drop(columns=["comparison_outcome", "comparison_denominator"]), stage="its",
                intervention_start="2023-04")
    assert a.controlled is None and not a.notes


def test_groups_give_effects_by_quintile_and_a_gradient():
    data = _grouped()
    a = run_its(data, stage="its", intervention_start="2022-04", use_comparison=False)
    assert a.by_group is not None
    table = a.group_table()
    assert len(table) == 10  # level and slope change in 5 quintiles
    assert a.gradient is not None and "differed" in a.gradient.finding and "a gradient" in a.gradient.finding
    assert a.gradient.finding in a.headline()[1]
    res = Results(None)
    a.record(res)
    names = {e.name for e in res}
    assert {"level_change_1", "level_change_5", "level_change_gradient", "level_change_heterogeneity"} <= names
    # the gradient runs from 0.90 (quintile 1) to 0.98 (quintile 5): a ratio per step above 1
    assert res["level_change_gradient"].estimate > 1
    # the headline adds the groups up
    assert a.result.n_obs == 60 and any("adds the 5 groups" in n for n in a.notes)


def test_parse_seasonality():
    assert parse_seasonality("month") == "month"
    assert parse_seasonality("none") is None
    assert parse_seasonality("2") == 2
    with pytest.raises(DesignError, match="not understood"):
        parse_seasonality("weekly please")


def test_errors_name_the_users_columns(sample):
    with pytest.raises(DataError) as exc:
        run_its(sample.drop(index=[10, 11]), stage="its", intervention_start="2023-04",
                column_names={"time": "month", "outcome": "admissions"})
    assert "column 'month'" in str(exc.value) and "stages.its" in str(exc.value)


def _html(analysis) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from toolkit.reporting.display import block_html

    return "".join(block_html(b) for sec in analysis.sections() for b in sec.blocks)


def test_every_section_renders_with_and_without_groups(sample):
    html = _html(run_its(sample, stage="its", intervention_start="2023-04", horizons=[11]))
    assert "Diagnostic checks in plain English" in html and "against the comparison area" not in html
    assert "no breakdown by deprivation quintile" in html and html.count("<img") == 2
    grouped = _html(run_its(_grouped(), stage="its", intervention_start="2022-04", use_comparison=False))
    assert "Effect of the scheme in each deprivation quintile" in grouped and "no breakdown" not in grouped
    assert "No comparison area was used" in grouped
