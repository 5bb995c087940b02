"""Issue 12: numerator/denominator instead of a ready-made outcome, and effects by a PLUS group."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.stages.did.sim import panel
from toolkit.stages.did.estimate import estimate_did
from toolkit.stages.did.choose import choose_design
from toolkit.stages.did.inputs import group_effects, group_record_name, prepare_inputs
from toolkit.stages.did.treatment import resolve_treatment
from toolkit.errors import ConfigError, DataError

ROLES = ["unit", "time", "first_treated"]


def _rates(seed=0, n_units=60, effect=2.0):
    """Events and list sizes whose rate per 1,000 follows tests/stages/did/sim.panel (true effect ``effect``)."""
    df = panel(seed=seed, n_units=n_units, effect=effect)
    rng = np.random.default_rng(seed)
    size = np.repeat(rng.integers(2_000, 12_000, n_units), len(df) // n_units)
    return df.assign(numerator=df["outcome"] * size / 1000, denominator=size)


def test_rate_from_numerator_and_denominator():
    df = _rates()
    cols = {"unit": "practice", "time": "month", "numerator": "new_dx", "denominator": "list_size",
            "first_treated": "start"}
    inp = prepare_inputs(df[ROLES + ["numerator", "denominator"]], cols, outcome_per=1000)
    np.testing.assert_allclose(inp.data["outcome"], df["outcome"], rtol=1e-12)
    np.testing.assert_array_equal(inp.data["weight"], df["denominator"])
    assert inp.columns["outcome"] == "new_dx per 1,000 list_size" and inp.columns["weight"] == "list_size"
    assert "weighted by its list_size" in inp.outcome_note
    dd = resolve_treatment(inp.data, columns=inp.columns)
    an = estimate_did(dd, choose_design(dd), leads=4, lags=4)
    assert an.headline.ci_low < 2.0 < an.headline.ci_high  # true effect 2.0 per 1,000
    assert "weighted by list_size" in an.headline.method


def test_outcome_mapping_mistakes_are_config_errors():
    df = _rates()
    with pytest.raises(ConfigError, match="given twice"):
        prepare_inputs(df[ROLES + ["outcome", "numerator", "denominator"]])
    with pytest.raises(ConfigError, match="both a numerator and a denominator"):
        prepare_inputs(df[ROLES + ["numerator"]])
    with pytest.raises(ConfigError, match="needs an outcome"):
        prepare_inputs(df[ROLES])
    bad = df[ROLES + ["numerator", "denominator"]].copy()
    bad.loc[7, "denominator"] = 0
    with pytest.raises(DataError, match="greater than zero") as err:
        prepare_inputs(bad, {"denominator": "list_size"})
    assert "row 9" in str(err.value) or "rows 9" in str(err.value)


def _by_ethnicity(seed=1):
    """Practice x month x ethnic group: the scheme works in group 'Black' (effect 4 per 1,000), not in 'White'."""
    parts = []
    for k, (grp, eff) in enumerate((("Black", 4.0), ("White", 0.0))):
        d = _rates(seed=seed + 10 * k, effect=eff)
        d = d.assign(group=grp, first_treated=panel(seed=seed, n_units=60)["first_treated"])
        parts.append(d[ROLES + ["numerator", "denominator", "group"]])
    return pd.concat(parts, ignore_index=True)


def test_effects_by_plus_group_rows_split_by_group():
    df = _by_ethnicity()
    inp = prepare_inputs(df, {"group": "ethnicity"}, outcome_per=1000)
    assert set(inp.groups) == {"Black", "White"} and "summed over the groups" in inp.group_note
    # overall panel: one row per practice-month, numerators and denominators summed
    assert len(inp.data) == len(df) // 2
    first = df[(df["unit"] == "U000") & (df["time"] == "2021-01")]
    row = inp.data[(inp.data["unit"] == "U000") & (inp.data["time"] == "2021-01")].iloc[0]
    assert row["outcome"] == pytest.approx(1000 * first["numerator"].sum() / first["denominator"].sum(), rel=1e-12)
    dd = resolve_treatment(inp.data, columns=inp.columns)
    choice = choose_design(dd)
    table, records = group_effects(inp, staggered=choice.staggered, control=choice.control)
    t = table.set_index("Group")
    assert t.loc["Black", "Lower limit"] < 4.0 < t.loc["Black", "Upper limit"]  # true effects (seeded simulation)
    assert t.loc["White", "Lower limit"] < 0.0 < t.loc["White", "Upper limit"]
    assert t.loc["Black", "Lower limit"] > 0
    assert [n for n, _ in records] == ["effect_group_black", "effect_group_white"]


def test_group_constant_within_units_and_outcome_split_refused():
    df = panel(seed=2)[ROLES + ["outcome"]]
    df["group"] = np.where(df["unit"].str[-1].astype(int) % 2 == 0, "Even", "Odd")
    inp = prepare_inputs(df)
    assert len(inp.data) == len(df) and set(inp.groups) == {"Even", "Odd"}
    table, _ = group_effects(inp, staggered=True)
    assert table["Effect"].notna().all()
    with pytest.raises(DataError, match="cannot be added up"):
        prepare_inputs(pd.concat([df.assign(group="A"), df.assign(group="B")], ignore_index=True))


def test_a_group_without_enough_treated_units_says_why():
    df = panel(seed=4)[ROLES + ["outcome"]]
    first_treated = df.groupby("unit")["first_treated"].first()
    lone = first_treated[first_treated != ""].index[0]
    df["group"] = np.where(df["unit"] == lone, "Lone", "Rest")
    never = first_treated[first_treated == ""].index[:5]
    df.loc[df["unit"].isin(never), "group"] = "Lone"
    table, records = group_effects(prepare_inputs(df), staggered=True)
    lone_row = table.set_index("Group").loc["Lone"]
    assert np.isnan(lone_row["Effect"]) and "one treated unit" in lone_row["Note"]
    assert [n for n, _ in records] == ["effect_group_rest"]
    assert group_record_name("Mixed / multiple") == "effect_group_mixed_multiple"


def test_a_blank_count_in_one_group_leaves_the_unit_period_out_of_the_overall_rate():
    df = _by_ethnicity()
    df.loc[0, "numerator"] = np.nan  # U000, first month, group Black
    inp = prepare_inputs(df, {"group": "ethnicity"}, outcome_per=1000)
    assert inp.data[(inp.data["unit"] == "U000") & (inp.data["time"] == "2021-01")].empty
    assert len(inp.warnings) == 1 and "1 unit-period(s)" in inp.warnings[0] and "rows 2;" in inp.warnings[0]
    assert inp.data["outcome"].notna().all()


def test_a_group_whose_effect_has_no_standard_error_is_not_reported_as_certain():
    """Two treated units in two cohorts and no never-treated unit: no spread to give a standard error."""
    df = panel(seed=5, cohorts=(0, 13, 17))[ROLES + ["outcome"]]
    first_treated = df.groupby("unit")["first_treated"].first()
    pair = [first_treated[first_treated == c].index[0] for c in ("2022-01", "2022-05")]
    df["group"] = np.where(df["unit"].isin(pair), "Pair", "Rest")
    table, records = group_effects(prepare_inputs(df), staggered=True)
    row = table.set_index("Group").loc["Pair"]
    assert np.isnan(row["Effect"]) and "standard error" in row["Note"]
    assert [n for n, _ in records] == ["effect_group_rest"]
