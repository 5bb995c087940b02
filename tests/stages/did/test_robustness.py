"""The "How robust is this?" bundle on the shipped sample panel (true ATT 1.50) and a few-cluster panel."""

from __future__ import annotations

import pytest

from toolkit.reporting.plots import did as did_plots
from toolkit.stages.did.estimate import estimate_did
from toolkit.stages.did.choose import choose_design
from toolkit.stages.did.caveats import design_caveats
from toolkit.stages.did.robustness import robustness_checks
from toolkit.stages.did.treatment import resolve_treatment

from .conftest import OUTCOME
from .sim import panel


@pytest.fixture(scope="module")
def sample(did_sample):
    an = did_sample[2]
    return an, robustness_checks(an, outcome_label=OUTCOME)


def test_heterogeneity_robust_rows_cover_the_true_att(sample):
    an, rb = sample
    rows = {r.key: r for r in rb.rows}
    assert set(rows) == {"sun_abraham", "imputation"}  # many practices: no wild bootstrap row
    for key in ("sun_abraham", "imputation"):
        res = rows[key].result
        # data_samples/README.md: true ATT over the treated practice-months is 1.50
        assert res.ci_low < 1.5 < res.ci_high, key
        assert "new diagnoses per 1,000 a year" in rows[key].sentence
    tab = rb.table(an.headline, "Callaway and Sant'Anna")
    assert list(tab["Estimate"])[0].startswith("Headline") and len(tab) == 3


def test_subgroup_p_values_adjusted_gap_exempt(sample):
    _, rb = sample
    tab = rb.subgroup_table()
    gap = tab[tab["Adjustment"] == "exempt (primary)"]
    assert len(gap) == 1 and gap["Group"].iloc[0].startswith("gap")
    assert rb.subgroups.extra["multiplicity"]["method"] == "holm"  # the default; the charter may say bh
    assert "allowing for the number of groups tested" in rb.subgroup_sentence and "Holm" not in rb.subgroup_sentence


def test_few_clusters_adds_the_wild_bootstrap_row():
    df = panel(n_units=48, n_periods=18, seed=3, cohorts=(0, 10))
    df["cluster"] = "P" + (df["unit"].str[1:].astype(int) % 8).astype(str)
    cols = {"unit": "unit", "time": "time", "outcome": "outcome", "first_treated": "first_treated",
            "cluster": "pcn"}
    dd = resolve_treatment(df[list(cols)], columns=cols)
    an = estimate_did(dd, choose_design(dd), outcome_label="the outcome")
    rb = robustness_checks(an, outcome_label="the outcome", reps=999)
    rows = {r.key: r for r in rb.rows}
    wild = rows["wild_bootstrap"]
    assert "only 8 units to compare" in wild.sentence and "wild cluster bootstrap" in wild.result.method
    # the headline's caveats say it plainly (issue 15): few units, and the cautious range
    (few,) = [c for c in design_caveats(dd, robustness=rb) if c.key == "few_clusters"]
    assert few.short.startswith("Only 8 units to compare") and "bootstrap" not in few.text
    assert wild.result.ci_low < 2.0 < wild.result.ci_high  # true effect 2 (tests/stages/did/sim.py)


def test_honest_sensitivity_and_figure(sample):
    an, rb = sample
    assert rb.honest is not None and rb.honest.table["ci_low"].is_monotonic_decreasing
    assert any(s.startswith("If the trends had not been exactly parallel") for s in rb.sentences)
    label = "new diagnoses per 1,000 a year"
    fig = did_plots.honest_plot(rb.honest, outcome_label=label)
    data, alt = did_plots.honest_data(rb.honest), did_plots.honest_alt(rb.honest, outcome_label=label)
    assert len(data) == len(rb.honest.table) + 1 and "Chart of 95% confidence intervals" in alt
