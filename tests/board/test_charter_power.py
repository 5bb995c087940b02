"""The charter's power check: the MDE of the planned DiD from the stage's baseline data, and the flag.

Expected numbers come from the closed form for independent noise (no serial correlation), not from the code
under test: with σ² per unit-period, m pre and r post periods, n_T treated and n_C comparison units,
Var(DiD) = σ² (1/m + 1/r) (1/n_T + 1/n_C) (Burlig, Preonas & Woerman 2020, eq. 8 with ψ = 0), and
MDE ≈ (t₀.₉₇₅ + t₀.₈₀) × SE with J − 2 df (Bloom 1995).  The variance model is estimated from seeded baseline
data and, since the 18 baseline periods are fewer than the 36 planned, extrapolated by toolkit.power's fitted
AR(1)-plus-noise variogram; on some draws that fit takes chance noise for a slow trend and the MDE comes out 40-50%
too large (seeds 7 and 9 of 1-11), so accuracy is checked on the median over 11 seeded baselines (within 5%).
"""

from __future__ import annotations

import copy
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from scipy import stats

from tests.conftest import REPO
from tests.helpers import example_config
from toolkit.board.charter_power import (CANNOT_DETECT, NO_POWER_CHECK, charter_power, power_frame,
                                         power_sentence, power_table)
from toolkit.board.mde import minimum_detectable_effect
from toolkit.evaluations.loader import load_evaluation

SIGMA, N_T, N_C, M, R = 2.0, 20, 20, 18, 18
MONTHS = [p.strftime("%Y-%m") for p in pd.period_range("2021-01", periods=M + R, freq="M")]


def panel(seed: int = 7) -> pd.DataFrame:
    """40 practices × 36 months of N(10, σ²) noise; the first 20 join in July 2022, half of each arm quintile 1."""
    rng = np.random.default_rng(seed)
    rows = []
    for i in range(N_T + N_C):
        for month in MONTHS:
            rows.append({"practice": f"P{i:02d}", "month": month, "y": 10 + SIGMA * rng.standard_normal(),
                         "first": MONTHS[M] if i < N_T else "", "quintile": 1 if i % 2 == 0 else 3})
    return pd.DataFrame(rows)


def config(goals: list[dict], *, template: str = "did") -> dict:
    data = copy.deepcopy(example_config())
    charter = data["charter"]
    charter["period"] = {"start": "2022-07-01", "end": "2023-12-31"}
    charter.pop("costs", None)
    charter["qualitative"] = {}
    charter["goals"] = goals
    data["data"] = {"sources": {"panel": {"path": "panel.csv", "columns": {
        "unit": "practice", "time": "month", "outcome": "y", "first_treated": "first", "quintile": "quintile"}}}}
    data["stages"] = [{"name": "charter", "template": "charter"},
                      {"name": "impact", "template": template, "source": "panel", "parameters": {}}]
    return data


def goal(target: float, *, gid: str = "effect", result: str = "att") -> dict:
    return {"id": gid, "description": "Raise the outcome", "impact": {"stage": "impact", "result": result},
            "unit": "per 1,000", "target": float(target), "direction": "increase", "by": "2023-12-31"}


def build(tmp_path: Path, goals: list[dict], *, seed: int = 7, **kw):
    folder = tmp_path / f"ev{seed}"
    folder.mkdir()
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(config(goals, **kw), sort_keys=False), encoding="utf-8")
    panel(seed).to_csv(folder / "panel.csv", index=False)
    ev = load_evaluation(folder)
    return ev.config, ev.folder


def expected_mde(var: float, df: int) -> float:
    return float((stats.t.ppf(0.975, df) + stats.t.ppf(0.8, df)) * np.sqrt(var))


DID_TRUTH = expected_mde(SIGMA ** 2 * (1 / M + 1 / R) * (1 / N_T + 1 / N_C), N_T + N_C - 2)  # ≈ 0.606
SEEDS = range(1, 12)


def test_the_mde_matches_the_closed_form_for_independent_noise(tmp_path):
    mdes = [charter_power(*build(tmp_path, [goal(1.0)], seed=s))[0].mde for s in SEEDS]
    assert np.median(mdes) == pytest.approx(DID_TRUTH, rel=0.05)


def test_the_flag_fires_when_the_forecast_is_below_the_mde_and_not_above(tmp_path):
    truth = DID_TRUTH
    checks = charter_power(*build(tmp_path, [goal(0.5 * truth, gid="small"), goal(2.5 * truth, gid="large")],
                                  seed=1))
    frame = power_frame(checks)
    assert list(frame["design"]) == ["did", "did"]
    assert list(frame["flag"]) == ["cannot detect", "can detect"]
    assert checks[0].result.n == {"treated": N_T, "control": N_C, "pre_periods": M, "post_periods": R}
    assert CANNOT_DETECT in power_sentence(checks[0]) and CANNOT_DETECT not in power_sentence(checks[1])
    assert "80% chance" in power_sentence(checks[1])
    assert list(power_table(checks)["Can the study detect the forecast?"].str[:2]) == ["no", "ye"]


def test_a_gap_goal_uses_the_triple_difference_with_each_groups_units(tmp_path):
    unit_var = SIGMA ** 2 * (1 / M + 1 / R)
    truth = expected_mde(unit_var * 2 * (1 / 10 + 1 / 10), N_T + N_C - 4)  # 10 per arm in each group
    checks = [charter_power(*build(tmp_path, [goal(0.5, gid="gap", result="gap_effect")], seed=s))[0]
              for s in SEEDS]
    assert {c.design for c in checks} == {"gap"}
    assert dict(checks[0].result.n) == {"treated_focus": 10, "control_focus": 10, "treated_rest": 10,
                                        "control_rest": 10, "pre_periods": M, "post_periods": R}
    # each group's variogram is fitted on 20 units only, and the AR(1) extrapolation errs upwards more often
    # (median +6.5% over seeds 1-11, several draws +30-50%): conservative, so the bound is one-sided beyond 10%
    assert np.median([c.mde for c in checks]) == pytest.approx(truth, rel=0.10)
    assert min(c.mde for c in checks) > 0.95 * truth
    assert all(c.cannot_detect is (0.5 < c.mde) for c in checks)


def test_a_stage_that_is_not_did_is_explained_not_guessed(tmp_path):
    checks = charter_power(*build(tmp_path, [goal(1.0)], template="rd"))
    assert power_frame(checks)["flag"].tolist() == ["not worked out"]
    assert "difference-in-differences" in power_sentence(checks[0])
    assert NO_POWER_CHECK  # the notebook's sentence when no goal can be checked


def test_measured_goals_have_no_design_power_check():
    ev = load_evaluation(REPO / "evaluations/example-hypertension")
    checks = charter_power(ev.config, ev.folder)
    assert [c.goal.id for c in checks] == ["more-diagnoses"]  # the two measured goals are not designs
    assert checks[0].design == "staggered" and checks[0].result is not None


def test_the_mde_from_a_standard_error_is_df_aware():
    # Bloom (1995) Table 1: multiplier 2.8 for large samples; with 10 df the t-based multiplier
    # t(0.975, 10) + t(0.80, 10) = 2.228 + 0.879 = 3.107 (the exact noncentral-t root is within 2%)
    assert minimum_detectable_effect(1.0) == pytest.approx(2.8016, abs=1e-4)
    assert minimum_detectable_effect(1.0, df=10) == pytest.approx(3.107, rel=0.02)
    assert minimum_detectable_effect(2.0, df=10) == pytest.approx(2 * minimum_detectable_effect(1.0, df=10))


@pytest.mark.e2e
def test_the_charter_report_says_whether_the_example_can_tell(tmp_path):
    import nbformat

    from toolkit.execution import execute

    out = tmp_path / "charter.ipynb"
    failure = execute(REPO / "templates/charter.ipynb", out,
                      parameters={"evaluation_dir": str(REPO / "evaluations/example-hypertension"),
                                  "results_path": str(tmp_path / "results.json")}, cwd=REPO / "templates")
    assert failure is None, failure
    nb = nbformat.read(out, as_version=4)
    html = "".join(o.get("data", {}).get("text/html", "") for c in nb.cells if c.cell_type == "code"
                   for o in c.get("outputs", []))
    assert "Smallest effect each goal" in html and CANNOT_DETECT in html
    assert not [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])
                if o.get("output_type") == "stream"]
    results = (tmp_path / "results.json").read_text()
    assert "goal.more-diagnoses.mde" in results


def test_an_its_rate_ratio_goal_uses_the_deseasonalised_log_rate(tmp_path):
    """Log rate = trend + month-of-year swing (±0.1) + N(0, 0.05²) noise, 48 months before and 24 after.

    Reference: the OLS closed form for the level change of y = β₀ + β₁t + β₂post + β₃(t − t₀)post with iid
    errors, MDE = (t₀.₉₇₅ + t₀.₈₀, 68 df) × 0.05 × √[(X'X)⁻¹]₂₂ = 0.0700 on the log scale.  The stage's test uses
    Newey–West SEs, which are a little too small at n = 72 (simulated size ≈ 0.11), so toolkit.power's simulated
    MDE of that test is about 11% lower (0.0626 with σ known); 20% tolerance.  Counting the seasonal swing as
    noise would give about 0.12 instead.
    """
    rng = np.random.default_rng(3)
    months = pd.period_range("2019-01", periods=72, freq="M")
    t = np.arange(72)
    log_rate = np.log(0.01) - 0.001 * t + 0.1 * np.sin(2 * np.pi * months.month / 12) + 0.05 * rng.standard_normal(72)
    data = pd.DataFrame({"month": months.strftime("%Y-%m"), "admissions": 100000 * np.exp(log_rate),
                         "population": 100000})
    cfg = config([], template="its")
    cfg["charter"]["period"] = {"start": "2023-01-01", "end": "2024-12-31"}
    cfg["charter"]["goals"] = [
        {**goal(0.80, gid="big"), "baseline": 1.0, "direction": "decrease", "by": "2024-12-31",
         "impact": {"stage": "impact", "result": "level_change"}},
        {**goal(0.99, gid="small"), "baseline": 1.0, "direction": "decrease", "by": "2024-12-31",
         "impact": {"stage": "impact", "result": "level_change"}}]
    cfg["data"] = {"sources": {"panel": {"path": "series.csv", "columns": {
        "time": "month", "outcome": "admissions", "denominator": "population"}}}}
    cfg["stages"][1]["parameters"] = {"intervention_start": "2023-01", "family": "quasipoisson",
                                      "seasonality": "month"}
    folder = tmp_path / "its"
    folder.mkdir()
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(cfg, sort_keys=False), encoding="utf-8")
    data.to_csv(folder / "series.csv", index=False)
    ev = load_evaluation(folder)
    big, small = charter_power(ev.config, ev.folder)
    assert big.design == "its" and big.scale == "ratio"
    assert dict(big.result.n) == {"pre_periods": 48, "post_periods": 24}
    assert big.mde == pytest.approx(0.0700, rel=0.20)
    assert big.shown[0] == pytest.approx(np.exp(-big.mde)) and big.shown[1] == pytest.approx(0.80)
    assert (big.cannot_detect, small.cannot_detect) == (False, True)
    assert "rate ratio of" in power_sentence(small) and CANNOT_DETECT in power_sentence(small)
