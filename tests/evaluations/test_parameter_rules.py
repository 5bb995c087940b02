"""Stage parameter values: the same choices and ranges the stage code enforces."""

from __future__ import annotations

import pytest

from toolkit.evaluations.parameter_rules import check_values, rules_for


def _messages(template, **values):
    return [str(p) for p in check_values(template, values, where="stages[1].parameters")]


def test_choices_come_from_the_stage_code():
    from toolkit.designs.its import FAMILIES
    from toolkit.stages.did.choose import COMPARISONS

    for choice in COMPARISONS:
        assert not _messages("did", comparison=choice)
    for family in FAMILIES:
        assert not _messages("its", family=family)
    (msg,) = _messages("did", comparison="never-ever")
    assert msg.startswith("stages[1].parameters.comparison: comparison 'never-ever' is not one of the choices")
    assert '"never", "not_yet"' in msg or '"not_yet", "never"' in msg


@pytest.mark.parametrize("template", ["did", "its", "rd", "baseline"])
def test_level_is_a_proportion(template):
    (msg,) = _messages(template, level=95)
    assert "stages[1].parameters.level" in msg and "0.95 or 0.998 (not 95)" in msg
    assert not _messages(template, level=0.998)


def test_seasonality_uses_the_stage_parser():
    assert not _messages("its", seasonality="month") and not _messages("its", seasonality="2")
    (msg,) = _messages("its", seasonality="weekly")
    assert "seasonality 'weekly' is not understood" in msg


@pytest.mark.parametrize("template, values, where", [
    ("did", {"leads": 0}, "leads"),
    ("did", {"lags": -1}, "lags"),
    ("did", {"placebo_shifts": [6, 0]}, "placebo_shifts"),
    ("did", {"most_deprived": [6]}, "most_deprived"),
    ("did", {"most_deprived": []}, "most_deprived"),
    ("rd", {"treated_side": "left"}, "treated_side"),
    ("baseline", {"sii_by": "tertile"}, "sii_by"),
    ("baseline", {"sii_repetitions": 10}, "sii_repetitions"),
    ("its", {"per": 0}, "per"),
    ("did", {"outcome_per": 0}, "outcome_per"),
    ("did", {"outcome_per": -100}, "outcome_per"),
    ("baseline", {"period_use": "snapshot"}, "period_use"),
])
def test_out_of_range_values(template, values, where):
    (msg,) = _messages(template, **values)
    assert msg.startswith(f"stages[1].parameters.{where}:") and "Fix:" in msg


def test_wrong_types_are_left_to_the_type_check():
    assert not _messages("did", level="high", leads="x")
    assert rules_for("charter") == {}


def test_period_use_choices_are_the_stage_codes():
    from toolkit.baseline.periods import PERIOD_USES

    assert set(PERIOD_USES) == {"all", "latest"}
    for use in PERIOD_USES:
        assert not _messages("baseline", period_use=use)
    assert not _messages("did", outcome_per=1000)
