"""Data-driven V for predictor-based synthetic control (nested optimisation, Abadie, Diamond & Hainmueller 2010)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.designs import synth
from toolkit.designs.synth_v import optimise_v
from toolkit.errors import DesignError


def _panel(rng, J=12, T=16, start=12):
    """Outcome driven by a 'good' predictor; a 'noise' predictor is unrelated and misleads equal V."""
    good = rng.uniform(0, 2, J + 1)
    noise = rng.normal(0, 1, J + 1)
    good[0] = 0.5 * good[1] + 0.5 * good[2]  # the treated unit sits between two donors
    t = np.arange(T)
    Y = 3 + np.outer(good, 0.5 + 0.2 * t) + rng.normal(0, 0.05, (J + 1, T))
    Y[0, start:] += 1.0
    units = ["T"] + [f"d{j}" for j in range(J)]
    df = pd.DataFrame({"u": np.repeat(units, T), "t": np.repeat([t], J + 1, axis=0).ravel(), "y": Y.ravel(),
                       "good": np.repeat(good, T), "noise": np.repeat(noise, T)})
    return df


def test_optimise_v_finds_a_known_simplex_minimum():
    target = np.array([0.7, 0.2, 0.1])
    v, value = optimise_v(lambda v: float(np.sum((v - target) ** 2)), 3)
    assert v == pytest.approx(target, abs=1e-3) and value < 1e-6


def test_optimised_v_downweights_the_noise_predictor_and_fits_better():
    df = _panel(np.random.default_rng(5))
    # Match on the two predictors only (outcome rows get weight 0 via a mapping for 'equal' on predictors)
    eq = synth.fit(df, "y", "u", "t", "T", 12, predictors=["good", "noise"], v={"good": 1, "noise": 1},
                   placebo=False, leave_one_out=False)
    opt = synth.fit(df, "y", "u", "t", "T", 12, predictors=["good", "noise"], v="optimise",
                    placebo=False, leave_one_out=False)
    assert opt.pre_rmspe <= eq.pre_rmspe
    assert "V optimised" in opt.method
    v = opt.extra["v"]
    assert v[-1] < v[-2]  # the noise predictor's weight is below the informative predictor's
    # the effect (+1) is recovered more closely than with the noise predictor weighted equally
    assert abs(opt.estimate - 1.0) < 0.15 and abs(opt.estimate - 1.0) <= abs(eq.estimate - 1.0) + 1e-9


def test_optimise_without_predictors_is_equal_v():
    df = _panel(np.random.default_rng(1))
    a = synth.fit(df, "y", "u", "t", "T", 12, placebo=False, leave_one_out=False)
    b = synth.fit(df, "y", "u", "t", "T", 12, v="optimise", placebo=False, leave_one_out=False)
    assert b.estimate == pytest.approx(a.estimate, abs=1e-12)


def test_mapping_and_errors():
    df = _panel(np.random.default_rng(2))
    kw = dict(predictors=["good"], placebo=False, leave_one_out=False)
    by_name = synth.fit(df, "y", "u", "t", "T", 12, v={"good": 1.0}, **kw)
    by_list = synth.fit(df, "y", "u", "t", "T", 12, v=[0.0] * 12 + [1.0], **kw)
    assert by_name.estimate == pytest.approx(by_list.estimate, abs=1e-12)
    with pytest.raises(DesignError, match="unknown matching row"):
        synth.fit(df, "y", "u", "t", "T", 12, v={"bad": 1.0}, **kw)
    with pytest.raises(DesignError, match="'equal', 'optimise'"):
        synth.fit(df, "y", "u", "t", "T", 12, v="best", **kw)
