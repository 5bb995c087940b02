"""Validation of the data for a regression discontinuity: columns, numbers, missing rows, units each side."""

from __future__ import annotations

from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs._timeseries import check_columns
from toolkit.designs.rd_lines import _kernel_weights
from toolkit.errors import DataError, DesignError

__all__ = ["MIN_PER_SIDE", "prepare"]

#: refused with fewer observations than this on either side of the cutoff
MIN_PER_SIDE = 10


def prepare(data: pd.DataFrame, outcome: str, running: str, cutoff: float, *, treated: str, level: float,
            treatment: str | None, cluster: str | None, covariates: Sequence[str] | None, kernel: str):
    """Check and clean the data for :func:`toolkit.designs.rd.fit`.

    Returns
    -------
    tuple
        ``(df, x, y, x_density, warnings, excluded, n_left, n_right)``: the usable rows
        of the used columns (numeric), running variable and outcome arrays, every
        numeric running value (for the density test), cautions, the number of rows
        excluded for missing values, and the counts below / at or above the cutoff.

    Raises
    ------
    DesignError
        Bad ``treated``/``level``/``kernel``, no units on a side, or fewer than
        ``MIN_PER_SIDE`` on a side.
    DataError
        A missing column or non-numeric values (naming the rows).
    """
    if treated not in ("above", "below"):
        raise DesignError("treated must be 'above' or 'below' (the side of the cutoff that gets the scheme)")
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1, e.g. 0.95")
    covariates = list(covariates or [])
    check_columns(data, {"outcome": outcome, "running variable": running, "cluster": cluster,
                         "treatment": treatment,
                         **{f"covariate {c}": c for c in covariates}})
    warnings: list[str] = []
    used = [outcome, running] + covariates + ([cluster] if cluster else []) + ([treatment] if treatment else [])
    df = data[used].copy()
    x_density = pd.to_numeric(data[running], errors="coerce").dropna().to_numpy(float)
    for col in [outcome, running] + covariates + ([treatment] if treatment else []):
        vals = pd.to_numeric(df[col], errors="coerce")
        bad = vals.isna() & df[col].notna()
        if bad.any():
            rows = tuple(int(i) + 2 for i in np.flatnonzero(bad.to_numpy())[:5])
            raise DataError("values are not numbers", column=col, rows=rows, count=int(bad.sum()),
                            fix="make the column numeric")
        df[col] = vals.astype(float)
    miss = df[used].isna().any(axis=1).to_numpy()
    excluded = int(miss.sum())
    if excluded:
        rows = np.flatnonzero(miss)[:5] + 2
        cols = [c for c in used if df[c].isna().any()]
        warnings.append(Caution(f"{excluded} row(s) excluded because {', '.join(cols)} is missing "
                                f"(e.g. rows {', '.join(map(str, rows))}).", code="rd.missing_rows"))
        df = df.loc[~miss]
    x = df[running].to_numpy(float)
    y = df[outcome].to_numpy(float)
    n_left, n_right = int((x < cutoff).sum()), int((x >= cutoff).sum())
    if n_left == 0 or n_right == 0:
        empty = "below" if n_left == 0 else "at or above"
        raise DesignError(
            f"the running variable '{running}' has no observations {empty} the cutoff {cutoff:g} "
            f"(range {x.min():g} to {x.max():g}); a discontinuity needs units on both sides"
        )
    if min(n_left, n_right) < MIN_PER_SIDE:
        raise DesignError(
            f"only {min(n_left, n_right)} observation(s) on one side of the cutoff (at least {MIN_PER_SIDE} "
            "are needed on each side)"
        )
    _kernel_weights(np.zeros(1), kernel)  # validates the kernel name
    return df, x, y, x_density, warnings, excluded, n_left, n_right
