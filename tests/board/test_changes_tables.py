"""What changed between runs, for a table source: it has no file hash, so rows and periods say (issue 18)."""

from __future__ import annotations

from toolkit.board.changes import _data_changes


def _item(rows: int, periods: list[str]) -> dict:
    return {"source": "admissions", "table": "analytics.admissions", "engine": "postgres",
            "connection": "env HITK_WAREHOUSE_URL", "sha256": "table", "rows": rows, "period_column": "month",
            "periods": periods}


def test_an_unchanged_table_is_not_reported():
    assert _data_changes([_item(10, ["2024-01"])], [_item(10, ["2024-01"])]).empty


def test_new_rows_and_periods_of_a_table_are_reported():
    out = _data_changes([_item(10, ["2024-01"])], [_item(14, ["2024-01", "2024-02"])])
    row = out.iloc[0]
    assert (row["Change"], row["Rows before"], row["Rows now"], row["New periods"], row["Files"]) == \
           ("data changed", 10, 14, "2024-02", "analytics.admissions")


def test_a_file_replaced_by_a_table_is_a_change():
    file = {"source": "admissions", "path": "/x/a.csv", "bytes": 5, "sha256": "ab" * 32, "rows": 10}
    out = _data_changes([file], [_item(10, [])])
    assert out.iloc[0]["Change"] == "data changed" and out.iloc[0]["Files"] == "analytics.admissions"
