"""The regression-discontinuity stage glue: sample data, bad input, groups, recorded names."""

from __future__ import annotations

from html import escape

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.errors import DesignError
from toolkit.stages.rd import fmt_cutoff, run_rd, running_check_verdict
from toolkit.results import Results

ROLES = {"lsoa21_code": "unit", "imd_rank": "running", "outcome_pct": "outcome"}


@pytest.fixture(scope="module")
def sample() -> pd.DataFrame:
    d = pd.read_csv(REPO / "data_samples" / "rd_neighbourhoods.csv")
    return d[list(ROLES)].rename(columns=ROLES)


@pytest.fixture(scope="module")
def analysis(sample):
    return run_rd(sample, stage="rd", cutoff=6751.5, treated_side="below", running_label="IMD 2025 rank",
                  running_set_externally=True, effect_unit="percentage points")


def test_sample_recovers_the_true_jump(analysis, sample):
    r = analysis.result
    assert r.ci_low < 3.0 < r.ci_high and r.estimate > 0  # treated side (below) minus the other side
    # Reference implementation: rdrobust (defaults) run directly on the sample gives the
    # above-minus-below jump; the stage reports below minus above, so the signs flip.
    from rdrobust import rdrobust

    ref = rdrobust(sample["outcome"], sample["running"], c=6751.5)
    assert r.estimate == pytest.approx(-float(ref.coef.iloc[0, 0]), abs=1e-10)
    assert (r.ci_low, r.ci_high) == pytest.approx((-float(ref.ci.iloc[2, 1]), -float(ref.ci.iloc[2, 0])), abs=1e-10)
    assert r.p_value == pytest.approx(float(ref.pv.iloc[2, 0]), rel=1e-8)
    answer, _ = analysis.headline()
    assert "percentage points higher" in answer and "6,751.5" in " ".join(analysis.headline()[1])


def test_manipulation_verdict_weighs_who_sets_the_rank(sample, analysis):
    v = next(v for v in analysis.verdicts if v.check.startswith("Is there evidence of manipulation"))
    p = float(analysis.result.density["p_value"].iloc[0])
    assert v.status == ("good" if p >= 0.05 else "caution")
    other = run_rd(sample, stage="rd", cutoff=6751.5, running_set_externally=False)
    v2 = next(v for v in other.verdicts if v.check.startswith("Is there evidence of manipulation"))
    assert v2.status == ("good" if p >= 0.05 else "concern")
    assert not any(w.startswith("The density of") for w in analysis.warnings)


def test_records_named_results(analysis):
    res = Results(None)
    analysis.record(res)
    assert {"effect", "density_p", "effect_bandwidth_min", "effect_bandwidth_max"} <= {e.name for e in res}
    assert res["effect"].ci_low < res["effect"].estimate < res["effect"].ci_high
    assert res["effect"].unit == "percentage points"


def test_no_units_on_one_side_is_refused_naming_the_parameter(sample):
    with pytest.raises(DesignError) as exc:
        run_rd(sample, stage="rd", cutoff=50_000)
    assert "no observations" in str(exc.value) and "stages.rd.parameters.cutoff" in str(exc.value)


def test_too_few_on_one_side_is_refused(sample):
    with pytest.raises(DesignError, match="at least 10"):
        run_rd(sample, stage="rd", cutoff=float(sample["running"].nsmallest(5).max()) + 0.5)


def test_missing_outcomes_are_excluded_and_counted(sample):
    d = sample.copy()
    d.loc[[3, 7, 11], "outcome"] = np.nan
    a = run_rd(d, stage="rd", cutoff=6751.5, bins=10)
    assert a.result.extra["excluded"] == 3
    assert any("3 row(s) excluded" in w and "outcome" in w for w in a.warnings)


def test_bad_treated_side():
    with pytest.raises(DesignError, match="treated_side"):
        run_rd(pd.DataFrame({"running": [1.0], "outcome": [1.0]}), stage="rd", cutoff=0, treated_side="left")


def test_groups_give_an_effect_per_group_and_a_test():
    rng = np.random.default_rng(3)
    n = 3000
    x = rng.uniform(-1, 1, n)
    g = rng.integers(1, 3, n)
    y = 10 + 2 * x + np.where(x < 0, np.where(g == 1, 4.0, 1.0), 0) + rng.normal(0, 1, n)
    a = run_rd(pd.DataFrame({"running": x, "outcome": y, "group": g}), stage="rd", cutoff=0.0, treated_side="below",
               group_label="area type")
    t = a.group_table()
    assert len(t) == 2
    res = Results(None)
    a.record(res)
    assert {"effect_1", "effect_2", "effect_heterogeneity"} <= {e.name for e in res}
    assert res["effect_heterogeneity"].p_value < 0.05
    assert a.gradient.check == "Did the effect differ by area type?" and a.gradient.status == "caution"
    assert a.gradient.finding in a.headline()[1]
    html = _html(a)
    assert "The jump at the threshold in each area type" in html and escape(a.gradient.finding) in html


def test_every_section_renders(analysis):
    html = _html(analysis)
    assert "Did the scheme make a difference at the threshold?" in html and html.count("<img") == 2
    assert "Manipulation test" in html and "cannot say whether the effect differs" in html


def test_running_check_verdict():
    data = pd.DataFrame({"running": [10, 20, 30]})
    good = running_check_verdict(data, pd.DataFrame({"imd_rank": [10, 20, 30]}), vintage=2025)
    assert good.status == "good"
    bad = running_check_verdict(data, pd.DataFrame({"imd_rank": [10, 21, np.nan]}), vintage=2025)
    assert bad.status == "caution" and "2 of 3" in bad.finding and "row" in bad.finding


def test_fmt_cutoff():
    assert fmt_cutoff(6751.5) == "6,751.5" and fmt_cutoff(6751) == "6,751"


def test_data_table_counts_both_sides(analysis, sample):
    t = analysis.data_table()
    assert t["Units"].sum() == len(sample)
    assert list(t["Gets the scheme"]) == [True, False]


def _html(analysis) -> str:
    import matplotlib

    matplotlib.use("Agg")
    from toolkit.reporting.display import block_html

    return "".join(block_html(b) for sec in analysis.sections() for b in sec.blocks)
