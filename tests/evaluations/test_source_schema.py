"""A data source is a file (``path``) or a ``table``/``query`` on a ``connection``: the schema's rules (issue 18)."""

from __future__ import annotations

import shutil

import pytest
import yaml

from tests.conftest import REPO
from toolkit.errors import ConfigError
from toolkit.evaluations.loader import load_evaluation

EXAMPLE = REPO / "evaluations" / "example-admissions-its"
SECRET = "S3cretPw"


def _load(tmp_path, source: dict):
    """example-admissions-its with its source replaced by ``source`` (the column mapping kept)."""
    folder = tmp_path / "evaluations" / "its"
    folder.mkdir(parents=True)
    shutil.copy(EXAMPLE / "evaluation.yaml", folder / "evaluation.yaml")
    data = yaml.safe_load((folder / "evaluation.yaml").read_text())
    columns = data["data"]["sources"]["admissions"]["columns"]
    data["data"]["sources"]["admissions"] = {**source, "columns": columns}
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(data, sort_keys=False))
    return load_evaluation(folder)


def _problems(tmp_path, source: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as err:
        _load(tmp_path, source)
    assert SECRET not in str(err.value) and all(SECRET not in str(p) for p in err.value.problems)
    return {p.where: f"{p.message} | {p.fix}" for p in err.value.problems}


def test_table_and_query_sources_load(tmp_path):
    ev = _load(tmp_path, {"table": "analytics.emergency_admissions", "connection": {"env": "HITK_WAREHOUSE_URL"}})
    source = ev.config.data.sources["admissions"]
    assert source.is_table and source.label == "analytics.emergency_admissions" and source.path is None
    ev = _load(tmp_path / "q", {"query": "SELECT * FROM hes.apc WHERE fyear >= 2019", "connection": "spark"})
    assert ev.config.data.sources["admissions"].label == "the query"


def test_a_file_source_is_unchanged(tmp_path):
    source = _load(tmp_path, {"path": "../../data_samples/its_emergency_admissions.csv"}).config.data.sources
    assert not source["admissions"].is_table and source["admissions"].connection is None


@pytest.mark.parametrize("connection", [f"postgresql://u:{SECRET}@db.example.nhs.uk:5432/warehouse",
                                        {"url": f"postgresql://u:{SECRET}@h/db"},
                                        {"env": "X", "password": SECRET}])
def test_a_url_or_password_in_the_yaml_is_refused_without_echoing_it(tmp_path, connection):
    problems = _problems(tmp_path, {"table": "analytics.t", "connection": connection})
    assert list(problems) == ["data.sources.admissions.connection"]
    assert "put it in an environment variable" in problems["data.sources.admissions.connection"]


def test_a_table_needs_a_connection(tmp_path):
    problems = _problems(tmp_path, {"table": "analytics.t"})
    assert "needs a connection" in problems["data.sources.admissions.connection"]


def test_a_file_refuses_a_connection(tmp_path):
    problems = _problems(tmp_path, {"path": "x.csv", "connection": "spark"})
    assert "not a file `path`" in problems["data.sources.admissions.connection"]


def test_exactly_one_of_path_table_query(tmp_path):
    assert "needs `path`" in _problems(tmp_path / "a", {"description": "x"})["data.sources.admissions.path"]
    problems = _problems(tmp_path / "b", {"table": "t", "query": "SELECT 1", "connection": "spark"})
    assert "exactly one of path, table and query" in problems["data.sources.admissions.query"]


def test_file_keys_are_refused_on_a_table(tmp_path):
    problems = _problems(tmp_path, {"table": "t", "connection": "spark", "delimiter": ";", "encoding": "latin-1",
                                    "allow_outside_project": True})
    assert {"data.sources.admissions.delimiter", "data.sources.admissions.encoding",
            "data.sources.admissions.allow_outside_project"} <= set(problems)
    assert "is for files" in problems["data.sources.admissions.delimiter"]


def test_bad_connection_and_table_names(tmp_path):
    problems = _problems(tmp_path / "a", {"table": "t", "connection": {"env": "1BAD"}})
    assert "env must name an environment variable" in problems["data.sources.admissions.connection"]
    problems = _problems(tmp_path / "b", {"table": "t", "connection": "databricks"})
    assert "`spark` or `{env: VARIABLE}`" in problems["data.sources.admissions.connection"]
    problems = _problems(tmp_path / "c", {"table": "a table; drop", "connection": "spark"})
    assert "catalog.schema.table" in problems["data.sources.admissions.table"]
