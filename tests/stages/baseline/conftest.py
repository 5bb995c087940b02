"""One build of the shipped example's baseline (short SII simulation), shared by this folder's tests."""

from __future__ import annotations

from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="package")
def analysis():
    from toolkit.evaluations.context import open_stage
    from toolkit.stages import baseline

    ctx = open_stage(ROOT / "evaluations" / "example-hypertension", "baseline")
    return baseline.build(ctx, indicator="blood-pressure recording", sii_repetitions=1000)
