"""Real engines for the cross-engine tests and `make bench`: a throwaway PostgreSQL cluster and a local Spark session.

PostgreSQL comes from Debian's ``postgresql`` package (``.ci/ensure-engines`` installs
it).  :func:`postgres_cluster` runs ``initdb`` in a temporary directory and starts the
server on 127.0.0.1 and a free port with trust authentication (nothing to leak), and
stops it afterwards.  ``initdb`` refuses to run as root, so as root (CI) the cluster
belongs to the ``postgres`` system user (created by the package) and every command
runs through ``runuser -u postgres``; as any other user it is that user's own.

Spark runs in local mode (``local[1]``, one shuffle partition, no UI), one session per
test run; Java comes from Debian's ``openjdk-17-jre-headless``.
"""

from __future__ import annotations

import contextlib
import glob
import os
import shutil
import socket
import subprocess
import tempfile
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


def load_postgres(url: str, name: str, frame) -> None:
    """Create table ``name`` from a pandas frame with one COPY (fast; ibis inserts row batches)."""
    import io

    import ibis
    import psycopg

    con = ibis.connect(url)
    con.create_table(name, schema=ibis.memtable(frame.head(0)).schema())
    con.disconnect()
    buf = io.StringIO()
    frame.to_csv(buf, index=False, header=False, na_rep="\\N")
    with psycopg.connect(url) as pg, pg.cursor() as cur:
        cols = ", ".join('"' + str(c).replace('"', '""') + '"' for c in frame.columns)
        with cur.copy(f'COPY "{name}" ({cols}) FROM STDIN WITH (FORMAT csv, NULL \'\\N\')') as copy:
            copy.write(buf.getvalue())
