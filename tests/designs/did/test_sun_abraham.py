"""sun_abraham(): pyfixest reference, Callaway & Sant'Anna equivalence, simulated known effects."""

import json
from pathlib import Path

import numpy as np
import pytest

from toolkit.designs import did
from toolkit.errors import DesignError

from .simdata import checksum, panel

DATA = Path(__file__).parent / "data"
REFS = json.loads((DATA / "sunab_refs.json").read_text())


@pytest.mark.parametrize("name", sorted(REFS["cases"]))
def test_matches_committed_pyfixest_reference(name):
    # Reference: pyfixest 0.60 feols with explicit cohort x event-time dummies (fixest's sunab() regression)
    # and fixest's share aggregation, produced by data/make_sunab_refs.py -> sunab_refs.json.
    case = REFS["cases"][name]
    df = panel(**case["sim"])
    assert checksum(df) == pytest.approx(case["checksum"], abs=1e-6), "simulated panel changed"
    cluster = None if case["cluster"] == "ucl" else case["cluster"]
    r = did.sun_abraham(df, "y", "unit", "time", "first_treated", control=case["control"], cluster=cluster,
                        weights=case["weights"])
    assert r.n_obs == case["n_obs"]
    tab = r.table[r.table["period"] != "reference"].set_index("event_time")
    assert sorted(tab.index) == sorted(float(e) for e in case["event"])
    for e, ref in case["event"].items():
        assert tab.loc[float(e), "estimate"] == pytest.approx(ref["estimate"], abs=1e-8)
        assert tab.loc[float(e), "se"] == pytest.approx(ref["se"], rel=1e-6)
    assert r.estimate == pytest.approx(case["att"]["estimate"], abs=1e-8)
    assert r.se == pytest.approx(case["att"]["se"], rel=1e-6)
    cells = r.extra["cohort_effects"]
    for key, v in case["cells"].items():
        g, e = map(float, key.split(":"))
        row = cells[(cells.cohort == g) & (cells.event_time == e)]
        assert row["delta"].iloc[0] == pytest.approx(v, abs=1e-8)


def test_post_effects_equal_callaway_santanna_with_never_treated():
    # Sun & Abraham (2021, section 4): with never-treated controls, a balanced panel and no weights the
    # post-adoption cell coefficients are the 2x2 comparisons with period g-1 -- Callaway & Sant'Anna's
    # ATT(g,t) -- and the cohort shares are C&S's dynamic weights.  Our C&S matches R `did` (test_staggered).
    df = panel(n_units=300, n_periods=8, seed=5, cohorts=(0, 3, 5, 7), cohort_slope=1.0, dynamic_slope=0.5)
    sa = did.sun_abraham(df, "y", "unit", "time", "first_treated")
    cs = did.staggered(df, "y", "unit", "time", "first_treated")
    dyn = cs.aggregate("dynamic").table.dropna(subset=["event_time"]).set_index("event_time")
    post = sa.table[sa.table["period"] == "post"].set_index("event_time")
    for e, row in post.iterrows():
        assert row["estimate"] == pytest.approx(dyn.loc[e, "estimate"], abs=1e-10)
    assert sa.estimate == pytest.approx(cs.aggregate("simple").estimate, abs=1e-10)


def test_recovers_heterogeneous_effects_where_twfe_event_study_does_not():
    # Seeded simulation with effects growing with time since adoption and differing by cohort (true effect
    # at event time e = the mean of the simulated effects of the treated cells at e).
    df = panel(n_units=2000, n_periods=10, seed=9, cohorts=(0, 4, 6, 8), cohort_slope=2.0, dynamic_slope=1.0,
               noise=0.5)
    sa = did.sun_abraham(df, "y", "unit", "time", "first_treated")
    post = sa.table[sa.table["period"] == "post"].set_index("event_time")
    tr = df[(df.first_treated > 0) & (df.time >= df.first_treated)]
    truth = tr.assign(e=tr.time - tr.first_treated).groupby("e")["true_effect"].mean()
    for e, v in truth.items():
        assert post.loc[float(e), "estimate"] == pytest.approx(v, abs=4 * post.loc[float(e), "se"] + 0.02)
    pre = sa.table[sa.table["period"] == "pre"]
    assert (pre["estimate"].abs() <= 4 * pre["se"]).all()
    assert sa.estimate == pytest.approx(tr["true_effect"].mean(), abs=4 * sa.se)
    # the plain TWFE event study on the same data is visibly off at a long horizon
    es = did.event_study(df, "y", "unit", "time", "first_treated").table.set_index("event_time")
    assert abs(es.loc[5.0, "estimate"] - truth[5]) > 4 * es.loc[5.0, "se"]


def test_last_cohort_control_and_errors():
    df = panel(n_units=150, n_periods=8, seed=53, cohorts=(3, 5, 7), cohort_slope=0.5)
    with pytest.raises(DesignError, match="never-treated"):
        did.sun_abraham(df, "y", "unit", "time", "first_treated")
    r = did.sun_abraham(df, "y", "unit", "time", "first_treated", control="last")
    assert r.table["event_time"].max() < 7 - 3
    assert any("comparison group" in w for w in r.warnings)
    with pytest.raises(DesignError, match="control"):
        did.sun_abraham(df, "y", "unit", "time", "first_treated", control="not_yet")
