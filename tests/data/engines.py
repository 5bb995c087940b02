"""Real engines for the cross-engine tests and `make bench`: a throwaway PostgreSQL cluster and a local Spark session.

PostgreSQL comes from Debian's ``postgresql`` package (``.ci/ensure-engines`` installs
it).  :func:`postgres_cluster` runs ``initdb`` in a temporary directory and starts the
server on 127.0.0.1 and a free port with trust authentication (nothing to leak), and
stops it afterwards.  ``initdb`` refuses to run as root, so as root (CI) the cluster
belongs to the ``postgres`` system user (created by the package) and every command
runs through ``runuser -u postgres``; as any other user it is that user's own.

Spark runs in local mode (``local[1]``, one shuffle partition, no UI), one session per
test run; Java comes from Debian's ``openjdk-17-jre-headless``.  For runs across processes
(``hitk run``: the runner and every stage kernel call ``SparkSession.builder.getOrCreate()``),
:func:`spark_conf_dir` writes a ``SPARK_CONF_DIR`` with the same settings.

Tables get the file's column types: :func:`file_table` reads a data file exactly as the
toolkit's DuckDB does and returns its Ibis schema for :func:`load_postgres`, and
:func:`write_parquet` copies it to Parquet (for Spark) with those types.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path


def pg_bin(name: str) -> str | None:
    """Path of a PostgreSQL server program (``initdb``, ``pg_ctl``), or None when the server is not installed."""
    found = shutil.which(name)
    if found:
        return found
    cands = sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"), key=lambda p: int(p.split("/")[4]))
    return cands[-1] if cands else None


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextlib.contextmanager
def postgres_cluster():
    """Start a throwaway PostgreSQL server; yield its URL (``postgresql://postgres@127.0.0.1:PORT/postgres``)."""
    initdb, pg_ctl = pg_bin("initdb"), pg_bin("pg_ctl")
    if not (initdb and pg_ctl):
        raise RuntimeError("PostgreSQL's server is not installed: run `bash .ci/ensure-engines` "
                           "(apt-get install postgresql)")
    root = os.geteuid() == 0
    tmp = tempfile.mkdtemp(prefix="hitk-pg-")
    data = Path(tmp) / "data"
    port = _free_port()
    run_as = ["runuser", "-u", "postgres", "--"] if root else []
    if root:
        shutil.chown(tmp, "postgres")
    env = {**os.environ, "LC_ALL": "C.UTF-8", "LANG": "C.UTF-8"}
    subprocess.run([*run_as, initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8",
                    "--no-instructions"], check=True, capture_output=True, env=env)
    opts = f"-c listen_addresses=127.0.0.1 -c port={port} -c unix_socket_directories={tmp} -c fsync=off"
    subprocess.run([*run_as, pg_ctl, "-D", str(data), "-o", opts, "-l", f"{tmp}/log", "-w", "-t", "60", "start"],
                   check=True, capture_output=True, env=env)
    try:
        yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
    finally:
        subprocess.run([*run_as, pg_ctl, "-D", str(data), "-m", "immediate", "-w", "stop"], capture_output=True,
                       env=env)
        shutil.rmtree(tmp, ignore_errors=True)


def spark_session():
    """One local Spark session (local[1], 1 shuffle partition, no UI); None when PySpark or Java is missing."""
    try:
        from pyspark.sql import SparkSession
    except ImportError:
        return None
    if not shutil.which("java") and not os.environ.get("JAVA_HOME"):
        return None
    os.environ.setdefault("SPARK_LOCAL_HOSTNAME", "localhost")
    os.environ.setdefault("PYSPARK_PYTHON", os.sys.executable)
    return (SparkSession.builder.master("local[1]").appName("hitk-tests")
            .config("spark.sql.shuffle.partitions", "1").config("spark.ui.enabled", "false")
            .config("spark.sql.session.timeZone", "UTC").config("spark.driver.memory", "1g")
            .getOrCreate())


def require_spark():
    """The test Spark session; a test marked ``spark`` fails (never skips silently) when PySpark or Java is missing.

    CI installs both (``.ci/ensure-engines``); a developer without them deselects the tests with
    ``-m "not spark"``.
    """
    import pytest

    session = spark_session()
    if session is None:
        pytest.fail("PySpark or Java is not installed: run `bash .ci/ensure-engines`, or deselect these tests "
                    "with -m 'not spark'")
    return session


def _quoted(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def load_postgres(url: str, name: str, frame, *, schema=None) -> None:
    """Create table ``name`` (``table`` or ``schema.table``) from a pandas frame with one COPY.

    ``schema`` is the Ibis schema of the new table (default: inferred from the frame's dtypes); pass the
    one DuckDB gives the file (:func:`file_table`) so the table's column types are the file's.  The
    schema part of a dotted name is created when missing.  COPY is fast; ibis would insert row batches.
    """
    import io

    import ibis
    import psycopg

    *db, table = name.split(".")
    con = ibis.connect(url)
    if db:
        con.raw_sql(f"CREATE SCHEMA IF NOT EXISTS {_quoted(db[0])}")
    con.create_table(table, schema=schema if schema is not None else ibis.memtable(frame.head(0)).schema(),
                     database=db[0] if db else None)
    con.disconnect()
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    with psycopg.connect(url) as pg, pg.cursor() as cur:
        cols = ", ".join(_quoted(c) for c in frame.columns)
        target = ".".join(_quoted(p) for p in name.split("."))
        with cur.copy(f"COPY {target} ({cols}) FROM STDIN WITH (FORMAT csv, NULL '\\N')") as copy:
            copy.write(buf.getvalue())


def file_table(path: Path):
    """A data file as the toolkit's DuckDB reads it: ``(pandas frame, Ibis schema, DuckDB relation SQL)``.

    The same ``read_csv(...)``/``read_parquet(...)`` call :mod:`toolkit.data.sources` makes (dates left as
    text, types sniffed over every row), so a table loaded from it has the column types a file source has.
    """
    import duckdb
    import ibis

    from toolkit.data.sources import SourceFiles, relation_sql

    path = Path(path)
    fmt = "parquet" if path.suffix.lower() in (".parquet", ".pq") else "csv"
    rel = relation_sql(SourceFiles(path.stem, str(path), (path,), fmt), path)
    con = duckdb.connect()
    try:
        con.execute(f"CREATE TEMP VIEW source AS SELECT * FROM {rel}")
        with warnings.catch_warnings():  # ibis 12 calls a DuckDB method DuckDB 2 deprecates
            warnings.simplefilter("ignore", DeprecationWarning)
            schema = ibis.duckdb.from_connection(con).table("source").schema()
        frame = con.execute(f"SELECT * FROM {rel}").df()
    finally:
        con.close()
    return frame, schema, rel


def write_parquet(path: Path, dest: Path) -> Path:
    """Copy a data file to Parquet with DuckDB, keeping the column types DuckDB reads it with (for Spark)."""
    import duckdb

    _, _, rel = file_table(path)
    target = "'" + str(dest).replace("'", "''") + "'"
    with duckdb.connect() as con:
        con.execute(f"COPY (SELECT * FROM {rel}) TO {target} (FORMAT parquet)")
    return dest


def spark_conf_dir(folder: Path) -> dict[str, str]:
    """A ``SPARK_CONF_DIR`` for every process of a test run; returns the environment variables to set.

    ``SparkSession.builder.getOrCreate()`` in any process (the runner, each papermill kernel) then gets a
    small local session: ``local[1]``, one shuffle partition, no UI, UTC, its warehouse and Derby home in
    ``folder`` (never the working folder).  Tables are shared between processes as Parquet files read by
    path (``SELECT * FROM parquet.`/abs/x.parquet```): a Hive metastore on embedded Derby admits one JVM.
    """
    folder = Path(folder)
    conf = folder / "spark-conf"
    conf.mkdir(parents=True, exist_ok=True)
    settings = {
        "spark.master": "local[1]",
        "spark.app.name": "hitk-e2e",
        "spark.sql.shuffle.partitions": "1",
        "spark.default.parallelism": "1",
        "spark.ui.enabled": "false",
        "spark.ui.showConsoleProgress": "false",
        "spark.sql.session.timeZone": "UTC",
        "spark.driver.memory": "1g",
        "spark.sql.warehouse.dir": str(folder / "spark-warehouse"),
        # short jobs in short-lived JVMs: the C1 compiler only (halves a kernel's first aggregation here)
        "spark.driver.extraJavaOptions": f"-Dderby.system.home={folder / 'derby'} -XX:+UseSerialGC "
                                         "-XX:TieredStopAtLevel=1",
        "spark.sql.execution.arrow.pyspark.enabled": "true",  # as on Databricks; results are conformed anyway
        "spark.local.dir": str(folder / "spark-local"),
    }
    (conf / "spark-defaults.conf").write_text("".join(f"{k} {v}\n" for k, v in settings.items()), encoding="utf-8")
    (conf / "log4j2.properties").write_text("rootLogger.level = error\nrootLogger.appenderRef.stdout.ref = console\n"
                                            "appender.console.type = Console\nappender.console.name = console\n"
                                            "appender.console.target = SYSTEM_ERR\n"
                                            "appender.console.layout.type = PatternLayout\n"
                                            "appender.console.layout.pattern = %m%n\n", encoding="utf-8")
    return {"SPARK_CONF_DIR": str(conf), "SPARK_LOCAL_HOSTNAME": "localhost", "PYSPARK_PYTHON": sys.executable,
            "PYSPARK_DRIVER_PYTHON": sys.executable}
