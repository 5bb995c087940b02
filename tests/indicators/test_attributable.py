"""Population attributable fraction of the deprivation gap.

References: the definition PAF = (r − r_ref)/r (e.g. Scottish Public Health Observatory / OHID
"potential for improvement"), checked by hand on small numbers, and the delta-method interval's
coverage in a seeded simulation with known true rates.
"""

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError
from toolkit.indicators import attributable_fraction


def test_hand_computed_values():
    # deaths per 100,000: overall 600/300,000 = 200; least deprived (5) 60/60,000 = 100 -> PAF 0.5
    df = pd.DataFrame({"q": [1, 2, 3, 4, 5], "o": [200, 140, 110, 90, 60],
                       "n": [60_000, 60_000, 60_000, 60_000, 60_000]})
    r = attributable_fraction(df, "o", "n", "q", kind="rate")
    assert r["overall_rate"] == pytest.approx(200.0)
    assert r["reference_rate"] == pytest.approx(100.0)
    assert r["value"] == pytest.approx(0.5)
    assert r["excess"] == pytest.approx(300.0)
    # var(log(1-PAF)) = (1/60 - 1/600)^2*60 + 540/600^2
    se = np.sqrt((1 / 60 - 1 / 600) ** 2 * 60 + 540 / 600 ** 2)
    assert r["se_log"] == pytest.approx(se)
    assert r["lower_ci"] == pytest.approx(1 - np.exp(np.log(0.5) + 1.959964 * se), rel=1e-6)
    assert r["lower_ci"] < 0.5 < r["upper_ci"] < 1


def test_other_reference_and_negative_for_good_outcomes():
    df = pd.DataFrame({"q": [1, 2, 3], "o": [40, 50, 60], "n": [100, 100, 100]})
    r = attributable_fraction(df, "o", "n", "q")
    assert r["value"] == pytest.approx(1 - 0.6 / 0.5)  # -0.2: the whole population falls short by 20%
    assert attributable_fraction(df, "o", "n", "q", reference=1)["value"] == pytest.approx(1 - 0.4 / 0.5)


def test_interval_coverage_in_seeded_simulation():
    rng = np.random.default_rng(99)
    n = np.array([4000, 4200, 3900, 4100, 4300])
    p = np.array([0.12, 0.10, 0.09, 0.08, 0.06])
    true = 1 - p[-1] / (n @ p / n.sum())
    o = rng.binomial(n, p, size=(300, 5))
    hits = 0
    for row in o:
        r = attributable_fraction(pd.DataFrame({"q": range(1, 6), "o": row, "n": n}), "o", "n", "q")
        hits += r["lower_ci"] <= true <= r["upper_ci"]
    assert 0.91 <= hits / 300 <= 0.99


def test_errors():
    df = pd.DataFrame({"q": [1, 2], "o": [3, 0], "n": [10, 10]})
    with pytest.raises(DataError, match="no events"):
        attributable_fraction(df, "o", "n", "q")
    with pytest.raises(DataError, match="not in the data"):
        attributable_fraction(df, "o", "n", "q", reference=7)
