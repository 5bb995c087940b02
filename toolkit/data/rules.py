"""The row rules of a data contract as DuckDB SQL: types, ranges, missing values, periods, LSOA vintage.

Each rule of a :class:`~toolkit.data.contracts.Contract` becomes one SQL condition
(:class:`_Rule`) that :mod:`toolkit.data.checking` counts in one scan of the records.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping

from toolkit.data.contracts import Contract, RoleSpec
from toolkit.data.sources import quote_ident

__all__ = ["period_class_sql", "quote", "text_sql"]

_NUMERIC_TYPES = ("TINYINT", "SMALLINT", "INTEGER", "BIGINT", "HUGEINT", "UTINYINT", "USMALLINT", "UINTEGER",
                  "UBIGINT", "FLOAT", "DOUBLE", "REAL")



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
