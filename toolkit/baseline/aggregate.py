"""Column roles, input checks and aggregation of baseline data to analysis cells.

The baseline template reads one source whose columns are mapped to *roles* in
evaluation.yaml.  Rows are either **records** (one per person and period: the
numerator is 0 or 1 and there is no denominator, or the denominator is 1) or
**aggregated** counts (a numerator and a denominator per area, period and
optional age band, sex and ethnicity).  Both are checked the same way and summed
to *cells* — one row per period × IMD decile × age band × sex × ethnicity — before
any indicator is computed.

Nothing is dropped silently: rows that cannot count (a missing numerator,
denominator or period) are excluded and counted in :attr:`Aggregated.excluded`;
rows whose area matched no IMD decile are kept in a cell with a missing decile and
audited by :mod:`toolkit.baseline.completeness`.  Everything else that is wrong is
a :class:`toolkit.errors.DataError` naming the file, the column, example rows (as a
spreadsheet numbers them: header = row 1), how many rows and the fix.
"""

from __future__ import annotations

import dataclasses
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from toolkit.dates import to_iso_text
from toolkit.errors import DataError, Problem
from toolkit.indicators import normalise_age_band

__all__ = ["REQUIRED_ROLES", "OPTIONAL_ROLES", "DIMENSIONS", "NOT_STATED", "NOT_KNOWN", "Aggregated", "aggregate",
           "name_columns"]

#: Roles the template cannot run without.
REQUIRED_ROLES = ("numerator",)
#: Roles it uses when mapped. One of ``lsoa``, ``imd_decile`` or ``imd_score`` is needed (checked at run time).
OPTIONAL_ROLES = ("denominator", "person_id", "lsoa", "area", "imd_decile", "imd_score", "period",
                  "age_band", "sex", "ethnicity", "practice")
#: The breakdowns NHS England's statement on health-inequalities information asks for (besides deprivation).
DIMENSIONS = ("ethnicity", "age_band", "sex")
#: Ethnicity entries read as "not stated" (compared case-insensitively after trimming; blanks too).
NOT_STATED = frozenset({
    "not stated", "not known", "unknown", "not recorded", "refused", "declined", "prefer not to say",
    "not given", "missing", "z", "99", "",
})
#: Label of a missing age band or sex, and of ethnicity not stated.
NOT_KNOWN = "Not known"
NOT_STATED_LABEL = "Not stated"

_SEX = {"f": "Female", "female": "Female", "woman": "Female", "women": "Female", "2": "Female",
        "m": "Male", "male": "Male", "man": "Male", "men": "Male", "1": "Male"}
_SEX_UNKNOWN = {"", "u", "unknown", "not known", "not stated", "0", "9", "x"}
_AGE_MISSING = {"", "unknown", "not known", "not stated", "missing"}
_BAND = re.compile(r"^(\d+)(?:-(\d+)|\+)?$")


@dataclass(frozen=True)
class Aggregated:
    """Checked data summed to analysis cells.

    Attributes
    ----------
    cells : pandas.DataFrame
        One row per ``period`` (when mapped) × ``imd_decile`` (nullable: missing
        where the area matched no decile) × each mapped dimension (``age_band``,
        ``sex``, ``ethnicity``), with ``imd_quintile`` (ceil(decile / 2)),
        ``core20`` (decile 1-2; missing when the decile is), ``rows`` (input
        rows), ``numerator`` and ``denominator``.
    n_rows : int
        Rows read.
    excluded : pandas.DataFrame
        One row per reason a row could not count: ``reason``, ``rows``,
        ``example_rows``.  Empty when nothing was excluded.
    record_level : bool
        True when rows are records (no denominator mapped).
    dimensions : tuple of str
        The mapped dimensions among ethnicity, age band and sex.
    has_period : bool
        Whether a period is mapped (a trend needs one).
    columns : dict
        ``{role: the user's column}`` as mapped in evaluation.yaml (for messages that
        name the analyst's columns, not the toolkit's internal ones).
    """

    cells: pd.DataFrame
    n_rows: int
    excluded: pd.DataFrame
    record_level: bool
    dimensions: tuple[str, ...]
    has_period: bool
    columns: dict = dataclasses.field(default_factory=dict)

    @property
    def n_excluded(self) -> int:
        """Rows excluded from every analysis."""
        return int(self.excluded["rows"].sum()) if len(self.excluded) else 0

    @property
    def n_used(self) -> int:
        return self.n_rows - self.n_excluded

    def describe(self) -> str:
        """One plain-English sentence on what was read and what was left out."""
        kind = "person-level records" if self.record_level else "rows of counts"
        total = float(self.cells["denominator"].sum())
        text = (f"{self.n_rows:,} {kind} were read and summed into {len(self.cells):,} analysis cells "
                f"covering {total:,.0f} people (the denominator)")
        if self.n_excluded:
            reasons = "; ".join(f"{r['rows']:,} with {r['reason']}" for _, r in self.excluded.iterrows())
            text += f". {self.n_excluded:,} rows could not be counted and were left out ({reasons})"
        else:
            text += "; no row had to be left out"
        return text + "."


def _rows(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) + 2 for i in np.flatnonzero(mask)[:5])


def _fail(message: str, column: str, mask: np.ndarray, fix: str, file: str | None):
    raise DataError("The baseline data cannot be used as it is:", [
        Problem(message, file=file, column=column, rows=_rows(mask), count=int(mask.sum()), fix=fix)])


def _numbers(data: pd.DataFrame, role: str, file: str | None, what: str) -> np.ndarray:
    s = data[role]
    if pd.api.types.is_bool_dtype(s):
        s = s.astype("float64")
    conv = pd.to_numeric(s, errors="coerce")
    text = conv.isna().to_numpy() & s.notna().to_numpy()
    if pd.api.types.is_object_dtype(s) or pd.api.types.is_string_dtype(s):
        text &= s.astype("string").str.strip().fillna("").ne("").to_numpy()
    if text.any():
        example = s[text].iloc[0]
        _fail(f"{what} must be numbers, but some are text (e.g. {example!r})", role, text,
              f"clean the column mapped to '{role}' so it holds only numbers (remove '*', '<5', commas or notes)",
              file)
    values = conv.to_numpy(dtype="float64", na_value=np.nan)
    inf = np.isinf(values)
    if inf.any():
        _fail(f"{what} are infinite", role, inf, f"replace the infinite values in '{role}'", file)
    return values


def _labels(values: pd.Series) -> pd.Series:
    """Text labels, trimmed, with missing as empty strings."""
    return values.astype("string").str.strip().fillna("")


def _age_bands(data: pd.DataFrame, file: str | None) -> pd.Series:
    raw = _labels(data["age_band"])
    uniques = pd.unique(raw)
    mapping: dict[str, str] = {}
    unknown = []
    for u in uniques:
        if u.lower() in _AGE_MISSING:
            mapping[u] = NOT_KNOWN
            continue
        norm = normalise_age_band(u)
        m = _BAND.match(norm or "")
        if m is None or (m.group(2) is not None and int(m.group(2)) < int(m.group(1))):
            unknown.append(u)
        else:
            mapping[u] = norm
    if unknown:
        bad = raw.isin(unknown).to_numpy()
        _fail(f"age band {unknown[0]!r} is not an age band the toolkit can read", "age_band", bad,
              "write bands as '40-44', '18-64' or '90+' (blank or 'Not known' where the age is unknown)", file)
    return raw.map(mapping)


def _band_start(label: str) -> float:
    m = _BAND.match(label)
    return float(m.group(1)) if m else float("inf")


def _sexes(data: pd.DataFrame) -> pd.Series:
    raw = _labels(data["sex"])
    mapping = {}
    for u in pd.unique(raw):
        key = u.lower()
        mapping[u] = _SEX.get(key) or (NOT_KNOWN if key in _SEX_UNKNOWN else u)
    return raw.map(mapping)


def _ethnicities(data: pd.DataFrame, not_stated) -> pd.Series:
    raw = _labels(data["ethnicity"])
    lowered = {s.strip().lower() for s in not_stated}
    mapping = {u: (NOT_STATED_LABEL if u.lower() in lowered or u == "" else u) for u in pd.unique(raw)}
    return raw.map(mapping)


_DMY = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$")


def _whole(values: pd.Series) -> pd.Series:
    """Whole-number periods as integers (labels "9", not "9.0")."""
    v = values.dropna()
    return values.astype("Int64") if (v == v.round()).all() else values


def _periods(data: pd.DataFrame) -> pd.Series:
    """Periods as labels that sort in time order.

    Dates become ``YYYY-MM-DD`` (``31/03/2024`` is read day first, as in UK
    extracts); period numbers (1, 2, ... 36) stay numbers so that 10 follows 9;
    anything else (``2024-03``, ``2024Q1``) is kept as text, which sorts in time
    order when written year first.
    """
    s = data["period"]
    if pd.api.types.is_datetime64_any_dtype(s):
        return s.dt.strftime("%Y-%m-%d").astype("string")
    if pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s):
        return _whole(s.astype("Float64"))
    text = _labels(s).mask(lambda x: x == "")
    filled = text.dropna()
    if len(filled) and filled.str.fullmatch(r"\d+(?:\.0+)?").all():
        return _whole(pd.to_numeric(text, errors="coerce").astype("Float64"))
    if len(filled) and filled.str.match(_DMY).all():
        return to_iso_text(text.astype(object), column="period")[0].astype("string")  # toolkit.dates: one reader
    return text


def name_columns(error: DataError, columns) -> DataError:
    """The same error with each role replaced by the analyst's own column name (``{role: column}``)."""
    import dataclasses

    if not columns:
        return error
    problems = []
    for p in error.problems:
        if p.column in columns and columns[p.column] != p.column:
            p = dataclasses.replace(p, column=columns[p.column], message=f"{p.message} (role '{p.column}')")
        problems.append(p)
    return type(error)(error.message, problems)


def aggregate(data: pd.DataFrame, *, file: str | None = None, columns=None, not_stated=NOT_STATED) -> Aggregated:
    """Check baseline rows (columns under their role names) and sum them to analysis cells.

    Parameters
    ----------
    data : pandas.DataFrame
        The source with columns named by role (``numerator``, optional
        ``denominator``, ``period``, ``age_band``, ``sex``, ``ethnicity``,
        ``person_id``, ``lsoa``, ``area``, ``practice``) and an ``imd_decile``
        column (from :func:`toolkit.baseline.attach_deprivation`; missing where
        unmatched).
    file : str, optional
        The source as written in evaluation.yaml, named in error messages.
    columns : mapping, optional
        ``{role: the analyst's column}`` from evaluation.yaml, so that messages
        name the analyst's own columns.
    not_stated : collection of str
        Ethnicity entries that mean "not stated" (case-insensitive).

    Returns
    -------
    Aggregated

    Raises
    ------
    toolkit.errors.DataError
        Missing columns; text, negative or infinite counts; a numerator above
        its denominator (above 1 for records); a denominator of 0 or less; an
        IMD decile that is not a whole number 1-10; an age band that cannot be
        read; the same area, period, age band, sex and ethnicity twice in
        aggregated data, or the same person twice in a period in records.

    Notes
    -----
    Cells hold Σ numerator and Σ denominator over their rows (a record
    contributes its 0/1 numerator and a denominator of 1).  Rows with a missing
    numerator, denominator or period are excluded and counted by reason (in
    that order of precedence, so a row is counted once).  Age bands are
    normalised (``"40 to 44"`` → ``"40-44"``); a missing sex or age band becomes
    "Not known" and a not-stated ethnicity "Not stated", which stay in the
    totals and are shown as their own group.
    """
    try:
        agg = _aggregate(data, file=file, not_stated=not_stated)
    except DataError as exc:
        raise name_columns(exc, columns) from None
    return dataclasses.replace(agg, columns=dict(columns or {}))


def _aggregate(data: pd.DataFrame, *, file: str | None, not_stated, weights: np.ndarray | None = None,
               example_rows=None) -> Aggregated:
    """The checks and the sums; with ``weights`` each row stands for that many records.

    ``weights`` and ``example_rows`` (``(reason, mask) -> "2, 5, 9"``) serve the DuckDB route
    (:mod:`toolkit.baseline.records`): its rows are the distinct combinations of the raw values,
    which go through exactly the same label rules; checks that fail there are re-run on the
    records themselves so that messages name real rows.
    """
    if not isinstance(data, pd.DataFrame):
        raise DataError(f"baseline data must be a pandas DataFrame, not {type(data).__name__}",
                        file=file, fix="read the source with ctx.data()")
    data = data.reset_index(drop=True)
    missing = [r for r in ("numerator", "imd_decile") if r not in data.columns]
    if missing:
        fixes = {"numerator": "map the column holding the events (e.g. `numerator: bp_recorded`) under "
                              "data.sources.<name>.columns",
                 "imd_decile": "map one of lsoa (an LSOA code), imd_decile or imd_score under data.sources.<name>.columns"}
        raise DataError("The baseline data lacks columns it needs:", [
            Problem(f"no column for role '{r}'", file=file, column=r, fix=fixes[r]) for r in missing])
    if len(data) == 0:
        raise DataError("the data has no rows", file=file, count=0, fix="check the extract is not empty")
    w = np.ones(len(data), dtype="int64") if weights is None else np.asarray(weights, dtype="int64")
    n = int(w.sum())
    if example_rows is None:
        def example_rows(reason, mask):
            return ", ".join(map(str, _rows(mask)))
    num = _numbers(data, "numerator", file, "numerators")
    record_level = "denominator" not in data.columns
    den = np.ones(len(data)) if record_level else _numbers(data, "denominator", file, "denominators")
    neg = num < 0
    if neg.any():
        _fail("numerators cannot be negative", "numerator", neg, "correct the negative counts", file)
    bad = den <= 0
    if bad.any():
        _fail("denominators (populations) must be above 0", "denominator", bad,
              "correct the zero or negative populations, or remove rows for cells with nobody in them", file)
    over = num > den
    if over.any():
        if record_level:
            _fail("in person-level records the numerator must be 0 or 1 (each row is one person)", "numerator",
                  over, "map a 0/1 column, or map `denominator:` if the rows hold counts", file)
        _fail("the numerator is larger than the denominator", "numerator", over,
              "check the two columns are not swapped and that both count the same people", file)
    dec = _numbers(data, "imd_decile", file, "IMD deciles")
    bad = ~np.isnan(dec) & ~np.isin(dec, np.arange(1, 11))
    if bad.any():
        _fail(f"IMD deciles must be whole numbers 1 to 10 (e.g. {dec[bad][0]:g})", "imd_decile", bad,
              "use national IMD deciles with 1 = most deprived (not ranks, scores or quintiles)", file)

    reasons = []
    excl = np.zeros(len(data), dtype=bool)
    for mask, reason in ((np.isnan(num), "a missing numerator"),
                         (np.isnan(den), "a missing denominator")):
        mask = mask & ~excl
        if mask.any():
            reasons.append({"reason": reason, "rows": int(w[mask].sum()), "example_rows": example_rows(reason, mask)})
        excl |= mask

    cells = pd.DataFrame({"numerator": num * w if weights is not None else num,
                          "denominator": den * w if weights is not None else den})
    cells["imd_decile"] = pd.array(np.where(np.isnan(dec), np.nan, dec), dtype="Float64").astype("Int8")
    keys = []
    has_period = "period" in data.columns
    if has_period:
        period = _periods(data)
        mask = period.isna().to_numpy() & ~excl
        if mask.any():
            reasons.append({"reason": "a missing period", "rows": int(w[mask].sum()),
                            "example_rows": example_rows("a missing period", mask)})
        excl |= mask
        cells["period"] = period
        keys.append("period")
    keys.append("imd_decile")
    dims = tuple(d for d in DIMENSIONS if d in data.columns)
    for d in dims:
        cells[d] = {"ethnicity": lambda: _ethnicities(data, not_stated), "age_band": lambda: _age_bands(data, file),
                    "sex": lambda: _sexes(data)}[d]()
        keys.append(d)

    if weights is None:  # the DuckDB route checks person × period in SQL before it gets here
        _check_duplicates(data, cells, keys, record_level, file)

    used = cells.loc[~excl]
    grouped = (used.assign(rows=w[~excl]).groupby(keys, dropna=False, sort=True, observed=True)
               [["rows", "numerator", "denominator"]].sum().reset_index())
    grouped["rows"] = grouped["rows"].astype("int64")
    grouped.insert(grouped.columns.get_loc("imd_decile") + 1, "imd_quintile",
                   ((grouped["imd_decile"] + 1) // 2).astype("Int8"))
    grouped.insert(grouped.columns.get_loc("imd_quintile") + 1, "core20", (grouped["imd_decile"] <= 2).astype("boolean"))
    if "age_band" in grouped:
        order = sorted(grouped["age_band"].unique(), key=lambda b: (_band_start(b), b))
        grouped["age_band"] = pd.Categorical(grouped["age_band"], categories=order, ordered=True)
    excluded = pd.DataFrame(reasons, columns=["reason", "rows", "example_rows"])
    return Aggregated(grouped, n, excluded, record_level, dims, has_period)


def _check_duplicates(data, cells, keys, record_level, file) -> None:
    if "person_id" in data.columns:
        cols = ["person_id"] + (["period"] if "period" in data.columns else [])
        frame = pd.DataFrame({c: data[c] for c in cols})
        dup = frame.duplicated(keep=False).to_numpy() & data["person_id"].notna().to_numpy()
        if dup.any():
            where = " in the same period" if "period" in cols else ""
            _fail(f"the same person appears more than once{where}", "person_id", dup,
                  "keep one row per person and period (or map `period:`)", file)
        return
    if record_level:
        return
    area = [c for c in ("lsoa", "area", "practice") if c in data.columns]
    frame = pd.concat([data[area].reset_index(drop=True), cells[keys].reset_index(drop=True)], axis=1)
    dup = frame.duplicated(keep=False).to_numpy()
    if dup.any():
        what = " × ".join(area + [k for k in keys if k != "imd_decile" or not area])
        _fail(f"the same {what} appears on more than one row", area[0] if area else keys[0], dup,
              "sum the duplicated rows into one, or map the column that tells them apart (e.g. age_band, sex)",
              file)
