"""Plain-English sentences about the baseline's deeper measures (for the report and results.json).

Numbers are written by :mod:`toolkit.reporting.formatting`.
"""

from __future__ import annotations

import math

import pandas as pd

from toolkit.reporting.formatting import fmt_count, fmt_interval, fmt_number, fmt_p, fmt_percent, fmt_points
from toolkit.stages.baseline.text import level_text, pct

__all__ = ["standardised_sentence", "age_scope_sentence", "funnel_sentence", "sii_trend_sentence",
           "concentration_sentence", "paf_sentence", "le_gap_sentence"]


def _pp(x: float) -> str:
    return pct(x, unit="percentage points")


def standardised_sentence(comparison: dict, *, indicator: str = "the indicator") -> str:
    """How much of the crude Core20 gap age structure explains."""
    g = comparison["core20_gap"]
    if any(isinstance(v, float) and math.isnan(v) for v in (g["crude"], g["standardised"])):
        return "The Core20 gap could not be age-standardised (no age bands matched the European Standard Population)."
    share = g["explained_by_age"]
    if share >= 0:
        how = f"age structure explains {fmt_percent(share, already_percent=True)} of the crude gap" if abs(share) >= 0.5 else \
            "age structure explains almost none of it"
    else:
        how = f"age structure hides part of the gap: allowing for it widens the gap by {fmt_percent(-share, already_percent=True)}"
    return (f"Allowing for differences in age mix (age-standardised: every group given the same ages), the gap in "
            f"{indicator} between Core20 and the rest is {_pp(g['standardised'])}, against {_pp(g['crude'])} "
            f"before standardising: {how}.")


def age_scope_sentence(scope: pd.DataFrame) -> str:
    """Which age bands fall outside the charter's ages."""
    if scope.attrs.get("scope") is None:
        return "The charter names no age range, so no age band is checked against its scope."
    out = scope[scope["status"].isin(["outside", "partly outside"])]
    if out.empty:
        return "Every age band in the data lies within the charter's age range."
    parts = [f"{r.age_band} ({fmt_count(r.people)} people; {r.note})" for r in out.itertuples()]
    return ("Some age bands fall outside the charter's age range and are counted in the figures above: "
            + "; ".join(parts) + ". Consider filtering them in the data extract.")


def funnel_sentence(frame: pd.DataFrame, *, units: str = "neighbourhoods") -> str:
    """How many units lie outside the funnel's limits."""
    s = frame["significance"]
    hi3, lo3 = int((s == "High (0.001)").sum()), int((s == "Low (0.001)").sum())
    hi2, lo2 = int((s == "High (0.025)").sum()), int((s == "Low (0.025)").sum())
    text = (f"Of {len(frame):,} {units}, {lo3 + lo2:,} are below the ICB average by more than chance would explain "
            f"at the 95% level ({lo3:,} beyond the 99.8% limit) and {hi3 + hi2:,} above it ({hi3:,} beyond 99.8%).")
    if frame.attrs.get("tau2", 0) > 0:
        text += (" The units vary more than chance alone allows, so the limits are widened to allow for that; "
                 "the flagged units stand out even so.")
    return text


def sii_trend_sentence(frame: pd.DataFrame, *, per: str = "year") -> str:
    """The SII over time, its trend and any population-mix warning."""
    valid = frame.dropna(subset=["sii"])
    if valid.empty:
        return "The slope index of inequality could not be calculated for any period."
    first, last = valid.iloc[0], valid.iloc[-1]
    text = (f"The slope index of inequality went from {_pp(first['sii'])} in {first['period']} to "
            f"{_pp(last['sii'])} in {last['period']}.")
    tr = frame.attrs.get("trend", {})
    if tr.get("periods", 0) >= 3 and not math.isnan(tr.get("slope", math.nan)):
        lvl = level_text(tr.get("level", 0.95))
        verdict = "a change chance alone would rarely produce" if tr["p"] < 0.05 else \
            "not distinguishable from no change"
        p = fmt_p(tr["p"])
        text += (f" Its trend is {fmt_points(tr['slope'], digits=3, already_percent=True, signed=True)} a {per} "
                 f"({lvl} confidence interval {fmt_interval(tr['lower_ci'], tr['upper_ci'])}; "
                 f"p {p if p.startswith('<') else '= ' + p}): {verdict}.")
    else:
        text += " Three or more periods are needed to test for a trend."
    if frame.attrs.get("warning"):
        text += " " + frame.attrs["warning"]
    return text


def concentration_sentence(ci: dict, *, indicator: str = "the indicator") -> str:
    """The concentration index and which way it leans."""
    lean = ("concentrated among people in less deprived neighbourhoods" if ci["value"] > 0 else
            "concentrated among people in more deprived neighbourhoods")
    sig = "" if ci["lower_ci"] <= 0 <= ci["upper_ci"] else ", more than chance would explain"
    return (f"The concentration index, which measures how unevenly {indicator} is spread across the whole "
            f"deprivation ranking, is {fmt_number(ci['value'])} ({level_text(ci['level'])} confidence "
            f"interval {fmt_interval(ci['lower_ci'], ci['upper_ci'])}): it is {lean}{sig}. "
            "0 would mean no gradient; the index runs from -1 to +1.")


def paf_sentence(paf: dict, *, indicator: str = "the indicator", improvement: str = "increase") -> str:
    """What the whole ICB would look like at the least deprived quintile's rate."""
    ref, cur = paf["reference_rate"], paf["overall_rate"]
    lvl = level_text(paf["level"])
    excess = -paf["excess"]
    change = ("higher" if ref > cur else "lower")
    lo, hi = sorted((-paf["excess_lower"], -paf["excess_upper"]))
    return (f"If everyone had the rate of deprivation quintile {paf['reference']} (the least deprived, {pct(ref)}), "
            f"{indicator} across the ICB would be {pct(ref)} instead of {pct(cur)}: {fmt_count(abs(excess))} "
            f"{'more' if excess > 0 else 'fewer'} people ({lvl} interval "
            f"{fmt_count(abs(lo), about=False)} to {fmt_count(abs(hi), about=False)}), "
            f"a value {fmt_percent(abs(paf['value']), digits=3)} {change}. This is the share of the ICB's "
            f"{'shortfall' if improvement == 'increase' else 'burden'} attributable to deprivation.")


def le_gap_sentence(decomposition) -> str:
    """The life-expectancy gap and the cause that contributes most ("circulatory disease accounts for ...")."""
    d = decomposition
    top = d.by_cause.iloc[0]
    age = d.by_age.loc[d.by_age["contribution"].abs().idxmax()]
    return (f"Life expectancy at birth is {fmt_number(d.e0_b)} years in the least deprived quintile and {fmt_number(d.e0_a)} in the "
            f"most deprived, a gap of {fmt_number(d.gap)} years. {top['cause']} accounts for {fmt_number(top['contribution'])} of the "
            f"{fmt_number(d.gap)} years; the age band contributing most is {age['age_band']} "
            f"({fmt_number(age['contribution'])} years).")
