"""Where the data layer runs: DuckDB (default, embedded), an SQL database or Apache Spark, through Ibis.

The queries of :mod:`toolkit.data.cells` (aggregation of records to analysis cells,
exclusions counted, the IMD join and its audit) are Ibis expressions, written once.
An :class:`Engine` runs them where the records live:

- **DuckDB** (:func:`duckdb_engine`, the default): files on this machine, streamed,
  nothing to install or start;
- **an SQL database** (:func:`connect`, e.g. PostgreSQL standing in for an ICB
  warehouse): the URL is read from an environment variable that evaluation.yaml
  *names* (``connection: {env: HITK_WAREHOUSE_URL}``), never written in the YAML,
  and never echoed in messages, manifests or reports;
- **Apache Spark** (:func:`spark_engine`): an existing ``SparkSession`` — a
  Databricks notebook's ``spark``, Spark Connect, or ``local[*]`` for tests.

Only cells and small audit tables come back; small lookups (IMD deciles of the
distinct LSOA codes, an ethnicity code list) are pushed to the engine as temporary
tables and joined there, so record-level data never leave the platform.

Why Ibis: one expression compiles to DuckDB, PostgreSQL, PySpark (and Databricks,
SQL Server, Snowflake, BigQuery, ...); it added no measurable time on DuckDB in our
measurements, and on DuckDB the compiled SQL runs on the same connection as before,
so results and dtypes are unchanged.  Errors from an engine (unreachable server,
missing table, permission, a type the rules refuse) are turned into
:class:`toolkit.errors.DataError` / :class:`toolkit.errors.ConfigError` naming the
source, the table and the fix; JVM stack traces are never shown.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.errors import ConfigError, DataError, Problem, ToolkitError

__all__ = ["Engine", "TableSource", "connect", "duckdb_engine", "engine_error", "open_table", "spark_engine"]

_names = itertools.count()


@dataclass(frozen=True)
class TableSource:
    """A source that is a table (or a query) on a connection rather than files.

    Attributes
    ----------
    name : str
        The source's name in evaluation.yaml (named in messages).
    table : str, optional
        ``schema.table`` (or ``catalog.schema.table`` on Databricks).
    query : str, optional
        A ``SELECT`` run on the connection instead of a table.
    connection : str or mapping
        ``{"env": "VAR"}``: the database URL is in environment variable ``VAR``
        (e.g. ``postgresql://user@host:5432/db``; the password in ``PGPASSWORD``
        or ``~/.pgpass``); ``"spark"``: the platform's active Spark session.
    """

    name: str
    table: str | None = None
    query: str | None = None
    connection: object = "spark"

    @property
    def label(self) -> str:
        return self.table or "the query"


class Engine:
    """An Ibis backend plus how results come back (one place that normalises dtypes)."""

    def __init__(self, kind: str, backend, raw=None, label: str = ""):
        self.kind = kind          # "duckdb", "postgres" or "pyspark"
        self.backend = backend    # the Ibis backend
        self.raw = raw            # DuckDB: the duckdb connection the compiled SQL runs on
        self.label = label or kind

    # -- data in
    def upload(self, frame: pd.DataFrame, schema: dict, prefix: str = "lookup"):
        """A small pandas table pushed to the engine as a temporary table; returns the Ibis table.

        ``schema`` is ``{column: Ibis type}`` (e.g. ``"string"``, ``"int8"``), so that an empty table has types too.
        """
        name = f"__hitk_{prefix}_{os.getpid()}_{next(_names)}"
        frame = frame.copy()
        for c in frame.columns:  # text as Python objects and missing as NULL on every engine
            if frame[c].dtype.kind in "OUT" or pd.api.types.is_string_dtype(frame[c]):
                frame[c] = pd.Series([None if pd.isna(v) else str(v) for v in frame[c]], dtype=object, index=frame.index)
        import ibis

        if self.kind == "duckdb":
            self.raw.register(f"{name}_in", frame)
            sql_types = {c: ibis.dtype(t) for c, t in schema.items()}
            dialect = self.backend.compiler.type_mapper
            cols = ", ".join(f'CAST("{c}" AS {dialect.to_string(t)}) AS "{c}"' for c, t in sql_types.items())
            self.raw.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS SELECT {cols} FROM "{name}_in"')
            return self.table(name)
        with _quiet_pandas_option():
            table = ibis.memtable(frame, schema=schema)
            if self.kind == "pyspark":
                return self.backend.create_view(name, table, overwrite=True)
            return self.backend.create_table(name, table, temp=True)  # unique name: nothing to overwrite

    def table(self, name: str):
        """An existing table or view as an Ibis table."""
        import warnings

        with warnings.catch_warnings():  # ibis 12 calls a DuckDB method DuckDB 2 deprecates; nothing for users to do
            warnings.simplefilter("ignore", DeprecationWarning)
            return self.backend.table(name)

    # -- results out
    def collect(self, expr) -> pd.DataFrame:
        """Run an expression; the result has the dtypes DuckDB's pandas conversion gives on every engine."""
        if self.kind == "duckdb":
            import ibis

            return self.raw.execute(ibis.to_sql(expr, dialect="duckdb")).df()
        with _quiet_pandas_option():
            frame = expr.to_pandas()
        return _conform(frame, expr.schema())

    def close(self) -> None:
        """Close what this engine opened (a Spark session is the platform's: it is left running)."""
        if self.kind == "duckdb" and self.raw is not None:
            self.raw.close()
        elif self.kind != "pyspark":
            self.backend.disconnect()


@contextlib.contextmanager
def _quiet_pandas_option():
    """Silence the deprecations of the libraries below us while results come back (ibis 12 reads
    ``future.infer_string``, a pandas option pandas 3 deprecates: a ``Pandas4Warning``, a ``DeprecationWarning``);
    nothing for users to do, and it would print in a stage's kernel."""
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        yield


def _conform(frame: pd.DataFrame, schema) -> pd.DataFrame:
    """Dtypes as DuckDB's ``.df()`` gives them: nullable integers/booleans only where a value is missing."""
    out = {}
    for name, dtype in schema.items():
        col = frame[name]
        if dtype.is_integer():
            np_type = f"int{dtype.nbytes * 8}"
            col = pd.array(col, dtype=np_type.capitalize()) if col.isna().any() else col.astype(np_type)
        elif dtype.is_boolean():
            col = pd.array(col, dtype="boolean") if col.isna().any() else col.astype(bool)
        elif dtype.is_floating() or dtype.is_decimal():
            col = pd.to_numeric(col, errors="coerce").astype("float64")
        elif dtype.is_string():
            col = pd.Series([None if v is None or (isinstance(v, float) and np.isnan(v)) else str(v) for v in col],
                            dtype="str", index=frame.index)
        out[name] = col
    return pd.DataFrame(out, index=frame.index).reset_index(drop=True)


def duckdb_engine(con=None) -> Engine:
    """The default engine: embedded DuckDB (a new in-memory database unless ``con`` is given)."""
    import duckdb
    import ibis

    raw = con if con is not None else duckdb.connect()
    return Engine("duckdb", ibis.duckdb.from_connection(raw), raw, "DuckDB")


_URL_ENV = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")


def connect(connection, *, source: str = "data") -> Engine:
    """The engine named by a source's ``connection:`` (never a URL or a password in the YAML).

    Parameters
    ----------
    connection : str or mapping or Engine
        ``{"env": "VAR"}`` — a database URL held in environment variable ``VAR``
        (``postgresql://...``; any Ibis backend URL works the same way);
        ``"spark"`` — the active Spark session (Databricks' ``spark``); an
        :class:`Engine` is returned as it is.
    source : str
        The source's name, for messages.

    Raises
    ------
    toolkit.errors.ConfigError
        The variable is not set, the URL's kind is unknown, or the server cannot be reached.
    """
    if isinstance(connection, Engine):
        return connection
    if connection == "spark":
        try:
            from pyspark.sql import SparkSession
        except ImportError:
            raise ConfigError(f"Data source '{source}' reads from Spark, but PySpark is not installed.",
                              [Problem("no pyspark", where=f"data.sources.{source}.connection",
                                       fix="pip install 'hi-evaluation-toolkit[spark]' (or run on Databricks)")]) from None
        session = SparkSession.getActiveSession()
        if session is None:  # e.g. a papermill kernel (its own process): the platform's or spark-defaults' session
            try:
                session = SparkSession.builder.getOrCreate()
            except Exception as exc:  # noqa: BLE001 - Java missing, a bad spark.master: ours, without a JVM trace
                raise ConfigError(f"Data source '{source}' reads from Spark, but no Spark session could be started.",
                                  [Problem(_first_line(exc), where=f"data.sources.{source}.connection",
                                           fix="run inside Databricks/your Spark platform, or set spark.master in "
                                               "spark-defaults.conf (SPARK_CONF_DIR) and check Java is installed")]) from None
        return spark_engine(session)
    env = connection.get("env") if isinstance(connection, dict) else None
    if not env or not _URL_ENV.match(str(env)):
        raise ConfigError(f"Data source '{source}': connection must name an environment variable or 'spark'.",
                          [Problem(f"connection is {type(connection).__name__}, not {{env: VARIABLE}}",
                                   where=f"data.sources.{source}.connection",
                                   fix="write `connection: {env: HITK_WAREHOUSE_URL}` and set that variable to the "
                                       "database URL outside the YAML (credentials never go in evaluation.yaml)")])
    url = os.environ.get(env)
    if not url:
        raise ConfigError(f"Data source '{source}': environment variable {env} is not set.",
                          [Problem(f"{env} holds no database URL", where=f"data.sources.{source}.connection",
                                   fix=f"export {env}=postgresql://user@host:5432/database (password in PGPASSWORD "
                                       "or ~/.pgpass), then run again")])
    import ibis

    kind = url.split(":", 1)[0].split("+", 1)[0].lower()
    kind = {"postgresql": "postgres", "postgres": "postgres"}.get(kind, kind)
    options = {}
    if kind == "duckdb" and url.split("://", 1)[-1].split("?")[0] not in ("", ":memory:") \
            and "read_only" not in url:
        options["read_only"] = True  # a DuckDB file as the warehouse: read-only, so kernels can open it too
    try:
        backend = ibis.connect(url, **options)
    except Exception as exc:  # noqa: BLE001 - every driver's error becomes ours, without the URL
        raise engine_error(exc, source=source, table=None, engine=kind, env=env) from None
    if kind == "duckdb":  # compiled SQL and uploads run on Ibis' own DuckDB connection
        return Engine("duckdb", backend, backend.con, "DuckDB")
    return Engine(kind, backend, label={"postgres": "PostgreSQL"}.get(kind, kind))


def spark_engine(session) -> Engine:
    """An engine on a given SparkSession (local, a cluster, Databricks or Spark Connect)."""
    import ibis

    return Engine("pyspark", ibis.pyspark.connect(session), label="Spark")


@contextlib.contextmanager
def reading(source: TableSource, engine: Engine | None = None):
    """``with reading(source) as (engine, table):`` — a table source opened on its engine, errors made ours.

    The engine is ``engine`` when given (left open), else the source's ``connection`` (closed afterwards unless it
    is an :class:`Engine` the caller made, or the platform's Spark session).  Any non-toolkit exception inside the
    block becomes :func:`engine_error` naming the source and the table: no URL, no JVM stack trace.
    """
    eng = connect(engine if engine is not None else source.connection, source=source.name)
    ours = engine is None and not isinstance(source.connection, Engine) and eng.kind != "pyspark"
    try:
        yield eng, open_table(eng, source)
    except ToolkitError:
        raise
    except Exception as exc:  # noqa: BLE001 - the engine's error, made ours
        raise engine_error(exc, source=source.name, table=source.label, engine=eng.kind) from None
    finally:
        if ours:
            eng.close()


def open_table(engine: Engine, source: TableSource):
    """The Ibis table of a table/query source, with engine errors made ours."""
    import warnings

    try:
        with warnings.catch_warnings():  # ibis 12 calls DuckDB methods DuckDB 2 deprecates; nothing for users to do
            warnings.simplefilter("ignore", DeprecationWarning)
            if source.query and engine.kind != "pyspark":
                # a temporary view, not ibis' .sql(): ibis 12's .sql() needs a DuckDB 1 method on DuckDB, and on
                # PostgreSQL its schema probe writes an empty DROP VIEW with sqlglot 30
                name = f"__hitk_query_{os.getpid()}_{next(_names)}"
                if engine.kind == "duckdb":
                    engine.raw.execute(f'CREATE OR REPLACE TEMP VIEW "{name}" AS {source.query}')
                else:
                    engine.backend.raw_sql(f'CREATE TEMP VIEW "{name}" AS {source.query}').close()
                return engine.backend.table(name)
            if source.query:
                return engine.backend.sql(source.query)
            parts = source.table.split(".")
            if len(parts) == 1:
                return engine.backend.table(parts[0])
            return engine.backend.table(parts[-1], database=tuple(parts[:-1]) if len(parts) > 2 else parts[0])
    except Exception as exc:  # noqa: BLE001
        raise engine_error(exc, source=source.name, table=source.label, engine=engine.kind) from None


def _first_line(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    for marker in ("JVM stacktrace", "\tat ", "Traceback"):
        text = text.split(marker)[0]
    line = next((ln.strip() for ln in text.splitlines() if ln.strip()), type(exc).__name__)
    line = re.sub(r"\w+://[^\s'\"]+", "<url>", line)  # never echo a URL (it may hold a password)
    line = re.sub(r"password=\S+", "password=<hidden>", line, flags=re.I)
    return line[:300]


def engine_error(exc: BaseException, *, source: str, table: str | None, engine: str, env: str | None = None):
    """A driver's or Spark's exception as a :class:`DataError`/:class:`ConfigError` naming source, table and fix."""
    text = f"{type(exc).__name__} {exc}".lower()
    what = "the query" if table == "the query" else f"table {table}" if table else "the connection"
    where = f"data.sources.{source}"
    detail = _first_line(exc)
    if any(k in text for k in ("could not connect", "connection refused", "could not translate host", "timeout expired",
                               "no such host", "connection to server", "name or service not known")):
        return ConfigError(f"Data source '{source}': cannot reach the {engine} server.", [Problem(
            f"cannot reach the {engine} server (the engine says: {detail})", where=f"{where}.connection",
            fix=(f"check the URL in {env} (host, port, database) and that the server is running and reachable"
                 if env else "check the server is running and reachable from this machine"))])
    if any(k in text for k in ("password authentication failed", "authentication failed", "no password supplied")):
        return ConfigError(f"Data source '{source}': the {engine} server refused the login.", [Problem(
            f"the {engine} server refused the login (the engine says: {detail})", where=f"{where}.connection",
            fix="check the user in the URL and the password in PGPASSWORD or ~/.pgpass (never in evaluation.yaml)")])
    if any(k in text for k in ("permission denied", "insufficient privilege", "insufficient_privilege",
                               "access denied", "not authorized")):
        return DataError(f"Data source '{source}': no permission to read {what}.", [Problem(
            f"no permission to read {what} (the engine says: {detail})", where=where, file=table,
            fix=f"ask the data owner to grant SELECT on {table or 'the table'} to your user, or name a table you may read")])
    if any(k in text for k in ("does not exist", "not found", "table_or_view_not_found", "tablenotfound",
                               "cannot be found", "no such table", "undefinedtable")):
        return DataError(f"Data source '{source}': {what} does not exist on the {engine} connection.", [Problem(
            f"{what} does not exist on the {engine} connection (the engine says: {detail})",
            where=f"{where}.table", file=table,
            fix="check the table's name and schema (schema.table; catalog.schema.table on Databricks)")])
    if any(k in text for k in ("cannot cast", "invalid input syntax", "cast_invalid_input", "datatype_mismatch",
                               "operator does not exist", "function", "cannot resolve", "data type")):
        return DataError(f"Data source '{source}': a column of {what} has a type the data contract refuses.", [Problem(
            f"a column of {what} has a type the data contract refuses (the engine says: {detail})",
            where=f"{where}.columns", file=table,
            fix="map columns of the documented types (numbers for counts, text or dates for periods), or cast "
                "them in a query: source")])
    return DataError(f"Data source '{source}': the {engine} engine failed reading {what}.", [Problem(
        f"the {engine} engine failed reading {what} (the engine says: {detail})", where=where, file=table,
        fix="check the table and its columns; the message above is the engine's")])
