"""Small hand-made baseline fixtures."""

from __future__ import annotations

import pandas as pd
import pytest


@pytest.fixture
def records() -> pd.DataFrame:
    """Twelve person-level records, roles already named; deciles given."""
    return pd.DataFrame({
        "person_id": range(1, 13),
        "imd_decile": [1, 1, 2, 2, 3, 5, 5, 8, 10, 10, None, None],
        "period": ["2024-01"] * 6 + ["2024-02"] * 6,
        "age_band": ["40-44", "40 to 44", "45-49", "45-49", "40-44", "90+", "90 and over", "45-49", "", "40-44",
                     "45-49", "Not known"],
        "sex": ["F", "Female", "M", "male", "Female", "Male", "Female", "", "Male", "Female", "Male", "Female"],
        "ethnicity": ["White", "Not stated", "Asian", "White", "", "White", "Black", "unknown", "White", "White",
                      "Not stated", "Asian"],
        "numerator": [0, 1, 0, 1, 1, 1, 0, 1, 1, 1, 0, 1],
    })


@pytest.fixture
def counts() -> pd.DataFrame:
    """Aggregated counts by LSOA-like area and period, roles already named."""
    return pd.DataFrame({
        "lsoa": ["A", "A", "B", "B", "C", "C", "D", "D"],
        "imd_decile": [1, 1, 2, 2, 6, 6, None, None],
        "period": ["2024-01", "2024-02"] * 4,
        "numerator": [30, 32, 20, 18, 60, 66, 5, 4],
        "denominator": [100, 100, 50, 50, 100, 110, 10, 10],
    })
