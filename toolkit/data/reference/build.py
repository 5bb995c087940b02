"""Convert the official deprivation CSVs into the Parquet files the toolkit ships.

Run from the repository root::

    python toolkit/data/reference/build.py --source ../shared/reference-data

It reads ``imd2019_lsoa11.csv``, ``imd2025_lsoa21.csv`` and ``imd2025_icb24.csv``,
checks their shape against the published totals, and writes zstd-compressed
Parquet files next to this script.  Values and column names are kept exactly as
in the source; only the storage types are narrowed (deciles to int8, ranks to
int32).  The output is deterministic: rerunning it on the same CSVs gives the
same tables.

It also writes ``official_digests.json``: for each source file its SHA-256 and the
SHA-256 of a canonical CSV serialisation of its table (:func:`canonical_sha256`).
The tests recompute the canonical digest from the shipped Parquet files in every
run, so a fresh clone without the official CSVs still checks that the shipped
values are the official ones.

Contains public sector information licensed under the Open Government Licence
v3.0 (see ATTRIBUTION.txt in this folder).
"""

from __future__ import annotations

import argparse
import hashlib
import json
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


#: digests of the official files, written by :func:`build`
DIGESTS = "official_digests.json"


def canonical_csv(df: pd.DataFrame, code_column: str) -> bytes:
    """A canonical CSV serialisation of a reference table, independent of storage types.

    Rows sorted by ``code_column``, columns in source order, ``\\n`` line ends, no index;
    integers written as integers (int8/int32/int64 alike) and floats in Python's
    shortest round-trip form, so the official CSV read by pandas and the narrowed
    Parquet file give the same bytes exactly when they hold the same values.
    """
    out = df.sort_values(code_column, kind="stable").reset_index(drop=True).copy()
    for col in out.columns:
        if pd.api.types.is_integer_dtype(out[col]):
            out[col] = out[col].astype("int64")
        elif pd.api.types.is_float_dtype(out[col]):
            out[col] = out[col].astype("float64")
        else:
            out[col] = out[col].astype(str)
    return out.to_csv(index=False, lineterminator="\n").encode("utf-8")


def canonical_sha256(df: pd.DataFrame, code_column: str) -> str:
    """SHA-256 (hex) of :func:`canonical_csv`."""
    return hashlib.sha256(canonical_csv(df, code_column)).hexdigest()


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
        The Parquet files written, then ``official_digests.json``.
    """
    written = []
    digests = {}
    for csv_name, (pq_name, code_col, n_rows) in FILES.items():
        df = pd.read_csv(source / csv_name, dtype={code_col: str})
        digests[csv_name] = {
            "parquet": pq_name,
            "rows": len(df),
            "columns": list(df.columns),
            "source_file_sha256": hashlib.sha256((source / csv_name).read_bytes()).hexdigest(),
            "canonical_sha256": canonical_sha256(df, code_col),
        }
        if len(df) != n_rows:
            raise SystemExit(f"{csv_name}: expected {n_rows} rows, found {len(df)}")
        if not df[code_col].is_unique or df.isna().any().any():
            raise SystemExit(f"{csv_name}: duplicate codes or missing values")
        df = _narrow(df, code_col)
        table = pa.Table.from_pandas(df, preserve_index=False).replace_schema_metadata(None)
        out = dest / pq_name
        pq.write_table(table, out, compression="zstd", compression_level=9)
        written.append(out)
    path = dest / DIGESTS
    path.write_text(json.dumps(digests, indent=2) + "\n", encoding="utf-8")
    written.append(path)
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
