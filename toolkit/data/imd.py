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

from dataclasses import dataclass
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.data.imd_reference import (  # noqa: F401  (re-exported: the public names live here)
    _BOUNDARY_VINTAGE,
    ATTRIBUTION,
    DOMAINS,
    MISMATCH_TOLERANCE,
    REFERENCE_DIR,
    VINTAGES,
    _code_set,
    _read,
    _Vintage,
    code_vintage,
    load_icb_summary,
    load_imd,
)
from toolkit.data.lsoa_vintage import (  # noqa: F401
    _CATEGORY_TEXT,
    VintageReport,
    categorise_codes,
    _examples,
    vintage_mismatch,
    normalise_codes,
    shown_codes,
    _table,
    detect_lsoa_vintage,
)
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


AUDIT_TEXT = {
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
    v = code_vintage(vintage)
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
    n_other = vintage_mismatch(report, v)
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
    audit = _table(report.shown, match, AUDIT_TEXT, hide=("matched",))
    return AttachResult(out, audit, v.year, report, mismatch_allowed=n_other > 0)
