"""The read-only result every design returns (toolkit.designs.result.DesignResult), issue 14."""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pandas as pd
import pytest

from toolkit.designs.augsynth import AugSynthResult
from toolkit.designs.its import ITSResult
from toolkit.designs.rd import RDResult
from toolkit.designs.rd_density import DensityResult
from toolkit.designs.result import DesignResult, se_distance
from toolkit.designs.sdid import SDIDResult
from toolkit.designs.synth import SynthResult
from toolkit.errors import DesignError


def _result(**kw):
    base = dict(estimate=2.0, se=0.5, ci_low=1.02, ci_high=2.98, p_value=0.0001, n_obs=120, method="OLS")
    return DesignResult(**{**base, **kw})


def test_headline_fields_and_tidy_with_df():
    r = _result()
    assert (r.estimate, r.se, r.se_scale, r.interval, r.p_value, r.n_obs, r.method) == (
        2.0, 0.5, "estimate", (1.02, 2.98), 0.0001, 120, "OLS")
    tidy = r.tidy()
    assert list(tidy.columns) == ["term", "estimate", "se", "ci_low", "ci_high", "p_value", "n_obs", "df"]
    assert math.isnan(tidy.loc[0, "df"])  # normal interval: no degrees of freedom
    assert "df" not in r.summary()
    t = _result(df=40)
    assert t.tidy().loc[0, "df"] == 40.0 and "(t, 40 df)" in t.summary()


def test_tidy_keeps_a_tables_own_df_and_fills_it_otherwise():
    table = pd.DataFrame({"term": ["a", "b"], "estimate": [1.0, 2.0], "se": [0.1, 0.2], "ci_low": [0.8, 1.6],
                          "ci_high": [1.2, 2.4], "p_value": [0.01, 0.02]})
    filled = _result(table=table, df=12).tidy()
    assert list(filled["df"]) == [12.0, 12.0]
    own = _result(table=table.assign(df=[3, 4]), df=12).tidy()
    assert list(own["df"]) == [3, 4]
    assert "df" not in table.columns  # the result's table is not changed by tidy()


def test_read_only():
    r = _result(extra={"k": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        r.estimate = 3.0
    with pytest.raises(TypeError):
        r.extra["k"] = 2
    tidy = r.tidy()
    tidy.loc[0, "estimate"] = 99.0
    assert r.estimate == 2.0 and r.tidy().loc[0, "estimate"] == 2.0


def test_se_scale_and_bad_options_are_design_errors():
    assert _result(scale="ratio", estimate=1.2, ci_low=1.1, ci_high=1.3).se_scale == "log"
    with pytest.raises(DesignError, match="se_scale"):
        _result(se_scale="sqrt")
    with pytest.raises(DesignError, match="scale"):
        _result(scale="percent")
    with pytest.raises(DesignError, match="se_scale"):
        se_distance(1.0, 2.0, 0.5, "sqrt")
    assert se_distance(1.0, 2.0, 0.5) == 2.0


def test_to_record_is_unchanged_by_df():
    # results.json holds these fields; the degrees of freedom live in tidy() only
    rec = _result(df=30).to_record()
    assert set(rec) == {"name", "estimate", "se", "se_scale", "ci_low", "ci_high", "level", "p_value", "n", "method",
                        "scale", "warnings"}


def test_df_does_not_change_equality():
    assert _result(df=10) == _result()


@pytest.mark.parametrize("cls", [DesignResult, ITSResult, RDResult, DensityResult, SynthResult, SDIDResult,
                                 AugSynthResult])
def test_results_carry_numbers_not_fitted_models(cls):
    # no private fields (fitted-model state such as a `_state` of the model) on any design's result
    names = [f.name for f in dataclasses.fields(cls)]
    assert not [n for n in names if n.startswith("_")], names
    assert issubclass(cls, DesignResult)


def test_summary_lists_warnings_and_the_log_scale():
    r = _result(scale="ratio", estimate=1.2, ci_low=1.1, ci_high=1.3, warnings=("Few periods.",))
    text = r.summary()
    assert "(of the log ratio)" in text and "Warning: Few periods." in text and np.isnan(r.df)
