"""The shipped sample panel (data_samples/did_practice_panel.csv, true ATT 1.50) through the DiD stage's steps, once."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.stages.did.choose import choose_design
from toolkit.stages.did.estimate import estimate_did
from toolkit.stages.did.treatment import resolve_treatment

MAPPING = {"unit": "practice_code", "time": "month", "outcome": "outcome", "first_treated": "first_treated",
           "quintile": "imd_quintile", "weight": "list_size"}
OUTCOME = "new diagnoses per 1,000 a year"


@pytest.fixture(scope="session")
def did_sample():
    """``(dd, choice, estimates)`` of the sample panel, as the template computes them."""
    raw = pd.read_csv(REPO / "data_samples" / "did_practice_panel.csv", dtype={"first_treated": str, "month": str})
    df = raw.rename(columns={v: k for k, v in MAPPING.items()})
    dd = resolve_treatment(df[list(MAPPING)], columns=MAPPING)
    choice = choose_design(dd)
    return dd, choice, estimate_did(dd, choice, outcome_label=OUTCOME)
