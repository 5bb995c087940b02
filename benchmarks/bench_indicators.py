"""Benchmark toolkit.indicators: SII (100,000 repetitions, 300 groups) and DSR (1M rows).

Run: ``.venv/bin/python benchmarks/bench_indicators.py [--repeats 5]``.  Prints the
median wall time of each; inputs are seeded synthetic data.
"""

from __future__ import annotations

import argparse
import statistics
import time
import warnings

import numpy as np
import pandas as pd

from toolkit.indicators import ESP2013, dsr, sii


def _sii_data(groups: int = 300, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    q = np.tile(np.arange(1, 11), groups)
    df = pd.DataFrame({"area": np.repeat(np.arange(groups), 10), "quantile": q})
    df["pop"] = rng.integers(5_000, 20_000, len(df))
    df["value"] = 85 - 1.2 * (11 - q) + rng.normal(0, 1, len(df))
    df["se"] = rng.uniform(0.4, 1.5, len(df))
    return df


def _dsr_data(rows: int = 1_000_000, seed: int = 2) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    bands = list(ESP2013)
    groups = rows // len(bands)
    pop = rng.integers(200, 5_000, groups * len(bands))
    rate = np.tile(0.0005 * np.exp(0.08 * np.arange(len(bands)) * 5 / 5), groups)
    return pd.DataFrame({
        "area": np.repeat(np.arange(groups), len(bands)),
        "age_band": np.tile(bands, groups),
        "deaths": rng.poisson(rate * pop),
        "pop": pop,
    })


def _median_time(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sd = _sii_data()
    dd = _dsr_data()
    warnings.simplefilter("ignore")
    cases = {
        "sii normal, 300 groups x 10 deciles, 100,000 repetitions":
            lambda: sii(sd, "quantile", "pop", "value", se="se", by="area", repetitions=100_000, seed=1),
        "sii rate (simulated per value), 300 groups, 100,000 repetitions":
            lambda: sii(sd, "quantile", "pop", "value", se="se", value_type="rate", by="area",
                        repetitions=100_000, seed=1),
        f"dsr, {len(dd):,} rows ({dd['area'].nunique():,} groups), 95% and 99.8%":
            lambda: dsr(dd, "deaths", "pop", "age_band", by="area", confidence=(0.95, 0.998)),
    }
    for name, fn in cases.items():
        print(f"{name}: median {_median_time(fn, args.repeats):.2f} s over {args.repeats} runs")


if __name__ == "__main__":
    main()
