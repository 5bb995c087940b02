"""One contract definition, several engines: a table on DuckDB, PostgreSQL or Spark gives the file's counts.

The same records are checked as a Parquet file (DuckDB, the default path, with spreadsheet row numbers) and as a
table on a connection; every rule (types, ranges, missing values, cross-column comparisons, period granularity,
real dates, uniqueness, the LSOA vintage guard) must count the same rows.  Table problems name the table and carry
example values but no row numbers.  PostgreSQL and Spark are marked (``-m "not postgres and not spark"`` skips
them); CI runs them.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tests.data.engines import load_postgres, postgres_cluster, require_spark
from toolkit.data.checking import check_contract
from toolkit.data.contracts import REGISTRY, Contract, RoleSpec
from toolkit.data.engine import TableSource, duckdb_engine, spark_engine
from toolkit.data.sources import SourceFiles
from toolkit.errors import DataError


def _messy_panel() -> pd.DataFrame:
    """A did panel breaking every kind of rule at least once."""
    rng = np.random.default_rng(3)
    n = 400
    units = np.array([f"P{i:03d}" for i in range(40)], dtype=object)
    unit = rng.choice(units, n)
    unit[[5, 6]] = [None, "  "]
    month = np.array([f"2024-{m:02d}" for m in rng.integers(1, 13, n)], dtype=object)
    month[[10, 11, 12]] = ["2024Q1", "2024-13", " 2024-03 "]
    month[13] = None
    outcome = np.array([f"{v:.2f}" for v in rng.normal(50, 10, n)], dtype=object)
    outcome[[20, 21, 22, 23, 24]] = ["x", "inf", "NaN", "", None]
    treated = rng.integers(0, 2, n).astype(float)
    treated[[30, 31]] = [2.0, 0.5]
    quintile = rng.integers(1, 6, n).astype("int64")
    quintile[40] = 7
    weight = rng.uniform(1, 10, n).round(3)
    weight[[50, 51]] = [-1.0, np.nan]
    numerator = rng.integers(0, 50, n).astype(float)
    denominator = numerator + rng.integers(0, 50, n)
    numerator[[60, 61]] = [500.0, -3.0]
    denominator[62] = 0.0
    frame = pd.DataFrame({"unit": unit, "month": month, "outcome": outcome, "treated": treated,
                          "quintile": quintile, "weight": weight, "num": numerator, "den": denominator})
    return pd.concat([frame, frame.iloc[[100, 101]]], ignore_index=True)  # two repeated unit × month rows


PANEL_MAP = {"unit": "unit", "time": "month", "outcome": "outcome", "treatment": "treated", "quintile": "quintile",
             "weight": "weight", "numerator": "num", "denominator": "den"}


def _records() -> pd.DataFrame:
    """Person records whose LSOA codes are 2011 ones (IMD 2019 only) and whose periods mix months and dates."""
    from toolkit.data.rules import _only_codes

    old = sorted(_only_codes()[(2019, 2025)]["code"])[:30]
    rng = np.random.default_rng(5)
    n = 300
    month = np.array([f"2023-{m:02d}" for m in rng.integers(1, 13, n)], dtype=object)
    month[:4] = ["2023-01-15", "2023-02-01", "31/02/2023", None]
    return pd.DataFrame({"id": np.arange(n) % 290, "lsoa": rng.choice(np.array(old, dtype=object), n),
                         "month": month, "flag": rng.integers(0, 2, n).astype("int64")})


RECORD_MAP = {"person_id": "id", "lsoa": "lsoa", "period": "month", "numerator": "flag"}
CASES = {"panel": (_messy_panel, PANEL_MAP, REGISTRY["did"], {}),
         "records": (_records, RECORD_MAP, REGISTRY["baseline"], {"imd_vintage": 2025})}


def _shape(report) -> tuple:
    """What must agree across engines: each problem without its example, its count and column; exclusions."""
    problems = sorted((re.sub(r"e\.g\. [^)]*\)", "e.g. …)", p.message), p.column, p.count)
                      for p in report.problems)
    return problems, sorted((e.reason, e.column, e.rows) for e in report.exclusions), report.n_rows


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("contract-engines")
    out = {}
    for name, (make, mapping, contract, kw) in CASES.items():
        path = folder / f"{name}.parquet"
        make().to_parquet(path, index=False)
        out[name] = (path, check_contract(SourceFiles(name, path.name, (path,), "parquet"), mapping, contract,
                                          folder=folder, **kw))
    return out


def _check_table(name, files, **table_kw):
    _, mapping, contract, kw = CASES[name]
    return check_contract(TableSource(name, **table_kw), mapping, contract, **kw)


def test_the_file_breaks_every_rule(files):
    problems, exclusions, n = _shape(files["panel"][1])
    text = " | ".join(p[0] for p in problems)
    for part in ("'unit' values are missing", "'time' values are missing", "mixes period granularities",
                 "look like dates but are not real ones", "must be numbers, but some are text", "are infinite",
                 "are NaN", "treatment flags must be 0 or 1", "deprivation quintiles must be whole numbers",
                 "weights must be numbers of at least 0", "numerator is larger than the denominator",
                 "denominators (populations) must be above 0", "the same unit × time appears"):
        assert part in text, part
    assert exclusions == [("a missing outcome", "outcome", 2)] and n == 402
    rec = files["records"][1]
    assert any("LSOA codes are from the 2011 boundaries" in p.message for p in rec.problems)
    assert any("cannot be read as periods" in p.message or "mixes period" in p.message or "not real ones" in p.message
               for p in rec.problems)
    assert all(p.rows for p in rec.problems)  # a file has row numbers


def _duckdb_table(name, files):
    eng = duckdb_engine()
    path = files[name][0]
    eng.raw.execute(f"CREATE TABLE {name} AS SELECT * FROM read_parquet('{path}')")
    return eng


@pytest.mark.parametrize("name", list(CASES))
def test_duckdb_table_counts_equal_the_file(name, files):
    eng = _duckdb_table(name, files)
    report = _check_table(name, files, table=name, connection=eng)
    assert _shape(report) == _shape(files[name][1])
    assert all(p.file == name and p.rows == () for p in report.problems)
    assert report.rows_per_file == {name: files[name][1].n_rows}
    assert all("(e.g. blank)" not in p.message or "missing" in p.message for p in report.problems)


def test_table_examples_are_values(files):
    eng = _duckdb_table("panel", files)
    eng.raw.execute("CREATE VIEW odd AS SELECT * FROM panel WHERE quintile = 7")
    report = check_contract(TableSource("panel", table="odd"), PANEL_MAP, REGISTRY["did"], engine=eng)
    (problem,) = [p for p in report.problems if "quintiles" in p.message]
    assert problem.message.endswith("(e.g. '7')") and problem.file == "odd" and problem.count == 1
    assert report.n_rows == 1


def test_a_type_the_contract_refuses_is_a_data_error_naming_table_and_column():
    eng = duckdb_engine()
    eng.raw.execute("CREATE TABLE dated AS SELECT DATE '2024-01-01' AS d, 1 AS n")
    with pytest.raises(DataError, match="column 'd' of dated holds date values") as err:
        check_contract(TableSource("records", table="dated"), {"numerator": "d"}, REGISTRY["baseline"], engine=eng)
    problem = err.value.problems[0]
    assert problem.file == "dated" and problem.column == "d" and "cast" in problem.fix


def test_missing_table_is_ours():
    with pytest.raises(DataError, match="table nothing does not exist"):
        check_contract(TableSource("records", table="nothing"), {"numerator": "n"}, REGISTRY["baseline"],
                       engine=duckdb_engine())


def test_an_empty_table_is_reported():
    eng = duckdb_engine()
    eng.raw.execute("CREATE TABLE empty (n INTEGER)")
    report = check_contract(TableSource("r", table="empty"), {"numerator": "n"},
                            Contract("t", roles={"numerator": RoleSpec("count")}), engine=eng)
    assert [p.message for p in report.problems] == ["the table has no rows"] and report.n_rows == 0


# --------------------------------------------------------------------------- PostgreSQL and Spark

@pytest.fixture(scope="module")
def pg(files):
    with postgres_cluster() as url:
        for name, (make, *_rest) in CASES.items():
            load_postgres(url, name, pd.read_parquet(files[name][0]))
        import ibis

        con = ibis.connect(url)
        con.raw_sql("CREATE TABLE dated (d date, n integer); INSERT INTO dated VALUES ('2024-01-01', 1)")
        con.disconnect()
        yield url


@pytest.mark.postgres
@pytest.mark.parametrize("name", list(CASES))
def test_postgres_counts_equal_the_file(pg, files, name, monkeypatch):
    monkeypatch.setenv("HITK_TEST_PG", pg)
    report = _check_table(name, files, table=name, connection={"env": "HITK_TEST_PG"})
    got, want = _shape(report), _shape(files[name][1])
    assert set(got[0]) ^ set(want[0]) == set()
    assert got == want
    assert all(p.file == name and p.rows == () for p in report.problems)


@pytest.mark.postgres
def test_postgres_refused_type(pg, monkeypatch):
    monkeypatch.setenv("HITK_TEST_PG", pg)
    with pytest.raises(DataError, match="column 'd' of dated holds date values"):
        check_contract(TableSource("records", table="dated", connection={"env": "HITK_TEST_PG"}), {"numerator": "d"},
                       REGISTRY["baseline"])


@pytest.fixture(scope="module")
def spark():
    yield require_spark()


@pytest.mark.spark
@pytest.mark.parametrize("name", list(CASES))
def test_spark_counts_equal_the_file(spark, files, name):
    spark.read.parquet(str(files[name][0])).createOrReplaceTempView(f"c_{name}")
    report = _check_table(name, files, table=f"c_{name}", connection=spark_engine(spark))
    assert _shape(report) == _shape(files[name][1])
    assert all(p.file == f"c_{name}" and p.rows == () for p in report.problems)
