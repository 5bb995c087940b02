"""The breakdowns an ICB's statement on health inequalities information must show, in one table.

NHS England's statement on information on health inequalities (under section 13SA of the
NHS Act 2006) asks ICBs to report indicators by deprivation, ethnicity, age and sex, and by
the PLUS groups and Core20PLUS5 clinical areas they focus on.  :func:`statutory_breakdowns`
puts every mapped dimension in one table and grades the data behind each one.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit import indicators as ind
from toolkit.baseline.measures import age_scope

__all__ = ["statutory_breakdowns", "UNKNOWN_LABELS", "NOT_STATED_LIMIT", "UNMATCHED_LIMIT", "SMALL_GROUP"]

#: Group labels that mean the value is not known.
UNKNOWN_LABELS = frozenset({"Not stated", "Not known", "Code not in list", "Unknown"})
#: Above this share (%) of people with ethnicity not stated, the dimension is flagged.
NOT_STATED_LIMIT = 10.0
#: Above this share (%) of people with no IMD decile, deprivation is flagged.
UNMATCHED_LIMIT = 5.0
#: Groups with fewer people than this are flagged (wide intervals).
SMALL_GROUP = 100

_DIMENSIONS = (("deprivation", "IMD quintile"), ("ethnicity", "Ethnic group"), ("age_band", "Age band"),
               ("sex", "Sex"), ("plus_group", "PLUS group"))


def _rows(cells: pd.DataFrame, column: str, dimension: str, level: float) -> pd.DataFrame:
    frame = cells.assign(group=cells[column].astype("string").fillna("Not known"))
    res = ind.proportion(frame.groupby("group", as_index=False)[["numerator", "denominator"]].sum(),
                         "numerator", "denominator", multiplier=100, by="group", confidence=level)
    res.insert(0, "dimension", dimension)
    return res[["dimension", "group", "numerator", "denominator", "value", "lower_ci", "upper_ci"]]


def statutory_breakdowns(cells: pd.DataFrame, *, charter=None, indicator: str = "the indicator",
                         level: float = 0.95) -> dict:
    """The indicator by every section 13SA dimension, with data-quality flags per dimension.

    Parameters
    ----------
    cells : pandas.DataFrame
        The stage's analysis cells (``numerator``, ``denominator``, ``imd_decile``,
        ``imd_quintile`` and any of ``ethnicity``, ``age_band``, ``sex``,
        ``plus_group``).
    charter : toolkit.evaluations.schema.Charter, optional
        For the age scope, the PLUS groups and the Core20PLUS5 clinical areas named.
    indicator : str
        The indicator in words (for the clinical-area row).
    level : float
        Confidence level of the Wilson intervals.

    Returns
    -------
    dict
        ``table``: ``dimension``, ``group``, ``numerator``, ``denominator``,
        ``value`` (%), ``lower_ci``, ``upper_ci``, ``small`` (fewer than
        :data:`SMALL_GROUP` people); ``quality``: one row per dimension with
        ``dimension``, ``mapped`` (bool), ``groups``, ``known_pct`` (% of people
        with a known value), ``flag`` ("ok", "check" or "not mapped") and
        ``note`` in plain English.
    """
    total = float(cells["denominator"].sum())
    tables, quality = [], []
    tg = getattr(charter, "target_group", None)
    plus_named = list(getattr(tg, "plus_groups", []) or [])
    areas = list(getattr(tg, "clinical_areas", []) or [])
    for key, name in _DIMENSIONS:
        if key == "deprivation":
            matched = cells[cells["imd_decile"].notna()]
            part = _rows(matched.assign(q=matched["imd_quintile"].astype("int64").map(
                lambda q: f"{q}" + (" (most deprived)" if q == 1 else " (least deprived)" if q == 5 else ""))),
                "q", name, level)
            unknown = total - float(matched["denominator"].sum())
        elif key not in cells.columns:
            note = (f"not in the data; the charter names {', '.join(plus_named)}" if key == "plus_group" and plus_named
                    else "not in the data")
            fix = f"map the role '{key}' in evaluation.yaml" if key != "plus_group" else \
                "add a column marking the PLUS group(s) to the source"
            quality.append({"dimension": name, "mapped": False, "groups": 0, "known_pct": np.nan,
                            "flag": "not mapped", "note": f"{note}: {fix} to report this breakdown."})
            continue
        else:
            part = _rows(cells, key, name, level)
            unknown = float(part.loc[part["group"].isin(UNKNOWN_LABELS), "denominator"].sum())
        tables.append(part)
        known = (1 - unknown / total) * 100 if total else np.nan
        notes = []
        if key == "deprivation" and 100 - known > UNMATCHED_LIMIT:
            notes.append(f"{100 - known:.1f}% of people have no IMD decile (over {UNMATCHED_LIMIT:.0f}%)")
        if key == "ethnicity" and 100 - known > NOT_STATED_LIMIT:
            notes.append(f"ethnicity is not stated for {100 - known:.1f}% of people (over {NOT_STATED_LIMIT:.0f}%)")
        elif key != "deprivation" and unknown > 0 and key != "ethnicity":
            notes.append(f"{100 - known:.1f}% of people have no recorded {name.lower()}")
        if key == "age_band" and charter is not None:
            scope = age_scope(cells, charter)
            out = scope[scope["status"].isin(["outside", "partly outside"])]
            if len(out):
                notes.append("age band(s) " + ", ".join(map(str, out["age_band"])) +
                             " fall partly or wholly outside the charter's ages")
        small = part[(part["denominator"] < SMALL_GROUP) & ~part["group"].isin(UNKNOWN_LABELS)]
        if len(small):
            notes.append(f"{len(small)} group(s) with fewer than {SMALL_GROUP} people (wide intervals)")
        quality.append({"dimension": name, "mapped": True, "groups": int(len(part)), "known_pct": known,
                        "flag": "check" if notes else "ok", "note": "; ".join(notes) or "complete enough to report"})
    if areas:
        quality.append({"dimension": "Core20PLUS5 clinical area", "mapped": True, "groups": len(areas),
                        "known_pct": np.nan, "flag": "ok",
                        "note": f"{', '.join(a.replace('_', ' ') for a in areas)}: measured here by {indicator}"})
    else:
        quality.append({"dimension": "Core20PLUS5 clinical area", "mapped": False, "groups": 0, "known_pct": np.nan,
                        "flag": "not mapped", "note": "the charter names no Core20PLUS5 clinical area"})
    table = pd.concat(tables, ignore_index=True)
    table["small"] = table["denominator"] < SMALL_GROUP
    return {"table": table, "quality": pd.DataFrame(quality)}
