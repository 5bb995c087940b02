"""Life tables with an open last band other than 90+ (85+ as OHID's older calculator and
PHEindicatormethods ``age_contents`` allow).

References: the 20-band answers of PHEindicatormethods (tests/testthat/testLifeExpectancy.R,
``df1``/``answer1``) for the default; for 85+, closed forms of the Chiang II table
(e_ω = 1/M_ω in the open band, Silcocks SE(e_ω) = 1/(M_ω√D_ω)) and a direct
band-by-band evaluation of the METHODS.md formulas written out in this test.
"""

import math

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError
from toolkit.indicators import le_bands, life_expectancy

from tests.indicators.test_life_expectancy import DEATHS, POPS, START, VALUE


def _df85():
    d = DEATHS[:18] + [DEATHS[18] + DEATHS[19]]
    p = POPS[:18] + [POPS[18] + POPS[19]]
    return pd.DataFrame({"age": [str(a) for a in START[:18]] + ["85+"], "deaths": d, "pops": p})


def _by_hand(deaths, pops):
    """Chiang II e_x written out band by band (METHODS.md), for any open last band."""
    k = len(deaths)
    width = [1, 4] + [5] * (k - 3) + [None]
    a = [0.1] + [0.5] * (k - 1)
    l = [100_000.0]
    L = []
    for i in range(k):
        m = deaths[i] / pops[i]
        if i == k - 1:
            L.append(l[i] / m)
            break
        q = min(width[i] * m / (1 + width[i] * m * (1 - a[i])), 1.0)
        d = l[i] * q
        l.append(l[i] - d)
        L.append(width[i] * (l[i + 1] + a[i] * d))
    return [sum(L[i:]) / l[i] for i in range(k)]


def test_default_90_plus_unchanged():
    res = life_expectancy(pd.DataFrame({"age": START, "pops": POPS, "deaths": DEATHS}), "deaths", "pops", "age")
    np.testing.assert_allclose(res["value"], VALUE, atol=1e-6)
    assert res["age_band"].iloc[-1] == "90+"


def test_85_plus_matches_closed_forms_and_hand_evaluation():
    df = _df85()
    res = life_expectancy(df, "deaths", "pops", "age")
    assert res["age_band"].tolist() == list(le_bands(85))
    d, p = df["deaths"].tolist(), df["pops"].tolist()
    m = d[-1] / p[-1]
    assert res["value"].iloc[-1] == pytest.approx(1 / m, rel=1e-12)
    half = (res["upper_ci"].iloc[-1] - res["lower_ci"].iloc[-1]) / 2
    assert half / 1.959963984540054 == pytest.approx(1 / (m * math.sqrt(d[-1])), rel=1e-10)
    np.testing.assert_allclose(res["value"], _by_hand(d, p), rtol=1e-12)
    # collapsing 85-89 and 90+ changes e0 only a little (PHE 90+ answer 80.1696)
    assert res["value"].iloc[0] == pytest.approx(VALUE[0], abs=0.05)


def test_last_band_given_explicitly_and_bare_start_ages():
    df = _df85().assign(age=START[:19])  # start ages 0, 1, 5, ..., 85: the largest is the open band
    a = life_expectancy(df, "deaths", "pops", "age")
    b = life_expectancy(df, "deaths", "pops", "age", last_band="85+")
    np.testing.assert_allclose(a["value"], b["value"])
    assert a["age_band"].iloc[-1] == "85+"


def test_band_missing_or_mixed_last_bands():
    df = _df85()
    res = life_expectancy(df.iloc[[i for i in range(19) if i != 5]], "deaths", "pops", "age")
    assert res["value"].isna().all() and "20-24" in res["note"].iloc[0]
    mixed = pd.concat([_df85().assign(g=1), pd.DataFrame({"age": ["90+"], "deaths": [5], "pops": [9], "g": [2]})])
    with pytest.raises(DataError, match="more than one open-ended"):
        life_expectancy(mixed, "deaths", "pops", "age", by="g")
    with pytest.raises(DataError, match="multiple of 5"):
        le_bands(87)
