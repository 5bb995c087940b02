"""The baseline's data step on a record-level *table* source: summed on the engine, the file route's cells.

The "warehouse" is a DuckDB database file named by an environment variable (issue 18); the records
never come back whole (``ctx.data`` is forbidden), only their distinct codes and cells.
"""

from __future__ import annotations

import duckdb
import pandas as pd
import pytest
import yaml

from tests.baseline.test_records import RECORD_COLUMNS, SAMPLES, _evaluation
from toolkit.baseline import aggregate_source
from toolkit.data.tables import close_engines
from toolkit.evaluations.context import open_stage

VAR = "HITK_TEST_BASELINE_WAREHOUSE"


@pytest.fixture
def table_folder(tmp_path, monkeypatch):
    """The hypertension example's baseline reading its records from table analytics.records."""
    db = tmp_path / "warehouse.duckdb"
    con = duckdb.connect(str(db))
    con.execute("CREATE SCHEMA analytics")
    records = SAMPLES / "baseline_records.parquet"
    con.execute(f"CREATE TABLE analytics.records AS SELECT * FROM read_parquet('{records}')")
    con.close()
    monkeypatch.setenv(VAR, f"duckdb:///{db}")
    files = _evaluation(tmp_path / "f", SAMPLES / "baseline_records.parquet", RECORD_COLUMNS)
    table = _evaluation(tmp_path / "t", SAMPLES / "baseline_records.parquet", RECORD_COLUMNS)
    path = f"{table}/evaluation.yaml"
    data = yaml.safe_load(open(path).read())
    data["data"]["sources"]["bp_records"] = {"table": "analytics.records", "connection": {"env": VAR},
                                             "columns": RECORD_COLUMNS}
    open(path, "w").write(yaml.safe_dump(data, sort_keys=False))
    yield files, table
    close_engines()


def test_table_records_give_the_file_routes_cells_and_audit(table_folder, monkeypatch):
    files, table = table_folder
    d1, a1 = aggregate_source(open_stage(files, "baseline"))
    ctx = open_stage(table, "baseline")
    monkeypatch.setattr(type(ctx), "data", lambda self: pytest.fail("the records were read into pandas"))
    d2, a2 = aggregate_source(ctx)
    monkeypatch.undo()
    pd.testing.assert_frame_equal(a1.cells, a2.cells, check_exact=True)
    pd.testing.assert_frame_equal(a1.excluded.drop(columns="example_rows"), a2.excluded.drop(columns="example_rows"))
    assert a1.n_rows == a2.n_rows and d1.sentence == d2.sentence and d1.route == d2.route
    # a table has no row order: the audit's counts are the file's; its example codes are the first in sorted order
    pd.testing.assert_frame_equal(d1.audit.drop(columns="example_codes"), d2.audit.drop(columns="example_codes"))


def test_the_pandas_route_reads_the_table_too(table_folder):
    files, table = table_folder
    d1, a1 = aggregate_source(open_stage(files, "baseline"), engine="pandas")
    d2, a2 = aggregate_source(open_stage(table, "baseline"), engine="pandas")
    pd.testing.assert_frame_equal(a1.cells, a2.cells, check_exact=True)
    assert a1.n_rows == a2.n_rows
