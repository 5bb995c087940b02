"""The baseline stage's data step: deprivation attached and rows summed to cells, in DuckDB.

:func:`aggregate_source` is what the template calls.  For **record-level** sources
(no ``denominator`` mapped; CSV or Parquet) nothing is loaded whole into pandas:

1. the deprivation key is reduced to its distinct values in DuckDB (``GROUP BY``
   the LSOA code, IMD score or area code, ~thousands of values); the toolkit's
   rules — :func:`toolkit.data.imd.attach_imd`'s normalising, vintage guard, match
   categories and audit, :func:`toolkit.baseline.deprivation.decile_from_score` or
   :func:`toolkit.baseline.deprivation.join_lookup` — are applied to those values,
   weighted by their row counts;
2. one ``GROUP BY`` over the records joins that code → decile table and counts
   the records per distinct combination of the *raw* numerator, decile, period,
   age band, sex and ethnicity (a ``decile`` column is passed through as it is);
3. those combinations, each weighted by its count, go through exactly the same
   checks and label rules as the pandas route
   (:func:`toolkit.baseline.aggregate.aggregate`), so the cells, the exclusions
   and the audit are the same numbers;
4. the person × period duplicate check is one ``GROUP BY ... HAVING`` query, and
   example rows of excluded records come from a numbered scan (spreadsheet rows).

The area → lookup route (``imd_lookup``) works the same way: the distinct area
codes go through :func:`toolkit.baseline.deprivation.join_lookup` and are joined
back.  If any check fails (or the data cannot be read as one relation), the pandas
route is run instead so that the error names the same rows it always did; any other
DuckDB error is a fault in the queries and is raised as a :class:`toolkit.errors.RunError`.  **Aggregated** sources (a ``denominator`` mapped: a
few rows per area and period) and Excel files take the pandas route.  A record-level **table** source
(``table:``/``query:`` in evaluation.yaml) runs the same steps on its engine (DuckDB, PostgreSQL, Spark); a table
has no row order, so example codes are the first in sorted order and example rows are blank.
"""

from __future__ import annotations

import dataclasses

import duckdb
import numpy as np
import pandas as pd

from toolkit.baseline.aggregate import NOT_STATED, Aggregated, _aggregate, aggregate
from toolkit.baseline.deprivation import Deprivation, attach_deprivation, decile_from_score, national_score_cutoffs
from toolkit.data.cells import group_rows
from toolkit.data.engine import duckdb_engine
from toolkit.errors import RunError, ToolkitError

__all__ = ["aggregate_source"]

_EXAMPLES = 5


#: DuckDB errors about the data themselves (a value that does not convert, a file that cannot be read): the pandas
#: route reads each file on its own and either succeeds or names the file and rows.  Every other DuckDB error is a
#: fault in the queries below and is reported, not hidden.
_DATA_ERRORS = (duckdb.ConversionException, duckdb.InvalidInputException, duckdb.IOException)


class _Fallback(Exception):
    """The DuckDB route cannot answer this (a check failed or a case it does not cover)."""


def aggregate_source(ctx, *, lookup: pd.DataFrame | None = None, not_stated=NOT_STATED,
                     engine: str = "auto") -> tuple[Deprivation, Aggregated]:
    """Attach deprivation to the stage's source and sum it to analysis cells.

    Parameters
    ----------
    ctx : toolkit.evaluations.context.StageContext
        The stage (its source, column mapping, ``imd_vintage`` and results).
    lookup : pandas.DataFrame, optional
        An area → IMD decile lookup from :func:`toolkit.baseline.read_lookup`.
    not_stated : collection of str
        Ethnicity entries that mean "not stated".
    engine : {"auto", "duckdb", "pandas"}
        ``auto`` aggregates record-level CSV/Parquet sources in DuckDB, record-level
        table sources on their engine (only distinct codes and cells come back) and
        everything else in pandas; ``pandas`` reads the source whole (the
        reference the DuckDB route is tested against); ``duckdb`` is ``auto``.

    Returns
    -------
    (Deprivation, Aggregated)
        How the rows matched an IMD decile, and the cells with the excluded rows.

    Raises
    ------
    toolkit.errors.DataError, toolkit.errors.ConfigError
        As :func:`toolkit.baseline.attach_deprivation` and :func:`toolkit.baseline.aggregate`.
    """
    if engine not in ("auto", "duckdb", "pandas"):
        raise ValueError(f"engine must be 'auto', 'duckdb' or 'pandas', not {engine!r}")
    mapping = dict(ctx.evaluation.config.data.sources[ctx.stage.source].columns) if ctx.stage.source else {}
    if engine != "pandas" and _duck_covers(ctx, mapping, lookup) and _is_table(ctx):
        from toolkit.data.engine import engine_error

        try:
            return _table(ctx, mapping, lookup, not_stated)
        except (_Fallback, ToolkitError):
            pass  # a check failed: the pandas route reads the table and names the problem
        except Exception as exc:  # noqa: BLE001 - the engine's error, made ours (no URL, no JVM trace)
            source = ctx.source_files()
            raise engine_error(exc, source=source.name, table=source.label, engine="table's") from None
    elif engine != "pandas" and _duck_covers(ctx, mapping, lookup):
        try:
            return _duck(ctx, mapping, lookup, not_stated)
        except (_Fallback, ToolkitError):
            pass  # a check failed: the pandas route names the same rows it always did
        except _DATA_ERRORS:
            pass  # the data cannot be read as one relation (e.g. types differ between files): pandas reads file by file
        except duckdb.Error as exc:  # anything else is a fault in the query, never hidden by a silent fallback
            raise RunError(f"The baseline's DuckDB aggregation of data source '{ctx.stage.source}' failed "
                           f"unexpectedly ({type(exc).__name__}: {str(exc).splitlines()[0] if str(exc) else ''}). "
                           "This is a fault in the toolkit, not in your data: please report it with this message; "
                           "meanwhile `engine=\"pandas\"` in bl.aggregate_source gives the same cells.") from exc
    return _pandas(ctx, mapping, lookup, not_stated)


def _pandas(ctx, mapping, lookup, not_stated):
    source = ctx.source_label
    deprivation = attach_deprivation(ctx.data(), attach_imd=ctx.attach_imd, vintage=ctx.evaluation.config.imd_vintage,
                                     lookup=lookup, file=source, columns=mapping)
    agg = aggregate(deprivation.data, file=source, columns=mapping, not_stated=not_stated)
    return deprivation, agg


def _duck_covers(ctx, mapping, lookup) -> bool:
    if ctx.stage.source is None or "numerator" not in mapping or "denominator" in mapping:
        return False
    if lookup is not None and "imd_decile" not in mapping:
        if "area" not in mapping:
            return False
    elif not any(r in mapping for r in ("imd_decile", "lsoa", "imd_score")):
        return False
    try:
        return _is_table(ctx) or ctx.source_files().format in ("csv", "parquet")
    except ToolkitError:
        return False


def _is_table(ctx) -> bool:
    from toolkit.data.engine import TableSource

    return isinstance(ctx.source_files(), TableSource)


def _q(name: str) -> str:
    return '"' + str(name).replace('"', '""') + '"'


def _scan(files) -> str:
    """Every record of the source: the very relation the pandas route reads (CSV types sniffed once)."""
    from toolkit.data.sources import relation_sql

    parts = [relation_sql(files, path) for path in files.files]
    if len(parts) == 1:
        return parts[0]
    return "(" + " UNION ALL BY NAME ".join(f"SELECT * FROM {p}" for p in parts) + ")"


def _numbered(con, files) -> str:
    """Every record with ``__pos``, its 0-based position across the files (as pandas numbers them)."""
    from toolkit.data.checking import CheckedFile

    parts, offset = [], 0
    for i, path in enumerate(files.files):
        fh = CheckedFile(con, files, path, 200 + i)
        parts.append(f"SELECT *, {offset} + __row - 2 AS __pos FROM {fh.numbered}")
        if i + 1 < len(files.files):
            offset += int(con.execute(f"SELECT count(*) FROM {fh.plain}").fetchone()[0])
    return "(" + " UNION ALL BY NAME ".join(parts) + ")"


def _register(con, name: str, frame: pd.DataFrame) -> None:
    """Register ``frame`` with text columns as Python objects and missing values as NULL."""
    frame = frame.copy()
    for c in frame.columns:
        if frame[c].dtype.kind in "OUT" or pd.api.types.is_string_dtype(frame[c]):
            frame[c] = pd.Series([None if pd.isna(v) else v for v in frame[c]], dtype=object, index=frame.index)
    con.register(name, frame)


def _lsoa_map(ctx, codes):
    """Code → decile for the distinct LSOA codes (``__k``, their rows ``__n``, first position ``__p``), with
    attach_imd's guard, audit and sentence."""
    from toolkit.data.imd import (
        AUDIT_TEXT, ATTRIBUTION, AttachResult, VintageReport, categorise_codes, vintage_mismatch, normalise_codes, shown_codes, code_vintage,
        load_imd,
    )

    vintage = ctx.evaluation.config.imd_vintage
    if vintage is None:
        raise _Fallback("no imd_vintage")
    source = ctx.evaluation.config.data.sources[ctx.stage.source]
    v = code_vintage(vintage)
    raw = pd.Series(list(codes["__k"]), dtype="object")
    w = codes["__n"].to_numpy(dtype="int64")
    norm = normalise_codes(raw)
    cat = categorise_codes(norm).to_numpy()
    counts = {k: int(w[cat == k].sum()) for k in ("blank", "invalid_format", "non_english", "both", "2011_only",
                                                   "2021_only", "neither")}
    report = VintageReport(int(w.sum()), counts, {}, {}, {}, "", pd.Series(cat), norm, shown_codes(raw))
    n_other = vintage_mismatch(report, v)
    if n_other and not source.allow_vintage_mismatch:
        raise _Fallback("vintage mismatch")  # attach_imd's refusal names example rows
    lookup = load_imd(v.year).set_index("lsoa_code")
    pos = lookup.index.get_indexer(norm.fillna(""))
    hit = pos >= 0
    dec = np.where(hit, lookup["imd_decile"].to_numpy()[np.where(hit, pos, 0)].astype("float64"), np.nan)
    other = "2011" if v.boundary == "2021" else "2021"
    match = np.select([hit, cat == f"{other}_only", cat == "neither"], ["matched", "other_vintage", "unknown_code"],
                      default=cat)
    # example codes are the first distinct codes of each unmatched kind in row order
    shown = shown_codes(raw)
    order = codes["__p"].to_numpy(dtype="int64")
    total = int(w.sum())
    rows = []
    for key, text in AUDIT_TEXT.items():
        mask = match == key
        n = int(w[mask].sum())
        idx = np.flatnonzero(mask)
        idx = idx[np.argsort(order[idx], kind="stable")]
        examples = shown.iloc[idx].drop_duplicates().iloc[:_EXAMPLES]
        rows.append({"category": key, "description": text, "rows": n,
                     "share": n / total if total else np.nan,
                     "distinct_codes": int(shown.iloc[idx].nunique()),
                     "example_codes": "" if key == "matched" else ", ".join(str(c) for c in examples)})
    audit = pd.DataFrame(rows)
    sentence = AttachResult(pd.DataFrame(), audit, v.year, report, mismatch_allowed=n_other > 0).describe()
    ctx.results.add_attribution(ATTRIBUTION)
    audit["share"] = audit["share"] * 100
    return pd.DataFrame({"__k": codes["__k"], "__dec": dec}), Deprivation(None, "lsoa", audit, sentence)


def _area_map(codes, lookup):
    """Area → decile for the distinct areas through the analyst's lookup, audited as :func:`join_lookup` does."""
    from toolkit.baseline.deprivation import _key, _lookup_audit, join_lookup

    joined = join_lookup(pd.DataFrame({"area": codes["__k"]}), lookup)  # the lookup's own checks
    dec = joined.data["imd_decile"].to_numpy(dtype="float64")
    audit, sentence = _lookup_audit(_key(codes["__k"]), dec, lookup.attrs.get("file", "the IMD lookup"),
                                    weights=codes["__n"].to_numpy(dtype="int64"), order=codes["__p"].to_numpy())
    return pd.DataFrame({"__k": codes["__k"], "__dec": dec}), Deprivation(None, "area", audit, sentence)


def _simple(decile: np.ndarray, w: np.ndarray, description: str) -> pd.DataFrame:
    """:func:`toolkit.baseline.deprivation._simple_audit` with each value counted ``w`` times."""
    n = int(w.sum())
    miss = int(w[np.isnan(decile)].sum())
    return pd.DataFrame({
        "category": ["matched", "no decile"],
        "description": [description, "no IMD decile (blank)"],
        "rows": [n - miss, miss],
        "share": [(n - miss) / n * 100 if n else np.nan, miss / n * 100 if n else np.nan],
    })


def _score_map(ctx, codes):
    vintage = ctx.evaluation.config.imd_vintage
    if vintage is None:
        raise _Fallback("no imd_vintage")
    raw = codes["__k"]
    s = pd.to_numeric(raw, errors="coerce")
    if (s.isna() & raw.notna()).any():
        raise _Fallback("text scores")
    dec = decile_from_score(s.to_numpy(dtype="float64", na_value=np.nan), national_score_cutoffs(vintage))
    w = codes["__n"].to_numpy(dtype="int64")
    audit = _simple(dec, w, f"IMD score placed in its national IMD {vintage} decile")
    n, miss = int(w.sum()), int(w[np.isnan(dec)].sum())
    sentence = (f"Each row's IMD score was placed against the national IMD {vintage} decile cut-offs; "
                f"{n - miss:,} of {n:,} rows have a score.")
    return pd.DataFrame({"__k": raw, "__dec": dec}), Deprivation(None, "imd_score", audit, sentence)


def _duck(ctx, mapping, lookup, not_stated):
    files = ctx.source_files()
    file = ctx.source_label
    con = duckdb.connect()
    scan = _scan(files)
    columns = {r[0] for r in con.execute(f"DESCRIBE SELECT * FROM {scan}").fetchall()}
    if any(c not in columns for c in mapping.values()):
        raise _Fallback("a mapped column is missing")  # read_source names it
    numbered_cache: list[str] = []

    def numbered_sql() -> str:
        if not numbered_cache:
            numbered_cache.append(_numbered(con, files))
        return numbered_cache[0]

    # person × period duplicates: one GROUP BY ... HAVING (pandas names the rows if there are any)
    if "person_id" in mapping:
        keys = ", ".join(_q(mapping[r]) for r in ("person_id", "period") if r in mapping)
        dup = con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {scan} WHERE {_q(mapping['person_id'])} IS NOT NULL "
                          f"GROUP BY {keys} HAVING count(*) > 1 LIMIT 1)").fetchone()[0]
        if dup:
            raise _Fallback("duplicated person")

    def codes_of(column: str, numbered: bool = True) -> pd.DataFrame:
        # distinct values, their records and first record (for example codes in row order): one numbered scan
        if not numbered:
            return con.execute(f"SELECT {_q(column)} AS __k, count(*) AS __n FROM {scan} GROUP BY 1").df()
        return con.execute(f"SELECT {_q(column)} AS __k, count(*) AS __n, min(__pos) AS __p FROM {numbered_sql()} "
                           "GROUP BY 1").df()

    def example_rows(wanted: pd.DataFrame, cols: list[str]) -> str:
        _register(con, "__excl", wanted)
        on = " AND ".join(f"n.{_q(mapping[r])} IS NOT DISTINCT FROM e.{_q(r)}" for r in cols)
        rows = con.execute(f"SELECT n.__pos FROM {numbered_sql()} AS n SEMI JOIN __excl AS e ON {on} "
                           f"ORDER BY n.__pos LIMIT {_EXAMPLES}").fetchall()
        return ", ".join(str(int(r[0]) + 2) for r in rows)

    engine = duckdb_engine(con)
    con.execute(f"CREATE OR REPLACE TEMP VIEW __records AS SELECT * FROM {scan}")
    out = _cells(ctx, engine, engine.table("__records"), mapping, lookup, not_stated, codes_of, example_rows, file)
    con.close()
    return out


def _table(ctx, mapping, lookup, not_stated):
    """The records of a table source summed on its engine: only distinct codes and cells come back."""
    from toolkit.data.engine import open_table
    from toolkit.data.tables import engine_for

    source = ctx.source_files()
    engine = engine_for(source)
    rel = open_table(engine, source)
    if any(c not in rel.columns for c in mapping.values()):
        raise _Fallback("a mapped column is missing")  # read_source names it
    if "person_id" in mapping:
        keys = [mapping[r] for r in ("person_id", "period") if r in mapping]
        known = rel.filter(rel[mapping["person_id"]].notnull())
        dups = known.group_by(keys).aggregate(__n=known.count())
        dups = dups.filter(dups["__n"] > 1)
        if int(engine.collect(dups.aggregate(n=dups.count()))["n"].iloc[0]):
            raise _Fallback("duplicated person")

    def codes_of(column: str, numbered: bool = True) -> pd.DataFrame:
        # a table has no row order: the distinct values in sorted order stand in for "first seen" (example codes)
        codes = engine.collect(rel.group_by(__k=rel[column]).aggregate(__n=rel.count()))
        codes = codes.assign(__null=codes["__k"].isna()).sort_values(["__null", "__k"], kind="stable")
        return codes.drop(columns="__null").assign(__p=range(len(codes))).reset_index(drop=True)

    return _cells(ctx, engine, rel, mapping, lookup, not_stated, codes_of, lambda wanted, cols: "",
                  ctx.source_label)


def _cells(ctx, engine, rel, mapping, lookup, not_stated, codes_of, example_rows_of, file):
    """Deprivation attached and the records' distinct combinations counted on ``engine``, then the pandas rules."""
    dep = None
    if lookup is not None and "imd_decile" not in mapping:
        table, dep = _area_map(codes_of(mapping["area"]), lookup)
    elif "imd_decile" in mapping:
        pass
    elif "lsoa" in mapping:
        table, dep = _lsoa_map(ctx, codes_of(mapping["lsoa"]))
    else:
        table, dep = _score_map(ctx, codes_of(mapping["imd_score"], numbered=False))
    # the distinct combinations of the raw values and their record counts: the toolkit's one GROUP BY
    # (toolkit.data.cells.group_rows, the query every engine runs), with the code -> decile table joined on the engine
    if dep is not None:
        key = mapping[{"lsoa": "lsoa", "imd_score": "imd_score", "area": "area"}[dep.route]]
        lookup_table = engine.upload(table, {"__k": rel[key].type(), "__dec": "float64"}, "map")
        rel = rel.left_join(lookup_table, rel[key] == lookup_table["__k"])
        dec = rel["__dec"]
    else:
        dec = rel[mapping["imd_decile"]]
    raw_roles = ["numerator", "period", "age_band", "sex", "ethnicity"]
    present = [r for r in raw_roles if r in mapping]
    keys = {r: rel[mapping[r]] for r in present}
    keys["imd_decile"] = dec
    pseudo = group_rows(engine, rel, keys, {}).rename(columns={"rows": "__rows"})
    weights = pseudo.pop("__rows").to_numpy(dtype="int64")

    if dep is None:  # a decile column, passed through: the checks of attach_deprivation's decile route
        dec = pd.to_numeric(pseudo["imd_decile"], errors="coerce")
        raw = pseudo["imd_decile"]
        if (dec.isna() & raw.notna() & raw.astype("string").str.strip().ne("")).any():
            raise _Fallback("text deciles")
        pseudo["imd_decile"] = dec
        values = dec.to_numpy(dtype="float64", na_value=np.nan)
        audit = _simple(values, weights, "IMD decile given in the data")
        n, miss = int(weights.sum()), int(weights[np.isnan(values)].sum())
        sentence = (f"The data give each row's IMD decile; {n - miss:,} of {n:,} rows have one"
                    + (f" and {miss:,} are blank." if miss else "."))
        dep = Deprivation(None, "imd_decile", audit, sentence)

    def example_rows(reason: str, mask: np.ndarray) -> str:
        # the reason depends only on the raw numerator and period: find the first records with those values
        cols = [r for r in ("numerator", "period") if r in pseudo.columns]
        return example_rows_of(pseudo.loc[mask, cols].drop_duplicates().reset_index(drop=True), cols)

    data = pseudo[[c for c in ["numerator", "imd_decile", *present[1:]]]]
    try:
        agg = _aggregate(data, file=file, not_stated=not_stated, weights=weights, example_rows=example_rows)
    except ToolkitError as exc:
        raise _Fallback(str(exc)) from None
    out = data.assign(rows=weights)
    return Deprivation(out, dep.route, dep.audit, dep.sentence), dataclasses.replace(agg, columns=dict(mapping))

