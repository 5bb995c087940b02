"""The ``data.sources`` entries of evaluation.yaml: a file (``path``) or a ``table``/``query`` on a ``connection``.

Credentials never belong here: a connection names an environment variable holding the URL, or the platform's
Spark session; a URL or password written in the YAML is refused without being echoed.
"""

from __future__ import annotations

import re
from typing import Any, Literal

from pydantic import Field, model_validator

from toolkit.evaluations.schema_goals import _Model

__all__ = ["FILE_KEYS", "Source", "SourceProblems"]


class SourceProblems(ValueError):
    """Problems of one data source, each at a key below it (the loader turns them into YAML paths and fixes)."""

    def __init__(self, problems: list[tuple[str, str, str]]):
        self.problems = problems  # (key under the source, message, fix)
        super().__init__("; ".join(f"{k}: {m}" for k, m, _ in problems))


#: Keys that only make sense for files (refused on a table or query source).
FILE_KEYS = ("format", "sheet", "delimiter", "encoding", "decimal", "allow_outside_project")
_TABLE_NAME = re.compile(r"^[A-Za-z_][\w$-]*(\.[A-Za-z_][\w$-]*){0,2}$")
_ENV_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
_PUT_IN_ENV = ("put it in an environment variable: write `connection: {env: HITK_WAREHOUSE_URL}` and set "
               "HITK_WAREHOUSE_URL to the URL outside evaluation.yaml (a password in PGPASSWORD or ~/.pgpass)")


def _connection_problems(value: Any) -> list[tuple[str, str, str]]:
    """What is wrong with a ``connection:`` value (never echoing it: it may hold a password)."""
    if value == "spark":
        return []
    if isinstance(value, dict) and set(value) == {"env"} and isinstance(value["env"], str) \
            and _ENV_NAME.match(value["env"]):
        return []
    text = str(value)
    secret = ("://" in text or "@" in text or "password" in text.lower() or "pwd" in text.lower()
              or (isinstance(value, dict) and bool(set(map(str, value)) & {"url", "uri", "password", "user", "host"})))
    if secret:
        return [("connection", "a database URL or password is written in evaluation.yaml (it is not shown here)",
                 "never write credentials in the YAML: " + _PUT_IN_ENV)]
    if isinstance(value, dict) and "env" in value:
        return [("connection", "env must name an environment variable (letters, digits and _, not starting with a digit)",
                 "write `connection: {env: HITK_WAREHOUSE_URL}` with the variable's name, not its value")]
    return [("connection", "connection must be `spark` or `{env: VARIABLE}`",
             "write `connection: spark` for the platform's Spark session, or `connection: {env: HITK_WAREHOUSE_URL}` "
             "naming the environment variable that holds the database URL")]


class Source(_Model):
    """A data source: a file, a glob of files or a folder (``path``), or a ``table``/``query`` on a
    ``connection``, and its column mapping.

    A table or query source reads from ``connection: {env: VARIABLE}`` (the
    database URL is in that environment variable, e.g. ``postgresql://user@host/db``
    or ``duckdb:///path/warehouse.duckdb``; never in the YAML) or ``connection:
    spark`` (the platform's Spark session, e.g. Databricks).
    """

    path: str | None = Field(default=None, min_length=1, description="relative to the evaluation folder")
    table: str | None = Field(default=None, description="schema.table (catalog.schema.table on Databricks)")
    query: str | None = Field(default=None, description="a SELECT run on the connection")
    connection: Any = Field(default=None, description="spark, or {env: VARIABLE} naming the variable holding the URL")
    format: Literal["csv", "parquet", "xlsx"] | None = None
    sheet: str | None = None
    delimiter: str | None = None
    encoding: Literal["utf-8", "latin-1", "cp1252"] = "utf-8"
    decimal: Literal[".", ","] = Field(default=".", description='decimal separator of a CSV: "." or "," (then use delimiter ";")')
    columns: dict[str, str] = Field(default_factory=dict, description="role: your column name")
    description: str = ""
    allow_vintage_mismatch: bool = False
    allow_outside_project: bool = Field(default=False, description="allow a relative path that leads outside the project")

    @property
    def is_table(self) -> bool:
        """Whether the source is a table or query on a connection (not files)."""
        return self.path is None

    @property
    def label(self) -> str:
        """The source as written: its path, its table, or "the query" (never the connection)."""
        return self.path or self.table or "the query"

    @model_validator(mode="after")
    def _one_kind(self) -> "Source":
        given = [k for k in ("path", "table", "query") if getattr(self, k) is not None]
        problems: list[tuple[str, str, str]] = []
        if not given:
            problems.append(("path", "a source needs `path` (a file, glob or folder), `table` or `query`",
                             "add `path: data/extract.csv`, or `table: schema.table` with a `connection`"))
        elif len(given) > 1:
            problems.append((given[1], f"a source has exactly one of path, table and query; this one has "
                                       f"{' and '.join(given)}", f"keep one of {', '.join(given)}"))
        if self.path is not None:
            if self.connection is not None:
                problems.append(("connection", "connection is for a table or query source, not a file `path`",
                                 "remove `connection`, or replace `path` by `table:`/`query:`"))
        elif given:
            if self.connection is None:
                problems.append(("connection", f"a {given[0]} source needs a connection",
                                 "add `connection: {env: HITK_WAREHOUSE_URL}` (the variable holds the database URL) "
                                 "or `connection: spark`"))
            else:
                problems += _connection_problems(self.connection)
            for key in FILE_KEYS:
                if key in self.model_fields_set:
                    problems.append((key, f"`{key}` is for files; this source is a {given[0]}",
                                     f"remove `{key}` (a table's columns have types already; cast in a `query` "
                                     "if needed)"))
            if self.table is not None and not _TABLE_NAME.match(self.table):
                problems.append(("table", "the table name must be table, schema.table or catalog.schema.table "
                                          "(letters, digits, _, $ and -; no spaces or quotes)",
                                 "write the table's name, or use `query:` for anything more"))
            if self.query is not None and not self.query.strip():
                problems.append(("query", "the query is empty", "write a SELECT statement"))
        if problems:
            raise SourceProblems(problems)
        return self
