"""Issue 15: the design's standing caveats in the headline, and the reference of the relative effect."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from toolkit.stages.did.caveats import design_caveats, treated_pre_mean, unit_words
from toolkit.stages.did.treatment import resolve_treatment

from .sim import panel


def _charter(text="", core20=False):
    return SimpleNamespace(scheme=text, comparison_group="", design=SimpleNamespace(rationale=""),
                           target_group=SimpleNamespace(description="", core20=core20, plus_groups=[]))


def _keys(dd, **kw):
    return [c.key for c in design_caveats(dd, **kw)]


def test_regression_to_the_mean_firm_when_chosen_on_baseline_standing_when_targeted():
    dd = resolve_treatment(panel(n_units=20, seed=1, cohorts=(0, 13), start="2023-01"))
    chosen = _charter("Practices were selected because their baseline detection rate was the lowest in the ICB.")
    (rtm,) = [c for c in design_caveats(dd, charter=chosen) if c.key == "regression_to_mean"]
    assert rtm.text.startswith("The charter says") and "regression to the mean" in rtm.text
    (standing,) = [c for c in design_caveats(dd, charter=_charter(core20=True)) if c.key == "regression_to_mean"]
    assert standing.text.startswith("The scheme is targeted")
    assert _keys(dd, charter=_charter()) == [] and _keys(dd) == []  # not targeted, after COVID: none


def test_covid_start_and_covid_before_and_ecological():
    inside = resolve_treatment(panel(n_units=20, seed=1, cohorts=(0, 13), start="2020-01"))  # starts Jan 2021
    (covid,) = [c for c in design_caveats(inside) if c.key == "covid"]
    assert "Jan 2021" in covid.short and "March 2020 to March 2022" in covid.text
    before = resolve_treatment(panel(n_units=20, seed=1, cohorts=(0, 13), start="2021-06"))  # starts Jun 2022
    assert _keys(before, equity_estimated=True) == ["covid_before", "ecological"]


def test_relative_effect_reference_is_the_treated_units_mean_before_they_started():
    df = panel(n_units=20, seed=2, cohorts=(0, 13))
    dd = resolve_treatment(df)
    pre = df[(df["first_treated"] != "") & (df["time"] < df["first_treated"])]
    assert treated_pre_mean(dd) == pytest.approx((pre["outcome"] * pre["weight"]).sum() / pre["weight"].sum())
    assert unit_words("practice_code") == "practices" and unit_words("pcn") == "PCNs" and unit_words("id") == "units"
