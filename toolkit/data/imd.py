"""English Indices of Deprivation built in: load, detect the LSOA vintage, attach.

The package ships the official IMD 2019 lookup (2011 LSOAs), the IMD 2025 lookup
(2021 LSOAs) and the IoD 2025 summary per integrated care board as Parquet files
in ``toolkit/data/reference/``; they are read on first use and cached.

There is **no default vintage**: every call names ``vintage=2019`` or
``vintage=2025`` (``imd_vintage`` in evaluation.yaml), so a result can never
change because a default moved under the user.

Vintage guard
-------------
2011 and 2021 LSOA codes overlap heavily: 31,810 codes exist in both sets (an
unchanged LSOA keeps its code), 1,034 exist only in 2011 (retired when areas were
split or merged) and 1,945 only in 2021 (the new areas).  Only the codes found in
exactly one set say which boundaries the data use.  :func:`attach_imd` refuses
to join when the rows whose code is known *only to the other* boundary set are
more than :data:`MISMATCH_TOLERANCE` (0.5%) of the rows holding an English LSOA
code — e.g. 2011-LSOA data joined to IMD 2025 (nationally 3.1% of 2011 codes
are 2011-only and 5.8% of 2021 codes are 2021-only, so real mismatches sit well
above the tolerance wherever boundaries changed).  Below it (a stray
typo that happens to hit a retired code) the join goes ahead and those rows are
kept, unmatched, and reported.  ``allow_vintage_mismatch=True`` lifts the refusal;
the rows are still reported.

Nothing is dropped: rows whose code is blank, not an LSOA code, Welsh or
Scottish, or unknown are kept with missing deprivation and counted in the audit
(:attr:`AttachResult.audit`) the baseline report shows.

Codes are matched after trimming spaces and upper-casing (`` e01000001`` matches
``E01000001``); the audit shows codes as written.

Row numbers in messages and audits are spreadsheet rows: the header is row 1, so
the first data row is row 2 (the convention of :class:`toolkit.errors.Problem`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError, InputError, Problem

__all__ = [
    "ATTRIBUTION",
    "DOMAINS",
    "MISMATCH_TOLERANCE",
    "VINTAGES",
    "AttachResult",
    "VintageReport",
    "attach_imd",
    "detect_lsoa_vintage",
    "load_icb_summary",
    "load_imd",
]

REFERENCE_DIR = Path(__file__).resolve().parent / "reference"

ATTRIBUTION = (
    "Contains public sector information licensed under the Open Government Licence v3.0. "
    "Source: Ministry of Housing, Communities and Local Government, English Indices of "
    "Deprivation 2019 and 2025."
)

#: Share of English-LSOA rows with a code known only to the other boundary set above which
#: :func:`attach_imd` refuses to join (unless ``allow_vintage_mismatch=True``).
MISMATCH_TOLERANCE = 0.005

#: Domain keys accepted by ``domains=``, in the official order.
DOMAINS = ("income", "employment", "education", "health", "crime", "housing", "environment")

_EXAMPLES = 5
_LSOA_RE = re.compile(r"^E01\d{6}$")
_NON_ENGLISH_RE = re.compile(r"^[WS]01\d{6}$")


@dataclass(frozen=True)
class _Vintage:
    year: int
    file: str
    code_column: str
    boundary: str  # "2011" or "2021"
    source_domains: tuple[str, ...]  # source column prefixes, in DOMAINS order
    has_scores: bool


VINTAGES = {
    2019: _Vintage(
        2019, "imd2019_lsoa11.parquet", "lsoa11_code", "2011",
        ("Income", "Employment", "Education", "Health", "Crime", "Housing_and_Access", "Environment"),
        has_scores=False,
    ),
    2025: _Vintage(
        2025, "imd2025_lsoa21.parquet", "lsoa21_code", "2021",
        ("Income", "Employment", "Education", "Health", "Crime", "Housing_and_Services", "Environment"),
        has_scores=True,
    ),
}
_BOUNDARY_VINTAGE = {v.boundary: v.year for v in VINTAGES.values()}


def _vintage(vintage) -> _Vintage:
    """Validate an explicit vintage (2019 or 2025; "2019"/"2025" accepted)."""
    fix = "say which IMD you mean: imd_vintage: 2019 (2011 LSOAs) or imd_vintage: 2025 (2021 LSOAs)"
    if vintage is None:
        raise InputError(
            "No IMD vintage given.",
            [Problem("the toolkit has no default IMD vintage, so results cannot change under you",
                     where="imd_vintage", fix=fix)],
        )
    try:
        year = int(str(vintage).strip()) if not isinstance(vintage, bool) else None
    except ValueError:
        year = None
    if year not in VINTAGES:
        raise InputError(
            f"Unknown IMD vintage {vintage!r}.",
            [Problem(f"{vintage!r} is not an IMD vintage the toolkit ships", where="imd_vintage", fix=fix)],
        )
    return VINTAGES[year]


@lru_cache(maxsize=None)
def _read(name: str) -> pd.DataFrame:
    return pd.read_parquet(REFERENCE_DIR / name)


@lru_cache(maxsize=None)
def _code_set(vintage: int) -> frozenset[str]:
    v = VINTAGES[vintage]
    return frozenset(_read(v.file)[v.code_column].tolist())


def load_imd(vintage: int, *, domains: bool = False) -> pd.DataFrame:
    """The national IMD lookup for one vintage, one row per LSOA.

    Parameters
    ----------
    vintage : {2019, 2025}
        IMD 2019 (2011 LSOAs) or IMD 2025 (2021 LSOAs). Required: there is no default.
    domains : bool, default False
        Also return the seven domain deciles, ranks and scores.

    Returns
    -------
    pandas.DataFrame
        ``lsoa_code``, ``imd_decile`` (1 = most deprived), ``imd_quintile``
        (``ceil(decile / 2)``), ``imd_rank`` (1 = most deprived), ``imd_score``
        (NaN for 2019, whose source has no scores) and ``core20`` (deciles 1-2);
        with ``domains=True`` also ``<domain>_decile``, ``<domain>_rank`` and
        ``<domain>_score`` for each of :data:`DOMAINS`.  ``attrs`` holds
        ``imd_vintage``, ``lsoa_boundaries`` and ``attribution``.

    Raises
    ------
    InputError
        If ``vintage`` is missing or not 2019/2025.
    """
    v = _vintage(vintage)
    src = _read(v.file)
    out = pd.DataFrame({
        "lsoa_code": src[v.code_column],
        "imd_decile": src["IMD_decile"],
        "imd_quintile": ((src["IMD_decile"] + 1) // 2).astype("int8"),
        "imd_rank": src["IMD_rank"],
        "imd_score": src["IMD_score"].astype("float64") if v.has_scores else np.nan,
        "core20": src["IMD_decile"] <= 2,
    })
    if domains:
        for key, name in zip(DOMAINS, v.source_domains):
            out[f"{key}_decile"] = src[f"{name}_decile"]
            out[f"{key}_rank"] = src[f"{name}_rank"]
            out[f"{key}_score"] = src[f"{name}_score"].astype("float64") if v.has_scores else np.nan
    out.attrs.update(imd_vintage=v.year, lsoa_boundaries=v.boundary, attribution=ATTRIBUTION)
    return out


def load_icb_summary() -> pd.DataFrame:
    """IoD 2025 summary measures for the 42 integrated care boards (2024 boundaries).

    Returns
    -------
    pandas.DataFrame
        The official table as published (``icb24_code``, ``icb24_name``, average
        rank and score, extent, local concentration, ... per domain), ``attrs``
        holding ``attribution``.
    """
    out = _read("imd2025_icb24.parquet").copy()
    out.attrs.update(imd_vintage=2025, attribution=ATTRIBUTION)
    return out


# --------------------------------------------------------------------------- detection

_CATEGORY_TEXT = {
    "blank": "blank LSOA code",
    "invalid_format": "not an LSOA code (typo or other geography; English LSOAs look like E01000001)",
    "non_english": "Welsh (W01) or Scottish (S01) small area: no English IMD",
    "both": "code in both the 2011 and 2021 LSOA sets (unchanged area)",
    "2011_only": "code only in the 2011 LSOA set (IMD 2019 boundaries)",
    "2021_only": "code only in the 2021 LSOA set (IMD 2025 boundaries)",
    "neither": "English LSOA format but in neither the 2011 nor the 2021 set",
}


def _normalise(codes: pd.Series) -> pd.Series:
    """Trimmed, upper-cased codes on a 0..n-1 index; blanks as missing."""
    s = codes.reset_index(drop=True).astype("string").str.strip().str.upper()
    return s.mask(s == "")


def _categorise(norm: pd.Series) -> pd.Series:
    in11 = norm.isin(_code_set(2019)).to_numpy()
    in21 = norm.isin(_code_set(2025)).to_numpy()
    filled = norm.fillna("")
    blank = norm.isna().to_numpy()
    lsoa = filled.str.match(_LSOA_RE).to_numpy(dtype=bool)
    welsh = filled.str.match(_NON_ENGLISH_RE).to_numpy(dtype=bool)
    cat = np.select(
        [blank, in11 & in21, in11, in21, lsoa, welsh],
        ["blank", "both", "2011_only", "2021_only", "neither", "non_english"],
        default="invalid_format",
    )
    return pd.Series(cat, index=norm.index, dtype="string")


@dataclass(frozen=True)
class VintageReport:
    """Which LSOA boundaries a column of codes uses, and which codes fit neither.

    Attributes
    ----------
    n_rows : int
        Number of codes examined.
    counts : dict
        Rows per category: ``blank``, ``invalid_format``, ``non_english``,
        ``both``, ``2011_only``, ``2021_only``, ``neither``.
    distinct : dict
        Distinct codes per category.
    examples : dict
        Up to five example codes per category (as written in the data).
    example_rows : dict
        Up to five spreadsheet row numbers per category (header = row 1).
    detected : str
        ``"2011"`` (codes only in the 2011 set occur, none only in 2021),
        ``"2021"`` (the reverse), ``"mixed"`` (both kinds) or ``"either"``
        (every English code exists in both sets: the boundaries cannot be told
        apart, and both vintages match these codes).
    """

    n_rows: int
    counts: dict
    distinct: dict
    examples: dict
    example_rows: dict
    detected: str
    categories: pd.Series = field(repr=False, compare=False)
    normalised: pd.Series = field(repr=False, compare=False)
    shown: pd.Series = field(repr=False, compare=False)

    @property
    def english_rows(self) -> int:
        """Rows holding a code in English LSOA format (E01 + 6 digits)."""
        return sum(self.counts[k] for k in ("both", "2011_only", "2021_only", "neither"))

    def table(self) -> pd.DataFrame:
        """One row per category: rows, share of all rows, distinct codes, examples."""
        return _table(self.shown, self.categories.to_numpy(), _CATEGORY_TEXT)


def _shown(codes) -> pd.Series:
    """Codes as written in the data, with blanks shown as ``<blank>``."""
    raw = pd.Series(np.asarray(codes, dtype=object), dtype="object").astype("string")
    return raw.mask(raw.str.strip().fillna("") == "", "<blank>")


def _examples(values: pd.Series, mask: np.ndarray) -> tuple[tuple[str, ...], tuple[int, ...], int]:
    """Up to five distinct example codes, five spreadsheet rows, and the distinct count."""
    idx = np.flatnonzero(mask)
    sub = values.iloc[idx]
    codes = tuple(str(c) for c in sub.drop_duplicates().iloc[:_EXAMPLES])
    rows = tuple(int(i) + 2 for i in idx[:_EXAMPLES])
    return codes, rows, int(sub.nunique())


def _table(shown: pd.Series, cats: np.ndarray, texts: dict, *, hide: tuple = ()) -> pd.DataFrame:
    """Rows, share, distinct codes and examples per category (examples hidden for ``hide``)."""
    rows = []
    for key, text in texts.items():
        mask = cats == key
        codes, ex_rows, n_distinct = _examples(shown, mask)
        rows.append({
            "category": key,
            "description": text,
            "rows": int(mask.sum()),
            "share": float(mask.mean()) if len(mask) else np.nan,
            "distinct_codes": n_distinct,
            "example_codes": "" if key in hide else ", ".join(codes),
            "example_rows": "" if key in hide else ", ".join(map(str, ex_rows)),
        })
    return pd.DataFrame(rows)


def detect_lsoa_vintage(codes: Iterable) -> VintageReport:
    """Detect which LSOA boundary set (2011 or 2021) a column of codes uses.

    Codes are compared after trimming spaces and upper-casing.  Only codes that
    exist in exactly one set are evidence; see the module notes.

    Parameters
    ----------
    codes : sequence or pandas.Series
        LSOA codes, one per row (blanks allowed).

    Returns
    -------
    VintageReport
        Counts, distinct counts, examples and example rows per category, and the
        detected boundary set.
    """
    raw = pd.Series(list(codes), dtype="object")
    norm = _normalise(raw)
    cat = _categorise(norm)
    counts, distinct, examples, example_rows = {}, {}, {}, {}
    shown = _shown(raw)
    for key in _CATEGORY_TEXT:
        mask = (cat == key).to_numpy()
        counts[key] = int(mask.sum())
        examples[key], example_rows[key], distinct[key] = _examples(shown, mask)
    only11, only21 = counts["2011_only"] > 0, counts["2021_only"] > 0
    detected = {(True, False): "2011", (False, True): "2021", (True, True): "mixed"}.get(
        (only11, only21), "either")
    return VintageReport(len(raw), counts, distinct, examples, example_rows, detected, cat, norm, shown)


# --------------------------------------------------------------------------- attaching

_AUDIT_TEXT = {
    "matched": "matched to an IMD decile",
    "blank": "blank LSOA code",
    "invalid_format": "not an LSOA code (typo or other geography)",
    "non_english": "Welsh or Scottish area: outside the English IMD",
    "other_vintage": "LSOA code from the other boundary set (not in this IMD vintage)",
    "unknown_code": "LSOA-format code in neither the 2011 nor the 2021 set",
}


_SHORT = {"blank": "blank", "invalid_format": "not an LSOA code", "non_english": "Welsh or Scottish",
          "other_vintage": "from the other LSOA boundary set", "unknown_code": "unknown LSOA code"}


@dataclass(frozen=True)
class AttachResult:
    """The data with deprivation attached, and the audit of codes that did not match.

    Attributes
    ----------
    data : pandas.DataFrame
        The input rows, all kept in their order, plus ``imd_decile``,
        ``imd_quintile``, ``imd_rank``, ``imd_score``, ``core20`` (missing where
        unmatched), any requested domain deciles (``imd_<domain>_decile``) and
        ``imd_match`` (the audit category of each row).
    audit : pandas.DataFrame
        One row per category (``matched``, ``blank``,
        ``invalid_format``, ``non_english``, ``other_vintage``,
        ``unknown_code``): rows, share, distinct codes, example codes, example rows.
    vintage : int
        The IMD vintage used (2019 or 2025).
    vintage_report : VintageReport
        The boundary detection behind the guard.
    mismatch_allowed : bool
        True when the guard would have refused and ``allow_vintage_mismatch=True``
        let the join go ahead.
    attribution : str
        The OGL attribution every report using the result must show.
    """

    data: pd.DataFrame
    audit: pd.DataFrame
    vintage: int
    vintage_report: VintageReport
    mismatch_allowed: bool = False
    attribution: str = ATTRIBUTION

    @property
    def n_matched(self) -> int:
        """Rows given a decile."""
        return int(self.audit.loc[self.audit["category"] == "matched", "rows"].iloc[0])

    @property
    def n_unmatched(self) -> int:
        """Rows kept without a decile."""
        return int(self.audit["rows"].sum()) - self.n_matched

    def describe(self) -> str:
        """One plain-English sentence on the match, for the data-completeness section."""
        total = self.n_matched + self.n_unmatched
        text = (f"{self.n_matched:,} of {total:,} rows ({self.n_matched / total:.1%}) were matched to "
                f"an IMD {self.vintage} decile" if total else "There were no rows to match")
        parts = [f"{n:,} {_SHORT[k]}" for k, n in zip(self.audit["category"], self.audit["rows"])
                 if k != "matched" and n]
        if parts:
            text += f"; {self.n_unmatched:,} were kept without one ({', '.join(parts)})"
        if self.mismatch_allowed:
            text += (f". IMD {self.vintage} was joined although the codes look like the other LSOA "
                     f"boundaries, because allow_vintage_mismatch was set")
        return text + "."


def _domain_keys(domains) -> tuple[str, ...]:
    if domains is None or domains is False:
        return ()
    if domains is True:
        return DOMAINS
    keys = (domains,) if isinstance(domains, str) else tuple(domains)
    bad = [k for k in keys if k not in DOMAINS]
    if bad:
        raise InputError(
            "Unknown IMD domain.",
            [Problem(f"{', '.join(map(repr, bad))} is not an IMD domain", where="domains",
                     fix=f"use any of {', '.join(DOMAINS)}, or domains=True for all")],
        )
    return keys


def _mismatch(report: VintageReport, v: _Vintage) -> int:
    """Rows with codes known only to the other boundary set, if above the tolerance; else 0."""
    n_other = report.counts["2011_only" if v.boundary == "2021" else "2021_only"]
    return n_other if n_other > MISMATCH_TOLERANCE * report.english_rows else 0


def _refuse(report: VintageReport, v: _Vintage, n_other: int, column: str, file: str | None):
    other = "2011" if v.boundary == "2021" else "2021"
    other_vintage = _BOUNDARY_VINTAGE[other]
    examples = ", ".join(report.examples[f"{other}_only"])
    share = n_other / report.english_rows
    kind = "a mix of 2011 and 2021 LSOAs" if report.detected == "mixed" else f"{other} LSOAs"
    raise DataError(
        f"Cannot attach IMD {v.year} deprivation: the LSOA codes look like {kind}, "
        f"but IMD {v.year} uses {v.boundary} LSOAs.",
        [Problem(
            f"{n_other:,} row{'s' if n_other != 1 else ''} ({share:.1%} of rows with an English LSOA "
            f"code) hold codes that exist only in the {other} LSOA set used by IMD {other_vintage} (e.g. {examples}); joined to IMD "
            f"{v.year} they would get no decile, and unchanged codes would get deciles for the "
            f"wrong boundaries",
            file=file, column=column, rows=report.example_rows[f"{other}_only"], count=n_other,
            fix=(f"set imd_vintage: {other_vintage} (vintage={other_vintage}) if the data use {other} "
                 f"LSOAs; or convert the codes to {v.boundary} LSOAs with the ONS LSOA 2011 to 2021 "
                 f"lookup; or pass allow_vintage_mismatch=True to join anyway and report those rows "
                 f"as unmatched"),
        )],
    )


def attach_imd(
    data: pd.DataFrame,
    lsoa: str,
    *,
    vintage: int,
    domains: bool | str | Sequence[str] | None = None,
    allow_vintage_mismatch: bool = False,
    file: str | None = None,
) -> AttachResult:
    """Attach national deprivation to data keyed by LSOA code.

    Parameters
    ----------
    data : pandas.DataFrame
        Any rows with an LSOA code column (records, aggregates, areas).
    lsoa : str
        Name of the LSOA code column.
    vintage : {2019, 2025}
        IMD vintage; required (``imd_vintage`` in evaluation.yaml). 2019 expects
        2011 LSOA codes, 2025 expects 2021 LSOA codes.
    domains : bool, str or sequence of str, optional
        Domain deciles to add as ``imd_<domain>_decile``: ``True`` for all, or
        names from :data:`DOMAINS`.
    allow_vintage_mismatch : bool, default False
        Join even when the codes look like the other boundary set; the rows that
        cannot match are still kept and reported.
    file : str, optional
        File name to quote in error messages.

    Returns
    -------
    AttachResult
        ``data`` with ``imd_decile``, ``imd_quintile`` (``ceil(decile / 2)``),
        ``imd_rank``, ``imd_score`` (2025 only; NaN for 2019), ``core20``
        (deciles 1-2), requested domain deciles and ``imd_match``; and the
        ``audit`` of unmatched rows (kept, with missing deprivation).

    Raises
    ------
    DataError
        If the column is missing, an output column already exists, or the codes
        belong to the other boundary set (see the module notes on the guard).
    InputError
        If ``vintage`` is missing or unknown, or a domain name is unknown.
    """
    v = _vintage(vintage)
    keys = _domain_keys(domains)
    if not isinstance(data, pd.DataFrame):
        raise InputError(f"attach_imd needs a pandas DataFrame, not {type(data).__name__}.")
    if lsoa not in data.columns:
        raise DataError(
            f"There is no LSOA code column '{lsoa}'.", file=file, column=lsoa,
            fix=f"map the LSOA role to one of the columns: {', '.join(map(str, data.columns[:20]))}",
        )
    new_cols = ["imd_decile", "imd_quintile", "imd_rank", "imd_score", "core20", "imd_match"]
    new_cols += [f"imd_{k}_decile" for k in keys]
    clash = [c for c in new_cols if c in data.columns]
    if clash:
        raise DataError(
            f"The data already have column(s) {', '.join(clash)}.", file=file, column=clash[0],
            fix="drop or rename those columns before attaching deprivation",
        )

    report = detect_lsoa_vintage(data[lsoa])
    n_other = _mismatch(report, v)
    if n_other and not allow_vintage_mismatch:
        _refuse(report, v, n_other, lsoa, file)

    lookup = load_imd(v.year, domains=bool(keys)).set_index("lsoa_code")
    pos = lookup.index.get_indexer(report.normalised.fillna(""))
    hit = pos >= 0
    take = np.where(hit, pos, 0)

    def pick(col: str, dtype: str):
        values = pd.array(lookup[col].to_numpy()[take], dtype=dtype)
        values[~hit] = pd.NA
        return values

    out = data.copy()
    out["imd_decile"] = pick("imd_decile", "Int8")
    out["imd_quintile"] = pick("imd_quintile", "Int8")
    out["imd_rank"] = pick("imd_rank", "Int32")
    out["imd_score"] = np.where(hit, lookup["imd_score"].to_numpy()[take], np.nan)
    out["core20"] = pick("core20", "boolean")
    for k in keys:
        out[f"imd_{k}_decile"] = pick(f"{k}_decile", "Int8")

    other = "2011" if v.boundary == "2021" else "2021"
    cat = report.categories.to_numpy()
    match = np.select(
        [hit, cat == f"{other}_only", cat == "neither"],
        ["matched", "other_vintage", "unknown_code"],
        default=cat,
    )
    out["imd_match"] = pd.array(match, dtype="string")
    out.attrs.update(imd_vintage=v.year, attribution=ATTRIBUTION)
    audit = _table(report.shown, match, _AUDIT_TEXT, hide=("matched",))
    return AttachResult(out, audit, v.year, report, mismatch_allowed=n_other > 0)
