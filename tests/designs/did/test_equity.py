from toolkit.reporting.interpret import interpret
"""equity(): effects by deprivation quintile and the triple-difference gap."""

import numpy as np
import pytest

from toolkit.designs.did import equity, twfe
from toolkit.errors import DesignError

from .simdata import panel

QEFF = (3.0, 1.0, 1.0, 1.0, 1.0)  # true effect by quintile: 3 in the most deprived, 1 elsewhere


@pytest.fixture(scope="module")
def common_timing():
    # Simulation with known effects by quintile; quintile 1 also has its own trend (+0.2/period)
    # and, by construction, a lower baseline (shifted below), so a larger effect there narrows the gap.
    df = panel(n_units=1000, seed=81, cohorts=(0, 5), effect=1.0, quintile_effects=QEFF)
    df.loc[df.q == 1, "y"] -= 5.0
    return df


def test_quintile_effects_and_gap_recover_truth(common_timing):
    r = equity(common_timing, "y", "unit", "time", "q", treatment="d")
    tab = r.table.set_index("term")
    for q, eff in enumerate(QEFF, start=1):
        row = tab.loc[f"quintile {q}"]
        assert abs(row.estimate - eff) < 4 * row.se
    assert abs(r.estimate - 2.0) < 4 * r.se
    assert r.name == "gap_effect" and r.baseline_gap < -4
    assert r.gap_narrowed is True
    assert "narrowed" in interpret(r)


def test_gap_equals_difference_of_separate_fits(common_timing):
    # Reference: with period effects by group, the triple difference is exactly the difference
    # of the two groups' separate TWFE estimates (block-separable least squares).
    df = common_timing
    r = equity(df, "y", "unit", "time", "q", treatment="d")
    a = twfe(df[df.q == 1], "y", "unit", "time", "d")
    b = twfe(df[df.q != 1], "y", "unit", "time", "d")
    assert r.estimate == pytest.approx(a.estimate - b.estimate, abs=1e-10)
    tab = r.table.set_index("group")
    assert tab.loc["most_deprived", "estimate"] == pytest.approx(a.estimate, abs=1e-10)
    # SE from the joint CRV1 fit is close to the independent-samples combination
    assert r.se == pytest.approx(np.hypot(a.se, b.se), rel=0.02)


def test_staggered_path_and_two_quintile_group():
    # Simulation: staggered adoption with known quintile effects; C&S within groups.
    df = panel(n_units=1200, seed=82, cohorts=(0, 4, 6), effect=1.0, quintile_effects=QEFF)
    r = equity(df, "y", "unit", "time", "q", first_treated="first_treated")
    assert abs(r.estimate - 2.0) < 4 * r.se
    tab = r.table.set_index("group")
    assert tab.loc["gap", "se"] == pytest.approx(
        np.hypot(tab.loc["most_deprived", "se"], tab.loc["rest", "se"]), rel=1e-12)
    r2 = equity(df, "y", "unit", "time", "q", first_treated="first_treated", most_deprived=(1, 2))
    assert "quintiles 1, 2" in r2.table.term.iloc[5]
    # true gap for (1,2) vs rest: (3+1)/2 - 1 = 1 (equal-sized quintiles in expectation)
    assert abs(r2.estimate - 1.0) < 4 * r2.se


def test_unclear_gap_is_said_plainly():
    df = panel(n_units=200, seed=83, cohorts=(0, 5), effect=1.0)
    r = equity(df, "y", "unit", "time", "q", treatment="d")
    if not r.significant:
        assert r.gap_narrowed is None
        assert "cannot tell" in interpret(r)


def test_bad_inputs():
    df = panel(n_units=100, seed=84)
    with pytest.raises(DesignError):
        equity(df, "y", "unit", "time", "q")
    with pytest.raises(DesignError, match="most deprived group and in the rest"):
        equity(df, "y", "unit", "time", "q", treatment="d", most_deprived=(9,))
    bad = df.copy()
    bad.loc[0, "q"] = 5 if bad.loc[0, "q"] != 5 else 4
    with pytest.raises(Exception, match="same on every row"):
        equity(bad, "y", "unit", "time", "q", treatment="d")
    miss = df.copy()
    miss.loc[miss.unit == 1, "q"] = np.nan
    r = equity(miss, "y", "unit", "time", "q", treatment="d")
    assert any("no deprivation quintile" in w for w in r.warnings)


@pytest.mark.parametrize("control", ["never", "not_yet"])
def test_quintile_with_one_treated_and_one_comparison_unit_is_not_estimable(control):
    # Simulation: quintile 5 holds one treated unit (cohort 4) and one never-treated unit.  Its
    # influence-function SE would be exactly 0 (one unit per side has no variation), so the quintile is
    # reported as not estimable with a warning naming it and why; the other quintiles and the gap stand.
    df = panel(n_units=300, seed=85, cohorts=(0, 4, 6), effect=1.0)
    df.loc[df.q == 5, "q"] = 4
    treated = df.loc[df.first_treated == 4, "unit"].iloc[0]
    never = df.loc[df.first_treated == 0, "unit"].iloc[0]
    df.loc[df.unit.isin([treated, never]), "q"] = 5
    r = equity(df, "y", "unit", "time", "q", first_treated="first_treated", control=control)
    tab = r.table.set_index("term")
    assert tab.loc["quintile 5", ["estimate", "se", "ci_low", "ci_high", "p_value"]].isna().all()
    msg = [w for w in r.warnings if w.startswith("No estimate for quintile 5")]
    assert len(msg) == 1 and "too few units" in msg[0] and "1 treated and 1 comparison" in msg[0]
    for q in (1, 2, 3, 4):
        assert np.isfinite(tab.loc[f"quintile {q}", "se"]) and tab.loc[f"quintile {q}", "se"] > 0
    assert np.isfinite(r.estimate) and r.se > 0


def test_sample_panel_quintile_4_is_reported_not_estimable():
    # data_samples/did_practice_panel.csv: quintile 4 has two practices, one starting Oct 2023 and one
    # Apr 2024 (no never-treated), so with not-yet-treated comparison it is 1 treated vs 1 comparison
    # practice.  It used to get an estimate (0.626) with SE 0 and no warning.
    from pathlib import Path

    import pandas as pd

    raw = pd.read_csv(Path(__file__).parents[3] / "data_samples" / "did_practice_panel.csv")
    raw["month"] = pd.to_datetime(raw["month"])
    raw["first_treated"] = pd.to_datetime(raw["first_treated"])
    r = equity(raw, "outcome", "practice_code", "month", "imd_quintile", first_treated="first_treated",
               control="not_yet", weights="list_size")
    tab = r.table.set_index("term")
    assert np.isnan(tab.loc["quintile 4", "estimate"]) and np.isnan(tab.loc["quintile 4", "se"])
    assert any(w.startswith("No estimate for quintile 4: too few units") for w in r.warnings)
    for q in (1, 2, 3):
        assert tab.loc[f"quintile {q}", "se"] > 0
    assert np.isfinite(r.estimate) and r.se > 0
    assert not any("vary over time" in w for w in r.warnings)  # list sizes drift by about 1.6%
