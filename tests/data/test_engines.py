"""One query definition, several engines: DuckDB over files equals PostgreSQL and Spark over tables.

The cells, the exclusion counts and the IMD audit of :func:`toolkit.data.aggregate.aggregate` must be
identical (counts exactly, floats to 1e-12) whether the records are a Parquet file read by DuckDB, a
PostgreSQL table or a Spark table; and an engine's errors must come back as ours.  The PostgreSQL and
Spark tests are marked (``-m "not postgres and not spark"`` skips them locally); CI installs both
(``.ci/ensure-engines``) and runs them.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from tests.data.engines import load_postgres, postgres_cluster, require_spark
from toolkit.data.aggregate import aggregate
from toolkit.data.engine import TableSource, connect, duckdb_engine, spark_engine
from toolkit.errors import ConfigError, DataError

RECORDS = REPO / "data_samples" / "baseline_records.parquet"
ROLES = {"person_id": "person_id", "lsoa": "lsoa21_code", "period": "month", "age_band": "age_band",
         "sex": "sex", "ethnicity": "ethnicity", "numerator": "bp_recorded"}
BY = ["period", "imd_decile", "imd_quintile", "core20", "age_band", "sex"]


def _messy() -> pd.DataFrame:
    """Small records with every rule exercised: blanks, text numbers, codes of each LSOA category."""
    rng = np.random.default_rng(7)
    n = 3_000
    codes = np.array(["E01006744", " e01006745", "", None, "W01000001", "E0100675", "E01099999", "E01033769",
                      "E01006746"], dtype=object)
    return pd.DataFrame({
        "lsoa": rng.choice(codes, n),
        "month": rng.choice(np.array(["2024-01", "2024-02", " 2024-03 ", "", None], dtype=object), n),
        "n": rng.choice(np.array(["1", "0", " 1 ", "", None, "x"], dtype=object), n),
        "w": rng.normal(10, 3, n).round(6),
        "eth": rng.choice(np.array(["A", "B", "", None, "Q"], dtype=object), n),
    })


MESSY_ROLES = {"lsoa": "lsoa", "period": "month", "numerator": "n", "weight": "w", "ethnicity": "eth"}
MESSY_KW = dict(roles=MESSY_ROLES, by=["period", "imd_decile", "ethnicity"], sums=["numerator", "weight"],
                means=["weight"], exclude_missing=["period"], imd_vintage=2025, allow_vintage_mismatch=True,
                ethnicity_codes={"A": "White", "B": "Asian"})
SAMPLE_KW = dict(roles=ROLES, by=BY, sums=["numerator"], exclude_missing=["numerator", "period"], imd_vintage=2025)


def assert_same(a, b) -> None:
    """Identical cells (counts exactly, floats to 1e-12), exclusion counts and IMD audit."""
    assert a.n_rows == b.n_rows
    pd.testing.assert_frame_equal(a.cells, b.cells, check_exact=False, rtol=1e-12, atol=1e-12)
    pd.testing.assert_frame_equal(a.excluded[["reason", "column", "rows"]], b.excluded[["reason", "column", "rows"]])
    if a.imd_audit is None:
        assert b.imd_audit is None
    else:
        pd.testing.assert_frame_equal(a.imd_audit, b.imd_audit)


@pytest.fixture(scope="module")
def messy_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("messy") / "messy.parquet"
    _messy().to_parquet(path)
    return path


def test_duckdb_table_equals_duckdb_files(messy_file):
    """A table on a connection takes the same path as the file (DuckDB as the 'warehouse')."""
    eng = duckdb_engine()
    eng.raw.execute(f"CREATE TABLE messy AS SELECT * FROM read_parquet('{messy_file}')")
    assert_same(aggregate(messy_file, **MESSY_KW), aggregate(TableSource("records", table="messy"), engine=eng,
                                                            **MESSY_KW))


def test_an_engine_given_as_the_connection_stays_open(messy_file):
    """The caller's engine is the caller's: aggregating twice on it works (it was closed after the first call)."""
    eng = duckdb_engine()
    eng.raw.execute(f"CREATE TABLE messy AS SELECT * FROM read_parquet('{messy_file}')")
    source = TableSource("records", table="messy", connection=eng)
    first = aggregate(source, **MESSY_KW)
    assert_same(first, aggregate(source, **MESSY_KW))
    assert eng.raw.execute("SELECT count(*) FROM messy").fetchone()[0] == first.n_rows


def test_unset_connection_variable_is_a_config_error(monkeypatch):
    monkeypatch.delenv("HITK_TEST_NO_URL", raising=False)
    with pytest.raises(ConfigError, match="HITK_TEST_NO_URL is not set") as err:
        aggregate(TableSource("records", table="t", connection={"env": "HITK_TEST_NO_URL"}), roles={"numerator": "n"},
                  sums=["numerator"])
    assert "export HITK_TEST_NO_URL" in str(err.value.problems[0].fix)


def test_a_url_in_the_yaml_is_refused():
    with pytest.raises(ConfigError, match="must name an environment variable"):
        connect("postgresql://user:secret@host/db", source="records")


# --------------------------------------------------------------------------- PostgreSQL

@pytest.fixture(scope="module")
def pg(messy_file):
    with postgres_cluster() as url:
        import ibis

        load_postgres(url, "messy", pd.read_parquet(messy_file))
        load_postgres(url, "records", pd.read_parquet(RECORDS))
        con = ibis.connect(url)
        con.raw_sql("CREATE SCHEMA secret; CREATE TABLE secret.t (n integer); CREATE ROLE analyst LOGIN; "
                    "CREATE TABLE dated (d date, n integer); INSERT INTO dated VALUES ('2024-01-01', 1)")
        con.disconnect()
        yield url


@pytest.mark.postgres
def test_postgres_equals_duckdb(pg, messy_file, monkeypatch):
    monkeypatch.setenv("HITK_TEST_PG", pg)
    conn = {"env": "HITK_TEST_PG"}
    assert_same(aggregate(messy_file, **MESSY_KW), aggregate(TableSource("r", table="messy", connection=conn),
                                                            **MESSY_KW))
    assert_same(aggregate(RECORDS, **SAMPLE_KW), aggregate(TableSource("r", table="records", connection=conn),
                                                          **SAMPLE_KW))


@pytest.mark.postgres
def test_postgres_query_source_equals_its_table(pg, messy_file, monkeypatch):
    """A ``query:`` source runs on the server (as a temporary view) and gives the cells of the rows it selects."""
    monkeypatch.setenv("HITK_TEST_PG", pg)
    conn = {"env": "HITK_TEST_PG"}
    frame = pd.read_parquet(messy_file)
    kept = frame[frame["eth"].isin(["A", "B"])]
    eng = duckdb_engine()
    eng.raw.register("kept_in", kept)
    eng.raw.execute("CREATE TABLE kept AS SELECT * FROM kept_in")
    want = aggregate(TableSource("r", table="kept"), engine=eng, **MESSY_KW)
    got = aggregate(TableSource("r", query="SELECT * FROM messy WHERE eth IN ('A', 'B')", connection=conn),
                    **MESSY_KW)
    assert_same(want, got)
    assert got.n_rows == len(kept) < len(frame)


@pytest.mark.postgres
def test_postgres_errors_are_ours(pg, monkeypatch):
    monkeypatch.setenv("HITK_TEST_PG", pg)
    conn = {"env": "HITK_TEST_PG"}
    kw = dict(roles={"numerator": "n"}, sums=["numerator"])
    with pytest.raises(DataError, match="table public.nothing does not exist") as err:
        aggregate(TableSource("records", table="public.nothing", connection=conn), **kw)
    assert "schema.table" in err.value.problems[0].fix
    monkeypatch.setenv("HITK_TEST_PG_ANALYST", pg.replace("postgres@", "analyst@"))
    with pytest.raises(DataError, match="no permission to read table secret.t"):
        aggregate(TableSource("records", table="secret.t", connection={"env": "HITK_TEST_PG_ANALYST"}), **kw)
    with pytest.raises(DataError, match="cannot be counted or summed"):
        aggregate(TableSource("records", table="dated", connection=conn), roles={"numerator": "d"},
                  sums=["numerator"])
    port = pg.rsplit(":", 1)[1].split("/")[0]
    monkeypatch.setenv("HITK_TEST_PG_DOWN", pg.replace(f":{port}/", ":1/").replace("postgres@", "postgres:s3cret@"))
    with pytest.raises(ConfigError, match="cannot reach the postgres server") as err:
        aggregate(TableSource("records", table="messy", connection={"env": "HITK_TEST_PG_DOWN"}), **kw)
    assert "s3cret" not in str(err.value) and "HITK_TEST_PG_DOWN" in err.value.problems[0].fix


# --------------------------------------------------------------------------- Spark

@pytest.fixture(scope="module")
def spark():
    yield require_spark()


@pytest.mark.spark
def test_spark_equals_duckdb(spark, messy_file):
    eng = spark_engine(spark)
    spark.read.parquet(str(messy_file)).createOrReplaceTempView("messy")
    spark.read.parquet(str(RECORDS)).createOrReplaceTempView("records")
    assert_same(aggregate(messy_file, **MESSY_KW), aggregate(TableSource("r", table="messy"), engine=eng, **MESSY_KW))
    assert_same(aggregate(RECORDS, **SAMPLE_KW), aggregate(TableSource("r", table="records"), engine=eng,
                                                          **SAMPLE_KW))


@pytest.mark.spark
def test_spark_missing_table_is_ours(spark):
    with pytest.raises(DataError, match="table nothing_here does not exist on the pyspark connection") as err:
        aggregate(TableSource("records", table="nothing_here"), engine=spark_engine(spark), roles={"numerator": "n"},
                  sums=["numerator"])
    assert "at org.apache" not in str(err.value) and "JVM" not in str(err.value)
