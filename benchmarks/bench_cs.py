"""Benchmark: Callaway & Sant'Anna (no covariates) in the toolkit against moderndid on large seeded panels.

``make_cs_panel`` builds a balanced panel with 7 adoption cohorts (spread over
the second half of the period) and never-treated units; the true effect is 0.5
from adoption on.  Both fits use never-treated comparisons, the varying base
period and analytic standard errors; the toolkit times
``toolkit.designs.did.staggered`` (ATT(g,t), influence functions, the simple
aggregate and the Wald pre-test), moderndid times ``att_gt`` (``est_method="dr"``,
which without covariates is the same comparison of means; ``boot=False``) and
``aggte(type="simple")``.

Usage::

    .venv/bin/python benchmarks/bench_cs.py [--repeats 3] [--small-only]
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
import pandas as pd

from bench_did import timed  # one timing loop for the benchmarks (median of repeats, after gc)

SIZES = {"390k": (6_500, 60), "4m": (33_755, 120)}


def make_cs_panel(n_units: int, n_periods: int, seed: int) -> pd.DataFrame:
    """Seeded balanced panel: 7 adoption cohorts plus never-treated units; true effect 0.5."""
    rng = np.random.default_rng(seed)
    cohorts = np.linspace(n_periods // 2, n_periods - 2, 7).round().astype(np.int64)
    start = rng.choice(np.r_[0, cohorts], n_units, p=[0.3] + [0.1] * 7)
    unit = np.repeat(np.arange(n_units, dtype=np.int64), n_periods)
    time_ = np.tile(np.arange(1, n_periods + 1, dtype=np.int64), n_units)
    g = start[unit]
    y = rng.normal(0, 1, n_units)[unit] + rng.normal(0, 0.3, n_periods)[time_ - 1] + 0.5 * ((g > 0) & (time_ >= g))
    y += rng.normal(0, 1, unit.size)
    return pd.DataFrame({"unit": unit, "time": time_, "first_treated": g, "y": y})


def run_toolkit(df):
    from toolkit.designs.did import staggered

    r = staggered(df, "y", "unit", "time", "first_treated", control="never")
    return r.estimate, r.se, r.att_gt[["group", "time", "estimate", "se"]].to_numpy()


def run_moderndid(df):
    import moderndid as md

    r = md.att_gt(df, yname="y", tname="time", idname="unit", gname="first_treated", est_method="dr",
                  control_group="nevertreated", boot=False, cband=False)
    a = md.aggte(r, type="simple", boot=False, cband=False)
    cells = np.column_stack([r.groups, r.times, r.att_gt, r.se_gt])
    return float(a.overall_att), float(a.overall_se), cells


def max_cell_difference(a: np.ndarray, b: np.ndarray) -> tuple[float, float]:
    """Largest |difference| of ATT(g,t) and of their SEs, matching cells on (group, time)."""
    ka = {(float(g), float(t)): (e, s) for g, t, e, s in a}
    d_est = d_se = 0.0
    for g, t, e, s in b:
        e2, s2 = ka[(float(g), float(t))]
        d_est, d_se = max(d_est, abs(e - e2)), max(d_se, abs(s - s2))
    return d_est, d_se


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--small-only", action="store_true")
    args = ap.parse_args()
    warnings.simplefilter("ignore")
    try:
        import moderndid  # noqa: F401
        have_md = True
    except ImportError:
        have_md = False
    small = make_cs_panel(300, 12, seed=0)
    run_toolkit(small)
    if have_md:
        run_moderndid(small)
    print(f"{'panel':<8}{'rows':>11}{'toolkit s':>11}{'moderndid s':>13}{'ratio':>8}{'|d att|':>10}{'|d se|':>10}")
    for label, (n_units, n_periods) in SIZES.items():
        if args.small_only and label != "390k":
            continue
        df = make_cs_panel(n_units, n_periods, seed=2024)
        t_tk, (est, se, cells) = timed(run_toolkit, df, args.repeats)
        if have_md:
            t_md, (est2, se2, cells2) = timed(run_moderndid, df, args.repeats)
            d_est, d_se = max_cell_difference(cells, cells2)
            print(f"{label:<8}{len(df):>11,}{t_tk:>11.3f}{t_md:>13.3f}{t_tk / t_md:>8.2f}{d_est:>10.1e}{d_se:>10.1e}")
        else:
            print(f"{label:<8}{len(df):>11,}{t_tk:>11.3f}{'-':>13}{'-':>8}")


if __name__ == "__main__":
    main()
