"""Standard populations and age-band labels, joined by their normalised text (never by row position).

The normaliser accepts the spellings found in ONS and Fingertips extracts: ``"0-4"``, ``"0–4"`` (en dash),
``"00-04"``, ``"0 to 4"``, ``"Aged 0-4 years"``, ``"90+"``, ``"90 and over"``, ``"90 plus"``, ``"<1"``/``"under 1"``
(= ``"0"``).  Used by :mod:`toolkit.indicators.standardised` and the life-expectancy modules.
"""

from __future__ import annotations

import math
import re
from typing import Mapping

import numpy as np
import pandas as pd

from toolkit.errors import DataError
from toolkit.indicators._validate import sheet_rows

__all__ = ["ESP2013", "normalise_age_band", "standard_weights", "band_labels", "duplicate_bands"]

#: 2013 European Standard Population (Eurostat 2013; weights as in docs/methods.md).
ESP2013: Mapping[str, float] = dict(
    zip(
        [f"{a}-{a + 4}" for a in range(0, 90, 5)] + ["90+"],
        [5000, 5500, 5500, 5500, 6000, 6000, 6500, 7000, 7000, 7000,
         7000, 6500, 6000, 5500, 5000, 4000, 2500, 1500, 1000],
    )
)

_OPEN = re.compile(r"\s*(\+|and\s+over|and\s+above|or\s+over|or\s+older|plus)$")
_UNDER1 = re.compile(r"^(under\s*1|<\s*1|0\s*-\s*<?\s*1|less than 1)$")
_DASH = re.compile(r"\s*(?:-|–|—|‐|to)\s*")


def normalise_age_band(label) -> str | None:
    """Canonical text of an age-band label (``"0-4"``, ``"90+"``, ``"0"``), or None if blank.

    Numbers (``5`` or ``5.0``) are returned as their integer text (``"5"``),
    which callers read as a band's start age.  Text that does not look like an
    age band is returned stripped, so that it fails the later join loudly.
    """
    if label is None or (isinstance(label, float) and math.isnan(label)):
        return None
    if label is pd.NA:
        return None
    if isinstance(label, (int, np.integer)) or (
        isinstance(label, (float, np.floating)) and float(label).is_integer()
    ):
        return str(int(label))
    s = str(label).strip().lower()
    if not s:
        return None
    s = re.sub(r"\b(aged|ages|age|years|year|yrs|yr|y)\b", " ", s).strip()
    if _UNDER1.match(s):
        return "0"
    s = _OPEN.sub("+", s)
    s = _DASH.sub("-", s)
    s = s.replace(" ", "")
    m = re.fullmatch(r"(\d+)-(\d+)", s)
    if m:
        return f"{int(m.group(1))}-{int(m.group(2))}"
    m = re.fullmatch(r"(\d+)\+", s)
    if m:
        return f"{int(m.group(1))}+"
    m = re.fullmatch(r"(\d+)", s)
    if m:
        return str(int(m.group(1)))
    return str(label).strip()


def _start(label: str) -> int | None:
    m = re.match(r"(\d+)", label)
    return int(m.group(1)) if m else None


def standard_weights(standard) -> dict[str, float]:
    """Standard population as ``{normalised label: weight}``.

    ``standard`` is ``"esp2013"``, a mapping or Series label → weight, or a
    DataFrame with columns ``age_band`` and ``weight``.
    """
    if isinstance(standard, str):
        if standard.lower().replace("_", "") in ("esp2013", "esp"):
            return dict(ESP2013)
        raise DataError(
            f"unknown standard population '{standard}'",
            column="standard",
            fix="use 'esp2013' or pass a DataFrame with columns age_band and weight",
        )
    if isinstance(standard, pd.DataFrame):
        if not {"age_band", "weight"} <= set(standard.columns):
            raise DataError(
                "the standard population needs columns 'age_band' and 'weight'",
                column="standard",
                fix="rename the standard's columns to age_band and weight",
            )
        pairs = zip(standard["age_band"], standard["weight"])
    elif isinstance(standard, (pd.Series, Mapping)):
        pairs = dict(standard).items()
    else:
        raise DataError("standard must be 'esp2013', a mapping or a DataFrame", column="standard",
                        fix="use 'esp2013'")
    out: dict[str, float] = {}
    for lab, w in pairs:
        key = normalise_age_band(lab)
        if key is None or key in out:
            raise DataError(f"standard population band {lab!r} is blank or repeated", column="standard",
                            fix="give each band once")
        w = float(w)
        if not w >= 0:
            raise DataError(f"standard weight for band {lab!r} is not a non-negative number",
                            column="standard", fix="correct the weight")
        out[key] = w
    return out


def band_labels(data: pd.DataFrame, column: str, known: list[str], what: str = "standard") -> np.ndarray:
    """Map each row's band to an index in ``known`` (normalised labels), or raise DataError.

    A bare start age (``5``, ``"90"``) is matched to the known band that starts there.
    """
    codes, uniques = pd.factorize(data[column], use_na_sentinel=True)
    index = {lab: i for i, lab in enumerate(known)}
    starts: dict[int, int] = {}
    for i, lab in enumerate(known):
        st = _start(lab)
        if st is not None and st not in starts:
            starts[st] = i
    mapped = np.full(len(uniques), -1, dtype=np.int64)
    for j, u in enumerate(uniques):
        key = normalise_age_band(u)
        if key is None:
            continue
        if key in index:
            mapped[j] = index[key]
        elif key.isdigit() and int(key) in starts:
            mapped[j] = starts[int(key)]
    out = np.where(codes >= 0, mapped[np.maximum(codes, 0)], -1)
    bad = out < 0
    if bad.any():
        first = data[column].iloc[int(np.flatnonzero(bad)[0])]
        raise DataError(
            f"age band {first!r} is blank or not a band of the {what}",
            column=column,
            rows=sheet_rows(bad),
            count=int(bad.sum()),
            fix="use the bands " + ", ".join(known[:4]) + ", ..., " + known[-1],
        )
    return out


def duplicate_bands(data: pd.DataFrame, keys: list[np.ndarray], column: str, what: str) -> None:
    frame = pd.DataFrame({f"k{i}": k for i, k in enumerate(keys)})
    dup = frame.duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError(
            f"{what} appears more than once in a group",
            column=column,
            rows=sheet_rows(dup),
            count=int(dup.sum()),
            fix="aggregate to one row per group and age band before calling (or add the missing by= column)",
        )
