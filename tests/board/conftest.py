"""Small evaluations of known truth for the board tests (built in a temporary folder, no notebooks run)."""

from __future__ import annotations

import copy
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.helpers import example_config

MONTHS = [p.strftime("%Y-%m") for p in pd.period_range("2022-04", periods=24, freq="M")]  # 12 before, 12 after


def small_data(*, core20_after: float = 0.60, rest: float = 0.70, checks_core20: int = 300, checks_rest: int = 300,
               follow: float = 0.9, months: list[str] = MONTHS, n: int = 2000) -> pd.DataFrame:
    """Two areas (decile 1 = Core20, decile 8), monthly: adults, recorded, checks, high readings, follow-ups.

    Core20 recording is 50% before April 2023 and ``core20_after`` from then; the rest is ``rest`` throughout.
    Counts are set to their expected values (no noise), so the truth is exact.
    """
    rows = []
    for m in months:
        after = m >= "2023-04"
        for decile, p, checks in ((1, core20_after if after else 0.50, checks_core20), (8, rest, checks_rest)):
            c = checks if after else 0
            high = c // 4
            rows.append({"month": m, "decile": decile, "adults": n, "recorded": int(round(n * p)),
                         "checks": c, "high": high, "follow": int(round(high * follow)),
                         "ethnicity": "Black African" if decile == 1 else "White"})
    return pd.DataFrame(rows)


def small_config(**charter_updates) -> dict:
    """The hypertension charter with goals on a small 'area' source (decile given), over 2022-04 to 2024-03."""
    data = copy.deepcopy(example_config())
    charter = data["charter"]
    charter["period"] = {"start": "2023-04-01", "end": "2025-03-31"}
    charter["logic_model"]["lag_months"] = 0
    charter.pop("costs", None)
    charter["qualitative"] = {}
    base = {"source": "area", "kind": "proportion", "numerator": "recorded", "denominator": "adults",
            "period": "period", "per": "quarter", "population": "core20"}
    charter["goals"] = [
        {"id": "output", "description": "Checks a month", "step": "output",
         "measure": {"source": "area", "kind": "count", "numerator": "checks", "period": "period", "per": "month"},
         "target": 500, "direction": "increase", "by": "2023-06-30"},
        {"id": "reach", "description": "Core20 share checked", "step": "reach",
         "measure": {**base, "numerator": "checks", "per": "month"}, "target": 10, "direction": "increase",
         "by": "2023-06-30"},
        {"id": "fidelity", "description": "Follow-up", "step": "fidelity",
         "measure": {**base, "numerator": "follow", "denominator": "high", "population": "everyone"},
         "baseline": 80, "target": 80, "direction": "increase", "by": "2023-06-30"},
        {"id": "outcome", "description": "Core20 recording", "step": "outcome", "measure": dict(base),
         "target": 60, "direction": "increase", "by": "2024-03-31"},
    ]
    charter.update(charter_updates)
    data["data"] = {"sources": {"area": {"path": "area.csv", "columns": {
        "period": "month", "decile": "decile", "adults": "adults", "recorded": "recorded", "checks": "checks",
        "high": "high", "follow": "follow", "ethnicity": "ethnicity"}}}}
    data["stages"] = [{"name": "charter", "template": "charter"}]
    return data


def write_evaluation(folder: Path, config: dict, data: pd.DataFrame | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(config, sort_keys=False), encoding="utf-8")
    (small_data() if data is None else data).to_csv(folder / "area.csv", index=False)
    return folder


@pytest.fixture
def small_evaluation(tmp_path):
    """(builder) -> LoadedEvaluation: write config + data into tmp_path and load them."""
    from toolkit.evaluations.loader import load_evaluation

    def build(config: dict | None = None, data: pd.DataFrame | None = None, name: str = "small"):
        return load_evaluation(write_evaluation(tmp_path / name, config or small_config(), data))

    return build
