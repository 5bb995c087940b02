"""Arriaga's decomposition against the published example of Preston, Heuveline & Guillot.

Published output
    Preston S.H., Heuveline P. & Guillot M. (2001) *Demography: Measuring and Modeling
    Population Processes*, Blackwell, Box 3.4 (p. 65): the gap in life expectancy at birth
    between U.S. women in 1995 and 1935 (79.00 − 63.32 = 15.68 years) decomposed by Arriaga's
    method into 19 age bands (0, 1-4, 5-9, ..., 80-84, 85+), printed to 0.01 year.  The 19
    contributions used here are those of Box 3.4 as transcribed in the University of
    Washington SOC 533 course notes (github.com/hanowell/uwsoc533a,
    ``docs/03_life-tables-and-single-decrement-processes.md``, section "Decomposing a
    difference in life expectancies", "From PHG Box 3.4"); they sum to the printed 15.68.
Published input
    The two life tables of Box 3.4 (source: Bell, Wade & Goss 1992, SSA Actuarial Study 107) as
    reprinted in Ponnapalli K.M. (2005) *Demographic Research* 12(7):141-172, Appendix I:
    lₓ (radix 1, five decimals) and eₓ (two decimals) for 1935 and 1995, transcribed in the
    herts-phei/decompositionLE R package (``data-raw/us_females.R``, commit 2c9618a).

Our ``le_gap_decomposition`` builds Chiang II life tables from deaths and populations (the
PHE method).  To check its Arriaga step on the published tables, the life-table builder it
calls is replaced here by the published tables (Tₓ = lₓ·eₓ, ₙLₓ = Tₓ − Tₓ₊ₙ, the open band
L = T); everything after that -- the direct and indirect terms, the open band, the sum, the
shares -- is ours, unchanged.

Tolerance
    Half a unit of the printed 0.01 (0.005) plus the effect on each contribution of the
    rounding of the published inputs (lₓ to 5e-6, eₓ to 0.005), bounded to first order by
    Σ|∂Δ/∂input|·(half unit), the derivatives taken by finite differences of our own
    function.  The bound is computed in the test and checked to stay below 0.03 years, so
    the test can fail: swapping the two populations' survivorship in the direct term, or
    dropping the indirect term, moves several bands by more than that (checked below).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import toolkit.indicators.le_decomposition as led
from toolkit.indicators import le_bands, le_gap_decomposition

BANDS = list(le_bands(85))

# Ponnapalli (2005), Appendix I: U.S. females 1935 (population 1) and 1995 (population 2).
L1935 = [1.00000, .95458, .93887, .93174, .92613, .91681, .90341, .88746, .86997, .84847, .82368,
         .79012, .74539, .68688, .60779, .50757, .38276, .23930, .12281]
E1935 = [63.32, 65.32, 62.39, 57.85, 53.19, 48.70, 44.38, 40.14, 35.89, 31.74, 27.61, 23.67, 19.94,
         16.41, 13.21, 10.31, 7.82, 6.03, 4.49]
NM1935 = [.047139, .004157, .001525, .001208, .002022, .002944, .003562, .003980, .005003, .005927,
          .008310, .011638, .016309, .024373, .035823, .055769, .092454, .130808, .222482]
L1995 = [1.00000, .99321, .99179, .99096, .98999, .98772, .98524, .98206, .97769, .97152, .96298,
         .95048, .93085, .90071, .85504, .78775, .69655, .57275, .41424]
E1995 = [79.00, 78.54, 74.65, 69.71, 64.78, 59.92, 55.06, 50.23, 45.45, 40.72, 36.06, 31.49, 27.10,
         22.92, 19.00, 15.40, 12.07, 9.12, 6.62]
NM1995 = [.006830, .000358, .000167, .000196, .000459, .000503, .000647, .000892, .001266, .001765,
          .002612, .004171, .006575, .010387, .016349, .024504, .038841, .063900, .151106]

# Preston, Heuveline & Guillot (2001), Box 3.4: contribution of each band (years).
PUBLISHED = [3.06, 1.11, 0.46, 0.32, 0.45, 0.64, 0.69, 0.65, 0.69, 0.67, 0.78, 0.84, 0.87, 0.95,
             0.93, 0.96, 0.89, 0.48, 0.26]
PUBLISHED_GAP = 15.68


def _table(l, e):
    l, e = np.asarray(l, float), np.asarray(e, float)
    T = l * e
    L = np.r_[T[:-1] - T[1:], T[-1]]
    return {"l": l[None, :], "L": L[None, :], "T": T[None, :], "e": e[None, :]}


def _frame(nm):
    # Deaths and populations whose rates are the published ₙmₓ (one cause); they only feed
    # validation and the (single-cause) allocation, since the life tables are replaced.
    pop = np.full(len(BANDS), 1e6)
    return pd.DataFrame({"age_band": BANDS, "cause": "All causes", "deaths": np.asarray(nm) * pop,
                         "population": pop})


def _decompose(monkeypatch, l1=L1935, e1=E1935, l2=L1995, e2=E1995):
    tables = [_table(l1, e1), _table(l2, e2)]
    calls = iter(tables)
    monkeypatch.setattr(led, "life_table_columns", lambda D, P: next(calls))
    return le_gap_decomposition(_frame(NM1935), _frame(NM1995))


_BOUND: dict = {}


def _rounding_bound(monkeypatch):
    """First-order bound on each contribution's change from the inputs' printed rounding.

    About 75 evaluations, so it is computed once per session.
    """
    if "bound" in _BOUND:
        return _BOUND["bound"]
    base = _decompose(monkeypatch).by_age["contribution"].to_numpy()
    bound = np.zeros_like(base)
    inputs = {"l1": (L1935, 5e-6), "e1": (E1935, 5e-3), "l2": (L1995, 5e-6), "e2": (E1995, 5e-3)}
    for name, (values, half) in inputs.items():
        for i in range(len(values)):
            if name.startswith("l") and i == 0:
                continue  # the radix is exact
            moved = list(values)
            moved[i] += half
            out = _decompose(monkeypatch, **{name: moved}).by_age["contribution"].to_numpy()
            bound += np.abs(out - base)
    _BOUND["bound"] = bound
    return bound


def test_age_contributions_match_preston_box_3_4(monkeypatch):
    res = _decompose(monkeypatch)
    assert res.e0_a == pytest.approx(63.32, abs=1e-9)
    assert res.e0_b == pytest.approx(79.00, abs=1e-9)
    assert res.gap == pytest.approx(PUBLISHED_GAP, abs=0.005)
    got = res.by_age["contribution"].to_numpy()
    assert list(res.by_age["age_band"]) == BANDS
    bound = _rounding_bound(monkeypatch)
    assert bound.max() < 0.03  # the inputs pin the answer down well enough to test it
    tol = 0.005 + bound
    assert np.all(np.abs(got - PUBLISHED) <= tol), np.round(got - PUBLISHED, 4)
    assert got.sum() == pytest.approx(PUBLISHED_GAP, abs=0.005)
    # the shares add to 100% and the single cause carries the whole gap
    assert res.by_age["share"].sum() == pytest.approx(100.0)
    assert res.by_cause["contribution"].iloc[0] == pytest.approx(res.gap)


def test_the_check_would_catch_a_wrong_formula(monkeypatch):
    """Two plausible slips in Arriaga's formula move the answer well outside the tolerance."""
    res = _decompose(monkeypatch)
    bound = _rounding_bound(monkeypatch)
    tol = 0.005 + bound
    direct = res.by_age["direct"].to_numpy()
    indirect = res.by_age["indirect"].to_numpy()
    # (a) the direct term alone (indirect and interaction dropped)
    assert np.any(np.abs(direct - PUBLISHED) > tol)
    # (b) the direct term weighted by the 1995 survivors instead of the 1935 ones
    l1, l2 = np.asarray(L1935), np.asarray(L1995)
    slipped = direct * l2 / l1 + indirect
    assert np.any(np.abs(slipped - PUBLISHED) > tol)
