"""Indicators against outputs published by PHEindicatormethods (the R package Fingertips uses).

Every expected number below is copied from a rendered vignette of PHEindicatormethods
(github.com/ukhsa-collaboration/PHEindicatormethods, GPL-3; numbers only, no code). R prints
each column to 7 significant digits for its smallest entry, so each value is compared to
within half a unit of its last printed decimal (the tolerance is read off the printed text):
these checks fail on any difference R would have shown.

Sources
-------
PROPORTIONS, RATES
    Vignette "Introduction to PHEindicatormethods" as rendered in the package (file
    ``inst/doc/PHEindicatormethodsIntroVignette.html``, repository commit b0fa919, package
    1.0.x): the printed data frame ``df`` (areas 1-4, 2015-2016, ``obs``/``pop``) and the
    printed outputs of ``phe_proportion(df, obs, pop)`` (Wilson, 95%), ``confidence = 99.8``,
    ``percentage = TRUE``, ``phe_rate(df, obs, pop)`` (per 100,000, 95%; exact below 10
    events, Byar's from 10) and ``phe_rate(..., confidence = 99.8, multiplier = 100)``.
DSR
    Vignette "PHEindicatormethods DSR function" as rendered in the package (file
    ``inst/doc/DSR-vignette.html``, repository commit 423d262): section "Zero deaths for a
    specific age band within a small geography", data frames ``pops2`` and ``deaths2`` (no
    deaths in three bands, replaced by 0) and the printed ``phe_dsr(df3, dths, pop)``:
    value 8283.016, lowercl 6570.819, uppercl 10289.65 (ESP 2013, per 100,000, 95%, Dobson).
Life expectancy
    Published test answers, see ``test_life_expectancy.py``.
ISR
    No published output with its inputs could be found (the package's ISR test data are in
    .xlsx and its vignettes use random data).  The ISR limits are the same exact/Byar's limits
    of the observed count checked here through ``crude_rate``, divided by E.
"""

from __future__ import annotations

from decimal import Decimal

import pandas as pd
import pytest

from toolkit.indicators import crude_rate, dsr, proportion


def _half_ulp(text: str) -> float:
    """Half a unit in the last printed place of ``text`` ("0.001077181" -> 5e-10)."""
    exponent = Decimal(text).as_tuple().exponent
    return 0.5 * 10.0 ** int(exponent) * (1 + 1e-9)


def _check(got, printed: list[str]) -> None:
    got = list(got)
    assert len(got) == len(printed)
    for g, p in zip(got, printed):
        assert g == pytest.approx(float(p), abs=_half_ulp(p)), (g, p)


# The vignette's printed `df` (area, year, obs, pop), in its row order.
AREA = ["Area1", "Area2", "Area3", "Area4"] * 2
YEAR = [2015] * 4 + [2016] * 4
OBS = [87, 1, 44, 13, 83, 7, 43, 5]
POP = [131, 164, 134, 109, 131, 139, 137, 163]


@pytest.fixture(scope="module")
def df() -> pd.DataFrame:
    return pd.DataFrame({"area": AREA, "year": YEAR, "obs": OBS, "pop": POP})


def _rowwise(fn, df, **kw) -> pd.DataFrame:
    out = fn(df, "obs", "pop", by=["year", "area"], **kw)
    return out.set_index(["year", "area"]).loc[list(zip(YEAR, AREA))]


# phe_proportion(df, obs, pop): value, lowercl, uppercl
PROP_95 = [
    ("0.664122137", "0.579592491", "0.73930053"),
    ("0.006097561", "0.001077181", "0.03372625"),
    ("0.328358209", "0.254598570", "0.41168471"),
    ("0.119266055", "0.071039739", "0.19341500"),
    ("0.633587786", "0.548367919", "0.71119617"),
    ("0.050359712", "0.024605552", "0.10029837"),
    ("0.313868613", "0.242136529", "0.39575419"),
    ("0.030674847", "0.013172190", "0.06978956"),
]
# phe_proportion(df, obs, pop, confidence = 99.8): lowercl, uppercl
PROP_998 = [
    ("0.5293576135", "0.77658434"),
    ("0.0005322047", "0.06601672"),
    ("0.2181147658", "0.46143836"),
    ("0.0529712429", "0.24689949"),
    ("0.4985908973", "0.75043163"),
    ("0.0167360401", "0.14179381"),
    ("0.2069168113", "0.44507799"),
    ("0.0084801369", "0.10481797"),
]
# phe_proportion(df, obs, pop, percentage = TRUE): value, lowercl, uppercl
PROP_PCT = [
    ("66.4122137", "57.9592491", "73.930053"),
    ("0.6097561", "0.1077181", "3.372625"),
    ("32.8358209", "25.4598570", "41.168471"),
    ("11.9266055", "7.1039739", "19.341500"),
    ("63.3587786", "54.8367919", "71.119617"),
    ("5.0359712", "2.4605552", "10.029837"),
    ("31.3868613", "24.2136529", "39.575419"),
    ("3.0674847", "1.3172190", "6.978956"),
]
# phe_rate(df, obs, pop): value, lowercl, uppercl per 100,000
RATE_95 = [
    ("66412.2137", "53191.89721", "81920.133"),
    ("609.7561", "15.43769", "3397.344"),
    ("32835.8209", "23856.24577", "44081.622"),
    ("11926.6055", "6344.25775", "20396.080"),
    ("63358.7786", "50463.30549", "78543.665"),
    ("5035.9712", "2024.72162", "10376.025"),
    ("31386.8613", "22712.53344", "42278.943"),
    ("3067.4847", "996.00392", "7158.486"),
]
# phe_rate(df, obs, pop, confidence = 99.8, multiplier = 100); method Exact for 1, 7, 5 events
RATE_998_PER_100 = [
    ("66.4122137", "4.654873e+01", "91.51034"),
    ("0.6097561", "6.100612e-04", "5.63013"),
    ("32.8358209", "1.961417e+01", "51.21896"),
    ("11.9266055", "4.192660e+00", "26.14598"),
    ("63.3587786", "4.400613e+01", "87.94878"),
    ("5.0359712", "1.093767e+00", "14.11955"),
    ("31.3868613", "1.862510e+01", "49.19876"),
    ("3.0674847", "4.536023e-01", "10.09494"),
]


def _cols(rows, i):
    return [r[i] for r in rows]


def test_proportion_95_matches_phe_proportion(df):
    out = _rowwise(proportion, df)
    _check(out["value"], _cols(PROP_95, 0))
    _check(out["lower_ci"], _cols(PROP_95, 1))
    _check(out["upper_ci"], _cols(PROP_95, 2))


def test_proportion_998_and_both_levels_match_phe_proportion(df):
    out = _rowwise(proportion, df, confidence=0.998)
    _check(out["lower_ci"], _cols(PROP_998, 0))
    _check(out["upper_ci"], _cols(PROP_998, 1))
    both = _rowwise(proportion, df, confidence=(0.95, 0.998))
    _check(both["lower_ci_95"], _cols(PROP_95, 1))
    _check(both["upper_ci_99_8"], _cols(PROP_998, 1))


def test_percentage_matches_phe_proportion(df):
    out = _rowwise(proportion, df, multiplier=100)
    for i, col in enumerate(["value", "lower_ci", "upper_ci"]):
        _check(out[col], _cols(PROP_PCT, i))


def test_crude_rate_95_matches_phe_rate(df):
    # rows with 1, 7 and 5 events use exact (chi-squared) limits, the others Byar's
    out = _rowwise(crude_rate, df)
    for i, col in enumerate(["value", "lower_ci", "upper_ci"]):
        _check(out[col], _cols(RATE_95, i))


def test_crude_rate_998_per_100_matches_phe_rate(df):
    out = _rowwise(crude_rate, df, confidence=0.998, multiplier=100)
    for i, col in enumerate(["value", "lower_ci", "upper_ci"]):
        _check(out[col], _cols(RATE_998_PER_100, i))


def test_dsr_with_missing_bands_matches_phe_dsr_vignette():
    # pops2 / deaths2 of the DSR vignette; bands without a deaths row joined as missing,
    # which our dsr reads as 0 (the vignette replaces NA by 0 before phe_dsr).
    ages = [0, 5, 10, 15, 20, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90]
    pop = [30, 35, 35, 35, 40, 40, 45, 50, 50, 50, 60, 60, 70, 75, 70, 60, 20, 20, 15]
    deaths = dict(zip([0, 5, 25, 30, 35, 40, 45, 50, 55, 60, 65, 70, 75, 80, 85, 90],
                      [1, 1, 1, 1, 3, 3, 3, 3, 10, 10, 10, 10, 8, 8, 8, 8]))
    data = pd.DataFrame({"ageband": ages, "pop": pop, "dths": [deaths.get(a) for a in ages]})
    out = dsr(data, "dths", "pop", "ageband")
    assert out["total_count"].iloc[0] == 88 and out["total_pop"].iloc[0] == 860
    _check(out["value"], ["8283.016"])
    _check(out["lower_ci"], ["6570.819"])
    _check(out["upper_ci"], ["10289.65"])
    # the age bands given as labels instead of start ages give the same answer
    labelled = data.assign(ageband=[f"{a}-{a + 4}" if a < 90 else "90+" for a in ages])
    again = dsr(labelled, "dths", "pop", "ageband")
    assert again["value"].iloc[0] == pytest.approx(out["value"].iloc[0], rel=1e-15)
