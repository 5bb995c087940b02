"""Arriaga decomposition of a life-expectancy gap by age and cause.

References (no numeric Arriaga table could be retrieved for this test; see the report):
- Exactness: Arriaga (1984, *Demography* 21:83-96) contributions sum to the e0 gap with no residual.
- Independent formula: Andreev (1982) / Ponnapalli (2005, *Demographic Research* 12:7, section 2.2) show
  that Arriaga's direct + indirect terms equal lₓ¹(eₓ² − eₓ¹) − lₓ₊ₙ¹(eₓ₊ₙ² − eₓ₊ₙ¹) (l₀ = 1,
  open band lω¹(eω² − eω¹)); computed here from the life tables alone.
- A difference confined to one age band is attributed wholly to that band (Arriaga 1984).
- Life tables: PHEindicatormethods' 20-band test data (testLifeExpectancy.R, e0 = 80.16960813).
"""

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError
from toolkit.indicators import le_bands, le_gap_decomposition
from toolkit.indicators.life_expectancy import life_table_columns

from tests.indicators.test_life_expectancy import DEATHS, POPS, VALUE

BANDS = list(le_bands(90))
SHARES = {"Circulatory": 0.30, "Cancer": 0.35, "Respiratory": 0.15, "Other": 0.20}


def _frame(deaths, pops, shares=SHARES):
    rows = [(b, c, d * s, p) for b, d, p in zip(BANDS, deaths, pops) for c, s in shares.items()]
    return pd.DataFrame(rows, columns=["age_band", "cause", "deaths", "population"])


def _deprived():
    # more circulatory deaths from age 40 in the most deprived population
    d = np.array(DEATHS, float)
    extra = np.where(np.arange(20) >= 10, 1.6, 1.1)
    return d, extra


def test_contributions_sum_to_gap_and_match_phe_e0():
    d, extra = _deprived()
    res = le_gap_decomposition(_frame(d * extra, POPS), _frame(d, POPS))
    assert res.e0_b == pytest.approx(VALUE[0], abs=1e-6)  # PHEindicatormethods answer1
    assert res.by_age["contribution"].sum() == pytest.approx(res.gap, abs=1e-10)
    assert res.by_cause["contribution"].sum() == pytest.approx(res.gap, abs=1e-10)
    assert res.by_age["share"].sum() == pytest.approx(100.0)
    # causes keep their shares when every cause moves in proportion
    by = res.by_cause.set_index("cause")["share"]
    for cause, s in SHARES.items():
        assert by[cause] == pytest.approx(s * 100, abs=1e-9)


def test_equals_andreev_formula():
    d, extra = _deprived()
    da, db = d * extra, d
    res = le_gap_decomposition(_frame(da, POPS), _frame(db, POPS))
    ta = life_table_columns(da[None], np.array(POPS, float)[None])
    tb = life_table_columns(db[None], np.array(POPS, float)[None])
    l1, e1, e2 = ta["l"][0] / 1e5, ta["e"][0], tb["e"][0]
    andreev = np.r_[l1[:-1] * (e2[:-1] - e1[:-1]) - l1[1:] * (e2[1:] - e1[1:]), l1[-1] * (e2[-1] - e1[-1])]
    np.testing.assert_allclose(res.by_age["contribution"], andreev, atol=1e-12)


def test_single_band_difference_stays_in_that_band():
    d = np.array(DEATHS, float)
    da = d.copy()
    da[12] *= 2.0  # only 55-59 differs
    res = le_gap_decomposition(_frame(da, POPS, {"All": 1.0}), _frame(d, POPS, {"All": 1.0}))
    c = res.by_age.set_index("age_band")["contribution"]
    assert c["55-59"] == pytest.approx(res.gap, rel=1e-12)
    assert c.drop("55-59").abs().max() < 1e-12


def test_cause_allocation_is_proportional_to_rate_differences():
    d = np.array(DEATHS, float)
    a = _frame(d, POPS)
    b = a.copy()
    b.loc[b["cause"] == "Circulatory", "deaths"] *= 0.5  # B has half the circulatory mortality
    res = le_gap_decomposition(a, b)
    assert res.gap > 0
    top = res.by_cause.iloc[0]
    assert top["cause"] == "Circulatory" and top["contribution"] == pytest.approx(res.gap)
    assert res.by_age_cause.query("cause != 'Circulatory'")["contribution"].abs().max() < 1e-12


def test_85_plus_and_errors():
    d = list(DEATHS[:18]) + [DEATHS[18] + DEATHS[19]]
    p = list(POPS[:18]) + [POPS[18] + POPS[19]]
    fa = pd.DataFrame({"age_band": list(le_bands(85)), "deaths": np.array(d) * 1.2, "population": p})
    fb = pd.DataFrame({"age_band": list(le_bands(85)), "deaths": d, "population": p})
    res = le_gap_decomposition(fa, fb, cause=None)
    assert len(res.by_age) == 19 and res.by_age["contribution"].sum() == pytest.approx(res.gap)
    with pytest.raises(DataError, match="lacks age band"):
        le_gap_decomposition(fa.iloc[1:], fb, cause=None)
    bad = fb.copy()
    bad.loc[18, "deaths"] = 0
    with pytest.raises(DataError, match="no deaths in the 85\\+"):
        le_gap_decomposition(fa, bad, cause=None)
