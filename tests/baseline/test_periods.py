"""A monthly snapshot is not added up across months as if new people (issue 12)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.baseline import aggregate, completeness_by_period, core20_summary, overall, period_scope
from toolkit.errors import ConfigError


def _snapshot() -> pd.DataFrame:
    """The same 60 people listed in each of three months; 10 more get their check each month."""
    rng = np.random.default_rng(5)
    people = pd.DataFrame({"person_id": range(60), "imd_decile": rng.integers(1, 11, 60)})
    frames = []
    for m, done in ((1, 20), (2, 30), (3, 40)):
        frames.append(people.assign(period=f"2024-{m:02d}", numerator=(people["person_id"] < done).astype(int)))
    return pd.concat(frames, ignore_index=True)


def test_latest_period_only_counts_each_person_once():
    agg = aggregate(_snapshot(), columns={"period": "month", "person_id": "nhs_number"})
    everything = period_scope(agg, "all")
    assert overall(everything.cells)["denominator"] == 180  # 60 people counted three times
    assert "all 3 periods in 'month'" in everything.sentence and "period_use: latest" in everything.sentence
    latest = period_scope(agg, "latest")
    tot = overall(latest.cells)
    assert (tot["numerator"], tot["denominator"]) == (40, 60)  # by hand: the March list, 40 of 60 checked
    assert latest.periods == ("2024-03",) and latest.use == "latest"
    assert "only the latest period, 2024-03 in 'month'" in latest.sentence and "2 earlier periods" in latest.sentence
    # the Core20 gap is from March alone
    core = core20_summary(latest.cells)
    march = _snapshot().query("period == '2024-03'")
    in20 = march["imd_decile"] <= 2
    assert core["core20"]["denominator"] == in20.sum()
    assert core["core20"]["value"] == pytest.approx(march.loc[in20, "numerator"].mean() * 100)


def test_completeness_of_a_snapshot_reports_the_latest_period_not_the_sum():
    frame = _snapshot()
    frame.loc[frame["person_id"] < 6, "imd_decile"] = np.nan  # 6 people with no decile, in every month
    agg = aggregate(frame)
    summed = completeness_by_period(agg.cells)
    assert summed.iloc[-1]["people"] == 180 and summed.iloc[-1]["no_imd"] == 18
    latest = completeness_by_period(agg.cells, latest_only=True)
    assert latest.iloc[-1]["period"] == "Latest period (2024-03)"
    assert latest.iloc[-1]["people"] == 60 and latest.iloc[-1]["no_imd"] == 6
    assert list(latest["period"][:-1]) == ["2024-01", "2024-02", "2024-03"]


def test_period_use_is_checked():
    agg = aggregate(_snapshot())
    with pytest.raises(ConfigError, match="period_use"):
        period_scope(agg, "first")
    no_period = aggregate(_snapshot().query("period == '2024-01'").drop(columns="period"))
    with pytest.raises(ConfigError) as err:
        period_scope(no_period, "latest")
    assert "needs a period column" in str(err.value)
    assert period_scope(no_period, "all").periods == ()
