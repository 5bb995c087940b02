"""Check a table (or a query) on a connection against a data contract: the file check's rules, run in the engine.

The rules are those of :mod:`toolkit.data.rules` — the same Ibis expressions the
file check compiles to DuckDB — counted by the engine that holds the records
(a DuckDB database, PostgreSQL, Spark).  What comes back is small: one row of
counts, the distinct values of the columns value rules classify (periods, LSOA
codes), one row of example values for broken rules, and per uniqueness key two
counts and one example key.  The counts equal those of the same records in a file.

A table has no row order, so problems carry no example row numbers; their example
value is the smallest offending value (the same on every engine).  The problems
name the table (``file``); a column whose type cannot hold what its role needs (a
date mapped to a count) is a :class:`~toolkit.errors.DataError` naming the table,
the column and the fix, and every engine error is made ours
(:func:`toolkit.data.engine.engine_error`).
"""

from __future__ import annotations

from typing import Mapping

from toolkit.data.cells import text
from toolkit.data.contracts import Contract
from toolkit.data.engine import Engine, TableSource, reading
from toolkit.errors import Problem

__all__ = ["check_table"]


def check_table(source: TableSource, mapping: Mapping[str, str], contract: Contract, *,
                imd_vintage: int | None = None, allow_vintage_mismatch: bool = False,
                engine: Engine | None = None):
    """:func:`toolkit.data.checking.check_contract` for a :class:`~toolkit.data.engine.TableSource`."""
    from toolkit.data.contract_report import ContractReport

    label = source.label
    with reading(source, engine) as (eng, table):
        if any(c not in table.columns for c in mapping.values()):
            return ContractReport()  # reported by the column check
        problems, exclusions, n = _rules(eng, table, source, mapping, contract,
                                         None if allow_vintage_mismatch else imd_vintage)
        if n == 0:
            problems.insert(0, Problem("the table has no rows", file=label, count=0,
                                       fix="check the table's name, or the query's WHERE clause"))
        problems += _unique(eng, table, contract, mapping, label, n)
    return ContractReport(tuple(problems), tuple(exclusions), n, {label: n})


def _rules(eng: Engine, t, source: TableSource, mapping, contract: Contract, vintage: int | None):
    from toolkit.data.contract_report import classify, evaluate, report, value_columns
    from toolkit.data.rules import refuse_type, row_rules

    strict = refuse_type(source.name, source.label, {c: r for r, c in mapping.items()})
    rules = row_rules(eng.kind, t, mapping, contract, vintage, strict)
    row = [r for r in rules if r.cond is not None]
    got = eng.collect(t.aggregate(n_rows=t.count(), **{f"r{j}": t.count(where=r.cond) for j, r in enumerate(row)}))
    first = got.iloc[0]
    counts = {id(r): int(first[f"r{j}"]) for j, r in enumerate(row)}
    values = {}
    for c in value_columns(rules):  # distinct raw values first (cheap on dictionary-encoded text), then trimmed
        g = t.group_by(c=t[c]).aggregate(n=t.count())
        values[c] = eng.collect(g.group_by(v=text(g.c)).aggregate(n=g.n.sum()))
    hits = evaluate(rules, counts, classify(values, rules))
    wanted = {f"e{j}": h[0].value.min(where=h[0].cond) for j, h in enumerate(hits)
              if h[0].cond is not None and h[0].value is not None}
    ex = eng.collect(t.aggregate(**wanted)).iloc[0] if wanted else {}
    examples = []
    for j, (rule, _, _, _, vals) in enumerate(hits):
        example = vals[0] if vals else ex.get(f"e{j}") if wanted else None
        example = example.item() if hasattr(example, "item") else example  # numpy scalars shown as Python values
        examples.append(((), None if _missing(example) else example))
    problems, exclusions = report(hits, examples, source.label, source.name)
    return problems, exclusions, int(first["n_rows"])


def _unique(eng: Engine, t, contract: Contract, mapping, label: str, n_rows: int) -> list[Problem]:
    from toolkit.data.uniqueness import key_exprs, no_repeats_by_hash, unique_problem

    problems = []
    for rule in contract.unique:
        roles = rule.columns(mapping)
        if not roles:
            continue
        cols = [mapping[r] for r in roles]
        (keys,) = key_exprs([t], cols)
        if eng.kind == "duckdb" and eng.raw is not None and no_repeats_by_hash(eng, [t], [keys], n_rows):
            continue  # a DuckDB database: the file check's hash sort (exact GROUP BY only if a hash repeats)
        sel = t.select(**keys)
        groups = sel.group_by(list(keys)).aggregate(n=sel.count())
        dups = groups.filter(groups.n > 1)
        got = eng.collect(dups.aggregate(n_dup=dups.n.sum(), n_keys=dups.count())).iloc[0]
        if _missing(got["n_dup"]) or not got["n_dup"]:  # NULL (no repeats) or 0
            continue
        first = eng.collect(dups.order_by(list(keys)).limit(1)).iloc[0]
        key = [None if _missing(first[k]) else first[k] for k in keys]
        problems.append(unique_problem(rule, roles, cols, key, int(got["n_keys"]), int(got["n_dup"]), label))
    return problems


def _missing(value) -> bool:
    import pandas as pd

    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))
