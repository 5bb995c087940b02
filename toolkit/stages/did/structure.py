"""The shape of a difference-in-differences panel: units, periods, who is treated when."""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.stages.did.treatment import FIRST, PERIOD, TREATED, UNIT, DidData

__all__ = ["panel_facts", "cohort_table", "cohort_caption", "cohort_name"]


def cohort_name(dd: DidData, g: int) -> str:
    """"Started Apr 2023" for an adoption period, "Never treated" for 0."""
    return "Never treated" if g == 0 else f"Started {dd.scale.label(g)}"


def panel_facts(dd: DidData) -> list[tuple[str, str]]:
    """Plain facts about the panel, for ``show.facts``.

    Units, periods (first to last), unit-periods, treated and never-treated
    units, adoption times, and whether every unit is seen in every period
    (column names and how treatment was given are in the technical appendix).
    """
    d = dd.data
    g = dd.first_treated
    n_units = int(g.size)
    n_t = dd.scale.n_periods
    balanced = bool((d.groupby(UNIT).size() == n_t).all())
    unit_word = dd.scale.unit_name
    return [
        ("Units", f"{n_units:,}"),
        ("Periods", f"{n_t:,} {unit_word}s, {dd.scale.label(1)} to {dd.scale.label(n_t)}"),
        ("Rows (unit-periods)", f"{len(d):,}" + ("" if balanced else " — not every unit is seen in every period")),
        ("Treated units", f"{int((g > 0).sum()):,}, starting at {len(dd.cohorts)} different time(s)"),
        ("Never-treated units", f"{int((g == 0).sum()):,}"),
    ]


def cohort_table(dd: DidData) -> pd.DataFrame:
    """One row per adoption group: units, periods before and after, treated unit-periods.

    With a ``quintile`` column, the number of units in each deprivation
    quintile is added (quintile 1 = most deprived).

    Returns
    -------
    DataFrame
        Columns ``Group``, ``Start``, ``Units``, ``Periods before``,
        ``Periods after``, ``Treated unit-periods`` (and ``Quintile q units``).
    """
    d = dd.data
    n_t = dd.scale.n_periods
    per_unit = d.groupby(UNIT, sort=True).agg(g=(FIRST, "first"), rows=(PERIOD, "size"), treated=(TREATED, "sum"))
    if dd.has("quintile"):
        per_unit["q"] = d.groupby(UNIT, sort=True)["quintile"].first()
    rows = []
    order = sorted(per_unit["g"].unique(), key=lambda v: (v == 0, v))
    for g in order:
        sub = per_unit[per_unit["g"] == g]
        row = {
            "Group": cohort_name(dd, int(g)),
            "Start": dd.scale.label(int(g)) if g else "–",
            "Units": int(len(sub)),
            "Periods before": int(g - 1) if g else int(n_t),
            "Periods after": int(n_t - g + 1) if g else 0,
            "Treated unit-periods": int(sub["treated"].sum()),
        }
        if "q" in sub:
            for q in sorted(pd.unique(per_unit["q"].dropna())):
                row[f"Quintile {q:g} units"] = int((sub["q"] == q).sum())
        rows.append(row)
    tab = pd.DataFrame(rows)
    total = {c: (int(tab[c].sum()) if c in ("Units", "Treated unit-periods") or c.startswith("Quintile") else np.nan)
             for c in tab.columns}
    total.update({"Group": "All units", "Start": "–"})
    tab = pd.concat([tab, pd.DataFrame([total])], ignore_index=True)
    for c in ("Periods before", "Periods after"):
        tab[c] = tab[c].astype("Int64")
    return tab


def cohort_caption(dd: DidData) -> str:
    """Caption of :func:`cohort_table` (mentions quintiles only when there are some)."""
    text = "Adoption groups: units, and periods before and after the start"
    return text + (", and units by deprivation quintile (1 = most deprived)" if dd.has("quintile") else "")
