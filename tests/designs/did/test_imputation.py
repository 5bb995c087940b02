"""imputation(): did2s point estimates (pyfixest), exact dense check, simulated coverage."""

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.designs import did
from toolkit.errors import DesignError

from .simdata import checksum, panel

DATA = Path(__file__).parent / "data"
REFS = json.loads((DATA / "imputation_refs.json").read_text())


@pytest.mark.parametrize("name", sorted(REFS["cases"]))
def test_point_estimates_match_committed_did2s(name):
    # Reference: pyfixest 0.60 did2s (Gardner's two-stage estimator; same point estimates as BJS imputation),
    # produced by data/make_imputation_refs.py -> imputation_refs.json.  pyfixest demeans iteratively
    # (to a convergence tolerance), so it agrees to about 2e-5; the exact check is the dense test below.
    case = REFS["cases"][name]
    df = panel(**case["sim"])
    assert checksum(df) == pytest.approx(case["checksum"], abs=1e-6), "simulated panel changed"
    r = did.imputation(df, "y", "unit", "time", "first_treated", weights=case["weights"])
    assert r.estimate == pytest.approx(case["att"], abs=1e-4)
    tab = r.table.set_index("event_time")
    for e, v in case["event"].items():
        assert tab.loc[float(e), "estimate"] == pytest.approx(v, abs=1e-4)


def test_exact_against_dense_least_squares():
    # Independent exact computation: unit and period dummies fitted with numpy.linalg.lstsq on the
    # untreated rows of an unbalanced weighted panel, effects imputed and averaged by hand.
    df = panel(n_units=60, n_periods=7, seed=64, cohorts=(0, 3, 5), dynamic_slope=0.5, drop_frac=0.1)
    r = did.imputation(df, "y", "unit", "time", "first_treated", weights="w")
    tr = (df.first_treated > 0) & (df.time >= df.first_treated)
    has0 = (~tr).groupby(df.unit).transform("any")
    D = pd.get_dummies(df[["unit", "time"]].astype(str), drop_first=False).to_numpy(float)
    sw = np.sqrt(df.w.to_numpy())
    m0 = (~tr).to_numpy()
    coef, *_ = np.linalg.lstsq(D[m0] * sw[m0, None], df.y.to_numpy()[m0] * sw[m0], rcond=None)
    tau = df.y.to_numpy() - D @ coef
    use = (tr & has0).to_numpy()
    w = df.w.to_numpy()
    assert r.estimate == pytest.approx(np.sum(w[use] * tau[use]) / w[use].sum(), abs=1e-9)
    e = (df.time - df.first_treated).to_numpy()
    for ev, row in r.table.set_index("event_time").iterrows():
        s = use & (e == ev)
        assert row["estimate"] == pytest.approx(np.sum(w[s] * tau[s]) / w[s].sum(), abs=1e-9)
    assert any("cannot be imputed" in x for x in r.warnings) == bool((tr & ~has0).any())


def test_coverage_of_conservative_standard_errors():
    # Seeded simulation, heterogeneous effects (by cohort and time since adoption): the share of 95%
    # intervals covering the true ATT of the sample (mean simulated effect of the treated rows) should be
    # at least nominal (BJS's variance is conservative); 150 samples, MC SE 0.018, lower bound 0.95 - 3 SE.
    n, covered = 150, 0
    for s in range(n):
        df = panel(n_units=120, n_periods=6, seed=1000 + s, cohorts=(0, 3, 5), cohort_slope=1.0,
                   dynamic_slope=0.5)
        r = did.imputation(df, "y", "unit", "time", "first_treated")
        truth = df.loc[df.true_effect != 0, "true_effect"].mean()
        covered += r.ci_low <= truth <= r.ci_high
    assert covered / n >= 0.95 - 3 * math.sqrt(0.05 * 0.95 / n)


def test_errors_and_headline():
    df = panel(n_units=50, n_periods=5, seed=65, cohorts=(0, 3))
    r = did.imputation(df, "y", "unit", "time", "first_treated", horizons=1)
    assert list(r.table["event_time"]) == [0.0, 1.0]
    assert "Borusyak" in r.method and r.ci_low < r.estimate < r.ci_high
    with pytest.raises(DesignError, match="No treated"):
        did.imputation(df.assign(first_treated=0), "y", "unit", "time", "first_treated")
