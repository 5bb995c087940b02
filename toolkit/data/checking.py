"""Check a source against a template's :class:`~toolkit.data.contracts.Contract`: files in DuckDB, or a table.

The rules are defined once (:mod:`toolkit.data.rules`: Ibis expressions for row
rules, DuckDB SQL on distinct values for value rules) and counted where the
records live:

- **files** (the default): every rule is counted in **one streaming scan** per file
  — the Ibis conditions are compiled to DuckDB SQL and counted with
  ``count(*) FILTER (WHERE rule)``, and the distinct values of the columns value
  rules need come back from the same scan (``histogram``) — so a file of tens of
  millions of rows is checked without loading it into memory.  Only when a rule is
  broken does a second query fetch its first example rows (CSV rows are numbered
  with a window over the file; Parquet files carry their own row numbers).
  Uniqueness keys are checked by sorting one 64-bit hash of the key per row
  (equal keys have equal hashes, so no repeated hash means no repeated key); only
  when a hash repeats does the exact ``GROUP BY ... HAVING count(*) > 1`` run.
  Row numbers are those a spreadsheet shows: the header is row 1, the first data
  row is row 2.
- **a table or query** on a connection (:class:`toolkit.data.engine.TableSource`:
  a DuckDB database, PostgreSQL, Spark): :mod:`toolkit.data.contract_tables` runs
  the same expressions there; only counts, distinct values and examples come back.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import duckdb
import pandas as pd

from toolkit.data.cells import text
from toolkit.data.contract_report import ContractReport, Exclusion, classify, evaluate, report, value_columns
from toolkit.data.contracts import Contract
from toolkit.data.engine import Engine, TableSource, duckdb_engine
from toolkit.data.rules import Rule, period_class_sql, quote, row_rules, text_sql  # noqa: F401 (re-exported)
from toolkit.data.sources import SourceFiles, _duck_error, _read_excel, relation_sql
from toolkit.data.uniqueness import check_unique_files
from toolkit.errors import Problem

__all__ = ["ContractReport", "Exclusion", "check_contract", "period_class_sql", "text_sql"]

_EXAMPLES = 5


class CheckedFile:
    """One file as a DuckDB relation, with and without row numbers."""

    def __init__(self, con, files: SourceFiles, path: Path, index: int):
        self.path = path
        if files.format == "xlsx":
            df = _read_excel(files, path)
            df.columns = [str(c) for c in df.columns]
            df["__row"] = range(2, len(df) + 2)
            con.register(f"__xlsx{index}", df)
            self.plain = self.numbered = f"__xlsx{index}"
        elif files.format == "parquet":
            self.plain = f"read_parquet({quote(path)})"
            self.numbered = f"(SELECT *, file_row_number + 2 AS __row FROM read_parquet({quote(path)}, file_row_number = true))"
        else:
            self.plain = relation_sql(files, path)
            self.numbered = f"(SELECT *, row_number() OVER () + 1 AS __row FROM {self.plain})"
        self.types = {r[0]: r[1] for r in con.execute(f"DESCRIBE SELECT * FROM {self.plain}").fetchall()}
        self.con, self.index = con, index

    def tables(self, engine: Engine):
        """The file as Ibis tables on ``engine`` (its DuckDB connection): plain, and with ``__row``."""
        name = f"__chk{self.index}"
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name} AS SELECT * FROM {self.plain}")
        self.con.execute(f"CREATE OR REPLACE TEMP VIEW {name}_rows AS SELECT * FROM {self.numbered}")
        return engine.table(name), engine.table(f"{name}_rows")


def check_contract(source, mapping: Mapping[str, str], contract: Contract, *,
                   folder: Path | None = None, imd_vintage: int | None = None,
                   allow_vintage_mismatch: bool = False, engine: Engine | None = None) -> ContractReport:
    """Check a source (its files, or a table/query) against a contract, reporting every violation at once.

    Parameters
    ----------
    source : SourceFiles or TableSource
        Files from :func:`toolkit.data.sources.resolve_files`, or a table/query on a
        connection (:class:`toolkit.data.engine.TableSource`).
    mapping : mapping
        ``{role: user column}`` from evaluation.yaml; only mapped roles are checked.
    contract : Contract
        The template's contract.
    folder : Path, optional
        The evaluation folder: file names in messages are shown relative to it.
    imd_vintage : {2019, 2025}, optional
        When given, LSOA columns are checked against the vintage's boundaries.
    allow_vintage_mismatch : bool
        Skip the LSOA vintage guard (``allow_vintage_mismatch`` on the source).
    engine : toolkit.data.engine.Engine, optional
        Where a table source lives (default: its ``connection``); files are always
        read by embedded DuckDB.

    Returns
    -------
    ContractReport
        Problems (empty when the data keep the contract), exclusions by
        documented rule and the number of rows read.  For a table, problems name
        the table (``file``) and carry example values but no row numbers (a table
        has no row order).

    Raises
    ------
    toolkit.errors.DataError
        A table cannot be read, or a column's type cannot hold what its role needs.
    toolkit.errors.ConfigError
        The connection cannot be made.
    """
    if isinstance(source, TableSource):
        from toolkit.data.contract_tables import check_table

        return check_table(source, mapping, contract, imd_vintage=imd_vintage,
                           allow_vintage_mismatch=allow_vintage_mismatch, engine=engine)
    return _check_files(source, mapping, contract, folder=folder, imd_vintage=imd_vintage,
                        allow_vintage_mismatch=allow_vintage_mismatch)


def _check_files(files: SourceFiles, mapping, contract: Contract, *, folder, imd_vintage, allow_vintage_mismatch):
    eng = duckdb_engine()
    con = eng.raw
    con.execute("SET enable_progress_bar = false")
    vintage = None if allow_vintage_mismatch else imd_vintage
    problems: list[Problem] = []
    exclusions: list[Exclusion] = []
    rows_per_file: dict[str, int] = {}
    handles: list[tuple[CheckedFile, object]] = []
    cleans: list[set] = []
    try:
        for i, path in enumerate(files.files):
            shown = os.path.relpath(path, folder) if folder else str(path)
            try:
                fh = CheckedFile(con, files, path, i)
                t, numbered = fh.tables(eng)
                handles.append((fh, t))
                if any(c not in fh.types for c in mapping.values()):
                    continue  # reported by the column check
                rules = row_rules("duckdb", t, mapping, contract, vintage)
                n, counts, shares, clean = _file_counts(eng, t, rules)
                cleans.append(clean)
                hits = evaluate(rules, counts, shares)
                if hits:
                    again = {r.key: r for r in row_rules("duckdb", numbered, mapping, contract, vintage)}
                    found = _file_examples(eng, numbered, hits, again)
                    problems_f, excl_f = report(hits, found, shown, files.name)
                else:
                    problems_f, excl_f = [], []
            except duckdb.Error as exc:
                problems.extend(_duck_error(files, path, exc).problems)
                continue
            rows_per_file[shown] = n
            if n == 0:
                problems.append(Problem("the file has a header but no data rows", file=shown, count=0,
                                        fix="re-export the extract, or remove the empty file from the source"))
            problems += problems_f
            exclusions += excl_f
        if handles:
            try:
                clean = set.intersection(*cleans) if len(cleans) == len(handles) else set()
                problems += check_unique_files(eng, contract, mapping, handles, folder, sum(rows_per_file.values()),
                                                clean)
            except duckdb.Error as exc:
                problems.extend(_duck_error(files, files.files[0], exc).problems)
    finally:
        con.close()
    return ContractReport(tuple(problems), tuple(exclusions), sum(rows_per_file.values()), rows_per_file)


def _file_counts(eng: Engine, t, rules: list[Rule]):
    """Rows, each row rule's count and the distinct values of value-rule columns, in one scan of the file."""
    import ibis

    row = [r for r in rules if r.cond is not None]
    cols = value_columns(rules)
    proj = {f"r{j}": r.cond for j, r in enumerate(row)}
    proj.update({f"c{j}": t[c] for j, c in enumerate(cols)})
    aggs = ["count(*)"] + [f'count(*) FILTER (WHERE "r{j}")' for j in range(len(row))]
    aggs += [f'histogram("c{j}")' for j in range(len(cols))]
    sql = ibis.to_sql(t.select(**proj), dialect="duckdb") if proj else f"SELECT 1 FROM {t.get_name()}"
    got = eng.raw.execute(f"SELECT {', '.join(aggs)} FROM ({sql})").fetchall()[0]
    counts = {id(r): int(c) for r, c in zip(row, got[1:1 + len(row)])}
    values, clean = {}, set()
    for j, c in enumerate(cols):
        hist = got[1 + len(row) + j] or {}
        raw = pd.DataFrame({"c": list(hist.keys()), "n": list(hist.values())})
        values[c] = _texts(eng, raw, t[c].type())
        if t[c].type().is_string() and all(isinstance(v, str) and v and v.strip() == v for v in hist):
            clean.add(c)  # every value is its own trimmed text: the raw column can be a uniqueness key
    return int(got[0]), counts, classify(values, rules, eng.raw), clean


def _texts(eng: Engine, raw: pd.DataFrame, dtype) -> pd.DataFrame:
    """Distinct raw values with row counts → distinct trimmed text values (:func:`text`) with row counts."""
    frame = raw[raw["c"].notna()] if len(raw) else raw
    table = eng.upload(frame, {"c": dtype, "n": "int64"}, "values")
    return eng.collect(table.group_by(v=text(table.c)).aggregate(n=table.n.sum()))


def _file_examples(eng: Engine, numbered, hits: list[tuple], again: Mapping[str, Rule]) -> list[tuple]:
    """The first rows (spreadsheet numbers) and the first example value of each broken rule, in one scan.

    ``again`` holds the same rules built over ``numbered`` (the file with ``__row``), by key.
    """
    import ibis

    proj = {"__row": numbered["__row"]}
    for j, (rule, _, _, _, vals) in enumerate(hits):
        if rule.value_sql:
            v = text(numbered[rule.column])
            proj[f"c{j}"], proj[f"v{j}"] = v.isin(vals), v
        else:
            same = again[rule.key]
            proj[f"c{j}"] = same.cond
            if same.value is not None:
                proj[f"v{j}"] = same.value
    sql = ibis.to_sql(numbered.select(**proj), dialect="duckdb")
    sel = []
    for j, _ in enumerate(hits):
        sel.append(f'min(__row, {_EXAMPLES}) FILTER (WHERE "c{j}")')
        sel.append(f'arg_min("v{j}", __row) FILTER (WHERE "c{j}")' if f"v{j}" in proj else "NULL")
    detail = eng.raw.execute(f"SELECT {', '.join(sel)} FROM ({sql})").fetchall()[0]
    return [(tuple(sorted(int(x) for x in (detail[2 * j] or ()))), detail[2 * j + 1]) for j in range(len(hits))]
