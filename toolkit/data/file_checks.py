"""Checks of a source's files before they are read: a CSV's last line cut short, the sheets of a workbook.

Split from :mod:`toolkit.data.sources` (which re-exports both functions).
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import DataError, Problem

__all__ = ["check_last_line", "sheets_with_columns"]


def _fields(line: str, delimiter: str) -> int:
    import csv

    return len(next(csv.reader([line], delimiter=delimiter), []))


def check_last_line(files, path: Path) -> None:
    """Refuse a CSV whose last line is cut short (an export or copy that did not finish).

    Compares the number of fields on the last line with the header's; the line's
    content is never shown (it may hold patient data).  Without this check DuckDB's
    sniffer gives up and the file looks like one column, which misleads.
    """
    size = path.stat().st_size
    with open(path, "rb") as fh:
        head = fh.readline()
        fh.seek(max(0, size - 65536))
        tail = fh.read()
    encoding = files.encoding or "utf-8"
    header = head.decode(encoding, errors="replace").rstrip("\r\n")
    lines = tail.decode(encoding, errors="replace").rstrip("\r\n").split("\n")
    last = lines[-1].rstrip("\r")
    if not last or last == header:
        return
    delimiter = files.delimiter or max((",", ";", "\t", "|"), key=header.count)
    want, got = _fields(header, delimiter), _fields(last, delimiter)
    if want > 1 and got < want:
        with open(path, "rb") as fh:
            n_lines = sum(chunk.count(b"\n") for chunk in iter(lambda: fh.read(1 << 20), b""))
        ends = tail.endswith(b"\n")
        row = n_lines + (0 if ends else 1)
        note = "" if ends else "; the file does not end with a new line"
        raise DataError(
            f"Data source '{files.name}': the last line of {path.name} is cut short.",
            [Problem(f"the last line is truncated: it has {got} of the header's {want} fields "
                     f"(the export or copy probably did not finish{note})",
                     where=f"data.sources.{files.name}", file=str(path), rows=(row,),
                     fix="export or copy the file again; if the line is meant to be short, complete or remove it")])


def sheets_with_columns(path: Path, columns: list[str]) -> tuple[list[str], list[str]]:
    """(every sheet name, the sheets whose header row holds all ``columns``) of an xlsx workbook."""
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    try:
        names, having = list(wb.sheetnames), []
        for name in names:
            header = next(wb[name].iter_rows(min_row=1, max_row=1, values_only=True), ())
            if set(columns) <= {str(c) for c in header if c is not None}:
                having.append(name)
    finally:
        wb.close()
    return names, having
