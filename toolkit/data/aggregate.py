"""Aggregate record-level data to analysis cells where they live (DuckDB by default; no pandas until the cells).

An analyst's extract can hold tens of millions of records (people due a check,
admissions, GP events).  The estimators only need *cells* — area × period ×
group — with their counts, sums and weights.  :func:`aggregate` runs one
``GROUP BY`` (:func:`toolkit.data.cells.aggregate_table`, Ibis) over the source
files in DuckDB (Parquet and CSV read in a streaming scan; Excel through pandas)
or over a table on PostgreSQL or Spark (:mod:`toolkit.data.engine`), optionally joining the national IMD
lookup by LSOA (the toolkit's own Parquet files, with the vintage guard of
:mod:`toolkit.data.imd`) and an ethnicity code list in the same query, and
returns the cells as a small pandas DataFrame.

Nothing is dropped silently: rows that cannot count (a blank value in a role
named in ``exclude_missing``) are left out of the cells and counted by reason,
in order of precedence so each row is counted once (:attr:`Cells.excluded`);
rows whose LSOA matched no IMD decile are kept in cells with a missing decile
and audited (:attr:`Cells.imd_audit`).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

import duckdb
import pandas as pd

from toolkit.data.cells import aggregate_table
from toolkit.data.checking import CheckedFile, quote, text_sql
from toolkit.data.engine import Engine, TableSource, duckdb_engine, reading
from toolkit.data.sources import SourceFiles, _duck_error
from toolkit.data.tables import check_columns
from toolkit.errors import DataError, Problem

__all__ = ["Cells", "aggregate"]

_EXAMPLES = 5


@dataclass(frozen=True)
class Cells:
    """Records summed to analysis cells.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per combination of ``by`` (role names; ``imd_decile``,
        ``imd_quintile`` and ``core20`` when IMD is joined), with ``rows``
        (records in the cell), one column per role in ``sums`` and
        ``<role>_mean`` per role in ``means``.
    excluded : pandas.DataFrame
        ``reason``, ``column``, ``rows``, ``example_rows`` (spreadsheet rows of the
        first file holding such rows) per documented exclusion rule.
    n_rows : int
        Records read.
    imd_audit : pandas.DataFrame or None
        With an IMD join: rows and distinct codes per LSOA category (matched,
        blank, not an LSOA code, Welsh/Scottish, other vintage, unknown).
    imd_vintage : int or None
    """

    cells: pd.DataFrame
    excluded: pd.DataFrame
    n_rows: int
    imd_audit: pd.DataFrame | None = None
    imd_vintage: int | None = None

    @property
    def n_excluded(self) -> int:
        return int(self.excluded["rows"].sum()) if len(self.excluded) else 0


def _as_files(source) -> SourceFiles:
    if isinstance(source, SourceFiles):
        return source
    paths = [Path(source)] if isinstance(source, (str, Path)) else [Path(p) for p in source]
    fmt = {".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}.get(paths[0].suffix.lower(), "csv")
    return SourceFiles("data", str(paths[0]), tuple(paths), fmt)


def _scan_sql(files: SourceFiles) -> str:
    """One relation over every file of the source (streaming for Parquet and CSV)."""
    listed = "[" + ", ".join(quote(p) for p in files.files) + "]"
    if files.format == "parquet":
        return f"read_parquet({listed}, union_by_name = true)"
    from toolkit.data.sources import _csv_options

    return f"read_csv({listed}, {_csv_options(files)}, union_by_name = true)"


def _open(files: SourceFiles, engine: Engine):
    """The source's records as an Ibis table on the DuckDB engine (one streaming relation over every file)."""
    if files.format == "xlsx":
        frames = [pd.read_excel(p, sheet_name=files.sheet or 0, engine="openpyxl") for p in files.files]
        engine.raw.register("__xlsx", pd.concat(frames, ignore_index=True))
        return engine.table("__xlsx")
    engine.raw.execute(f"CREATE OR REPLACE TEMP VIEW __records AS SELECT * FROM {_scan_sql(files)}")
    return engine.table("__records")


def aggregate(source, *, roles: Mapping[str, str], by: Sequence[str] = (), sums: Sequence[str] = (),
              means: Sequence[str] = (), exclude_missing: Sequence[str] = (), imd_vintage: int | None = None,
              lsoa: str = "lsoa", allow_vintage_mismatch: bool = False,
              ethnicity_codes: Mapping[str, str] | None = None, ethnicity: str = "ethnicity",
              engine: Engine | None = None) -> Cells:
    """Sum record-level rows to cells with one ``GROUP BY`` where the records live (DuckDB by default).

    Parameters
    ----------
    source : SourceFiles, path, list of paths or TableSource
        The files (CSV, Parquet or xlsx), e.g. from :func:`toolkit.data.sources.resolve_files`,
        or a table/query on a connection (:class:`toolkit.data.engine.TableSource`).
    roles : mapping
        ``{role: user column}`` (evaluation.yaml's column mapping).
    by : sequence of str
        Roles to group by; also ``imd_decile``, ``imd_quintile``, ``core20`` when
        ``imd_vintage`` is given (joined from ``lsoa``).
    sums : sequence of str
        Roles summed per cell (counts, denominators, weights; blank counts as 0
        unless the role is in ``exclude_missing``).
    means : sequence of str
        Roles averaged per cell (``<role>_mean``).
    exclude_missing : sequence of str
        Roles whose blank values make a row unusable: such rows are left out and
        counted by reason (in this order of precedence).
    imd_vintage : {2019, 2025}, optional
        Join the national IMD lookup of this vintage by the ``lsoa`` role.
    allow_vintage_mismatch : bool
        Join even when the codes look like the other boundary set.
    ethnicity_codes : mapping, optional
        Code list ``{code as written: group}``; the ``ethnicity`` role is replaced
        by its group (codes not in the list become ``"Not stated"`` when blank,
        else ``"Code not in list"``).
    engine : toolkit.data.engine.Engine, optional
        Where a :class:`~toolkit.data.engine.TableSource` lives (default: its
        ``connection``); files are always read by embedded DuckDB.

    Returns
    -------
    Cells

    Raises
    ------
    toolkit.errors.DataError
        A file or table cannot be read, a role is not mapped, or the LSOA codes do
        not fit the IMD vintage.
    toolkit.errors.ConfigError
        The connection cannot be made (server unreachable, login refused, variable unset).

    Notes
    -----
    The query is :func:`toolkit.data.cells.aggregate_table` (Ibis), identical on
    every engine.  Example rows of excluded records are spreadsheet rows of the
    first file holding them; a table has no row order, so they are blank there.
    """
    table_source = isinstance(source, TableSource)
    files = None if table_source else _as_files(source)
    file_label = source.label if table_source else files.spec_path
    imd_cols = {"imd_decile", "imd_quintile", "core20"}
    needed = (set(by) - imd_cols) | set(sums) | set(means) | set(exclude_missing)
    if imd_vintage is not None:
        needed.add(lsoa)
    if ethnicity_codes is not None and ethnicity in by:
        needed.add(ethnicity)
    missing = sorted(r for r in needed if r not in roles)
    if missing:
        raise DataError("The aggregation needs roles that are not mapped:", [
            Problem(f"no column for role '{r}'", file=file_label, column=r,
                    fix=f"map it under data.sources.<name>.columns (`{r}: <your column>`)") for r in missing])
    kw = dict(roles=roles, by=by, sums=sums, means=means, exclude_missing=exclude_missing, imd_vintage=imd_vintage,
              lsoa=lsoa, allow_vintage_mismatch=allow_vintage_mismatch, ethnicity_codes=ethnicity_codes,
              ethnicity=ethnicity, file=file_label)
    if table_source:
        with reading(source, engine) as (eng, table):
            check_columns(source, table, [roles[r] for r in sorted(needed)])
            out, audit = aggregate_table(eng, table, **kw)
    else:
        eng = duckdb_engine()
        try:
            table = _open(files, eng)
            out, audit = aggregate_table(eng, table, **kw)
        except duckdb.Error as exc:
            raise _duck_error(files, files.files[0], exc) from None
    n_rows = int(out["rows"].sum())
    mask = out["__excluded"].notna()
    excl_counts = out.loc[mask].groupby("__excluded", sort=False)["rows"].sum()
    excluded = []
    reasons = [(r, f"{text_sql(roles[r])} IS NULL") for r in exclude_missing]
    for role, _ in reasons:
        reason = f"a missing {role}"
        if reason in excl_counts.index:
            rows = "" if table_source else _example_rows(eng.raw, files, reasons, role)  # a table has no row order
            excluded.append({"reason": reason, "column": roles[role], "rows": int(excl_counts[reason]),
                             "example_rows": rows})
    if not table_source:
        eng.close()
    cells = out.loc[~mask].drop(columns="__excluded")
    cells = cells.sort_values(list(by), kind="stable").reset_index(drop=True) if by else cells.reset_index(drop=True)
    for role in sums:
        col = cells[role]
        if len(col) and (col.dropna() % 1 == 0).all():
            cells[role] = col.astype("int64")
    return Cells(cells, pd.DataFrame(excluded, columns=["reason", "column", "rows", "example_rows"]), n_rows,
                 audit, imd_vintage)


def _example_rows(con, files: SourceFiles, reasons, role: str) -> str:
    """Spreadsheet rows of the first file holding rows excluded for ``role`` (a second, numbered scan)."""
    conds = [c for r, c in reasons]
    idx = [r for r, _ in reasons].index(role)
    cond = conds[idx] + "".join(f" AND NOT ({c})" for c in conds[:idx])
    for i, path in enumerate(files.files):
        fh = CheckedFile(con, files, path, 100 + i)
        rows = con.execute(f"SELECT min(__row, {_EXAMPLES}) FILTER (WHERE {cond}) FROM {fh.numbered}").fetchone()[0]
        if rows:
            return ", ".join(str(int(r)) for r in sorted(rows))
    return ""
