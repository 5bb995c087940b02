"""Synthetic DiD beside the synthetic control, for the ``synth`` template.

:func:`compare_methods` refits the same panel with synthetic difference-in-differences
and a plain difference-in-differences (:mod:`toolkit.designs.sdid`) and turns the
three estimates into a table and one plain sentence.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from toolkit.designs import sdid
from toolkit.errors import ToolkitError
from toolkit.reporting.formatting import fmt_interval, fmt_number

__all__ = ["MethodComparison", "compare_methods"]


@dataclass(frozen=True)
class MethodComparison:
    """The synthetic control's estimate next to synthetic DiD and DiD (``table``) with a sentence."""

    table: pd.DataFrame
    sentence: str
    sdid: Any = None
    did: Any = None


def _agreement(sc: float, r) -> str:
    if any(math.isnan(v) for v in (r.ci_low, r.ci_high)):
        return ""
    if r.ci_low <= sc <= r.ci_high:
        return "; the synthetic control's estimate lies inside its interval, so the two methods agree"
    return ("; the synthetic control's estimate lies outside its interval, so the answer depends on the "
            "method and should be read with care")


def compare_methods(panel: pd.DataFrame, treated: Any, start: Any, sc_estimate: float, *, outcome_label: str,
                    level: float = 0.95, seed: int = 12345) -> MethodComparison | None:
    """Fit SDID and DiD on the role-named panel (``unit``, ``time``, ``outcome``); None if they cannot be fitted.

    Parameters
    ----------
    panel : DataFrame
        Columns ``unit``, ``time``, ``outcome``.
    treated, start
        Treated unit and first treated period, as passed to the synthetic control.
    sc_estimate : float
        The synthetic control's average post-period gap (the report's headline).
    outcome_label : str
    level : float
    seed : int
        Seed for placebo draws (all placebos are used when there are no more than 200).
    """
    try:
        s = sdid.fit(panel, "outcome", "unit", "time", treated, start, method="sdid", level=level, seed=seed,
                     outcome_label=outcome_label)
        d = sdid.fit(panel, "outcome", "unit", "time", treated, start, method="did", level=level, seed=seed,
                     outcome_label=outcome_label)
    except ToolkitError:
        return None
    pct = f"{level:.0%}"
    rows = [
        {"method": "Synthetic control (the headline above)", "estimate": sc_estimate, "standard error": math.nan,
         f"{pct} interval": "– (placebo test instead)"},
        {"method": "Synthetic difference-in-differences", "estimate": s.estimate, "standard error": s.se,
         f"{pct} interval": fmt_interval(s.ci_low, s.ci_high) if not math.isnan(s.se) else "–"},
        {"method": "Difference-in-differences (all comparison areas weighted equally)", "estimate": d.estimate,
         "standard error": d.se,
         f"{pct} interval": fmt_interval(d.ci_low, d.ci_high) if not math.isnan(d.se) else "–"},
    ]
    sentence = (f"Synthetic difference-in-differences, which also weights the periods before the scheme and allows "
                f"for a steady difference between areas, estimates {fmt_number(s.estimate)}"
                + (f" ({pct} interval {fmt_interval(s.ci_low, s.ci_high)})" if not math.isnan(s.se) else "")
                + f" against the synthetic control's {fmt_number(sc_estimate)}" + _agreement(sc_estimate, s) + ".")
    return MethodComparison(table=pd.DataFrame(rows), sentence=sentence, sdid=s, did=d)
