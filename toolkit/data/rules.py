"""The rules of a data contract, each written once: row rules as Ibis expressions, value rules as DuckDB SQL.

:mod:`toolkit.data.checking` counts them wherever the records live (DuckDB over
files, or a table on DuckDB, PostgreSQL or Spark):

- **row rules** (:class:`Rule` with ``cond``): missing values, numbers that are
  text, infinite or NaN, ranges, cross-column comparisons.  Each is an Ibis
  boolean expression over the records' table, built by :func:`row_rules` /
  :func:`compare_rules` from :func:`toolkit.data.cells.text` and
  :func:`toolkit.data.cells.to_number` (the same parsing the aggregation uses), so
  Ibis compiles the one definition to each engine's SQL;
- **value rules** (:class:`Rule` with ``value_sql``): rules that depend on one
  text column's value only (period granularity, real dates, the LSOA vintage).
  The engine returns that column's distinct values with their row counts (a few
  hundred periods, a few thousand codes), and the rule — a DuckDB SQL condition on
  the value ``v`` — classifies them on this machine's DuckDB, so it runs
  identically whatever the engine (PostgreSQL has no ``TRY_CAST``, Spark no
  ``strptime``) and no regular expression is evaluated per row.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Callable, Mapping

from toolkit.data.cells import text, to_number
from toolkit.data.contracts import Contract, RoleSpec
from toolkit.data.sources import quote_ident
from toolkit.errors import DataError, Problem

__all__ = ["Rule", "compare_rules", "period_class_sql", "quote", "row_rules", "text_sql"]


@dataclass
class Rule:
    """One rule of a contract: a row condition (``cond``) or a condition on distinct values (``value_sql``)."""

    key: str
    column: str | None
    message: str
    fix: str
    cond: object = None          # Ibis boolean expression over the table (row rules)
    value: object = None         # Ibis expression shown as the example value (row rules)
    value_sql: str | None = None  # DuckDB SQL condition on ``v``, the column's trimmed text (value rules)
    exclude: bool = False
    role: str | None = None
    share_sql: str | None = None  # value condition whose row count the count is compared with (vintage guard)
    tolerance: float = 0.0


def quote(text_: str) -> str:
    return "'" + str(text_).replace("'", "''") + "'"


def text_sql(column: str) -> str:
    """DuckDB SQL for a column's value as trimmed text, blank as NULL."""
    return f"NULLIF(trim(CAST({quote_ident(column)} AS VARCHAR)), '')"


def period_class_sql(column: str, ctype: str = "VARCHAR") -> str:
    """DuckDB SQL classifying each value: month, quarter, day, number, bad (a date that is not one) or text."""
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


_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "FLOAT", "DOUBLE", "REAL")
CLASS_WORDS = {"month": "months (YYYY-MM)", "quarter": "quarters (YYYYQn)", "day": "dates (days)",
               "number": "period numbers"}
PERIOD_FIX = ("write every period the same way: months as YYYY-MM, quarters as YYYYQ1, dates as YYYY-MM-DD "
              "or period numbers 1, 2, 3, …")
_V_CLASS = period_class_sql("v")


def blank(kind: str, col):
    """A missing value: NULL, or blank text (a value of any other type is never blank as text)."""
    return text(col).isnull() if col.type().is_string() else is_null(kind, col)


def is_null(kind: str, x):
    """SQL ``IS NULL`` on every engine (Ibis on PySpark also counts NaN as null; the rules count NaN apart)."""
    if kind == "pyspark" and x.type().is_floating():
        return x.isnull() & ~x.isnan().fill_null(False)
    return x.isnull()


def is_inf(kind: str, x):
    """Infinite (Ibis's ``isinf`` finds none on PySpark; NaN sorts above every number there)."""
    if kind == "pyspark":
        return ((x > _MAX) | (x < -_MAX)) & ~x.isnan()
    return x.isinf()


_MAX = 1.7976931348623157e308


def typed_class(dtype) -> str | None:
    """The period class every value of a typed (non-text) column has, or None for text columns."""
    if dtype.is_numeric():
        return "number"
    if dtype.is_date() or dtype.is_timestamp():
        return "day"
    return None


def only_table(only: int, not_in: int) -> str:
    """Name of the temporary table of LSOA codes of IMD ``only``'s boundaries absent from IMD ``not_in``'s."""
    return f"__lsoa_only_{only}_not_{not_in}"


def only_tables(con) -> None:
    """The two small tables of codes known to one LSOA boundary set only (a few thousand codes each), in DuckDB."""
    for (a, b), codes in _only_codes().items():
        con.register(f"{only_table(a, b)}_in", codes)
        con.execute(f"CREATE TEMP TABLE IF NOT EXISTS {only_table(a, b)} AS SELECT code FROM {only_table(a, b)}_in")


@functools.lru_cache(maxsize=1)
def _only_codes() -> dict:
    import duckdb

    from toolkit.data.imd_reference import REFERENCE_DIR, VINTAGES

    out = {}
    with duckdb.connect() as con:
        for a, b in ((2019, 2025), (2025, 2019)):
            va, vb = VINTAGES[a], VINTAGES[b]
            out[(a, b)] = con.execute(
                f"SELECT {va.code_column} AS code FROM read_parquet({quote(REFERENCE_DIR / va.file)}) "
                f"WHERE {va.code_column} NOT IN "
                f"(SELECT {vb.code_column} FROM read_parquet({quote(REFERENCE_DIR / vb.file)}))").df()
    return out


def number(kind, t, column: str, spec: RoleSpec, strict: Callable | None):
    """The column as a float, parsed as :func:`toolkit.data.cells.to_number` does (``kind`` is the engine kind).

    A column of another type (dates, lists) is read as text by DuckDB over files (its values then fail the type
    rule, as a text cell would); on a table, ``strict(column, dtype)`` raises the :class:`DataError` instead.
    """
    col = t[column]
    dtype = col.type()
    if not (dtype.is_numeric() or dtype.is_boolean() or dtype.is_string()):
        if strict is not None:
            strict(column, dtype)
        col = col.cast("string")
    return to_number(_Kind(kind), col, spec.kind)


class _Kind:
    """What :func:`toolkit.data.cells.to_number` needs of an engine: its kind."""

    def __init__(self, kind: str):
        self.kind = kind


def _range_rule(kind: str, role: str, column: str, spec: RoleSpec, num, t, label: str) -> Rule | None:
    import ibis

    lo, hi = spec.lower, spec.upper
    parts = []
    if lo is not None:
        parts.append(num <= lo if spec.min_exclusive else num < lo)
    if hi is not None:
        parts.append(num > hi)
    if spec.integral:  # |x| >= 2**52 is always whole (and would overflow the engine's cast of floor(x))
        parts.append(ibis.ifelse(num.abs() < 2.0 ** 52, num != num.floor(), False))
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
    any_part = parts[0]
    for p in parts[1:]:
        any_part = any_part | p
    cond = ~is_null(kind, num) & ~num.isnan() & any_part
    return Rule(f"range:{role}", column, msg + " (e.g. {example})", fix, cond=cond, value=text(t[column]), role=role)


def row_rules(kind: str, t, mapping: Mapping[str, str], contract: Contract, vintage: int | None,
              strict: Callable | None = None) -> list[Rule]:
    """Every rule of the contract's mapped roles over table ``t`` (row rules and value rules), in report order."""
    rules: list[Rule] = []
    prior = []
    for role, column in mapping.items():
        spec = contract.roles.get(role)
        if spec is None:
            continue
        rules += _role_rules(kind, t, role, column, spec, prior, vintage, strict)
    invalid = {r.role: r.cond for r in rules if r.key.startswith("range:")}
    return rules + compare_rules(kind, t, contract, mapping, invalid, strict)


def _role_rules(kind, t, role: str, column: str, spec: RoleSpec, prior: list, vintage: int | None,
                strict) -> list[Rule]:
    rules: list[Rule] = []
    txt = text(t[column])
    label = spec.label or f"'{role}' values"
    missing = blank(kind, t[column])
    if spec.missing == "error":
        rules.append(Rule(f"missing:{role}", column, f"{label} are missing",
                          f"fill in '{column}' on every row, or remove the rows that lack it", cond=missing, role=role))
    elif spec.missing == "exclude":
        cond = missing
        for p in prior:
            cond = cond & ~p
        rules.append(Rule(f"exclude:{role}", column, f"a missing {role}", "", cond=cond, exclude=True, role=role))
        prior.append(missing)
    dtype = t[column].type()
    if spec.numeric:
        num = number(kind, t, column, spec, strict)
        if not (dtype.is_numeric() or dtype.is_boolean()):
            rules.append(Rule(
                f"type:{role}", column, f"{label} must be numbers, but some are text (e.g. {{example}})",
                f"clean '{column}' so it holds only numbers (remove '*', '<5', commas or notes), "
                "or set delimiter:/encoding: if the file was read wrongly", cond=txt.notnull() & is_null(kind, num),
                value=txt, role=role))
        rules.append(Rule(f"finite:{role}", column, f"{label} are infinite (e.g. {{example}})",
                          f"replace the infinite values in '{column}'", cond=is_inf(kind, num), value=txt, role=role))
        rules.append(Rule(f"nan:{role}", column,
                          f"{label} are NaN, 'not a number' (e.g. {{example}}), which would be used as a value "
                          "or dropped without a count",
                          f"leave a missing value in '{column}' blank (or fill in the real value)",
                          cond=num.isnan(), value=txt, role=role))
        rng = _range_rule(kind, role, column, spec, num, t, label)
        if rng:
            rules.append(rng)
    elif spec.kind == "date":
        msg, fix = f"{label} cannot be read as dates (e.g. {{example}})", "write dates as YYYY-MM-DD (or DD/MM/YYYY)"
        fixed = typed_class(dtype)
        if fixed is None:
            rules.append(Rule(f"date:{role}", column, msg, fix, value_sql=f"({_V_CLASS}) <> 'day'", role=role))
        elif fixed != "day":
            rules.append(Rule(f"date:{role}", column, msg, fix, cond=txt.notnull(), value=txt, role=role))
    elif spec.kind == "period" and typed_class(dtype) is None:  # a typed column holds one class, never a bad date
        rules.append(Rule(f"baddate:{role}", column,
                          f"{label} look like dates but are not real ones (e.g. {{example}})", PERIOD_FIX,
                          value_sql=f"({_V_CLASS}) = 'bad'", role=role))
        for c in ("month", "quarter", "day", "number", "text"):
            rules.append(Rule(f"class:{role}:{c}", column, "", "", value_sql=f"({_V_CLASS}) = '{c}'", role=role))
    elif spec.kind == "lsoa" and vintage is not None:
        from toolkit.data.imd_reference import MISMATCH_TOLERANCE, VINTAGES

        this, other = VINTAGES[vintage], VINTAGES[2019 if vintage == 2025 else 2025]
        rules.append(Rule(
            f"vintage:{role}", column,
            f"LSOA codes are from the {other.boundary} boundaries (codes that exist only in that set, "
            f"e.g. {{example}}) but imd_vintage is {vintage}, whose lookup uses {this.boundary} LSOAs",
            f"set imd_vintage: {other.year} to match the codes, or map {this.boundary} LSOA codes; set "
            "allow_vintage_mismatch: true on the source only if you accept those rows staying unmatched",
            value_sql=f"(upper(v) IN (SELECT code FROM {only_table(other.year, vintage)}))",
            share_sql=r"regexp_full_match(coalesce(upper(v), ''), 'E01\d{6}')",
            tolerance=MISMATCH_TOLERANCE, role=role))
    return rules


def compare_rules(kind, t, contract: Contract, mapping, invalid: Mapping[str, object], strict=None) -> list[Rule]:
    """Cross-column rules; rows already failing a role's own range are not reported twice."""
    rules = []
    for i, c in enumerate(contract.compare):
        if any(r not in mapping for r in c.roles) or any(r in mapping for r in c.unless_mapped):
            continue
        lcol = mapping[c.left]
        left = number(kind, t, lcol, contract.roles.get(c.left, RoleSpec("numeric")), strict)
        if isinstance(c.right, str):
            rcol = mapping[c.right]
            right = number(kind, t, rcol, contract.roles.get(c.right, RoleSpec("numeric")), strict)
            value = text(t[lcol]) + " > " + text(t[rcol])
        else:
            import ibis

            right, value = ibis.literal(float(c.right)), text(t[lcol])
        bad = {"<=": left > right, "<": left >= right, ">=": left < right, ">": left <= right}[c.op]
        cond = ~is_null(kind, left) & ~is_null(kind, right) & bad
        for r in c.roles:
            if r in invalid:
                cond = cond & ~invalid[r].fill_null(False)
        rules.append(Rule(f"compare:{i}", lcol, c.message + " (e.g. {example})", c.fix, cond=cond, value=value,
                          role=c.left))
    return rules


def refuse_type(source: str, table: str, role_of: Mapping[str, str]):
    """A ``strict`` callback for tables: a column whose type cannot be a number is a :class:`DataError`."""
    def strict(column: str, dtype) -> None:
        role = role_of.get(column, column)
        raise DataError(f"Data source '{source}': column '{column}' of {table} holds {dtype} values, but the "
                        f"'{role}' role needs numbers.", [Problem(
                            f"the column's type is {dtype}, not a number", file=table, column=column,
                            where=f"data.sources.{source}.columns.{role}",
                            fix=f"map a numeric column to '{role}', or cast this one in a query: source "
                                f"(e.g. SELECT CAST({column} AS DOUBLE PRECISION) ...)")])
    return strict
