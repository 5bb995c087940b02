"""Convert the official deprivation CSVs into the Parquet files the toolkit ships.

Run from the repository root::

    python toolkit/data/reference/build.py --source ../shared/reference-data

It reads ``imd2019_lsoa11.csv``, ``imd2025_lsoa21.csv`` and ``imd2025_icb24.csv``,
checks their shape against the published totals, and writes zstd-compressed
Parquet files next to this script.  Values and column names are kept exactly as
in the source; only the storage types are narrowed (deciles to int8, ranks to
int32).  The output is deterministic: rerunning it on the same CSVs gives the
same tables.

Contains public sector information licensed under the Open Government Licence
v3.0 (see ATTRIBUTION.txt in this folder).
"""

from __future__ import annotations

import argparse
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

HERE = Path(__file__).resolve().parent

#: source CSV -> (Parquet file name, code column, expected number of rows)
FILES = {
    "imd2019_lsoa11.csv": ("imd2019_lsoa11.parquet", "lsoa11_code", 32_844),
    "imd2025_lsoa21.csv": ("imd2025_lsoa21.parquet", "lsoa21_code", 33_755),
    "imd2025_icb24.csv": ("imd2025_icb24.parquet", "icb24_code", 42),
}


def _narrow(df: pd.DataFrame, code_column: str) -> pd.DataFrame:
    """Narrow storage types without changing any value."""
    out = df.copy()
    for col in out.columns:
        if col == code_column or col.endswith("_name"):
            out[col] = out[col].astype(str)
        elif col.endswith("_decile"):
            out[col] = out[col].astype("int8")
        elif pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("int32")
    return out


def build(source: Path, dest: Path = HERE) -> list[Path]:
    """Convert every source CSV to a zstd Parquet file in ``dest``.

    Parameters
    ----------
    source : Path
        Folder holding the official CSVs.
    dest : Path, optional
        Output folder (default: this package folder).

    Returns
    -------
    list of Path
        The Parquet files written.
    """
    written = []
    for csv_name, (pq_name, code_col, n_rows) in FILES.items():
        df = pd.read_csv(source / csv_name, dtype={code_col: str})
        if len(df) != n_rows:
            raise SystemExit(f"{csv_name}: expected {n_rows} rows, found {len(df)}")
        if not df[code_col].is_unique or df.isna().any().any():
            raise SystemExit(f"{csv_name}: duplicate codes or missing values")
        df = _narrow(df, code_col)
        table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
        out = dest / pq_name
        pq.write_table(table, out, compression="zstd", compression_level=9)
        written.append(out)
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=Path("../shared/reference-data"))
    parser.add_argument("--dest", type=Path, default=HERE)
    args = parser.parse_args(argv)
    for path in build(args.source, args.dest):
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")


if __name__ == "__main__":
    main()
