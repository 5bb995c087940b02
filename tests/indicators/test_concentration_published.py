"""Concentration index against an output published by the WHO ``healthequal`` R package.

Source (numbers only, no code; healthequal is AGPL-3): healthequal 1.0.1 (CRAN, WHO Health
Equity Monitor), reference page of ``rci()`` as rendered in the package repository
(github.com/WHOequity/healthequal, file ``reference/rci.html``, commit 13ac74b).  Its example
prints ``head(OrderedSample)`` -- births attended by skilled health personnel (%) by wealth
quintile, quintile 1 poorest -- and then
``with(OrderedSample, rci(est = estimate, subgroup_order = subgroup_order, pop = population))``::

    measure  estimate         se    lowerci    upperci
        rci 0.0469506 0.01401831 0.01947522 0.07442599

and the data's ``setting_average`` is 91.59669 (%).  Each number is compared to within half a
unit of its last printed digit.

Only the point estimate and the mean are compared.  healthequal's standard error for
disaggregated data is not the Kakwani, Wagstaff & van Doorslaer (1997) grouped-data SE we
report (ours treats the ``population`` column as the number of people observed; the example's
populations are survey-weighted counts and its SE is about seven times ours), so the printed
SE and interval are not a reference for ours.
"""

from __future__ import annotations

import pandas as pd
import pytest

from toolkit.indicators import concentration_index

# head(OrderedSample) as printed: subgroup_order, estimate (%), population.
ORDER = [1, 2, 3, 4, 5]
ESTIMATE = [75.60530, 91.01997, 96.03959, 97.04223, 99.22405]
POPULATION = [2072.436, 2112.204, 1983.059, 2052.124, 1884.510]


def _frame(order=ORDER):
    rows = {o: (e, p) for o, e, p in zip(ORDER, ESTIMATE, POPULATION)}
    return pd.DataFrame({
        "quintile": order,
        "people": [rows[o][1] for o in order],
        "events": [rows[o][0] / 100.0 * rows[o][1] for o in order],
    })


def test_relative_concentration_index_matches_healthequal_rci():
    res = concentration_index(_frame(), "events", "people", "quintile", kind="proportion")
    # printed 0.0469506: half a unit in the 7th decimal
    assert res["value"] == pytest.approx(0.0469506, abs=5e-8)
    assert res["ci"] == pytest.approx(0.0469506, abs=5e-8)
    # setting_average 91.59669 (%)
    assert res["mean"] * 100 == pytest.approx(91.59669, abs=5e-6)
    # positive: skilled attendance is concentrated among the better-off, as healthequal says
    assert res["value"] > 0


def test_row_order_does_not_matter():
    res = concentration_index(_frame([5, 3, 1, 4, 2]), "events", "people", "quintile")
    assert res["value"] == pytest.approx(0.0469506, abs=5e-8)


def test_corrections_scale_the_published_index():
    # Erreygers E = 4·μ·C/(b − a) and Wagstaff W = C·(b − a)/(b − μ) for a proportion in
    # [0, 1] (with a = 0), applied to the published C and mean: a check on the scaling
    # only, since healthequal's page prints no corrected value.
    c, mu = 0.0469506, 0.9159669
    e = concentration_index(_frame(), "events", "people", "quintile", correction="erreygers")
    w = concentration_index(_frame(), "events", "people", "quintile", correction="wagstaff")
    assert e["value"] == pytest.approx(4 * mu * c, abs=5e-7)
    assert w["value"] == pytest.approx(c / (1 - mu), abs=5e-6)
