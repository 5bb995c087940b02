"""toolkit.power._dist gives exactly what scipy.stats gives (bit for bit), without importing scipy.stats."""

from __future__ import annotations

import math
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from toolkit.power import _dist

XS = [0.0, -0.0, 0.3, -0.3, 1.959963984540054, -1.959963984540054, 2.8, -5.5, 12.0, -40.0, 40.0,
      math.inf, -math.inf, math.nan] + list(np.random.default_rng(3).normal(0, 4, 40))
QS = [0.5, 0.8, 0.9, 0.975, 0.995, 0.9995, 1e-12, 1 - 1e-16, 0.0, 1.0, math.nan] + list(
    np.random.default_rng(4).uniform(0, 1, 20))
DFS = [1, 2, 3, 7.5, 8, np.int64(18), 38, 1000, 1e6, 0, -1, math.inf, math.nan]
NCS = [0.0, 0.4, 1.3, 2.8, 7.0, 40.0, math.inf, math.nan]


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or (a == b and math.copysign(1, a) == math.copysign(1, b))


def test_the_fast_path_is_taken_on_the_scipy_this_project_pins():
    # a scipy older than the one checked falls back to scipy.stats (still identical, only slower)
    assert _dist.fast() or _dist._version(__import__("scipy").__version__) < (1, 17)


@pytest.mark.parametrize("x", XS)
def test_normal_cdf_and_sf_are_scipy_stats(x):
    assert _same(_dist.norm_cdf(x), float(stats.norm.cdf(x)))
    assert _same(_dist.norm_sf(x), float(stats.norm.sf(x)))


@pytest.mark.parametrize("q", QS)
def test_normal_and_t_quantiles_are_scipy_stats(q):
    assert _same(_dist.norm_ppf(q), float(stats.norm.ppf(q)))
    for df in DFS:
        assert _same(_dist.t_ppf(q, df), float(stats.t.ppf(q, df))), (q, df)


@pytest.mark.parametrize("x", XS)
def test_noncentral_t_cdf_and_sf_are_scipy_stats(x):
    for df in DFS:
        for nc in NCS:
            assert _same(_dist.nct_cdf(x, df, nc), float(stats.nct.cdf(x, df, nc))), (x, df, nc)
            assert _same(_dist.nct_sf(x, df, nc), float(stats.nct.sf(x, df, nc))), (x, df, nc)


def test_importing_toolkit_power_imports_no_scipy_subpackage():
    code = ("import sys, toolkit.power, toolkit.board.charter_power; "
            "print(sorted(m for m in ('scipy.stats', 'scipy.optimize', 'scipy.special') if m in sys.modules))")
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in (root, os.environ.get("PYTHONPATH", "")) if p)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=env).stdout
    assert out.strip() == "[]"
