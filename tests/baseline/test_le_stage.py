"""The baseline stage's life-expectancy gap: a deaths-by-cause source read through evaluation.yaml
and decomposed (Arriaga), on seeded synthetic deaths with a known excess of circulatory deaths in the
two most deprived quintiles."""

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.stages.baseline import measure_text as mt
from toolkit.baseline import measures as ms
from toolkit.errors import ConfigError
from toolkit.evaluations.context import open_stage
from toolkit.indicators import le_bands
from toolkit.reporting.formatting import fmt_number

ROOT = Path(__file__).resolve().parents[2]
CAUSES = {"Circulatory disease": 0.30, "Cancer": 0.28, "Respiratory disease": 0.12, "External causes": 0.05,
          "Other": 0.25}


def deaths_frame(seed: int = 20250501) -> pd.DataFrame:
    """Deaths by IMD quintile, age band and cause: Gompertz mortality, 12% more per quintile of deprivation,
    40% more circulatory deaths in quintiles 1-2 (seeded Poisson draws)."""
    rng = np.random.default_rng(seed)
    bands = le_bands(90)
    mid = np.array([0.5, 3] + [a + 2.5 for a in range(5, 90, 5)] + [93])
    rows = []
    for q in range(1, 6):
        pop = rng.integers(9000, 13000, len(bands)).astype(float)
        pop[0] /= 5
        pop[-1] /= 4
        for i, band in enumerate(bands):
            m = 0.00005 * np.exp(0.085 * mid[i]) + (0.004 if i == 0 else 0.0)
            for cause, share in CAUSES.items():
                extra = 1.4 if (cause == "Circulatory disease" and q <= 2) else 1.0
                rows.append((q, band, cause, rng.poisson(pop[i] * m * share * (1 + 0.12 * (5 - q)) * extra), pop[i]))
    return pd.DataFrame(rows, columns=["quintile", "age_group", "cause_of_death", "deaths", "population"])


@pytest.fixture
def evaluation(tmp_path):
    deaths_frame().to_csv(tmp_path / "deaths.csv", index=False)
    text = (ROOT / "evaluations" / "example-hypertension" / "evaluation.yaml").read_text()
    text = text.replace("../../data_samples/", f"{ROOT / 'data_samples'}/")
    text = text.replace("    practice_panel:", """    deaths:
      path: deaths.csv
      description: "Deaths by IMD quintile, age band and cause (synthetic)"
      columns:
        deaths: deaths
        population: population
        age_band: age_group
        cause: cause_of_death
        imd_quintile: quintile
    practice_panel:""")
    (tmp_path / "evaluation.yaml").write_text(text)
    return open_stage(tmp_path, "baseline")


def test_deaths_source_decomposed(evaluation):
    deaths = ms.read_deaths(evaluation, "deaths")
    assert set(deaths.columns) == {"deaths", "population", "age_band", "cause", "imd_quintile"}
    assert len(deaths.attrs["sha256"]) == 1
    le = ms.le_gap(deaths)
    assert 4 < le.gap < 9  # most deprived quintile has ~48% higher mortality at every age
    assert le.by_cause["contribution"].sum() == pytest.approx(le.gap, abs=1e-9)
    assert le.by_cause.iloc[0]["cause"] == "Circulatory disease"  # the built-in excess
    text = mt.le_gap_sentence(le)
    top = fmt_number(le.by_cause.iloc[0]["contribution"])
    assert f"Circulatory disease accounts for {top} of the {fmt_number(le.gap)} years" in text


def test_deaths_source_errors(evaluation):
    with pytest.raises(ConfigError, match="not a data source"):
        ms.read_deaths(evaluation, "nope")
    with pytest.raises(ConfigError, match="does not map"):
        ms.read_deaths(evaluation, "bp_records")
