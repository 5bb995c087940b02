"""Structure table counts (against data_samples/README.md) and the choice of estimator."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import REPO
from tests.stages.did.sim import panel
from toolkit.stages.did.choose import choose_design
from toolkit.stages.did.structure import cohort_table, panel_facts
from toolkit.stages.did.treatment import resolve_treatment
from toolkit.errors import ConfigError


@pytest.fixture(scope="module")
def sample_dd():
    raw = pd.read_csv(REPO / "data_samples" / "did_practice_panel.csv", dtype={"first_treated": str, "month": str})
    df = raw.rename(columns={"practice_code": "unit", "month": "time", "imd_quintile": "quintile"})
    return resolve_treatment(df[["unit", "time", "outcome", "first_treated", "quintile"]],
                             columns={"unit": "practice_code", "time": "month"})


def test_cohort_table_counts_match_the_data_dictionary(sample_dd):
    tab = cohort_table(sample_dd).set_index("Group")
    # data_samples/README.md: PCNs adopt 2023-04 (3 PCNs), 2023-10 (2), 2024-04 (1), two never; 5 practices a PCN
    assert tab["Units"].to_dict() == {"Started Apr 2023": 15, "Started Oct 2023": 10, "Started Apr 2024": 5,
                                      "Never treated": 10, "All units": 40}
    assert tab.loc["Started Apr 2023", "Periods before"] == 24 and tab.loc["Started Apr 2023", "Periods after"] == 24
    assert tab.loc["All units", "Treated unit-periods"] == 600  # "the 600 treated practice-months"
    # README: treated practices by cohort and quintile (1/2/3/4): 2023-04: 5/5/5/0; 2023-10: 1/5/3/1
    assert [tab.loc["Started Apr 2023", f"Quintile {q} units"] for q in (1, 2, 3, 4)] == [5, 5, 5, 0]
    assert [tab.loc["Started Oct 2023", f"Quintile {q} units"] for q in (1, 2, 3, 4)] == [1, 5, 3, 1]
    facts = dict(panel_facts(sample_dd))
    assert facts["Units"] == "40" and "Treatment given as" not in facts  # column names: technical appendix
    assert facts["Periods"] == "48 months, Apr 2021 to Mar 2025" and facts["Rows (unit-periods)"] == "1,920"


def test_staggered_adoption_gets_callaway_santanna_with_twfe_only_beside_it(sample_dd):
    c = choose_design(sample_dd)
    assert c.staggered and c.headline == "callaway_santanna" and c.show_twfe_comparison and c.control == "not_yet"
    assert any("biased" in r for r in c.reasons)
    assert choose_design(sample_dd, comparison="never").control == "never"
    with pytest.raises(ConfigError, match="comparison group"):
        choose_design(sample_dd, comparison="everyone")


def test_single_adoption_gets_twfe_and_no_never_treated_forces_not_yet():
    single = resolve_treatment(panel(seed=1, cohorts=(0, 13)))
    c = choose_design(single)
    assert not c.staggered and c.headline == "twfe" and not c.show_twfe_comparison
    nonever = resolve_treatment(panel(seed=1, cohorts=(13, 17, 20))[["unit", "time", "outcome", "first_treated"]])
    c = choose_design(nonever, comparison="never")
    assert c.control == "not_yet" and any("not yet treated" in r for r in c.reasons)
