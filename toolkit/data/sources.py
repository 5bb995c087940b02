"""Data sources named in evaluation.yaml: find the files (or the table), describe them, read them.

A source with ``table:``/``query:`` and ``connection:`` is a
:class:`toolkit.data.engine.TableSource` (:func:`resolve_source`); the functions
here dispatch to :mod:`toolkit.data.tables` for it.

A source is a file, a glob of files or a folder of files (CSV, Parquet or Excel),
plus a mapping from *roles* (what the analysis needs, e.g. ``unit``) to the user's
own column names.  DuckDB reads CSV and Parquet (streaming, no server); Excel is
read with openpyxl through pandas, because DuckDB's Excel support needs an
extension download that is not available offline.
"""

from __future__ import annotations

import glob as globlib
import hashlib
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from toolkit.data.file_checks import check_last_line, sheets_with_columns  # noqa: F401  (were defined here)
from toolkit.errors import DataError, Problem

__all__ = ["SourceFiles", "resolve_files", "resolve_source", "source_values", "source_rows",
           "source_fingerprints", "file_fingerprint",
           "describe_columns", "read_source", "count_rows", "distinct_values", "quote_ident", "PERIOD_ROLES",
           "sheets_with_columns", "check_last_line"]

PERIOD_ROLES = ("time", "period", "month", "date", "quarter", "year")

_EXTENSIONS = {".csv": "csv", ".txt": "csv", ".tsv": "csv", ".parquet": "parquet", ".pq": "parquet", ".xlsx": "xlsx"}


@dataclass(frozen=True)
class SourceFiles:
    """The concrete files behind one source."""

    name: str
    spec_path: str
    files: tuple[Path, ...]
    format: str
    delimiter: str | None = None
    encoding: str = "utf-8"
    sheet: str | None = None
    decimal: str = "."


def quote_ident(name: str) -> str:
    """A column name quoted for DuckDB SQL (``"my ""odd"" column"``)."""
    return '"' + str(name).replace('"', '""') + '"'


def _infer_format(path: Path) -> str | None:
    return _EXTENSIONS.get(path.suffix.lower())


def resolve_files(name: str, source, folder: Path) -> SourceFiles:
    """Resolve a source's ``path`` (file, glob or folder) relative to the evaluation folder.

    Raises
    ------
    DataError
        When nothing matches, or the format cannot be told from the file names.
    """
    spec = source.path
    base = (folder / spec) if not Path(spec).is_absolute() else Path(spec)
    _check_inside_project(name, source, folder, base)
    if any(ch in spec for ch in "*?["):
        files = sorted(Path(p) for p in globlib.glob(str(base), recursive=True) if Path(p).is_file())
        if not files:
            raise DataError(
                f"Data source '{name}': the pattern {spec} matches no file.",
                [Problem("the glob matched nothing", where=f"data.sources.{name}.path", file=spec,
                         fix=f"check the pattern; it is read relative to {folder}")],
            )
    elif base.is_dir():
        files = sorted(p for p in base.iterdir() if p.is_file() and _infer_format(p) and not p.name.startswith("."))
        if not files:
            raise DataError(
                f"Data source '{name}': the folder {spec} holds no CSV, Parquet or xlsx file.",
                [Problem("empty folder", where=f"data.sources.{name}.path", file=spec,
                         fix="put the extract files in the folder, or point path at a file")],
            )
    elif base.is_file():
        files = [base]
    else:
        raise DataError(
            f"Data source '{name}': file {spec} does not exist.",
            [Problem("file not found", where=f"data.sources.{name}.path", file=str(base),
                     fix=f"check the path; it is read relative to {folder}")],
        )
    fmt = source.format
    if fmt is None:
        formats = {_infer_format(f) for f in files}
        if None in formats or len(formats) != 1:
            raise DataError(
                f"Data source '{name}': cannot tell the file format from the names.",
                [Problem("mixed or unknown extensions: " + ", ".join(f.name for f in files[:3]),
                         where=f"data.sources.{name}.format", file=spec,
                         fix="set format: csv, parquet or xlsx")],
            )
        fmt = formats.pop()
    return SourceFiles(name, spec, tuple(files), fmt, source.delimiter, source.encoding, source.sheet,
                       getattr(source, "decimal", ".") or ".")


def resolve_source(name: str, source, folder: Path):
    """A source as :class:`SourceFiles` (``path``) or :class:`toolkit.data.engine.TableSource` (``table``/``query``).

    Nothing is read or connected for a table; files are resolved as :func:`resolve_files` does.
    """
    if getattr(source, "path", None) is None and (getattr(source, "table", None) or getattr(source, "query", None)):
        from toolkit.data.engine import TableSource

        return TableSource(name, table=source.table, query=source.query, connection=source.connection)
    return resolve_files(name, source, folder)


def source_values(source, column: str, *, limit: int = 5000) -> list[str]:
    """Sorted distinct values (as text) of one column over every file of a source, or of its table."""
    if not isinstance(source, SourceFiles):
        from toolkit.data.tables import distinct_table_values

        return distinct_table_values(source, column, limit=limit)
    if len(source.files) == 1:
        return distinct_values(source, source.files[0], column, limit=limit)
    return sorted({v for path in source.files for v in distinct_values(source, path, column, limit=limit)})


def source_rows(source) -> int:
    """Data rows of a whole source (every file, or the table)."""
    if not isinstance(source, SourceFiles):
        from toolkit.data.tables import table_rows

        return table_rows(source)
    return sum(count_rows(source, path) for path in source.files)


def _project_root(folder: Path) -> Path:
    """The project holding an evaluation folder (``<root>/evaluations/<name>``), else the folder itself."""
    folder = Path(folder).resolve()
    return folder.parent.parent if folder.parent.name == "evaluations" else folder


def _check_inside_project(name: str, source, folder: Path, base: Path) -> None:
    """A relative data path must stay inside the project unless the analyst says otherwise.

    An absolute path is taken as stated on purpose; a relative one that climbs out
    (``../../../somewhere``) needs ``allow_outside_project: true``.  Nothing of the
    file is read (or echoed in an error) before this check.
    """
    if Path(source.path).is_absolute() or getattr(source, "allow_outside_project", False):
        return
    root = _project_root(folder)
    pattern_free = Path(*[p for p in Path(source.path).parts if not any(ch in p for ch in "*?[")])
    target = (Path(folder) / pattern_free).resolve()
    if target != root and root not in target.parents:
        raise DataError(
            f"Data source '{name}': {source.path} leads outside the project.",
            [Problem(f"the path resolves to {target}, outside the project folder {root}",
                     where=f"data.sources.{name}.path",
                     fix="copy the extract into the project (e.g. data/), write the path as an absolute path, "
                         "or add `allow_outside_project: true` to this source if that is intended")])


def file_fingerprint(path: Path) -> str:
    """SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def source_fingerprints(source) -> dict[str, str]:
    """``{file: SHA-256}`` of a file source; ``{table: "table"}`` (or ``"query <SHA-256 of the SQL>"``) of a table."""
    if not isinstance(source, SourceFiles):
        from toolkit.data.tables import query_sha256

        return {source.label: f"query {query_sha256(source)}" if source.query else "table"}
    return {str(p): file_fingerprint(p) for p in source.files}


def _csv_options(files: SourceFiles) -> str:
    opts = ["header = true", "auto_detect = true", "sample_size = -1",
            # dates stay text for toolkit.dates (DuckDB would guess one order for slash dates)
            "auto_type_candidates = ['BOOLEAN', 'BIGINT', 'DOUBLE', 'VARCHAR']"]
    if files.decimal and files.decimal != ".":
        opts.append(f"decimal_separator = '{files.decimal}'")
    if files.delimiter:
        opts.append(f"delim = '{files.delimiter}'")
    if files.encoding and files.encoding != "utf-8":
        opts.append(f"encoding = '{files.encoding}'")
    return ", ".join(opts)


@lru_cache(maxsize=256)
def _sniffed(path: str, mtime_ns: int, size: int, delimiter: str | None) -> str | None:
    """``read_csv(...)`` with the dialect and column types sniffed once (over every row) and spelled out.

    DuckDB otherwise sniffs the whole file again for every query; the explicit
    call reads it straight away.  Cached by path, modification time and size, so a
    changed file is sniffed afresh.  ``None`` when sniffing fails (the ordinary
    call then reports the error) or finds no header.
    """
    quoted = "'" + path.replace("'", "''") + "'"
    opts = "sample_size = -1" + (f", delim = '{delimiter}'" if delimiter else "")
    try:
        prompt = duckdb.connect().execute(f"SELECT Prompt FROM sniff_csv({quoted}, {opts})").fetchone()[0]
    except duckdb.Error:
        return None
    prompt = prompt.strip().rstrip(";").strip()
    if not prompt.startswith("FROM read_csv(") or "header=true" not in prompt.replace(" ", ""):
        return None
    return _dates_as_text(prompt[len("FROM "):])


_GUESSED_FORMAT = re.compile(r",\s*(dateformat|timestampformat)='([^']*)'")


def _dates_as_text(call: str) -> str:
    """Leave non-ISO dates as text for :mod:`toolkit.dates` to read.

    DuckDB's sniffer picks one order for slash dates (``%d/%m/%Y``) even when the
    file's dates are month first, and would silently put April in January.  Only
    ISO dates (which cannot be misread) keep DuckDB's DATE/TIMESTAMP type.
    """
    guessed = {kind: fmt for kind, fmt in _GUESSED_FORMAT.findall(call)}
    iso = {"dateformat": ("%Y-%m-%d",), "timestampformat": ("%Y-%m-%d %H:%M:%S", "%Y-%m-%dT%H:%M:%S",
                                                             "%Y-%m-%d %H:%M:%S.%f", "%Y-%m-%dT%H:%M:%S.%f")}
    for kind, fmt in guessed.items():
        if fmt in iso[kind]:
            continue
        typ = "DATE" if kind == "dateformat" else "TIMESTAMP"
        call = re.sub(rf"('[^']*'): '{typ}'", r"\1: 'VARCHAR'", call)
        call = re.sub(rf",\s*{kind}='[^']*'", "", call)
    return call


def relation_sql(files: SourceFiles, path: Path) -> str:
    quoted = "'" + str(path).replace("'", "''") + "'"
    if files.format == "csv":
        if files.encoding in (None, "utf-8") and files.decimal in (None, "."):
            try:
                st = path.stat()
            except OSError:
                st = None
            explicit = _sniffed(str(path), st.st_mtime_ns, st.st_size, files.delimiter) if st else None
            if explicit:
                return explicit
        return f"read_csv({quoted}, {_csv_options(files)})"
    return f"read_parquet({quoted})"


def _read_excel(files: SourceFiles, path: Path, nrows: int | None = None) -> pd.DataFrame:
    return pd.read_excel(path, sheet_name=files.sheet or 0, nrows=nrows, engine="openpyxl")


def _duck_error(files: SourceFiles, path: Path, exc: Exception) -> DataError:
    full = str(exc) or type(exc).__name__
    lines = [ln.strip() for ln in full.splitlines() if ln.strip()]
    text = lines[0]
    fix = "check the file opens in a spreadsheet; set delimiter: and encoding: in evaluation.yaml if it is not a UTF-8 comma-separated file"
    rows: tuple[int, ...] = ()
    line = re.search(r"Line:\s*(\d+)", full)
    if line:
        rows = (int(line.group(1)),)
    lowered = full.lower()
    if "unicode" in lowered or "not utf-8" in lowered or "encoding" in text.lower():
        text = "the file is not UTF-8 encoded (it was probably saved by Excel as latin-1/Windows text)"
        fix = "save the file as UTF-8, or set encoding: latin-1 (or cp1252) for this source"
    elif "csv error" in lowered or "sniff" in lowered:
        detail = next((ln for ln in lines[1:] if not ln.lower().startswith(("original line", "possible"))), "")
        text = "the CSV file is malformed" + (f": {detail}" if detail else "")
    return DataError(
        f"Data source '{files.name}': {path.name} cannot be read.",
        [Problem(text, where=f"data.sources.{files.name}", file=str(path), rows=rows, fix=fix)],
    )


def describe_columns(files: SourceFiles) -> list[str]:
    """Column names of the first file (all files of a source must share them), or of a table."""
    if not isinstance(files, SourceFiles):
        from toolkit.data.tables import describe_table

        return describe_table(files)
    path = files.files[0]
    if path.stat().st_size == 0:
        raise DataError(
            f"Data source '{files.name}': {path.name} is empty.",
            [Problem("the file has no bytes", file=str(path), fix="re-export the extract")],
        )
    if files.format == "xlsx":
        try:
            return [str(c) for c in _read_excel(files, path, nrows=0).columns]
        except ValueError as exc:  # a sheet name that is not in the workbook
            names, _ = sheets_with_columns(path, [])
            raise DataError(
                f"Data source '{files.name}': {path.name} has no sheet '{files.sheet}'.",
                [Problem(str(exc), where=f"data.sources.{files.name}.sheet", file=str(path),
                         fix="sheets in the workbook: " + ", ".join(names))]) from None
    if files.format == "csv":
        check_last_line(files, path)
    try:
        con = duckdb.connect()
        cursor = con.execute(f"SELECT * FROM {relation_sql(files, path)} LIMIT 0")
        return [d[0] for d in cursor.description]
    except duckdb.Error as exc:
        raise _duck_error(files, path, exc) from None


def count_rows(files: SourceFiles, path: Path) -> int:
    """Number of data rows in one file (header excluded)."""
    if files.format == "xlsx":
        return int(len(_read_excel(files, path)))
    try:
        con = duckdb.connect()
        return int(con.execute(f"SELECT count(*) FROM {relation_sql(files, path)}").fetchone()[0])
    except duckdb.Error as exc:
        raise _duck_error(files, path, exc) from None


def distinct_values(files: SourceFiles, path: Path, column: str, *, limit: int = 5000) -> list[str]:
    """Sorted distinct values of one column of one file, as text (e.g. the periods a file covers)."""
    if files.format == "xlsx":
        values = _read_excel(files, path)[column].dropna().astype(str).unique().tolist()
        return sorted(values)[:limit]
    quoted = '"' + column.replace('"', '""') + '"'
    try:
        con = duckdb.connect()
        rows = con.execute(
            f"SELECT DISTINCT CAST({quoted} AS VARCHAR) AS v FROM {relation_sql(files, path)} "
            f"WHERE {quoted} IS NOT NULL ORDER BY v LIMIT {int(limit)}"
        ).fetchall()
    except duckdb.Error as exc:
        raise _duck_error(files, path, exc) from None
    return [r[0] for r in rows]


def read_source(files, columns: dict[str, str] | None = None) -> pd.DataFrame:
    """Read every file of a source (in file order) or its table (rows sorted by every mapped column) into one DataFrame.

    Parameters
    ----------
    files : SourceFiles or toolkit.data.engine.TableSource
        From :func:`resolve_source`.
    columns : dict, optional
        ``{role: user column}``; when given, only these columns are read and they
        are returned under their *role* names (the user's file is never changed).
        One file column may serve several roles (e.g. ``denominator`` and
        ``weight`` both ``list_size``): it is returned once under each role.

    Notes
    -----
    A table has no row order, so its rows are sorted (:func:`toolkit.data.tables.sort_rows`:
    by every column in turn, stable, missing last): the same records give the same frame
    on every engine.  Files keep their own order, because the toolkit's messages name
    spreadsheet rows by position (row = position + 2); sorting them would point the
    analyst at the wrong rows.
    """
    if not isinstance(files, SourceFiles):
        from toolkit.data.tables import read_table, sort_rows

        return sort_rows(read_table(files, columns))
    return _read_files(files, columns)


def _read_files(files: SourceFiles, columns: dict[str, str] | None) -> pd.DataFrame:
    frames = []
    for path in files.files:
        if files.format == "xlsx":
            df = _read_excel(files, path)
        else:
            try:
                con = duckdb.connect()
                if columns:  # each file column once, although it may serve several roles
                    cols = ", ".join('"' + c.replace('"', '""') + '"' for c in dict.fromkeys(columns.values()))
                else:
                    cols = "*"
                df = con.execute(f"SELECT {cols} FROM {relation_sql(files, path)}").df()
            except duckdb.BinderException as exc:
                raise _duck_error(files, path, exc) from None
            except duckdb.Error as exc:
                raise _duck_error(files, path, exc) from None
        if columns:
            missing = [c for c in columns.values() if c not in df.columns]
            if missing:
                raise DataError(
                    f"Data source '{files.name}': {path.name} lacks mapped column(s).",
                    [Problem("column not found", file=str(path), column=c,
                             fix="correct the column mapping in evaluation.yaml") for c in missing],
                )
            # one column per role: a file column mapped to two roles (e.g. denominator and weight) is copied
            df = pd.DataFrame({role: df[column] for role, column in columns.items()})
        frames.append(df)
    return pd.concat(frames, ignore_index=True) if len(frames) > 1 else frames[0]
