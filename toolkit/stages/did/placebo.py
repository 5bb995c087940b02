"""Placebo checks: pretend the scheme started earlier, using only data from before it did.

If treated and comparison units were on parallel paths before the scheme, an
effect "estimated" at a fake start date, on data from before the real start,
should be close to zero.  A clear non-zero placebo effect warns that the
headline may reflect differences in trends rather than the scheme (or that
units changed in anticipation).

Notes
-----
For a shift of :math:`k` periods and each adoption cohort :math:`g` with at
least one period before :math:`g-k`, a sub-panel is built from periods
:math:`t < g` (before the cohort really started): the cohort's units, with a
fake start :math:`g-k`, and *clean* comparison units untreated throughout
(never treated; with ``control="not_yet"`` also units starting after
:math:`g`).  The sub-panels are stacked with sub-panel-specific unit and
period fixed effects (the stacked design of Cengiz, Dube, Lindner & Zipperer
2019), so that each cohort is only compared with its own clean comparison
units, and

.. math:: y_{s i t} = \\alpha_{s i} + \\lambda_{s t} + \\beta_k\\,1\\{i \\in g_s,\\ t \\ge g_s - k\\} + e_{s i t}

is fitted by :func:`toolkit.designs.did.twfe` with CRV1 standard errors
clustered by the original unit (or cluster column), so a comparison unit used
in several sub-panels counts as one cluster.  :math:`\\hat\\beta_k` is the
placebo effect; the check passes when its interval includes zero.  Nothing is
random, so no seed is needed.

References
----------
Cengiz D, Dube A, Lindner A, Zipperer B (2019). The effect of minimum wages
on low-wage jobs. Quarterly Journal of Economics 134(3):1405-1454.
Roth J, Sant'Anna PHC, Bilinski A, Poe J (2023). What's trending in
difference-in-differences? Journal of Econometrics 235(2):2218-2244.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import code_of
from toolkit.designs import did
from toolkit.designs.did import TwfeResult
from toolkit.stages.did.treatment import FIRST, PERIOD, UNIT, DidData
from toolkit.errors import DesignError, InputError

__all__ = ["PlaceboCheck", "placebo_checks", "stacked_placebo_panel"]


@dataclass(frozen=True)
class PlaceboCheck:
    """One placebo estimate (``result`` is None when it could not be made)."""

    shift: int
    result: TwfeResult | None
    cohorts: tuple[int, ...]
    note: str = ""

    @property
    def passed(self) -> bool | None:
        """True when the interval includes zero, False when it excludes it, None without an estimate."""
        if self.result is None or not np.isfinite(self.result.ci_low):
            return None
        return not self.result.significant


def stacked_placebo_panel(dd: DidData, shift: int, *, control: str = "not_yet") -> tuple[pd.DataFrame, tuple[int, ...]]:
    """The stacked pre-treatment panel with fake starts ``shift`` periods early (module Notes).

    Returns the panel (columns ``stack``, ``stack_unit``, ``stack_period``,
    ``placebo_treated`` and the originals) and the cohorts used.
    """
    if shift < 1:
        raise InputError(f"A placebo shift must be at least 1 period, got {shift}.")
    d = dd.data
    g_unit = dd.first_treated
    parts, used = [], []
    for g in dd.cohorts:
        fake = g - shift
        if fake < 2:
            continue
        clean = g_unit == 0
        if control == "not_yet":
            clean |= g_unit > g
        members = g_unit.index[(g_unit == g) | clean]
        if not clean.any():
            continue
        sub = d[d[UNIT].isin(members) & (d[PERIOD] < g)].copy()
        sub["stack"] = int(g)
        sub["stack_unit"] = str(int(g)) + "|" + sub[UNIT].astype(str)
        sub["stack_period"] = int(g) * 100_000 + sub[PERIOD]
        sub["placebo_treated"] = ((sub[FIRST] == g) & (sub[PERIOD] >= fake)).astype(np.int64)
        parts.append(sub)
        used.append(int(g))
    if not parts:
        return d.iloc[0:0].assign(stack=[], stack_unit=[], stack_period=[], placebo_treated=[]), ()
    return pd.concat(parts, ignore_index=True), tuple(used)


def placebo_checks(
    dd: DidData,
    *,
    shifts: Sequence[int] = (6, 12),
    control: str = "not_yet",
    outcome_label: str = "",
    level: float = 0.95,
) -> list[PlaceboCheck]:
    """Placebo effects at fake start dates ``shift`` periods before the real ones.

    Parameters
    ----------
    dd : DidData
        Validated panel.
    shifts : sequence of int
        How many periods earlier to pretend each cohort started.
    control : {"not_yet", "never"}
        Which untreated units may serve as comparisons (module Notes).
    outcome_label : str
        The outcome in words (for the result's sentence).
    level : float
        Confidence level.

    Returns
    -------
    list of PlaceboCheck
        One per shift, in the order given; a shift too long for the data
        (no cohort with a period before the fake start) has ``result=None``
        and a note.
    """
    out = []
    for k in shifts:
        panel, used = stacked_placebo_panel(dd, int(k), control=control)
        if not used:
            out.append(PlaceboCheck(int(k), None, (), f"no adoption group has data before a start {k} "
                                    f"{dd.scale.unit_name}s early"))
            continue
        y = (outcome_label or "outcome").strip()
        # name the columns as the analyst does, so that any caution names their columns
        names = {"outcome": y, UNIT: dd.columns.get("unit", UNIT)}
        for role in ("cluster", "weight"):
            if dd.has(role):
                names[role] = dd.columns.get(role, role)
        frame = panel.rename(columns=names)
        cluster = names.get("cluster", names[UNIT])
        try:
            res = did.twfe(frame, y, "stack_unit", "stack_period", "placebo_treated", cluster=cluster,
                           weights=names.get("weight"), level=level)
        except DesignError as exc:
            out.append(PlaceboCheck(int(k), None, used, exc.message))
            continue
        # each stack has one (fake) start; TWFE's "starts at several times" caution does not apply
        kept = tuple(w for w in res.warnings if code_of(w) != "did.staggered_timing")
        res = replace(res, warnings=kept, name=f"placebo_{k}")
        out.append(PlaceboCheck(int(k), res, used))
    return out
