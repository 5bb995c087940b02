"""Placebo checks on simulated panels: zero placebo effect under parallel trends, non-zero under anticipation."""

from __future__ import annotations

import numpy as np

from tests.stages.did.sim import panel
from toolkit.stages.did.placebo import placebo_checks, stacked_placebo_panel
from toolkit.stages.did.treatment import FIRST, PERIOD, resolve_treatment


def _dd(**kw):
    return resolve_treatment(panel(**kw)[["unit", "time", "outcome", "first_treated"]])


def test_stacked_panel_uses_only_data_from_before_the_real_start():
    dd = _dd(seed=11, cohorts=(0, 13, 17, 21))
    stacked, used = stacked_placebo_panel(dd, 6)
    assert used == (13, 17, 21)
    for g in used:
        part = stacked[stacked["stack"] == g]
        assert (part[PERIOD] < g).all()
        # comparison units are untreated throughout the stack (never, or start after g)
        comp = part[part[FIRST] != g]
        assert ((comp[FIRST] == 0) | (comp[FIRST] > g)).all()
        fake = part.loc[part["placebo_treated"] == 1, PERIOD]
        assert fake.min() == g - 6 and (part.loc[part["placebo_treated"] == 1, FIRST] == g).all()
    never, _ = stacked_placebo_panel(dd, 6, control="never")
    assert (never.loc[never[FIRST] != never["stack"], FIRST] == 0).all()


def test_placebo_effect_is_about_zero_with_parallel_trends():
    """Known zero placebo effect: 40 seeded panels with a real effect of +2 after the start."""
    est, covered = [], 0
    for seed in range(40):
        (check,) = placebo_checks(_dd(seed=seed, effect=2.0), shifts=(6,))
        r = check.result
        est.append(r.estimate)
        covered += check.passed
    est = np.array(est)
    assert abs(est.mean()) < 0.1  # Monte Carlo SE of the mean is about 0.2/sqrt(40) = 0.03
    assert 34 <= covered <= 40  # nominal 95% coverage: 38 expected


def test_placebo_detects_anticipation():
    """Effect starting 6 periods before the official start: the 6-period placebo finds it."""
    checks = placebo_checks(_dd(seed=3, effect=2.0, anticipation=6), shifts=(6, 12))
    six = checks[0]
    assert six.passed is False and 1.5 < six.result.estimate < 2.5


def test_shift_too_long_is_reported_not_raised():
    (check,) = placebo_checks(_dd(seed=1), shifts=(30,))
    assert check.result is None and check.passed is None and "30" in check.note
