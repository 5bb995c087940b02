"""Aggregate record-level data to analysis cells in DuckDB (streaming; no pandas until the cells).

An analyst's extract can hold tens of millions of records (people due a check,
admissions, GP events).  The estimators only need *cells* — area × period ×
group — with their counts, sums and weights.  :func:`aggregate` runs one
``GROUP BY`` over the source files in DuckDB (Parquet and CSV read in a
streaming scan; Excel through pandas), optionally joining the national IMD
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

from toolkit.data.checking import _File, _num_sql, quote, text_sql
from toolkit.data.sources import SourceFiles, _duck_error, quote_ident
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


def _imd_join(con, scan: str, lsoa_col: str, vintage: int, *, allow_mismatch: bool, file: str):
    """Vintage guard on the distinct codes (weighted by rows) and the join's SQL pieces."""
    from toolkit.data.imd import MISMATCH_TOLERANCE, REFERENCE_DIR, VINTAGES, _vintage, detect_lsoa_vintage

    v = _vintage(vintage)
    codes = con.execute(f"SELECT {text_sql(lsoa_col)} AS code, count(*) AS n FROM {scan} GROUP BY 1").df()
    report = detect_lsoa_vintage(codes["code"])
    cat = report.categories.to_numpy()
    weights = codes["n"].to_numpy()
    rows = {k: int(weights[cat == k].sum()) for k in report.counts}
    english = sum(rows[k] for k in ("both", "2011_only", "2021_only", "neither"))
    other = "2011" if v.boundary == "2021" else "2021"
    n_other = rows[f"{other}_only"]
    if not allow_mismatch and english and n_other > MISMATCH_TOLERANCE * english:
        other_year = 2019 if vintage == 2025 else 2025
        raise DataError(
            f"Cannot attach IMD {v.year} deprivation: the LSOA codes look like {other} LSOAs, "
            f"but IMD {v.year} uses {v.boundary} LSOAs.",
            [Problem(f"{n_other:,} rows ({n_other / english:.1%} of rows with an English LSOA code) hold codes "
                     f"that exist only in the {other} LSOA set (e.g. {', '.join(report.examples[f'{other}_only'])})",
                     file=file, column=lsoa_col, count=n_other,
                     fix=f"set imd_vintage: {other_year}, or convert the codes to {v.boundary} LSOAs; set "
                         "allow_vintage_mismatch: true only to keep those rows unmatched")],
        )
    audit = pd.DataFrame([
        {"category": "matched" if k in ("both", f"{v.boundary}_only") else k, "rows": rows[k],
         "distinct_codes": report.distinct[k], "example_codes": ", ".join(report.examples[k])}
        for k in report.counts if rows[k]
    ]).groupby("category", sort=False, as_index=False).agg(
        rows=("rows", "sum"), distinct_codes=("distinct_codes", "sum"), example_codes=("example_codes", "first"))
    ref = quote(REFERENCE_DIR / VINTAGES[v.year].file)
    join = (f"LEFT JOIN (SELECT {VINTAGES[v.year].code_column} AS __code, IMD_decile AS __dec FROM read_parquet({ref})) "
            f"AS __imd ON upper({text_sql(lsoa_col)}) = __imd.__code")
    return join, audit


def aggregate(source, *, roles: Mapping[str, str], by: Sequence[str] = (), sums: Sequence[str] = (),
              means: Sequence[str] = (), exclude_missing: Sequence[str] = (), imd_vintage: int | None = None,
              lsoa: str = "lsoa", allow_vintage_mismatch: bool = False,
              ethnicity_codes: Mapping[str, str] | None = None, ethnicity: str = "ethnicity") -> Cells:
    """Sum record-level rows to cells with one DuckDB ``GROUP BY`` over the source files.

    Parameters
    ----------
    source : SourceFiles, path or list of paths
        The files (CSV, Parquet or xlsx), e.g. from :func:`toolkit.data.sources.resolve_files`.
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

    Returns
    -------
    Cells

    Raises
    ------
    toolkit.errors.DataError
        A file cannot be read, a role is not mapped, or the LSOA codes do not fit
        the IMD vintage.
    """
    files = _as_files(source)
    file_label = files.spec_path
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
    con = duckdb.connect()
    try:
        if files.format == "xlsx":
            frames = [pd.read_excel(p, sheet_name=files.sheet or 0, engine="openpyxl") for p in files.files]
            con.register("__xlsx", pd.concat(frames, ignore_index=True))
            scan = "__xlsx"
        else:
            scan = _scan_sql(files)
        types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
        join, audit = "", None
        if imd_vintage is not None:
            join, audit = _imd_join(con, scan, roles[lsoa], imd_vintage, allow_mismatch=allow_vintage_mismatch,
                                    file=file_label)
        if ethnicity_codes is not None and ethnicity in by:
            codes = pd.DataFrame({"__eth_code": [str(k).strip() for k in ethnicity_codes],
                                  "__eth_group": [str(v) for v in ethnicity_codes.values()]})
            con.register("__eth", codes)
            join += f" LEFT JOIN __eth ON {text_sql(roles[ethnicity])} = __eth.__eth_code"
        select, group = [], []
        for role in by:
            if role == "imd_decile" and imd_vintage is not None:
                expr = "__imd.__dec"
            elif role == "imd_quintile" and imd_vintage is not None:
                expr = "CAST((__imd.__dec + 1) // 2 AS TINYINT)"
            elif role == "core20" and imd_vintage is not None:
                expr = "(__imd.__dec <= 2)"
            elif role == ethnicity and ethnicity_codes is not None:
                t = text_sql(roles[ethnicity])
                expr = f"coalesce(__eth.__eth_group, CASE WHEN {t} IS NULL THEN 'Not stated' ELSE 'Code not in list' END)"
            else:
                expr = f"{quote_ident(roles[role])}"
            select.append(f"{expr} AS {quote_ident(role)}")
            group.append(quote_ident(role))
        reasons = [(r, f"{text_sql(roles[r])} IS NULL") for r in exclude_missing]
        case = " ".join(f"WHEN {cond} THEN {quote('a missing ' + r)}" for r, cond in reasons)
        select.append(f"CASE {case} END AS __excluded" if reasons else "NULL AS __excluded")
        group.append("__excluded")
        select.append("count(*) AS rows")
        for role in sums:
            col = roles[role]
            select.append(f"sum(coalesce({_num_sql(col, types.get(col, 'VARCHAR'), 'count')}, 0)) AS {quote_ident(role)}")
        for role in means:
            col = roles[role]
            select.append(f"avg({_num_sql(col, types.get(col, 'VARCHAR'), 'numeric')}) AS {quote_ident(role + '_mean')}")
        sql = f"SELECT {', '.join(select)} FROM {scan} {join} GROUP BY {', '.join(group)}"
        out = con.execute(sql).df()
    except duckdb.Error as exc:
        raise _duck_error(files, files.files[0], exc) from None
    n_rows = int(out["rows"].sum())
    mask = out["__excluded"].notna()
    excl_counts = out.loc[mask].groupby("__excluded", sort=False)["rows"].sum()
    excluded = []
    for role, _ in reasons:
        reason = f"a missing {role}"
        if reason in excl_counts.index:
            excluded.append({"reason": reason, "column": roles[role], "rows": int(excl_counts[reason]),
                             "example_rows": _example_rows(con, files, reasons, role)})
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
        fh = _File(con, files, path, 100 + i)
        rows = con.execute(f"SELECT min(__row, {_EXAMPLES}) FILTER (WHERE {cond}) FROM {fh.numbered}").fetchone()[0]
        if rows:
            return ", ".join(str(int(r)) for r in sorted(rows))
    return ""
