"""Seeded synthetic data for the benchmarks, written to ``benchmarks/_data/`` (never committed).

- ``records_10m.parquet``: 10,000,000 person-month records of 2,000 practices over
  48 months with staggered adoption of a scheme (``practice``, ``month``,
  ``treated``, ``event`` 0/1; true effect on the event probability +0.03).
- ``baseline_5m.parquet``: 5,000,000 person-level records shaped like
  ``data_samples/baseline_records.parquet`` (real 2021 LSOA codes of the sample
  ICB plus 1% unusable codes, months, ESP age bands, sex, ethnicity, a 0/1
  numerator), and the same records as ``baseline_5m.csv``.

Usage::

    python benchmarks/_generate.py [--out benchmarks/_data] [--force]

Files that exist are kept unless ``--force``; generation takes about half a minute.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import pandas as pd

HERE = Path(__file__).resolve().parent
DATA = HERE / "_data"
SAMPLES = HERE.parent / "data_samples"

AGE_BANDS = ("15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49", "50-54", "55-59", "60-64", "65-69",
             "70-74", "75-79", "80-84", "85-89", "90+")
ETHNICITY = ("White", "Asian, Asian British or Asian Welsh", "Black, Black British, Black Welsh, Caribbean or African",
             "Mixed or Multiple ethnic groups", "Other ethnic group", "Not stated")


def records_10m(path: Path, *, rows: int = 10_000_000, practices: int = 2_000, months: int = 48,
                seed: int = 20250407) -> Path:
    """Record-level DiD data: one row per person due a check in a month."""
    rng = np.random.default_rng(seed)
    start = rng.choice(np.r_[np.zeros(8, dtype=np.int64), np.arange(18, 42, 6)], practices)  # 0 = never
    level = rng.normal(0, 0.4, practices)
    season = 0.15 * np.cos(2 * np.pi * (np.arange(months) - 9) / 12)
    unit = rng.integers(0, practices, rows, dtype=np.int32)
    month = rng.integers(0, months, rows, dtype=np.int16)
    s = start[unit]
    treated = ((s > 0) & (month >= s)).astype(np.int8)
    p = 1 / (1 + np.exp(-(-0.6 + level[unit] + season[month] + 0.004 * month))) + 0.03 * treated
    event = (rng.random(rows) < p).astype(np.int8)
    df = pd.DataFrame({"practice": unit, "month": month, "treated": treated, "event": event})
    df.to_parquet(path, index=False, row_group_size=1_000_000)
    return path


def baseline_5m(path: Path, *, rows: int = 5_000_000, seed: int = 20250408) -> Path:
    """Person-level baseline records over the sample ICB's real LSOAs."""
    rng = np.random.default_rng(seed)
    lsoas = pd.read_csv(SAMPLES / "icb_lsoas.csv", dtype={"lsoa21_code": str})
    codes = np.r_[lsoas["lsoa21_code"].to_numpy(dtype=object), ["", "W01000001", "E0100675", "E01099999"]]
    weights = np.r_[lsoas["population"].to_numpy(float), np.full(4, lsoas["population"].sum() * 0.0025)]
    li = rng.choice(codes.size, rows, p=weights / weights.sum())
    quint = np.r_[lsoas["imd_quintile"].to_numpy(), [3, 3, 3, 3]][li]
    months = [f"{2021 + (m + 3) // 12}-{(m + 3) % 12 + 1:02d}" for m in range(36)]
    mi = rng.integers(0, 36, rows)
    age_w = np.r_[np.linspace(1, 3, 8), np.linspace(3, 0.5, 8)]
    ai = rng.choice(16, rows, p=age_w / age_w.sum())
    sex = rng.integers(0, 2, rows)
    ei = rng.choice(6, rows, p=[0.70, 0.08, 0.04, 0.02, 0.02, 0.14])
    logit = 0.7 + (ai - 7.5) * 0.12 - 0.25 * sex - 0.15 * (5 - quint) - 0.35 * (ei == 5) + 0.008 * mi
    event = (rng.random(rows) < 1 / (1 + np.exp(-logit))).astype(np.int8)
    df = pd.DataFrame({
        "person_id": np.arange(rows, dtype=np.int32) + 1,
        "lsoa21_code": pd.Categorical.from_codes(li, categories=pd.Index(codes).astype(str)),
        "month": pd.Categorical.from_codes(mi, categories=months),
        "age_band": pd.Categorical.from_codes(ai, categories=AGE_BANDS),
        "sex": pd.Categorical.from_codes(sex, categories=["Female", "Male"]),
        "ethnicity": pd.Categorical.from_codes(ei, categories=ETHNICITY),
        "bp_recorded": event,
    })
    for c in ("lsoa21_code", "month", "age_band", "sex", "ethnicity"):
        df[c] = df[c].astype(str)
    df.to_parquet(path, index=False, row_group_size=1_000_000)
    return path


def baseline_5m_csv(path: Path) -> Path:
    """The 5M baseline records as CSV (what analysts usually hold), written by DuckDB."""
    import duckdb

    src = str(path.with_suffix(".parquet")).replace("'", "''")
    dst = str(path).replace("'", "''")
    duckdb.connect().execute(f"COPY (SELECT * FROM read_parquet('{src}')) TO '{dst}' (HEADER, DELIMITER ',')")
    return path


def generate(out: Path = DATA, *, force: bool = False) -> dict[str, Path]:
    """Write the benchmark files (kept when they exist, unless ``force``)."""
    out.mkdir(parents=True, exist_ok=True)
    made = {}
    for name, fn in (("records_10m.parquet", records_10m), ("baseline_5m.parquet", baseline_5m),
                     ("baseline_5m.csv", baseline_5m_csv)):
        path = out / name
        if force or not path.exists():
            fn(path)
        made[name] = path
    return made


if __name__ == "__main__":
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, default=DATA)
    ap.add_argument("--force", action="store_true")
    args = ap.parse_args()
    for name, path in generate(args.out, force=args.force).items():
        print(f"{name}: {path.stat().st_size / 2**20:.0f} MB")
