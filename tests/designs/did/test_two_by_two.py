"""two_by_two(): cell means and regression SEs."""

import numpy as np
import pandas as pd
import pytest
import statsmodels.formula.api as smf

from toolkit.designs.did import two_by_two
from toolkit.errors import DesignError


@pytest.fixture(scope="module")
def cross_sections():
    rng = np.random.default_rng(71)
    n = 500
    df = pd.DataFrame({"g": rng.integers(0, 2, n), "p": rng.integers(0, 2, n),
                       "site": rng.integers(0, 40, n), "pop": rng.uniform(1, 4, n)})
    df["y"] = 1 + 0.5 * df.g + 0.3 * df.p + 0.8 * df.g * df.p + rng.normal(size=n) * (1 + df.g)
    return df


def test_estimate_is_difference_of_means(cross_sections):
    df = cross_sections
    r = two_by_two(df, "y", "g", "p")
    m = df.groupby(["g", "p"]).y.mean()
    assert r.estimate == pytest.approx((m[1, 1] - m[1, 0]) - (m[0, 1] - m[0, 0]), abs=1e-12)
    means = r.means.set_index(["group", "period"])
    assert means.loc[("treated", "post"), "mean"] == pytest.approx(m[1, 1], abs=1e-12)
    assert means.n.sum() == len(df)


@pytest.mark.parametrize("weights", [None, "pop"])
@pytest.mark.parametrize("kind", ["HC1", "iid", "cluster"])
def test_standard_errors_match_statsmodels(cross_sections, weights, kind):
    # Reference: statsmodels WLS y ~ g*p with cov_type HC1 / nonrobust / cluster (statsmodels'
    # cluster correction G/(G-1)(N-1)/(N-K) equals fixest's with no fixed effects).
    df = cross_sections
    w = df[weights] if weights else np.ones(len(df))
    mod = smf.wls("y ~ g*p", df, weights=w)
    if kind == "cluster":
        f = mod.fit(cov_type="cluster", cov_kwds={"groups": df.site})
        r = two_by_two(df, "y", "g", "p", weights=weights, cluster="site")
    else:
        f = mod.fit(cov_type="HC1" if kind == "HC1" else "nonrobust")
        r = two_by_two(df, "y", "g", "p", weights=weights, vcov=kind)
    assert r.estimate == pytest.approx(f.params["g:p"], abs=1e-10)
    assert r.se == pytest.approx(f.bse["g:p"], rel=1e-8)


def test_missing_cell_is_an_error(cross_sections):
    df = cross_sections[~((cross_sections.g == 0) & (cross_sections.p == 0))]
    with pytest.raises(DesignError) as exc:
        two_by_two(df, "y", "g", "p")
    assert "control pre" in str(exc.value)


def test_missing_outcome_rows_are_counted(cross_sections):
    df = cross_sections.copy()
    df.loc[[3, 10], "y"] = np.nan
    r = two_by_two(df, "y", "g", "p")
    assert r.n_obs == len(df) - 2
    assert any("2 of 500 rows were excluded" in w and "5, 12" in w for w in r.warnings)
