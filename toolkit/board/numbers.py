"""Numbers in board wording: 3 significant figures, thousands with commas, never scientific notation."""

from __future__ import annotations

import math

import numpy as np

__all__ = ["fmt"]


def fmt(x: float | None) -> str:
    """``2167.0`` → "2,167"; ``0.1103`` → "0.11"; ``8.04e-05`` → "0.00008"; None/NaN → "–"."""
    if x is None or not math.isfinite(x):
        return "–"
    ax = abs(x)
    if ax >= 999.5:
        return f"{x:,.0f}"
    if ax >= 0.001 or ax == 0:
        return f"{x:.3g}"
    return np.format_float_positional(x, precision=2, unique=False, fractional=False, trim="-")
