"""Bad input: each problem gets a clear error naming column, rows, count and fix, or a warning."""

import numpy as np
import pandas as pd
import pytest

from toolkit.designs.did import event_study, staggered, twfe
from toolkit.errors import DataError, DesignError

from .simdata import panel


@pytest.fixture
def df():
    return panel(n_units=40, n_periods=6, seed=91)


def _problem(exc):
    assert exc.problems, "errors must carry a Problem"
    return exc.problems[0]


def test_duplicated_unit_periods(df):
    bad = pd.concat([df, df.iloc[[7]]], ignore_index=True)
    with pytest.raises(DataError) as exc:
        twfe(bad, "y", "unit", "time", "d")
    p = _problem(exc.value)
    assert p.column == "unit" and p.count == 2 and p.rows == (9, len(bad) + 1)
    assert "one row per unit" in p.fix


def test_missing_unit_values(df):
    bad = df.astype({"unit": "float64"})
    bad.loc[[4, 20], "unit"] = np.nan
    for fn in (lambda d: twfe(d, "y", "unit", "time", "d"),
               lambda d: staggered(d, "y", "unit", "time", "first_treated")):
        with pytest.raises(DataError) as exc:
            fn(bad)
        p = _problem(exc.value)
        assert p.column == "unit" and p.count == 2 and p.rows == (6, 22)


def test_treatment_switching_off_then_on(df):
    bad = df.copy()
    u = bad.first_treated.gt(0).groupby(bad.unit).transform("any")
    first = bad[u].unit.iloc[0]
    rows = bad.index[(bad.unit == first)]
    bad.loc[rows, "d"] = [0, 1, 0, 1, 1, 1][: len(rows)]
    r = twfe(bad, "y", "unit", "time", "d")
    assert any("switches off and on again in 1 unit" in w for w in r.warnings)
    # a first-treated column cannot switch: varying values within a unit are an error
    bad2 = df.copy()
    bad2.loc[rows[0], "first_treated"] = 99
    with pytest.raises(DataError) as exc:
        staggered(bad2, "y", "unit", "time", "first_treated")
    assert _problem(exc.value).column == "first_treated"


def test_no_untreated_comparison(df):
    bad = df.assign(d=1)
    with pytest.raises(DesignError) as exc:
        twfe(bad, "y", "unit", "time", "d")
    assert "no comparison" in str(exc.value)


def test_no_pre_period(df):
    bad = df.assign(d=(df.first_treated > 0).astype(int))  # treated units treated in every period
    with pytest.raises(DesignError) as exc:
        twfe(bad, "y", "unit", "time", "d")
    assert "no pre-period" in str(exc.value)
    with pytest.raises(DesignError, match="pre-period"):
        event_study(df.assign(first_treated=np.where(df.first_treated > 0, 1, 0)),
                    "y", "unit", "time", "first_treated")


def test_cluster_column_with_one_cluster(df):
    with pytest.raises(DesignError) as exc:
        twfe(df.assign(region="North"), "y", "unit", "time", "d", cluster="region")
    p = _problem(exc.value)
    assert p.column == "region" and "single value" in p.message and p.fix


def test_cluster_column_with_missing_values(df):
    bad = df.astype({"state": "float64"})
    bad.loc[3, "state"] = np.nan
    with pytest.raises(DataError) as exc:
        twfe(bad, "y", "unit", "time", "d", cluster="state")
    assert _problem(exc.value).rows == (5,)


def test_missing_outcome_is_excluded_and_counted(df):
    bad = df.copy()
    bad.loc[[0, 5, 9], "y"] = np.nan
    r = twfe(bad, "y", "unit", "time", "d")
    assert r.n_obs == len(df) - 3 and r.extra["n_excluded"] == 3
    assert any("3 of 240 rows were excluded" in w and "rows 2, 7, 11" in w for w in r.warnings)


def test_non_binary_treatment_and_text_outcome(df):
    bad = df.assign(d=df.d * 2)
    with pytest.raises(DataError) as exc:
        twfe(bad, "y", "unit", "time", "d")
    assert _problem(exc.value).column == "d"
    bad = df.astype({"y": object})
    bad.loc[2, "y"] = "*"
    with pytest.raises(DataError) as exc:
        twfe(bad, "y", "unit", "time", "d")
    assert _problem(exc.value).rows == (4,)


def test_unknown_column_lists_columns(df):
    with pytest.raises(DataError) as exc:
        twfe(df, "outcome_rate", "unit", "time", "d")
    p = _problem(exc.value)
    assert p.column == "outcome_rate" and "columns are" in p.fix


def test_non_positive_weights(df):
    bad = df.copy()
    bad.loc[1, "w"] = 0
    with pytest.raises(DataError) as exc:
        twfe(bad, "y", "unit", "time", "d", weights="w")
    assert _problem(exc.value).rows == (3,)


def test_text_periods_keep_order_of_appearance():
    # Quarters as text ("Q12012" sorts before "Q22011"): order of appearance, with a warning,
    # and no false "switches off" warning for a correctly coded treatment.
    df = panel(n_units=30, n_periods=6, seed=92, cohorts=(0, 4))
    names = ["Q42010", "Q12011", "Q22011", "Q32011", "Q42011", "Q12012"]
    df["quarter"] = [names[t - 1] for t in df.time]
    r = twfe(df, "y", "unit", "quarter", "d")
    assert any("holds text" in w and "Q42010, Q12011" in w for w in r.warnings)
    assert not any("switches" in w for w in r.warnings)
    assert r.estimate == pytest.approx(twfe(df, "y", "unit", "time", "d").estimate, abs=1e-12)
