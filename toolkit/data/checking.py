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

from toolkit.data.contracts import Contract, RoleSpec
from toolkit.data.sources import SourceFiles, _duck_error, _read_excel, _relation_sql, quote_ident
from toolkit.errors import Problem

__all__ = ["ContractReport", "Exclusion", "check_contract", "period_class_sql", "text_sql"]

_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "FLOAT", "DOUBLE", "REAL")
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


@dataclass
class _Rule:
    key: str
    column: str | None
    expr: str
    value: str | None
    message: str
    fix: str
    exclude: bool = False
    role: str | None = None
    share_of: str | None = None  # condition whose row count the count is compared with (vintage guard)
    tolerance: float = 0.0
    derived: tuple[str, str] | None = None  # (name, expr) computed once per row for this rule
    per_value: str | None = None  # the one column the rule depends on: counted over its distinct values


def quote(text: str) -> str:
    return "'" + str(text).replace("'", "''") + "'"


def text_sql(column: str) -> str:
    """SQL for a column's value as trimmed text, blank as NULL."""
    return f"NULLIF(trim(CAST({quote_ident(column)} AS VARCHAR)), '')"


def _num_sql(column: str, ctype: str, kind: str) -> str:
    q = quote_ident(column)
    if ctype in _NUMERIC_TYPES or ctype.startswith("DECIMAL"):
        return f"CAST({q} AS DOUBLE)"
    if ctype == "BOOLEAN":
        return f"CAST(CAST({q} AS INTEGER) AS DOUBLE)"
    txt = text_sql(column)
    if kind == "binary":
        return (f"(CASE lower({txt}) WHEN 'true' THEN 1.0 WHEN 'false' THEN 0.0 WHEN 'yes' THEN 1.0 "
                f"WHEN 'no' THEN 0.0 ELSE TRY_CAST({txt} AS DOUBLE) END)")
    return f"TRY_CAST({txt} AS DOUBLE)"


def period_class_sql(column: str, ctype: str) -> str:
    """SQL classifying each value: month, quarter, day, number, bad (a date that is not one) or text."""
    if ctype in _NUMERIC_TYPES or ctype.startswith("DECIMAL"):
        return f"CASE WHEN {quote_ident(column)} IS NULL THEN NULL ELSE 'number' END"
    if ctype.startswith("DATE") or ctype.startswith("TIMESTAMP"):
        return f"CASE WHEN {quote_ident(column)} IS NULL THEN NULL ELSE 'day' END"
    t = text_sql(column)
    return (
        f"CASE WHEN {t} IS NULL THEN NULL "
        rf"WHEN regexp_full_match({t}, '\d{{4}}-\d{{1,2}}') THEN "
        f"CASE WHEN TRY_CAST(split_part({t}, '-', 2) AS INTEGER) BETWEEN 1 AND 12 THEN 'month' ELSE 'bad' END "
        rf"WHEN regexp_full_match({t}, '\d{{4}}\s*-?\s*[Qq][1-4]') THEN 'quarter' "
        rf"WHEN regexp_full_match({t}, '-?\d+') THEN 'number' "
        f"WHEN TRY_CAST({t} AS DATE) IS NOT NULL OR TRY_CAST({t} AS TIMESTAMP) IS NOT NULL "
        f"OR TRY_STRPTIME({t}, '%d/%m/%Y') IS NOT NULL "
        f"OR TRY_STRPTIME({t}, '%m/%d/%Y') IS NOT NULL THEN 'day' "  # which order: toolkit.dates decides
        rf"WHEN regexp_matches({t}, '^\d{{1,4}}[-/.]\d{{1,2}}([-/.]\d{{1,4}})?') THEN 'bad' "
        f"ELSE 'text' END"
    )


_CLASS_WORDS = {"month": "months (YYYY-MM)", "quarter": "quarters (YYYYQn)", "day": "dates (days)",
                "number": "period numbers"}
_PERIOD_FIX = ("write every period the same way: months as YYYY-MM, quarters as YYYYQ1, dates as YYYY-MM-DD "
               "or period numbers 1, 2, 3, …")


def _only_table(only: int, not_in: int) -> str:
    """Name of the temporary table of LSOA codes of IMD ``only``'s boundaries absent from IMD ``not_in``'s."""
    return f"__lsoa_only_{only}_not_{not_in}"


def _only_tables(con) -> None:
    """The two small tables of codes known to one LSOA boundary set only (a few thousand codes each)."""
    from toolkit.data.imd_reference import REFERENCE_DIR, VINTAGES

    for a, b in ((2019, 2025), (2025, 2019)):
        va, vb = VINTAGES[a], VINTAGES[b]
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {_only_table(a, b)} AS SELECT {va.code_column} AS code "
                    f"FROM read_parquet({quote(REFERENCE_DIR / va.file)}) WHERE {va.code_column} NOT IN "
                    f"(SELECT {vb.code_column} FROM read_parquet({quote(REFERENCE_DIR / vb.file)}))")


def _range_rule(role: str, column: str, spec: RoleSpec, num: str, label: str) -> _Rule | None:
    lo, hi = spec.lower, spec.upper
    parts = []
    if lo is not None:
        parts.append(f"{num} {'<=' if spec.min_exclusive else '<'} {lo!r}")
    if hi is not None:
        parts.append(f"{num} > {hi!r}")
    if spec.integral:
        parts.append(f"{num} <> round({num})")
    if not parts:
        return None
    if spec.kind == "imd_decile":
        msg, fix = (f"{label} must be whole numbers 1 to 10",
                    "use national IMD deciles with 1 = most deprived (not ranks, scores or quintiles)")
    elif spec.kind == "binary":
        msg, fix = f"{label} must be 0 or 1", f"map a column holding 0 (no) or 1 (yes) to '{role}'"
    elif spec.kind == "count" and lo == 0 and hi is None and not spec.integral:
        if spec.min_exclusive:
            msg, fix = (f"{label} must be above 0",
                        "correct the zero or negative populations, or remove rows for cells with nobody in them")
        else:
            msg, fix = f"{label} cannot be negative", f"correct the negative counts in '{column}' (a count is 0 or more)"
    else:
        what = "whole numbers" if spec.integral else "numbers"
        if lo is not None and hi is not None:
            rng = f" from {lo:g} to {hi:g}"
        elif lo is not None:
            rng = f" above {lo:g}" if spec.min_exclusive else f" of at least {lo:g}"
        elif hi is not None:
            rng = f" of at most {hi:g}"
        else:
            rng = ""
        msg, fix = f"{label} must be {what}{rng}", f"correct the values in '{column}'"
    expr = f"({num} IS NOT NULL AND NOT isnan({num}) AND ({' OR '.join(parts)}))"
    return _Rule(f"range:{role}", column, expr, text_sql(column), msg + " (e.g. {example})", fix, role=role)


def _role_rules(role: str, column: str, spec: RoleSpec, ctype: str, prior_excl: list[str],
                vintage: int | None) -> tuple[list[_Rule], list[str]]:
    rules: list[_Rule] = []
    txt = text_sql(column)
    label = spec.label or f"'{role}' values"
    missing = f"({txt} IS NULL)"
    if spec.missing == "error":
        rules.append(_Rule(f"missing:{role}", column, missing, None, f"{label} are missing",
                           f"fill in '{column}' on every row, or remove the rows that lack it", role=role))
    elif spec.missing == "exclude":
        expr = missing if not prior_excl else f"({missing} AND NOT ({' OR '.join(prior_excl)}))"
        rules.append(_Rule(f"exclude:{role}", column, expr, None, f"a missing {role}", "", exclude=True, role=role))
        prior_excl = prior_excl + [missing]
    if spec.numeric:
        num = _num_sql(column, ctype, spec.kind)
        if not (ctype in _NUMERIC_TYPES or ctype.startswith("DECIMAL") or ctype == "BOOLEAN"):
            rules.append(_Rule(
                f"type:{role}", column, f"({txt} IS NOT NULL AND {num} IS NULL)", txt,
                f"{label} must be numbers, but some are text (e.g. {{example}})",
                f"clean '{column}' so it holds only numbers (remove '*', '<5', commas or notes), "
                "or set delimiter:/encoding: if the file was read wrongly", role=role))
        rules.append(_Rule(f"finite:{role}", column, f"isinf({num})", txt, f"{label} are infinite (e.g. {{example}})",
                           f"replace the infinite values in '{column}'", role=role))
        rules.append(_Rule(f"nan:{role}", column, f"isnan({num})", txt,
                           f"{label} are NaN, 'not a number' (e.g. {{example}}), which would be used as a value "
                           "or dropped without a count",
                           f"leave a missing value in '{column}' blank (or fill in the real value)", role=role))
        rng = _range_rule(role, column, spec, num, label)
        if rng:
            rules.append(rng)
    elif spec.kind == "date":
        cls = period_class_sql(column, ctype)
        rules.append(_Rule(f"date:{role}", column, f"({txt} IS NOT NULL AND {cls} <> 'day')", txt,
                           f"{label} cannot be read as dates (e.g. {{example}})",
                           "write dates as YYYY-MM-DD (or DD/MM/YYYY)", role=role))
    elif spec.kind == "period":
        name = quote_ident(f"__cls_{role}")
        derived = (name, period_class_sql(column, ctype))
        rules.append(_Rule(f"baddate:{role}", column, f"({name} = 'bad')", txt,
                           f"{label} look like dates but are not real ones (e.g. {{example}})", _PERIOD_FIX, role=role,
                           derived=derived, per_value=column))
        for c in ("month", "quarter", "day", "number", "text"):
            rules.append(_Rule(f"class:{role}:{c}", column, f"({name} = '{c}')", txt, "", "", role=role,
                               derived=derived, per_value=column))
    elif spec.kind == "lsoa" and vintage is not None:
        from toolkit.data.imd_reference import MISMATCH_TOLERANCE, VINTAGES

        this, other = VINTAGES[vintage], VINTAGES[2019 if vintage == 2025 else 2025]
        norm = f"upper({txt})"
        only_other = f"({norm} IN (SELECT code FROM {_only_table(other.year, vintage)}))"
        english = rf"regexp_full_match(coalesce({norm}, ''), 'E01\d{{6}}')"
        rules.append(_Rule(
            f"vintage:{role}", column, only_other, txt,
            f"LSOA codes are from the {other.boundary} boundaries (codes that exist only in that set, "
            f"e.g. {{example}}) but imd_vintage is {vintage}, whose lookup uses {this.boundary} LSOAs",
            f"set imd_vintage: {other.year} to match the codes, or map {this.boundary} LSOA codes; set "
            "allow_vintage_mismatch: true on the source only if you accept those rows staying unmatched",
            role=role, share_of=english, tolerance=MISMATCH_TOLERANCE, per_value=column))
    return rules, prior_excl


def _compare_rules(compares, mapping, types, contract: Contract, invalid: Mapping[str, str]) -> list[_Rule]:
    """Cross-column rules; rows already failing a role's own range are not reported twice."""
    rules = []
    neg = {"<=": ">", "<": ">=", ">=": "<", ">": "<="}
    for i, c in enumerate(compares):
        if any(r not in mapping for r in c.roles) or any(r in mapping for r in c.unless_mapped):
            continue
        lcol = mapping[c.left]
        lspec = contract.roles.get(c.left, RoleSpec("numeric"))
        left = _num_sql(lcol, types[lcol], lspec.kind)
        if isinstance(c.right, str):
            rcol = mapping[c.right]
            right = _num_sql(rcol, types[rcol], contract.roles.get(c.right, RoleSpec("numeric")).kind)
            value = f"{text_sql(lcol)} || ' > ' || {text_sql(rcol)}"
        else:
            right, value = repr(float(c.right)), text_sql(lcol)
        skip = "".join(f" AND NOT coalesce({invalid[r]}, false)" for r in c.roles if r in invalid)
        expr = f"({left} IS NOT NULL AND {right} IS NOT NULL AND {left} {neg[c.op]} {right}{skip})"
        rules.append(_Rule(f"compare:{i}", lcol, expr, value, c.message + " (e.g. {example})", c.fix, role=c.left))
    return rules


class _File:
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
            self.plain = _relation_sql(files, path)
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
    handles: list[_File] = []
    # one file: each uniqueness key is counted distinct in the same scan, and only keys with repeats are grouped
    keys = [rule.columns(mapping) for rule in contract.unique]
    fused = len(files.files) == 1 and files.format != "xlsx"
    distinct: dict[int, int] = {}
    for i, path in enumerate(files.files):
        shown = os.path.relpath(path, folder) if folder else str(path)
        try:
            fh = _File(con, files, path, i)
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


def _counts(con, fh: _File, rules: list[_Rule], extra: list[str]) -> tuple[int, list[int], list, list]:
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


def _check_file(con, fh: _File, rules: list[_Rule], shown: str, source: str, extra: list[str] = ()):
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


def _key_sql(column: str, handles: list[_File]) -> str:
    """A uniqueness key: the value itself when it is typed (numbers, dates) in every file, else trimmed text."""
    typed = all(h.types.get(column, "VARCHAR").split("(")[0] not in _TEXT_TYPES for h in handles)
    return quote_ident(column) if typed else text_sql(column)


def _check_unique(con, contract: Contract, mapping, handles: list[_File], folder, skip=frozenset()) -> list[Problem]:
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
