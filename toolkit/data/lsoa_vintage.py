"""Which LSOA boundary set (2011 or 2021) a column of codes uses: categories, counts, examples.

2011 and 2021 LSOA codes overlap heavily; only codes found in exactly one set are
evidence (see :mod:`toolkit.data.imd`).  Codes are compared after trimming and
upper-casing; examples show codes as written and spreadsheet row numbers (header =
row 1).  The public entry point is :mod:`toolkit.data.imd`, which re-exports these names.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Iterable

import numpy as np
import pandas as pd

from toolkit.data.imd_reference import MISMATCH_TOLERANCE, _code_set, _Vintage

__all__ = ["VintageReport", "detect_lsoa_vintage"]

_EXAMPLES = 5
_LSOA_RE = re.compile(r"^E01\d{6}$")
_NON_ENGLISH_RE = re.compile(r"^[WS]01\d{6}$")


_CATEGORY_TEXT = {
    "blank": "blank LSOA code",
    "invalid_format": "not an LSOA code (typo or other geography; English LSOAs look like E01000001)",
    "non_english": "Welsh (W01) or Scottish (S01) small area: no English IMD",
    "both": "code in both the 2011 and 2021 LSOA sets (unchanged area)",
    "2011_only": "code only in the 2011 LSOA set (IMD 2019 boundaries)",
    "2021_only": "code only in the 2021 LSOA set (IMD 2025 boundaries)",
    "neither": "English LSOA format but in neither the 2011 nor the 2021 set",
}


def normalise_codes(codes: pd.Series) -> pd.Series:
    """Trimmed, upper-cased codes on a 0..n-1 index; blanks as missing."""
    s = codes.reset_index(drop=True).astype("string").str.strip().str.upper()
    return s.mask(s == "")


def categorise_codes(norm: pd.Series) -> pd.Series:
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


def shown_codes(codes) -> pd.Series:
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
    norm = normalise_codes(raw)
    cat = categorise_codes(norm)
    counts, distinct, examples, example_rows = {}, {}, {}, {}
    shown = shown_codes(raw)
    for key in _CATEGORY_TEXT:
        mask = (cat == key).to_numpy()
        counts[key] = int(mask.sum())
        examples[key], example_rows[key], distinct[key] = _examples(shown, mask)
    only11, only21 = counts["2011_only"] > 0, counts["2021_only"] > 0
    detected = {(True, False): "2011", (False, True): "2021", (True, True): "mixed"}.get(
        (only11, only21), "either")
    return VintageReport(len(raw), counts, distinct, examples, example_rows, detected, cat, norm, shown)


def vintage_mismatch(report: VintageReport, v: _Vintage) -> int:
    """Rows with codes known only to the other boundary set, if above the tolerance; else 0."""
    n_other = report.counts["2011_only" if v.boundary == "2021" else "2021_only"]
    return n_other if n_other > MISMATCH_TOLERANCE * report.english_rows else 0
