"""Uniqueness keys of a data contract (``unit × time`` once): one key definition (Ibis) for files and tables.

On files (DuckDB) the check sorts one 64-bit hash of the key per row: equal keys
have equal hashes, so when no hash repeats no key does, and the exact
``GROUP BY key HAVING count(*) > 1`` (with example rows) runs only when a hash
repeats.  Sorting 5M hashes takes a few tenths of a second where DuckDB's exact
distinct count of 5M keys took seconds.  Tables run the exact ``GROUP BY`` in
their engine (:mod:`toolkit.data.contract_tables`).
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd

from toolkit.data.cells import text
from toolkit.data.contracts import Contract
from toolkit.data.engine import Engine
from toolkit.data.sources import quote_ident
from toolkit.errors import Problem

__all__ = ["check_unique_files", "key_exprs", "unique_problem"]

_EXAMPLES = 5
_HASH_MAX_ROWS = 50_000_000  # above this, the engine's GROUP BY (it spills to disk) rather than hashes in memory


def _fmt(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def key_exprs(tables: list, cols: list[str], clean=frozenset()) -> list[dict]:
    """Each table's uniqueness key: typed values when every table types the column alike (and not as text),
    numbers when they type it as different numbers, else trimmed text (the text itself when ``clean``: every
    value already trimmed and none blank)."""
    out = [dict() for _ in tables]
    for i, c in enumerate(cols):
        types = [t[c].type() for t in tables]
        texty = any(d.is_string() or d.is_binary() or d.is_json() for d in types)
        same = all(d == types[0] for d in types)
        for k, t in enumerate(tables):
            if (not texty or c in clean) and same:
                out[k][f"k{i}"] = t[c]
            elif not texty and all(d.is_numeric() for d in types):
                out[k][f"k{i}"] = t[c].cast("float64")
            else:
                out[k][f"k{i}"] = text(t[c])
    return out


def no_repeats_by_hash(eng: Engine, tables: list, keys: list[dict], n_rows: int) -> bool:
    """True when no two rows share a key's 64-bit hash (so no two share the key); False when unsure."""
    import ibis

    if n_rows > _HASH_MAX_ROWS or any(e.type().is_floating() or e.type().is_decimal() for e in keys[0].values()):
        return False
    parts = []
    for t, k in zip(tables, keys):
        sql = ibis.to_sql(t.select(**k), dialect="duckdb")
        got = eng.raw.sql(f"SELECT hash({', '.join(quote_ident(n) for n in k)}) AS h FROM ({sql})").to_arrow_table()
        parts.append(got.column(0).to_numpy())
    h = np.sort(np.concatenate(parts)) if len(parts) > 1 else np.sort(parts[0])
    return not bool((h[1:] == h[:-1]).any())


def check_unique_files(eng: Engine, contract: Contract, mapping, handles, folder, n_rows: int,
                       clean=frozenset()) -> list[Problem]:
    """Problems for the contract's uniqueness keys over every file of a source (``handles``: (file, Ibis table))."""
    import ibis

    problems = []
    tables = [t for _, t in handles]
    for rule in contract.unique:
        roles = rule.columns(mapping)
        if not roles:
            continue
        cols = [mapping[r] for r in roles]
        keys = key_exprs(tables, cols, clean)
        if no_repeats_by_hash(eng, tables, keys, n_rows):
            continue
        knames = [f"k{i}" for i in range(len(cols))]
        union = ibis.union(*[t.select(**k) for t, k in zip(tables, keys)], distinct=False)
        groups = union.group_by(knames).aggregate(__c=union.count())
        dups = groups.filter(groups.__c > 1)
        got = eng.collect(dups.aggregate(n_dup=dups.__c.sum(), n_keys=dups.count()))
        n_dup, n_keys = got.iloc[0]["n_dup"], got.iloc[0]["n_keys"]
        if pd.isna(n_dup) or not n_dup:
            continue
        numbered = []
        for i, (fh, _) in enumerate(handles):
            nt = eng.table(f"__chk{fh.index}_rows")
            (k,) = key_exprs([nt] + [t for j, t in enumerate(tables) if j != i], cols, clean)[:1]
            numbered.append(ibis.to_sql(nt.select(**k, __f=ibis.literal(i), __row=nt["__row"]), dialect="duckdb"))
        kl = ", ".join(knames)
        examples = eng.raw.execute(
            f"SELECT __f, __row, {kl} FROM (SELECT *, count(*) OVER (PARTITION BY {kl}) AS c "
            f"FROM ({' UNION ALL '.join(f'({s})' for s in numbered)})) WHERE c > 1 ORDER BY __f, __row "
            f"LIMIT {_EXAMPLES}").fetchall()
        first = handles[examples[0][0]][0].path
        shown = os.path.relpath(first, folder) if folder else str(first)
        rows = tuple(int(e[1]) for e in examples if e[0] == examples[0][0])
        spread = " (across files of this source)" if len({e[0] for e in examples}) > 1 else ""
        problems.append(unique_problem(rule, roles, cols, examples[0][2:], int(n_keys), int(n_dup), shown, rows,
                                       spread))
    return problems


def unique_problem(rule, roles, cols, key, n_keys: int, n_dup: int, shown: str, rows=(), spread="") -> Problem:
    what = " × ".join(roles)
    key_text = ", ".join(f"{r} {_fmt(v)}" for r, v in zip(roles, key))
    return Problem(f"the same {what} appears on more than one row{spread}: {n_keys:,} key(s) repeated "
                   f"(e.g. {key_text})", file=shown, column=", ".join(cols), rows=rows, count=n_dup, fix=rule.fix)
