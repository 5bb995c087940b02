"""Table and query sources: describe, count, list values and read them on their engine.

The file versions live in :mod:`toolkit.data.sources`; these are their
counterparts for a :class:`toolkit.data.engine.TableSource` (``table:`` or
``query:`` on a ``connection:`` in evaluation.yaml), written once in Ibis so they
run on DuckDB, PostgreSQL and Spark alike.  Only what is asked for comes back:
column names, a row count, the distinct values of one column, or (for
:func:`read_table`) the mapped columns of an aggregated source.

One engine is kept per connection and process (:func:`engine_for`), so a run's
many small queries do not reconnect each time; :func:`close_engines` ends them.
Connection details (the URL, a password) are never put in a message: errors are
made by :func:`toolkit.data.engine.engine_error`, which names the source, the
table and the fix.
"""

from __future__ import annotations

import hashlib
import os

import pandas as pd

from toolkit.data.engine import Engine, TableSource, connect, reading
from toolkit.errors import DataError, Problem

__all__ = ["check_columns", "close_engines", "connection_label", "describe_table", "distinct_table_values", "engine_for",
           "query_sha256", "read_table", "sort_rows", "table_rows"]

_ENGINES: dict[tuple, Engine] = {}


def _key(connection) -> tuple:
    if isinstance(connection, dict):
        env = str(connection.get("env"))
        # the URL itself is part of the key (in memory only) so that a changed variable connects afresh
        return ("env", env, hashlib.sha256(os.environ.get(env, "").encode()).hexdigest())
    return ("other", str(connection))


def engine_for(source: TableSource) -> Engine:
    """The engine of a source's connection, opened once per process and connection.

    Raises
    ------
    toolkit.errors.ConfigError
        The variable is unset, or the server cannot be reached (see :func:`toolkit.data.engine.connect`).
    """
    if isinstance(source.connection, Engine):
        return source.connection
    key = _key(source.connection)
    engine = _ENGINES.get(key)
    if engine is None:
        engine = _ENGINES[key] = connect(source.connection, source=source.name)
    return engine


def close_engines() -> None:
    """Close every engine :func:`engine_for` opened (a Spark session is left running)."""
    while _ENGINES:
        _, engine = _ENGINES.popitem()
        try:
            engine.close()
        except Exception:  # noqa: BLE001 - closing is best effort
            pass


def connection_label(source: TableSource) -> str:
    """The connection as the manifest records it: ``env VARIABLE`` or ``spark`` (never the URL)."""
    if isinstance(source.connection, dict):
        return f"env {source.connection.get('env')}"
    return "spark" if source.connection == "spark" else type(source.connection).__name__


def query_sha256(source: TableSource) -> str | None:
    """SHA-256 of a query source's SQL text (None for a table)."""
    return hashlib.sha256(source.query.encode("utf-8")).hexdigest() if source.query else None


def _run(source: TableSource, build):
    """``build(engine, table)`` on the source's kept-open engine, with any engine error made ours."""
    with reading(source, engine_for(source)) as (engine, table):
        return build(engine, table)


def describe_table(source: TableSource) -> list[str]:
    """Column names of the table (or of the query's result); nothing is scanned."""
    return _run(source, lambda engine, table: list(table.columns))


def table_rows(source: TableSource) -> int:
    """Number of rows of the table or query."""
    return _run(source, lambda engine, table: int(engine.collect(table.aggregate(n=table.count()))["n"].iloc[0]))


def distinct_table_values(source: TableSource, column: str, *, limit: int = 5000) -> list[str]:
    """Sorted distinct values of one column, as text (as :func:`toolkit.data.sources.distinct_values` gives them)."""
    def build(engine, table):
        check_columns(source, table, [column])
        value = table[column]
        if value.type().is_date():
            text = value.strftime("%Y-%m-%d")
        elif value.type().is_timestamp():
            text = value.strftime("%Y-%m-%d %H:%M:%S")
        else:
            text = value.cast("string")
        rel = table.filter(value.notnull()).select(v=text).distinct().order_by("v").limit(int(limit))
        return [str(v) for v in engine.collect(rel)["v"]]

    return _run(source, build)


def check_columns(source: TableSource, table, columns) -> None:
    """Refuse mapped ``columns`` the table lacks, naming each and listing the table's columns."""
    have = list(table.columns)
    missing = [c for c in dict.fromkeys(columns) if c not in have]
    if missing:
        shown = ", ".join(have[:20]) + (" …" if len(have) > 20 else "")
        raise DataError(f"Data source '{source.name}': {source.label} lacks mapped column(s).", [
            Problem(f"column '{c}' is not in {source.label}", where=f"data.sources.{source.name}.columns",
                    file=source.label, column=c, fix=f"correct the column mapping; the table has: {shown}")
            for c in missing])


def read_table(source: TableSource, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Every row of a table or query into pandas, mapped columns only, under their role names.

    For aggregated sources (a few rows per area and period) and lookups; record-level
    data are summed on the engine instead (:func:`toolkit.data.aggregate.aggregate`).
    Dtypes are those DuckDB's pandas conversion gives (:meth:`toolkit.data.engine.Engine.collect`).
    """
    def build(engine, table):
        if columns:
            check_columns(source, table, columns.values())
            table = table.select(*dict.fromkeys(columns.values()))
        frame = engine.collect(table)
        if columns:
            frame = pd.DataFrame({role: frame[column] for role, column in columns.items()})
        return frame

    return _run(source, build)


def sort_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """Rows in one order whatever their engine: sorted by every column in turn, stable, missing last.

    A table has no row order, so a table read into pandas is sorted: the same records
    give the same frame on every engine.  (Files keep their order: messages name
    spreadsheet rows by position.)  Text columns holding mixed Python types are
    compared as text.
    """
    if frame.empty or frame.shape[1] == 0:
        return frame.reset_index(drop=True)

    def key(col: pd.Series) -> pd.Series:
        if col.dtype == object:
            return col.map(lambda v: v if v is None or (isinstance(v, float) and v != v) else str(v))
        return col

    # columns under two roles (one file column mapped twice) hold the same values: sort by the first only
    names = list(dict.fromkeys(frame.columns))
    return frame.sort_values(names, kind="stable", na_position="last", key=key, ignore_index=True)
