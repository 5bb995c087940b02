"""Check a source's files against a template's :class:`~toolkit.data.contracts.Contract` in DuckDB.

Every row rule of a contract (type, range, missing values, cross-column rules,
period granularity, LSOA vintage) is one SQL expression; all of them are counted
in **one streaming scan** per file (``count(*) FILTER (WHERE rule)``), so a file
of tens of millions of rows is checked without loading it into memory.  Only when
a rule is broken does a second query fetch its first example rows (CSV rows are
numbered with a window over the file; Parquet files carry their own row numbers).
Uniqueness keys are one ``GROUP BY ... HAVING count(*) > 1`` query over all the
files of a source.

Row numbers are those a spreadsheet shows: the header is row 1, the first data
row is row 2.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping

import duckdb

from toolkit.data.contracts import Contract
from toolkit.data.rules import (  # noqa: F401  (re-exported: text_sql, period_class_sql, quote were defined here)
    _CLASS_WORDS,
    _PERIOD_FIX,
    _compare_rules,
    _num_sql,
    _only_tables,
    _role_rules,
    _Rule,
    period_class_sql,
    quote,
    text_sql,
)
from toolkit.data.sources import SourceFiles, _duck_error, _read_excel, relation_sql, quote_ident
from toolkit.errors import Problem

__all__ = ["ContractReport", "Exclusion", "check_contract", "period_class_sql", "text_sql"]

_EXAMPLES = 5


@dataclass(frozen=True)
class Exclusion:
    """Rows a documented rule leaves out of the analysis (counted, never silent)."""

    source: str
    file: str
    role: str
    column: str
    reason: str
    rows: int
    example_rows: tuple[int, ...] = ()


@dataclass(frozen=True)
class ContractReport:
    """The outcome of checking one source against one contract."""

    problems: tuple[Problem, ...] = ()
    exclusions: tuple[Exclusion, ...] = ()
    n_rows: int = 0
    rows_per_file: Mapping[str, int] = field(default_factory=dict)


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


def _fmt(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def check_contract(files: SourceFiles, mapping: Mapping[str, str], contract: Contract, *,
                   folder: Path | None = None, imd_vintage: int | None = None,
                   allow_vintage_mismatch: bool = False) -> ContractReport:
    """Check every file of a source against a contract, reporting every violation at once.

    Parameters
    ----------
    files : SourceFiles
        From :func:`toolkit.data.sources.resolve_files`.
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

    Returns
    -------
    ContractReport
        Problems (empty when the data keep the contract), exclusions by
        documented rule and the number of rows read.
    """
    con = duckdb.connect()
    if imd_vintage is not None and not allow_vintage_mismatch:
        _only_tables(con)
    problems: list[Problem] = []
    exclusions: list[Exclusion] = []
    rows_per_file: dict[str, int] = {}
    handles: list[CheckedFile] = []
    # one file: each uniqueness key is counted distinct in the same scan, and only keys with repeats are grouped
    keys = [rule.columns(mapping) for rule in contract.unique]
    fused = len(files.files) == 1 and files.format != "xlsx"
    distinct: dict[int, int] = {}
    for i, path in enumerate(files.files):
        shown = os.path.relpath(path, folder) if folder else str(path)
        try:
            fh = CheckedFile(con, files, path, i)
            handles.append(fh)
            types = fh.types
            if any(c not in types for c in mapping.values()):
                continue  # reported by the column check
            rules: list[_Rule] = []
            prior: list[str] = []
            for role, column in mapping.items():
                spec = contract.roles.get(role)
                if spec is None:
                    continue
                vint = None if allow_vintage_mismatch else imd_vintage
                extra, prior = _role_rules(role, column, spec, types[column], prior, vint)
                rules += extra
            invalid = {}
            for r in rules:
                if r.key.startswith("range:"):
                    invalid[r.role] = r.expr
            rules += _compare_rules(contract.compare, mapping, types, contract, invalid)
            extra = []
            if fused:
                extra = [f"count(DISTINCT struct_pack({', '.join(f'k{j} := {_key_sql(mapping[r], [fh])}' for j, r in enumerate(roles))}))"
                         for roles in keys if roles]
            problems_f, excl_f, n, got = _check_file(con, fh, rules, shown, files.name, extra)
            distinct = dict(zip([i for i, roles in enumerate(keys) if roles], got)) if fused else {}
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
        n_rows = sum(rows_per_file.values())
        skip = {i for i, d in distinct.items() if d == n_rows}  # as many distinct keys as rows: no repeats
        problems += _check_unique(con, contract, mapping, handles, folder, skip)
    return ContractReport(tuple(problems), tuple(exclusions), sum(rows_per_file.values()), rows_per_file)


def _counts(con, fh: CheckedFile, rules: list[_Rule], extra: list[str]) -> tuple[int, list[int], list, list]:
    """Rows, each rule's row count, each share's row count and the ``extra`` aggregates, in one scan of the file.

    On Parquet, rules that depend on one column only (period classes, the LSOA vintage) are counted over that
    column's distinct values weighted by their rows (Parquet reads one column cheaply), so the scan of the records
    evaluates no regular expression per row; on CSV everything is counted in the one scan.
    """
    by_value = fh.plain.startswith("read_parquet(")
    row_rules = [r for r in rules if not (by_value and r.per_value)]
    aggs = ["count(*)"] + [f"count(*) FILTER (WHERE {r.expr})" for r in row_rules]
    aggs += [f"count(*) FILTER (WHERE {r.share_of})" for r in row_rules if r.share_of] + extra
    derived = "".join(dict.fromkeys(f", {r.derived[1]} AS {r.derived[0]}" for r in row_rules if r.derived))
    plain = f"(SELECT *{derived} FROM {fh.plain})" if derived else fh.plain
    row = con.execute(f"SELECT {', '.join(aggs)} FROM {plain}").fetchone()
    counts = dict(zip(map(id, row_rules), row[1:1 + len(row_rules)]))
    rest = iter(row[1 + len(row_rules):])
    shares = {id(r): next(rest) for r in row_rules if r.share_of}
    extras = list(rest)
    columns = dict.fromkeys(r.per_value for r in rules if by_value and r.per_value)
    for column in columns:
        mine = [r for r in rules if r.per_value == column]
        derived = "".join(dict.fromkeys(f", {r.derived[1]} AS {r.derived[0]}" for r in mine if r.derived))
        values = (f"(SELECT *{derived} FROM (SELECT {quote_ident(column)}, count(*) AS __n FROM {fh.plain} "
                  f"GROUP BY ALL))")
        sums = [f"coalesce(sum(__n) FILTER (WHERE {r.expr}), 0)" for r in mine]
        sums += [f"coalesce(sum(__n) FILTER (WHERE {r.share_of}), 0)" for r in mine if r.share_of]
        got = con.execute(f"SELECT {', '.join(sums)} FROM {values}").fetchone()
        counts.update(zip(map(id, mine), got[:len(mine)]))
        shares.update(zip([id(r) for r in mine if r.share_of], got[len(mine):]))
    return int(row[0]), [int(counts[id(r)]) for r in rules], [shares.get(id(r)) for r in rules], extras


def _check_file(con, fh: CheckedFile, rules: list[_Rule], shown: str, source: str, extra: list[str] = ()):
    derived = "".join(dict.fromkeys(f", {r.derived[1]} AS {r.derived[0]}" for r in rules if r.derived))
    numbered = f"(SELECT *{derived} FROM {fh.numbered})" if derived else fh.numbered
    n, counts, shares, extras = _counts(con, fh, rules, list(extra))
    hit: list[tuple[_Rule, int]] = []
    for rule, count, share in zip(rules, counts, shares):
        if not count:
            continue
        if rule.share_of and (not share or count / share <= rule.tolerance):
            continue
        hit.append((rule, int(count)))
    # period granularity: classes seen in one column
    by_role: dict[str, list[tuple[_Rule, int]]] = {}
    for rule, count in hit:
        if rule.key.startswith("class:"):
            by_role.setdefault(rule.role, []).append((rule, count))
    reported = [(r, c) for r, c in hit if not r.key.startswith("class:")]
    mixed_msgs: dict[str, tuple[str, str]] = {}
    for role, seen in by_role.items():
        calendar = [(r, c) for r, c in seen if not r.key.endswith(":text")]
        text = [(r, c) for r, c in seen if r.key.endswith(":text")]
        if calendar and text:
            r, c = text[0]
            reported.append((r, c))
            mixed_msgs[r.key] = (f"'{role}' values cannot be read as periods (e.g. {{example}})", _PERIOD_FIX)
        if len(calendar) > 1:
            calendar.sort(key=lambda rc: -rc[1])
            counts_text = ", ".join(f"{c:,} {_CLASS_WORDS[r.key.rsplit(':', 1)[1]]}" for r, c in calendar)
            for r, c in calendar[1:]:
                reported.append((r, c))
                mixed_msgs[r.key] = (f"'{role}' mixes period granularities ({counts_text}); "
                                     f"these rows are the odd ones out (e.g. {{example}})", _PERIOD_FIX)
    if not reported:
        return [], [], n, extras
    sel = []
    for r, _ in reported:
        sel.append(f"min(__row, {_EXAMPLES}) FILTER (WHERE {r.expr})")
        sel.append(f"arg_min({r.value}, __row) FILTER (WHERE {r.expr})" if r.value else "NULL")
    detail = con.execute(f"SELECT {', '.join(sel)} FROM {numbered}").fetchone()
    problems, exclusions = [], []
    for j, (rule, count) in enumerate(reported):
        rows = tuple(sorted(int(x) for x in (detail[2 * j] or ())))
        example = detail[2 * j + 1]
        if rule.exclude:
            exclusions.append(Exclusion(source, shown, rule.role or "", rule.column or "", rule.message, count, rows))
            continue
        message, fix = mixed_msgs.get(rule.key, (rule.message, rule.fix))
        message = message.replace("{example}", _fmt(example) if example is not None else "blank")
        problems.append(Problem(message, file=shown, column=rule.column, rows=rows, count=count, fix=fix))
    return problems, exclusions, n, extras


_TEXT_TYPES = ("VARCHAR", "BLOB", "JSON")


def _key_sql(column: str, handles: list[CheckedFile]) -> str:
    """A uniqueness key: the value itself when it is typed (numbers, dates) in every file, else trimmed text."""
    typed = all(h.types.get(column, "VARCHAR").split("(")[0] not in _TEXT_TYPES for h in handles)
    return quote_ident(column) if typed else text_sql(column)


def _check_unique(con, contract: Contract, mapping, handles: list[CheckedFile], folder, skip=frozenset()) -> list[Problem]:
    problems = []
    for index, rule in enumerate(contract.unique):
        roles = rule.columns(mapping)
        if not roles or index in skip:
            continue
        cols = [mapping[r] for r in roles]
        keys = ", ".join(f"{_key_sql(c, handles)} AS k{i}" for i, c in enumerate(cols))
        knames = ", ".join(f"k{i}" for i in range(len(cols)))
        union = " UNION ALL ".join(
            f"SELECT {keys}, {i} AS __f FROM {fh.plain}" for i, fh in enumerate(handles))
        n_dup, n_keys = con.execute(
            f"SELECT coalesce(sum(c), 0), count(*) FROM (SELECT count(*) AS c FROM ({union}) "
            f"GROUP BY {knames} HAVING count(*) > 1)").fetchone()
        if not n_dup:
            continue
        numbered = " UNION ALL ".join(
            f"SELECT {keys}, {i} AS __f, __row FROM {fh.numbered}" for i, fh in enumerate(handles))
        examples = con.execute(
            f"SELECT __f, __row, {knames} FROM (SELECT *, count(*) OVER (PARTITION BY {knames}) AS c "
            f"FROM ({numbered})) WHERE c > 1 ORDER BY __f, __row LIMIT {_EXAMPLES}").fetchall()
        first = handles[examples[0][0]].path
        shown = os.path.relpath(first, folder) if folder else str(first)
        rows = tuple(int(e[1]) for e in examples if e[0] == examples[0][0])
        what = " × ".join(roles)
        key_text = ", ".join(f"{r} {_fmt(v)}" for r, v in zip(roles, examples[0][2:]))
        spread = " (across files of this source)" if len({e[0] for e in examples}) > 1 else ""
        problems.append(Problem(
            f"the same {what} appears on more than one row{spread}: {int(n_keys):,} key(s) repeated "
            f"(e.g. {key_text})",
            file=shown, column=", ".join(cols), rows=rows, count=int(n_dup), fix=rule.fix))
    return problems
