"""The standing caveats of a difference-in-differences evaluation, in plain words, and the numbers beside them.

Each design brings threats a board should weigh whatever the data show (issue 15): deprivation
assigned per practice rather than per person, regression to the mean when areas were chosen
because their figures were poor, a start inside the COVID-19 disruption, and few units to
compare.  :func:`design_caveats` decides which apply from the panel, the charter and the
robustness checks; :func:`treated_pre_mean` gives the reference for a relative effect.
Nothing is estimated here.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass

import numpy as np

from toolkit.reporting.formatting import fmt_interval
from toolkit.stages.did.treatment import FIRST, PERIOD, DidData

__all__ = ["Caveat", "design_caveats", "treated_pre_mean", "unit_words", "COVID_START", "COVID_END"]

#: The COVID-19 disruption to NHS activity taken for the caveat: March 2020 to March 2022 (year, month).
COVID_START, COVID_END = (2020, 3), (2022, 3)

#: Charter wording that says units were chosen because their figures before the scheme were poor.
_SELECTED_ON_BASELINE = re.compile(
    r"\b(chosen|selected|picked|prioriti[sz]ed|targeted)\b[^.]{0,80}\b(baseline|worst|poorest|highest|lowest|"
    r"below average|above average)\b", re.I)


@dataclass(frozen=True)
class Caveat:
    """One caveat: a short line for the summary box and the fuller text for "What to bear in mind"."""

    key: str
    short: str
    text: str


def treated_pre_mean(dd: DidData) -> float:
    """Mean outcome of the treated units before each started (weighted as the estimates are).

    The reference for a relative effect ("about 11% more than before the scheme").

    Returns
    -------
    float
        NaN when no treated unit has a period before its start.
    """
    d = dd.data
    pre = d[(d[FIRST] > 0) & (d[PERIOD] < d[FIRST])]
    y = pre["outcome"].astype(float)
    w = pre["weight"].astype(float) if dd.has("weight") else np.ones(len(pre))
    ok = np.isfinite(y) & np.isfinite(w)
    if not ok.any() or float(np.sum(w[ok])) <= 0:
        return math.nan
    return float(np.sum(y[ok] * w[ok]) / np.sum(w[ok]))


def _month_ordinal(dd: DidData, index: float) -> int | None:
    """The period's first month as year * 12 + month - 1 (None when periods are plain numbers)."""
    o = dd.scale.ordinal(index)
    if dd.scale.freq == "month":
        return o
    if dd.scale.freq == "quarter":
        year, q = divmod(o, 4)
        return year * 12 + q * 3
    return None


def _covid_caveats(dd: DidData) -> list[Caveat]:
    lo, hi = COVID_START[0] * 12 + COVID_START[1] - 1, COVID_END[0] * 12 + COVID_END[1] - 1
    inside = [g for g in dd.cohorts if (m := _month_ordinal(dd, g)) is not None and lo <= m <= hi]
    if inside:
        when = ", ".join(dd.scale.label(g) for g in inside)
        return [Caveat("covid", f"The scheme started ({when}) during the COVID-19 disruption to services.",
                       f"Some units started the scheme ({when}) during the COVID-19 disruption to NHS services "
                       "(March 2020 to March 2022). Activity fell and recovered at different speeds in different "
                       "places, so part of any change may be recovery rather than the scheme.")]
    first = _month_ordinal(dd, 1)
    if first is not None and first <= hi:
        return [Caveat("covid_before", "The months before the scheme include COVID-19 disruption.",
                       f"The data before the scheme begin in {dd.scale.label(1)}, within the COVID-19 disruption "
                       "to NHS services (March 2020 to March 2022). If practices recovered at different speeds, "
                       "the trends before the start are a less reliable guide to what would have happened.")]
    return []


def _charter_text(charter) -> str:
    if charter is None:
        return ""
    parts = [getattr(charter, "scheme", ""), getattr(charter, "comparison_group", "")]
    design = getattr(charter, "design", None)
    parts.append(getattr(design, "rationale", "") if design is not None else "")
    target = getattr(charter, "target_group", None)
    parts.append(getattr(target, "description", "") if target is not None else "")
    return " ".join(str(p) for p in parts if p)


def _targeted(charter) -> bool:
    target = getattr(charter, "target_group", None)
    return bool(target is not None and (getattr(target, "core20", False) or getattr(target, "plus_groups", None)))


def design_caveats(dd: DidData, *, charter=None, equity_estimated: bool = False, robustness=None,
                   unit_word: str = "units") -> list[Caveat]:
    """The caveats that apply to this evaluation, most important first.

    Parameters
    ----------
    dd : DidData
        The validated panel (start dates, periods).
    charter : Charter, optional
        The evaluation's charter; its wording decides whether units were chosen on their baseline
        and whether the scheme is targeted.
    equity_estimated : bool
        Effects by deprivation quintile are shown (deprivation is then assigned per unit).
    robustness : Robustness, optional
        The robustness checks; a wild-bootstrap row means there are few units to compare.
    unit_word : str
        What the units are, in words.

    Returns
    -------
    list of Caveat

    Notes
    -----
    Regression to the mean is stated firmly when the charter says units were chosen for poor figures
    before the scheme (wording such as "selected ... because their baseline ..."), and as a standing
    caveat for a targeted scheme (Core20 or PLUS groups) otherwise.  The COVID-19 window is March 2020
    to March 2022.
    """
    out: list[Caveat] = []
    wild = next((r for r in getattr(robustness, "rows", ()) if r.key == "wild_bootstrap" and r.result is not None),
                None)
    if wild is not None:
        wx = wild.result.extra.get("wild", {})
        n, nt = wx.get("n_clusters"), wx.get("n_treated_clusters")
        verdict = "still excludes no effect" if wild.result.significant else "includes no effect"
        out.append(Caveat(
            "few_clusters", f"Only {n:,} {unit_word} to compare: the cautious range is "
            f"{fmt_interval(wild.result.ci_low, wild.result.ci_high)}.",
            f"There are only {n:,} {unit_word} ({nt:,} of them in the scheme). With so few, the usual margin of "
            "error can be too narrow, so we also worked it out by a method that holds with few units (named in the "
            f"technical appendix): it gives {fmt_interval(wild.result.ci_low, wild.result.ci_high)}, which "
            f"{verdict}."))
    text = _charter_text(charter)
    if _SELECTED_ON_BASELINE.search(text):
        out.append(Caveat(
            "regression_to_mean", "Units were chosen for poor figures, so some improvement was likely anyway.",
            f"The charter says the {unit_word} in the scheme were chosen because their figures were poor. Unusually "
            "poor figures tend to drift back towards the average on their own (regression to the mean), so some "
            f"of the change could have happened without the scheme; the comparison with {unit_word} not yet in the "
            "scheme and the check on trends before the start reduce this risk but do not remove it."))
    elif _targeted(charter):
        out.append(Caveat(
            "regression_to_mean", "If units joined because their figures were poor, some change was likely anyway.",
            f"The scheme is targeted. If {unit_word} joined because their figures were poor, those figures would "
            "tend to drift back towards the average on their own (regression to the mean), and part of the change "
            "could have happened without the scheme. The check on trends before the start reduces this risk."))
    out += _covid_caveats(dd)
    if equity_estimated:
        out.append(Caveat(
            "ecological", f"Deprivation is assigned to whole {unit_word}, not to each person.",
            f"Deprivation is assigned to each of the {unit_word} as a whole (from where its patients live), not "
            "to each person, so the effects by deprivation describe units serving more or less deprived areas, "
            "not more or less deprived people."))
    return out


def unit_words(column: str) -> str:
    """What the units are, in words, from the unit column's name: "practices", "PCNs", "areas" or "units"."""
    name = str(column).lower()
    for key, words in (("practice", "practices"), ("pcn", "PCNs"), ("lsoa", "areas"), ("msoa", "areas"),
                       ("area", "areas"), ("ward", "wards"), ("site", "sites"), ("trust", "trusts")):
        if key in name:
            return words
    return "units"
