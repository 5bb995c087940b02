"""Treatment specifications, period parsing and bad-input messages."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.stages.did.sim import panel
from toolkit.stages.did.periods import parse_periods
from toolkit.stages.did.treatment import FIRST, TREATED, resolve_treatment
from toolkit.errors import ConfigError, DataError, DesignError

SAMPLE = REPO / "data_samples" / "did_practice_panel.csv"


@pytest.fixture(scope="module")
def sample():
    raw = pd.read_csv(SAMPLE, dtype={"first_treated": str, "month": str})
    return raw.rename(columns={"practice_code": "unit", "month": "time", "imd_quintile": "quintile",
                               "list_size": "weight", "treated": "treatment"})


def test_three_specifications_agree_on_the_sample(sample):
    a = resolve_treatment(sample[["unit", "time", "outcome", "first_treated"]])
    b = resolve_treatment(sample[["unit", "time", "outcome", "treatment"]])
    both = resolve_treatment(sample[["unit", "time", "outcome", "treatment", "first_treated"]])
    for other in (b, both):
        pd.testing.assert_frame_equal(a.data, other.data)
    assert list(a.cohorts) == [25, 31, 37]  # Apr 2023, Oct 2023, Apr 2024 on Apr 2021 = 1
    assert a.scale.label(25) == "Apr 2023" and a.scale.unit_name == "month"
    assert int(a.data[TREATED].sum()) == 600  # data_samples/README.md: 600 treated practice-months
    assert (a.data[TREATED].to_numpy() == sample.sort_values(["unit", "time"])["treatment"].to_numpy()).all()


def test_units_and_start_date_match_the_first_treated_column(sample):
    one = sample[sample["first_treated"].isin(["2023-04"]) | sample["first_treated"].isna()]
    units = sorted(one.loc[one["first_treated"] == "2023-04", "unit"].unique())
    by_col = resolve_treatment(one[["unit", "time", "outcome", "first_treated"]])
    for start in ("2023-04", "2023-04-01", "2023-04-17"):
        by_list = resolve_treatment(one[["unit", "time", "outcome"]], treated_units=units, start=start)
        pd.testing.assert_frame_equal(by_col.data, by_list.data)
    assert "15 treated unit(s)" in by_list.specification


@pytest.mark.parametrize("values, freq, unit, labels", [
    (["2021-01", "2021-02", "2021-03"], "month", "month", ["Jan 2021", "Feb 2021", "Mar 2021"]),
    (pd.to_datetime(["2021-01-01", "2021-04-01", "2021-07-01"]), "month", "quarter", ["Jan 2021", "Apr 2021", "Jul 2021"]),
    (["2021-Q1", "2021-Q2", "2021 Q3"], "quarter", "quarter", ["2021 Q1", "2021 Q2", "2021 Q3"]),
    ([2019, 2020, 2021], "period", "period", ["2019", "2020", "2021"]),
])
def test_periods_are_numbered_from_one(values, freq, unit, labels):
    p, scale = parse_periods(pd.Series(values), column="time")
    assert list(p) == [1, 2, 3] and scale.freq == freq and scale.unit_name == unit
    assert [scale.label(i) for i in (1, 2, 3)] == labels


def test_unreadable_period_names_rows():
    with pytest.raises(DataError) as e:
        parse_periods(pd.Series(["2021-01", "Jan 21", "2021-03"]), column="month")
    msg = str(e.value)
    assert "column 'month'" in msg and "row 3" in msg and "YYYY-MM" in msg


def test_duplicated_unit_periods_are_an_error():
    df = panel(seed=1)
    df = pd.concat([df, df.iloc[[5]]], ignore_index=True)
    with pytest.raises(DataError) as e:
        resolve_treatment(df, columns={"unit": "practice", "time": "month"})
    msg = str(e.value)
    assert "more than once in the same period" in msg and "practice + month" in msg
    assert f"rows 7, {len(df) + 1}" in msg and "Fix:" in msg


def test_treatment_switching_off_then_on_is_an_error():
    df = panel(seed=2)[["unit", "time", "outcome", "treatment"]].copy()
    u = df.loc[df["treatment"] == 1, "unit"].iloc[0]
    rows = df.index[(df["unit"] == u) & (df["treatment"] == 1)]
    df.loc[rows[2], "treatment"] = 0
    with pytest.raises(DataError) as e:
        resolve_treatment(df, columns={"treatment": "in_scheme"})
    msg = str(e.value)
    assert "switches off and then on again" in msg and "column 'in_scheme'" in msg
    assert f"row {rows[2] + 2}" in msg
    df.loc[rows[2]:rows[-1], "treatment"] = 0  # off for good
    with pytest.raises(DataError, match="switches off after it started"):
        resolve_treatment(df)


def test_no_untreated_comparison_is_an_error():
    df = panel(seed=3, cohorts=(13,))
    with pytest.raises(DesignError, match="no untreated comparison"):
        resolve_treatment(df[["unit", "time", "outcome", "first_treated"]])


def test_no_never_treated_but_staggered_is_a_warning():
    dd = resolve_treatment(panel(seed=3, cohorts=(13, 17))[["unit", "time", "outcome", "first_treated"]])
    assert any("No unit is never treated" in w for w in dd.warnings)


def test_no_pre_period_is_an_error_and_some_without_is_a_warning():
    df = panel(seed=4, cohorts=(0, 1))
    df["first_treated"] = np.where(df["first_treated"] != "", "2021-01", "")
    with pytest.raises(DesignError, match="no pre-period"):
        resolve_treatment(df[["unit", "time", "outcome", "first_treated"]])
    df2 = panel(seed=4, cohorts=(0, 1, 13))
    df2["first_treated"] = df2["first_treated"].replace({"2021-01": "2020-06"})
    dd = resolve_treatment(df2[["unit", "time", "outcome", "first_treated"]])
    assert any("no period before the scheme" in w for w in dd.warnings)


def test_missing_unit_names_rows():
    df = panel(seed=5)
    df.loc[[3, 10], "unit"] = None
    with pytest.raises(DataError) as e:
        resolve_treatment(df, columns={"unit": "practice_code"}, file="x.csv")
    msg = str(e.value)
    assert "unit identifier is missing" in msg and "column 'practice_code'" in msg and "rows 5, 12" in msg
    assert "file x.csv" in msg


def test_single_cluster_and_missing_cluster():
    df = panel(seed=6)
    df["cluster"] = "PCN1"
    with pytest.raises(DesignError, match="single cluster"):
        resolve_treatment(df, columns={"cluster": "pcn_code"})
    df.loc[4, "cluster"] = None
    with pytest.raises(DataError, match="cluster is missing"):
        resolve_treatment(df)


def test_other_bad_inputs():
    df = panel(seed=7)
    bad = df.copy()
    bad.loc[0, "first_treated"] = "2021-05"  # unit U000 is never treated elsewhere
    with pytest.raises(DataError, match="differs between rows of the same unit"):
        resolve_treatment(bad[["unit", "time", "outcome", "first_treated"]])
    bad = df.copy()
    bad.loc[0, "treatment"] = 2
    with pytest.raises(DataError, match="0 \\(not treated\\) or 1"):
        resolve_treatment(bad[["unit", "time", "outcome", "treatment"]])
    bad = df.copy()
    bad.loc[0, "treatment"] = 1
    with pytest.raises(DataError, match="disagrees with the first-treated column"):
        resolve_treatment(bad)
    with pytest.raises(DataError, match="did you mean 'U001'"):
        resolve_treatment(df[["unit", "time", "outcome"]], treated_units=["U0001"], start="2021-06")
    with pytest.raises(ConfigError, match="which units were treated"):
        resolve_treatment(df[["unit", "time", "outcome"]])
    with pytest.raises(ConfigError, match="given twice"):
        resolve_treatment(df, treated_units=["U001"], start="2021-06")
    with pytest.raises(ConfigError, match="go together"):
        resolve_treatment(df[["unit", "time", "outcome"]], treated_units=["U001"])


def test_unbalanced_and_late_starts_are_warnings():
    df = panel(seed=8).drop(index=[0, 1])
    df.loc[df["first_treated"] == "2022-05", "first_treated"] = "2030-01"
    dd = resolve_treatment(df[["unit", "time", "outcome", "first_treated"]])
    text = " ".join(dd.warnings)
    assert "not observed in every period" in text and "start after the last period" in text
    assert (dd.data.loc[dd.data["unit"].isin(df.loc[df["first_treated"] == "2030-01", "unit"]), FIRST] == 0).all()


def test_uk_dates_years_and_starts_inside_a_quarter():
    p, scale = parse_periods(pd.Series(["01/04/2021", "01/05/2021", "01/06/2021"]), column="d")
    assert list(p) == [1, 2, 3] and scale.label(1) == "Apr 2021"
    # yearly panel with integer periods; first_treated 0 means never
    df = pd.DataFrame({"unit": np.repeat(["A", "B", "C"], 4), "time": np.tile([2019, 2020, 2021, 2022], 3),
                       "outcome": np.arange(12.0), "first_treated": np.repeat([2021, 2022, 0], 4)})
    dd = resolve_treatment(df)
    assert dd.first_treated.to_dict() == {"A": 3, "B": 4, "C": 0} and dd.scale.label(3) == "2021"
    # quarterly panel, start given as a month inside a quarter: treated from the quarter containing it
    q = pd.DataFrame({"unit": np.repeat(["A", "B", "C"], 4),
                      "time": np.tile(["2022-Q1", "2022-Q2", "2022-Q3", "2022-Q4"], 3), "outcome": np.arange(12.0)})
    dd = resolve_treatment(q, treated_units=["A", "C"], start="2022-05-15")  # two treated: one is refused
    assert dd.first_treated.to_dict() == {"A": 2, "B": 0, "C": 2}


def test_one_treated_unit_points_to_synthetic_control_or_its():
    """Issue 11: one treated unit gives a clear refusal, not 'the regressors are collinear with the fixed effects'."""
    df = panel(seed=9, n_units=20, cohorts=(0,))
    df.loc[df["unit"] == "U003", "first_treated"] = "2021-09"
    with pytest.raises(DesignError, match="one treated unit") as err:
        resolve_treatment(df[["unit", "time", "outcome", "first_treated"]])
    text = str(err.value)
    assert "U003" in text and "synth" in text and "its" in text


def test_blank_outcomes_are_left_out_citing_file_rows():
    """Issue 11: rows left out are counted and named by their row in the file (header = row 1), before sorting."""
    df = panel(seed=10)[["unit", "time", "outcome", "first_treated"]].sample(frac=1.0, random_state=1)
    df = df.reset_index(drop=True)
    df.loc[[3, 40], "outcome"] = np.nan  # file rows 5 and 42
    dd = resolve_treatment(df, columns={"outcome": "rate"}, file="panel.csv")
    msg = [w for w in dd.warnings if "have no value in 'rate'" in w]
    assert len(msg) == 1 and "2 of 1,440 rows of panel.csv" in msg[0] and "rows 5, 42" in msg[0]
    assert len(dd.data) == len(df) - 2 and dd.data["outcome"].notna().all()
    assert any("not observed in every period" in w and "No unit is left out" in w for w in dd.warnings)


def test_unbalanced_panel_runs_the_stage_without_dropping_units():
    """Issue 11: 15% of unit-months missing: the stage estimates with every unit (it failed before)."""
    from toolkit.stages.did.estimate import estimate_did
    from toolkit.stages.did.choose import choose_design

    df = panel(seed=11, n_units=60)[["unit", "time", "outcome", "first_treated"]]
    df = df.sample(frac=0.85, random_state=3).reset_index(drop=True)
    dd = resolve_treatment(df)
    an = estimate_did(dd, choose_design(dd), leads=4, lags=4)
    assert an.group_time.extra["n_units"] == 60
    assert an.headline.ci_low < 2.0 < an.headline.ci_high  # true effect 2.0 (tests/stages/did/sim.py)
    assert not any("left out of the Callaway" in w for w in an.warnings)
