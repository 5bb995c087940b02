"""Benchmark: toolkit twfe() against pyfixest on large seeded panels.

Fits ``y ~ d | unit + time`` with CRV1 standard errors clustered by unit on
390,000 rows (6,500 practices × 60 months) and ~4M rows (33,755 neighbourhoods ×
120 months), with ``toolkit.designs.did.twfe`` and with
``pyfixest.feols("y ~ d | unit + time", vcov={"CRV1": "unit"})`` on the same data
in the same run, and prints median wall time, peak traced memory, the time ratio
(toolkit / pyfixest; target <= 1.0) and the differences in estimate and SE.

On some small panels pyfixest 0.60 was seen to miscount the small-sample K when
the cluster column has the same name as a fixed effect (K = 2 instead of
fixest's 1 + number of periods; its nested-FE flags are matched by name and
position).  The script therefore also reports the difference against pyfixest
clustered by a copy of the unit column, which always applies fixest's rule.

Usage::

    .venv/bin/python benchmarks/bench_did.py [--repeats 3] [--small-only]
"""

from __future__ import annotations

import argparse
import gc
import statistics
import time
import tracemalloc
import warnings

import numpy as np
import pandas as pd


def make_panel(n_units: int, n_periods: int, seed: int) -> pd.DataFrame:
    """Seeded balanced panel with staggered adoption and a true effect of 0.5."""
    rng = np.random.default_rng(seed)
    unit = np.repeat(np.arange(n_units, dtype=np.int64), n_periods)
    month = np.tile(np.arange(n_periods, dtype=np.int64), n_units)
    start = rng.choice(np.r_[0, np.arange(n_periods // 4, n_periods)], n_units)
    d = ((start[unit] > 0) & (month >= start[unit])).astype(np.int64)
    y = rng.normal(0, 1, n_units)[unit] + rng.normal(0, 0.3, n_periods)[month] + 0.5 * d
    y += rng.normal(0, 1, unit.size)
    return pd.DataFrame({"unit": unit, "time": month, "d": d, "y": y})


def run_toolkit(df):
    from toolkit.designs.did import twfe

    r = twfe(df, "y", "unit", "time", "d")
    return r.estimate, r.se


def run_pyfixest(df, cluster="unit"):
    import pyfixest as pf

    m = pf.feols("y ~ d | unit + time", df, vcov={"CRV1": cluster})
    return float(m.coef().iloc[0]), float(m.se().iloc[0])


def timed(fn, df, repeats):
    times, out = [], None
    for _ in range(repeats):
        gc.collect()
        t0 = time.perf_counter()
        out = fn(df)
        times.append(time.perf_counter() - t0)
    return statistics.median(times), out


def peak_mb(fn, df):
    gc.collect()
    tracemalloc.start()
    fn(df)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / 2**20


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--small-only", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    sizes = [("practices", 6_500, 60)] + ([] if args.small_only else [("neighbourhoods", 33_755, 120)])
    # warm-up (imports, numba compilation in pyfixest) on a small panel
    small = make_panel(200, 12, seed=0)
    run_toolkit(small), run_pyfixest(small)
    print(f"{'panel':<16}{'rows':>11}{'toolkit s':>11}{'pyfixest s':>12}{'ratio':>8}"
          f"{'toolkit MB':>12}{'pyfixest MB':>13}{'|d est|':>10}{'|d se| unit':>13}{'|d se| copy':>13}")
    for label, n_units, n_periods in sizes:
        df = make_panel(n_units, n_periods, seed=2024)
        t_tk, (b_tk, se_tk) = timed(run_toolkit, df, args.repeats)
        t_pf, (b_pf, se_pf) = timed(run_pyfixest, df, args.repeats)
        df_copy = df.assign(unit_cl=df["unit"])
        b_pf2, se_pf2 = run_pyfixest(df_copy, cluster="unit_cl")
        m_tk = peak_mb(run_toolkit, df)
        m_pf = peak_mb(run_pyfixest, df)
        print(f"{label:<16}{len(df):>11,}{t_tk:>11.3f}{t_pf:>12.3f}{t_tk / t_pf:>8.2f}"
              f"{m_tk:>12.0f}{m_pf:>13.0f}{abs(b_tk - b_pf):>10.1e}{abs(se_tk - se_pf):>13.1e}"
              f"{abs(se_tk - se_pf2):>13.1e}")
        del df, df_copy
        gc.collect()


if __name__ == "__main__":
    main()
