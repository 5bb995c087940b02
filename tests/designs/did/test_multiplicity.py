"""Adjusted p-values for subgroup and secondary-outcome families."""

import numpy as np
import pytest

from toolkit.designs import did
from toolkit.designs.did.multiplicity import adjust_outcomes, adjust_pvalues, adjust_subgroups
from toolkit.errors import DesignError

from .simdata import panel

# Benjamini & Hochberg (1995, J R Stat Soc B 57:289-300, section 3.2): 15 p-values from a study of
# myocardial infarction treatment; at level 0.05 their procedure rejects the 4 smallest, the
# Bonferroni-type procedures only the 3 smallest.
BH_1995 = [0.0201, 0.0001, 0.3240, 0.0004, 0.0459, 0.0019, 0.4262, 0.0095, 0.5719, 0.0278, 0.6528,
           0.0298, 0.7590, 0.0344, 1.0000]


def test_published_benjamini_hochberg_example():
    p = np.array(BH_1995)
    bh = adjust_pvalues(p, method="bh")
    holm = adjust_pvalues(p, method="holm")
    assert sorted(p[bh <= 0.05]) == [0.0001, 0.0004, 0.0019, 0.0095]
    assert sorted(p[holm <= 0.05]) == [0.0001, 0.0004, 0.0019]


def test_hand_computed_values_and_missing():
    # Holm: sorted 0.005, 0.01, 0.03, 0.04 -> 4*0.005, 3*0.01, 2*0.03, max(0.06, 0.04)
    # BH: 4*0.005/1, 4*0.01/2, 4*0.03/3, 4*0.04/4 -> step-up minimum 0.02, 0.02, 0.04, 0.04
    p = [0.01, 0.04, np.nan, 0.03, 0.005]
    np.testing.assert_allclose(adjust_pvalues(p, method="holm"), [0.03, 0.06, np.nan, 0.06, 0.02])
    np.testing.assert_allclose(adjust_pvalues(p, method="bh"), [0.02, 0.04, np.nan, 0.04, 0.02])
    with pytest.raises(DesignError, match="holm"):
        adjust_pvalues(p, method="bonferroni")


def test_equity_subgroups_adjusted_gap_exempt():
    df = panel(n_units=300, n_periods=6, seed=71, cohorts=(0, 4), quintile_effects=(3, 2, 1, 0.5, 0))
    eq = did.equity(df, "y", "unit", "time", "q", treatment="d")
    adj = adjust_subgroups(eq, method="holm")
    tab = adj.table.set_index("group")
    fam = adj.table[adj.table["group"] != "gap"]
    np.testing.assert_allclose(fam["p_adjusted"], adjust_pvalues(fam["p_value"], method="holm"))
    assert (fam["p_adjusted"] >= fam["p_value"] - 1e-15).all()
    assert tab.loc["gap", "p_adjusted"] == tab.loc["gap", "p_value"]
    assert tab.loc["gap", "adjustment"] == "exempt (primary)"
    assert adj.estimate == eq.estimate and adj.p_value == eq.p_value
    assert adj.extra["multiplicity"]["family_size"] == 7  # 5 quintiles + most deprived + rest


def test_outcome_family_primary_exempt():
    df = panel(n_units=200, n_periods=6, seed=72, cohorts=(0, 4))
    res = {k: did.twfe(df.assign(y=df.y + s * df.x), "y", "unit", "time", "d")
           for k, s in (("primary", 0.0), ("a", 1.0), ("b", -1.0), ("c", 2.0))}
    tab = adjust_outcomes(res, primary="primary", method="bh").set_index("outcome")
    assert tab.loc["primary", "p_adjusted"] == res["primary"].p_value
    sec = ["a", "b", "c"]
    np.testing.assert_allclose(tab.loc[sec, "p_adjusted"], adjust_pvalues([res[k].p_value for k in sec], method="bh"))
    with pytest.raises(DesignError, match="primary"):
        adjust_outcomes(res, primary="missing")
