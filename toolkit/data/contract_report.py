"""What a contract check finds, shared by files and tables: value rules classified, broken rules, problems.

:mod:`toolkit.data.checking` (files) and :mod:`toolkit.data.contract_tables`
(tables) count the rules of :mod:`toolkit.data.rules` where the records live;
this module turns those counts into the report, identically for both.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping

import duckdb
import pandas as pd

from toolkit.data.rules import CLASS_WORDS, PERIOD_FIX, Rule, only_tables
from toolkit.errors import Problem

__all__ = ["ContractReport", "Exclusion", "classify", "evaluate", "report", "value_columns"]


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


def _fmt(value) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def value_columns(rules: list[Rule]) -> list[str]:
    """The columns whose distinct values the value rules classify."""
    return list(dict.fromkeys(r.column for r in rules if r.value_sql))


def classify(values: Mapping[str, pd.DataFrame], rules: list[Rule], con=None) -> dict[int, tuple[int, int, list]]:
    """Value rules on this machine's DuckDB: ``{id(rule): (rows, share rows, matching values sorted)}``.

    ``values[column]`` holds the column's distinct trimmed text values ``v`` (blank as missing) and their row
    counts ``n``, from whichever engine holds the records.  ``con``: a DuckDB connection to use (default: a new
    in-memory one).
    """
    out: dict[int, tuple[int, int, list]] = {}
    mine = [r for r in rules if r.value_sql]
    if not mine:
        return out
    own = con is None
    con = duckdb.connect() if own else con
    try:
        if any(r.share_sql for r in mine):
            only_tables(con)
        for column in dict.fromkeys(r.column for r in mine):
            frame = values[column][["v", "n"]]
            con.register("__vals", frame)
            these = [r for r in mine if r.column == column]
            sel = ", ".join(f"coalesce(({r.value_sql}), false) AS r{j}"
                            + (f", coalesce(({r.share_sql}), false) AS s{j}" if r.share_sql else "")
                            for j, r in enumerate(these))
            got = con.execute(f"SELECT v, n, {sel} FROM __vals WHERE v IS NOT NULL").df()
            for j, r in enumerate(these):
                hit = got[got[f"r{j}"]]
                share = int(got.loc[got[f"s{j}"], "n"].sum()) if r.share_sql else 0
                out[id(r)] = (int(hit["n"].sum()), share, sorted(hit["v"].astype(str)))
            con.unregister("__vals")
    finally:
        if own:
            con.close()
    return out


def evaluate(rules: list[Rule], counts: Mapping[int, int], shares: Mapping[int, tuple]) -> list[tuple]:
    """The broken rules as ``(rule, rows, message, fix, values)``, with period granularity's mixtures resolved."""
    hit = []
    for rule in rules:
        if rule.value_sql:
            count, share, vals = shares[id(rule)]
            if rule.share_sql and (not share or count / share <= rule.tolerance):
                continue
        else:
            count, vals = counts[id(rule)], None
        if count:
            hit.append((rule, count, vals))
    by_role: dict[str, list[tuple]] = {}
    for h in hit:
        if h[0].key.startswith("class:"):
            by_role.setdefault(h[0].role, []).append(h)
    out = [(r, c, r.message, r.fix, v) for r, c, v in hit if not r.key.startswith("class:")]
    for role, seen in by_role.items():
        calendar = [h for h in seen if not h[0].key.endswith(":text")]
        texts = [h for h in seen if h[0].key.endswith(":text")]
        if calendar and texts:
            r, c, v = texts[0]
            out.append((r, c, f"'{role}' values cannot be read as periods (e.g. {{example}})", PERIOD_FIX, v))
        if len(calendar) > 1:
            calendar.sort(key=lambda h: -h[1])
            counts_text = ", ".join(f"{c:,} {CLASS_WORDS[r.key.rsplit(':', 1)[1]]}" for r, c, _ in calendar)
            for r, c, v in calendar[1:]:
                out.append((r, c, f"'{role}' mixes period granularities ({counts_text}); "
                                  f"these rows are the odd ones out (e.g. {{example}})", PERIOD_FIX, v))
    return out


def report(hits: list[tuple], examples: list[tuple], shown: str, source: str) -> tuple[list, list]:
    """Problems and exclusions from the broken rules and their examples ``(rows, value)``."""
    problems, exclusions = [], []
    for (rule, count, message, fix, _), (rows, example) in zip(hits, examples):
        if rule.exclude:
            exclusions.append(Exclusion(source, shown, rule.role or "", rule.column or "", rule.message, count, rows))
            continue
        message = message.replace("{example}", _fmt(example) if example is not None else "blank")
        problems.append(Problem(message, file=shown, column=rule.column, rows=rows, count=count, fix=fix))
    return problems, exclusions
