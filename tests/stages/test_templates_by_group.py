"""The templates' "effect by deprivation group" branch, end to end on seeded grouped data.

The shipped samples have no deprivation breakdown (the ITS and synthetic-control series are area totals and
the RD threshold is itself a deprivation rank), so the examples take the "data do not allow it" branch; these
runs take the other one, through papermill and the renderer, and check it leaves no stray output.
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO

pytestmark = pytest.mark.e2e


def _its_data(rng) -> pd.DataFrame:
    months = pd.period_range("2019-04", periods=60, freq="M").astype(str)
    rows = []
    for q, rr in enumerate((0.88, 0.91, 0.94, 0.97, 1.0), start=1):
        for t, m in enumerate(months):
            rate = 0.01 * np.exp(0.001 * t + 0.05 * np.cos(2 * np.pi * (t - 9) / 12)) * (rr if t >= 36 else 1)
            rows.append({"month": m, "imd_quintile": q, "admissions": rng.poisson(150_000 * rate),
                         "population": 150_000})
    return pd.DataFrame(rows)


def _synth_data(rng) -> pd.DataFrame:
    factor = np.cumsum(rng.normal(0, 0.3, 32))
    load = rng.normal(1, 0.3, 15)
    rows = []
    for u in range(15):
        for q in (1, 2, 3):
            level = 25 + rng.normal(0, 2) + q
            for t in range(32):
                y = level + load[u] * factor[t] + rng.normal(0, 0.2) - (1.5 / q if u == 0 and t >= 24 else 0)
                rows.append({"area": f"B{u:02d}", "quarter": str(pd.Period("2017Q1", freq="Q") + t),
                             "imd_quintile": q, "rate": round(y, 3)})
    return pd.DataFrame(rows)


def _rd_data(rng) -> pd.DataFrame:
    n = 2000
    x = rng.uniform(1, 13_000, n).round()
    g = rng.choice(["Urban", "Rural"], n)
    y = 60 + 0.0005 * x + np.where(x <= 6751, np.where(g == "Urban", 4.0, 1.0), 0) + rng.normal(0, 2, n)
    return pd.DataFrame({"rank": x, "area_type": g, "pct": y.round(2)})


CASES = {
    "example-admissions-its": ("its", _its_data, {"time": "month", "outcome": "admissions", "denominator": "population",
                                                  "group": "imd_quintile"},
                               {"intervention_start": "2022-04", "horizons": [11]}, "level_change_gradient"),
    "example-synth-area": ("synth", _synth_data, {"unit": "area", "time": "quarter", "outcome": "rate",
                                                  "group": "imd_quintile"},
                           {"treated_unit": "B00", "treatment_start": "2023Q1"}, "att_1"),
    "example-outreach-rd": ("rd", _rd_data, {"running": "rank", "outcome": "pct", "group": "area_type"},
                            {"cutoff": 6751.5, "treated_side": "below", "running_is_imd_rank": False,
                             "group_label": "area type"}, "effect_heterogeneity"),
}


@pytest.mark.parametrize("example", sorted(CASES))
def test_template_shows_the_effect_by_group(project, example):
    from toolkit.runner import run_evaluation

    template, make, columns, params, expected = CASES[example]
    folder = project.evaluations_dir / f"grouped-{template}"
    folder.mkdir()
    make(np.random.default_rng(2024)).to_csv(folder / "grouped.csv", index=False)
    config = yaml.safe_load((REPO / "evaluations" / example / "evaluation.yaml").read_text(encoding="utf-8"))
    config["data"] = {"sources": {"grouped": {"path": "grouped.csv", "columns": columns}}}
    stage = next(s for s in config["stages"] if s["name"] == template)
    stage["source"] = "grouped"
    stage["parameters"] = params
    config["stages"] = [stage]
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")

    outcome = run_evaluation(project, folder.name)
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    assert manifest["status"] == "succeeded"
    assert not {k: v for k, v in manifest["dropped_outputs"][template].items() if k != "stderr"}
    html = outcome.reports[template].read_text(encoding="utf-8")
    assert "Did the effect differ across the deprivation gradient?" in html
    assert "no breakdown" not in html and "cannot say whether the effect differs" not in html
    results = json.loads((outcome.run_dir / "results.json").read_text())
    assert expected in {e["name"] for e in results["estimates"]}
