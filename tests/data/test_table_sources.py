"""A source that is a table or a query on a connection reads, checks and runs like a file (issue 18).

The "warehouse" here is a DuckDB database file (``duckdb:///…`` in an environment
variable), the cheap engine for unit tests; PostgreSQL runs in the marked test at the end.
"""

from __future__ import annotations

import json
import shutil
import sys

import duckdb
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO, copy_project
from toolkit.data.engine import TableSource
from toolkit.data.sources import (
    SourceFiles, describe_columns, read_source, resolve_files, resolve_source, source_rows, source_values,
)
from toolkit.data.tables import close_engines, sort_rows
from toolkit.errors import ConfigError, DataError
from toolkit.evaluations.checks import check_evaluation

CSV = REPO / "data_samples" / "its_emergency_admissions.csv"
EXAMPLE = "example-admissions-its"
SECRET = "S3cretPw"
VAR = "HITK_TEST_WAREHOUSE"


def _files() -> SourceFiles:
    return SourceFiles("admissions", str(CSV), (CSV,), "csv")


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory):
    """A DuckDB database file holding the ITS example's CSV as table analytics.admissions (types as read)."""
    from toolkit.data.sources import relation_sql

    path = tmp_path_factory.mktemp("wh") / "warehouse.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE SCHEMA analytics")
    con.execute(f"CREATE TABLE analytics.admissions AS SELECT * FROM {relation_sql(_files(), CSV)}")
    con.close()
    return f"duckdb:///{path}"


@pytest.fixture(autouse=True)
def _fresh_engines():
    yield
    close_engines()


def _table(monkeypatch, warehouse, **kw) -> TableSource:
    monkeypatch.setenv(VAR, warehouse)
    return TableSource("admissions", **({"table": "analytics.admissions"} | kw), connection={"env": VAR})


def test_a_table_reads_like_its_file(monkeypatch, warehouse):
    table = _table(monkeypatch, warehouse)
    files = _files()
    assert describe_columns(table) == describe_columns(files)
    assert source_rows(table) == source_rows(files)
    assert source_values(table, "month") == source_values(files, "month")
    mapping = {"time": "month", "outcome": "admissions", "denominator": "population", "weight": "population"}
    pd.testing.assert_frame_equal(read_source(table, mapping), sort_rows(read_source(files, mapping)))
    query = _table(monkeypatch, warehouse, table=None,
                   query="SELECT * FROM analytics.admissions WHERE month >= '2020-01'")
    assert source_rows(query) == int((read_source(files)["month"] >= "2020-01").sum())


def test_a_table_is_read_sorted_by_every_mapped_column_and_a_file_in_file_order(monkeypatch, warehouse, tmp_path):
    frame = pd.DataFrame({"a": ["b", None, "a", "b"], "n": [2.0, 1.0, None, 1.0]})
    out = sort_rows(frame)
    assert out["a"].tolist()[:3] == ["a", "b", "b"] and pd.isna(out["a"].iloc[3])
    assert out["n"].tolist()[1:3] == [1.0, 2.0]
    shuffled = tmp_path / "shuffled.csv"
    pd.read_csv(CSV).iloc[::-1].to_csv(shuffled, index=False)
    files = SourceFiles("admissions", str(shuffled), (shuffled,), "csv")
    mapping = {"time": "month", "outcome": "admissions"}
    # a file keeps its order (messages name spreadsheet rows by position); a table has none, so it is sorted
    assert read_source(files, mapping)["time"].iloc[0] == pd.read_csv(CSV)["month"].iloc[-1]
    table = read_source(_table(monkeypatch, warehouse), mapping)
    assert table.equals(table.sort_values(["time", "outcome"], kind="stable", ignore_index=True))


def test_resolve_source(tmp_path):
    from toolkit.evaluations.schema import Source

    found = resolve_source("a", Source(table="s.t", connection={"env": VAR}), tmp_path)
    assert found == TableSource("a", table="s.t", connection={"env": VAR})
    assert isinstance(resolve_source("a", Source(path=str(CSV)), tmp_path), SourceFiles)
    assert resolve_files("a", Source(path=str(CSV)), tmp_path) == resolve_source("a", Source(path=str(CSV)), tmp_path)


def test_engine_errors_are_ours(monkeypatch, warehouse):
    with pytest.raises(DataError, match="table analytics.nothing does not exist") as err:
        describe_columns(_table(monkeypatch, warehouse, table="analytics.nothing"))
    assert "schema.table" in err.value.problems[0].fix
    monkeypatch.delenv(VAR)
    with pytest.raises(ConfigError, match=f"environment variable {VAR} is not set"):
        describe_columns(TableSource("admissions", table="analytics.admissions", connection={"env": VAR}))
    with pytest.raises(DataError, match="lacks mapped column") as err:
        read_source(_table(monkeypatch, warehouse), {"time": "mnth"})
    assert "month" in err.value.problems[0].fix


def test_an_unreachable_server_never_shows_the_password(monkeypatch, capsys):
    monkeypatch.setenv(VAR, f"postgresql://analyst:{SECRET}@127.0.0.1:1/warehouse")
    with pytest.raises(ConfigError, match="cannot reach the postgres server") as err:
        describe_columns(TableSource("admissions", table="analytics.t", connection={"env": VAR}))
    shown = str(err.value) + "".join(str(p) for p in err.value.problems) + "".join(capsys.readouterr())
    assert SECRET not in shown and VAR in err.value.problems[0].fix


# --------------------------------------------------------------------------- a whole evaluation on a table


def _table_project(tmp_path, monkeypatch, url: str, table: str = "analytics.admissions", columns=None):
    """A project copy whose example-admissions-its reads ``table`` on the connection in ``$HITK_TEST_WAREHOUSE``."""
    from toolkit.project import Project

    root = copy_project(tmp_path / "project")
    for other in (root / "evaluations").iterdir():
        if other.is_dir() and other.name != EXAMPLE:
            shutil.rmtree(other)
    yaml_path = root / "evaluations" / EXAMPLE / "evaluation.yaml"
    data = yaml.safe_load(yaml_path.read_text())
    source = data["data"]["sources"]["admissions"]
    data["data"]["sources"]["admissions"] = {"table": table, "connection": {"env": VAR},
                                             "description": source["description"],
                                             "columns": columns or source["columns"]}
    yaml_path.write_text(yaml.safe_dump(data, sort_keys=False))
    monkeypatch.setenv(VAR, url)
    monkeypatch.setenv("HITK_PROJECT", str(root))
    return Project(root)


def test_validate_names_a_missing_column_of_the_table(tmp_path, monkeypatch, warehouse):
    columns = {"time": "month", "outcome": "admisions", "denominator": "population",
               "comparison_outcome": "comparison_admissions", "comparison_denominator": "comparison_population"}
    project = _table_project(tmp_path, monkeypatch, warehouse, columns=columns)
    with pytest.raises(ConfigError) as err:
        check_evaluation(project.evaluation_dir(EXAMPLE), project.templates_dir)
    problem = next(p for p in err.value.problems if p.where == "data.sources.admissions.columns.outcome")
    assert "'admisions'" in problem.message and "analytics.admissions" in problem.message
    assert "did you mean 'admissions'" in problem.fix and "comparison_population" in problem.fix


def test_validate_names_a_missing_table(tmp_path, monkeypatch, warehouse, capsys):
    from toolkit.cli import main

    _table_project(tmp_path, monkeypatch, warehouse, table="analytics.gone")
    assert main(["validate", EXAMPLE]) != 0
    out = "".join(capsys.readouterr())
    assert "analytics.gone does not exist" in out and warehouse not in out


def _assert_file_based_results(outcome) -> None:
    """results.json's estimates are the file-based run's (tests/reference/example_results.json)."""
    sys.path.insert(0, str(REPO / "tests" / "reference"))
    from example_results import OUT, digest

    assert outcome.reports and outcome.summary is not None
    got = digest(json.loads((outcome.run_dir / "results.json").read_text()))
    want = json.loads(OUT.read_text())[EXAMPLE]
    assert sorted(got["estimates"]) == sorted(want["estimates"])
    for key, value in want["estimates"].items():
        for field, v in value.items():
            g = got["estimates"][key][field]
            assert g == v or (isinstance(v, float) and g == pytest.approx(v, rel=1e-9, abs=1e-12)), (key, field)


@pytest.mark.e2e
def test_an_evaluation_on_a_duckdb_table_runs_to_the_file_based_results(tmp_path, monkeypatch, warehouse, capsys):
    from toolkit.runner import run_evaluation

    project = _table_project(tmp_path, monkeypatch, warehouse)
    outcome = run_evaluation(project, EXAMPLE)
    _assert_file_based_results(outcome)
    manifest = json.loads((outcome.run_dir / "manifest.json").read_text())
    (item,) = manifest["inputs"]
    assert item["table"] == "analytics.admissions" and item["engine"] == "duckdb"
    assert item["connection"] == f"env {VAR}" and item["sha256"] == "table"
    assert item["rows"] == source_rows(_files()) and item["periods"] == source_values(_files(), "month")
    path = warehouse.split(":///", 1)[1]
    leaked = [p for p in outcome.run_dir.rglob("*") if p.is_file() and path in p.read_text(errors="ignore")]
    assert not leaked and path not in "".join(capsys.readouterr())
    # the report's appendix names the table and the variable, as the YAML does
    assert f"table analytics.admissions on the connection in {VAR}" in (outcome.run_dir / "its.html").read_text()


@pytest.mark.postgres
@pytest.mark.e2e
def test_a_password_in_the_url_never_reaches_the_run_folder(tmp_path, monkeypatch, capsys):
    from tests.data.engines import load_postgres, postgres_cluster
    from toolkit.runner import run_evaluation

    with postgres_cluster() as url:
        load_postgres(url, "admissions", read_source(_files()))
        # trust authentication ignores the password: it is there only to be looked for
        project = _table_project(tmp_path, monkeypatch, url.replace("postgres@", f"postgres:{SECRET}@"),
                                 table="public.admissions")
        outcome = run_evaluation(project, EXAMPLE)
        close_engines()
    files = [p for p in outcome.run_dir.rglob("*") if p.is_file()]
    assert files and not [p for p in files if SECRET in p.read_text(errors="ignore")]
    assert SECRET not in "".join(capsys.readouterr())
    _assert_file_based_results(outcome)
    (item,) = json.loads((outcome.run_dir / "manifest.json").read_text())["inputs"]
    assert item["engine"] == "postgres" and item["connection"] == f"env {VAR}"


@pytest.mark.spark
def test_a_spark_table_reads_like_its_file():
    from tests.data.engines import require_spark

    session = require_spark()
    session.createDataFrame(read_source(_files())).createOrReplaceTempView("its_admissions")
    table = TableSource("admissions", table="its_admissions", connection="spark")  # the active session
    mapping = {"time": "month", "outcome": "admissions", "denominator": "population"}
    assert describe_columns(table) == describe_columns(_files())
    assert source_rows(table) == source_rows(_files())
    assert source_values(table, "month") == source_values(_files(), "month")
    pd.testing.assert_frame_equal(read_source(table, mapping), sort_rows(read_source(_files(), mapping)))
