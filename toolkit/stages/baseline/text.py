"""Plain-English sentences for the baseline report (wording only; the numbers come from the analysis).

Numbers are written by :mod:`toolkit.reporting.formatting` (three significant figures, the same
rounding as every other board page).
"""

from __future__ import annotations

import math
import re

import pandas as pd

from toolkit.reporting.formatting import (MISSING, fmt_count, fmt_interval, fmt_level, fmt_number,
                                          fmt_period, fmt_ratio_change, fmt_relative, is_missing, plural)

__all__ = ["spc_headline", "result_name", "quintile_gap_sentence", "not_stated_sentence", "level_text", "pct", "interval", "core20_sentence", "sii_sentence", "groups_sentence", "spc_sentence",
           "bounds_sentence", "completeness_sentence", "when"]

_MONTH = re.compile(r"^\d{4}-\d{2}$")


def when(period) -> str:
    """A period for people: ``"2021-04"`` → ``"April 2021"``; other labels ("2021/22", "2021 Q1") as written."""
    text = str(period)
    return fmt_period(text) if _MONTH.match(text) else text



def result_name(prefix: str, label: str) -> str:
    """A results.json name for a group: ``result_name("ethnicity", "Black, Black British ...")`` →
    ``"ethnicity_black_black_british_..."``; ``"90+"`` → ``"90plus"``."""
    import re

    slug = re.sub(r"[^a-z0-9]+", "_", str(label).lower().replace("+", "plus")).strip("_") or "blank"
    return f"{prefix}_{slug}"


def level_text(level: float) -> str:
    """``95%`` or ``99.8%`` (:func:`toolkit.reporting.formatting.fmt_level`)."""
    return fmt_level(level)


def pct(value: float, *, unit: str = "%") -> str:
    """``57.8%`` (or with another unit, ``6.72 percentage points``): the number by
    :func:`~toolkit.reporting.formatting.fmt_number`, then the unit; ``not available`` when missing."""
    if is_missing(value):
        return MISSING
    return f"{fmt_number(value)}{unit}" if unit == "%" else f"{fmt_number(value)} {unit}"


def interval(lower: float, upper: float, *, level: float = 0.95, unit: str = "%") -> str:
    """``(95% confidence interval 57.5 to 58.0%)``: the limits by
    :func:`~toolkit.reporting.formatting.fmt_interval`, then the unit."""
    return f"({level_text(level)} confidence interval {fmt_interval(lower, upper)}{'' if unit == '%' else ' '}{unit})"


def core20_sentence(summary: dict, *, level: float = 0.95, indicator: str = "the indicator") -> str:
    """Core20 against the rest, the gap and whether chance could explain it."""
    c, r, g = summary["core20"], summary["rest"], summary["gap"]
    if math.isnan(g["value"]):
        return f"The gap between Core20 and the rest could not be calculated ({g['note']})."
    side = "lower" if g["value"] < 0 else "higher"
    sure = ("The interval does not include zero, so the gap is very unlikely to be chance."
            if g["lower_ci"] > 0 or g["upper_ci"] < 0 else
            "The interval includes zero, so the data cannot rule out that there is no real gap.")
    rel = fmt_relative(c["value"], r["value"], more="higher", fewer="lower")
    return (f"In Core20 neighbourhoods (the 20% most deprived nationally) {indicator} is {pct(c['value'])}, "
            f"against {pct(r['value'])} in the rest of the ICB: {fmt_number(abs(g['value']))} percentage points {side}"
            f"{'' if rel == MISSING else ', ' + rel} "
            f"{interval(g['lower_ci'], g['upper_ci'], level=level, unit='percentage points')}. {sure}")


def sii_sentence(indices: dict, *, level: float = 0.95, quantile: str = "quintile") -> str:
    """What the slope and relative index say, in words."""
    if indices.get("note") or math.isnan(indices["sii"]):
        return f"The slope index of inequality could not be calculated: {indices.get('note')}."
    s = indices["sii"]
    direction = "higher" if s > 0 else "lower"
    rel = fmt_ratio_change(indices["rii"], more="higher", fewer="lower")
    return (f"Taking every deprivation {quantile} into account, not just the two ends, the least deprived end is "
            f"{fmt_number(abs(s))} percentage points {direction} than the most deprived end "
            f"({level_text(level)} confidence interval {fmt_interval(indices['sii_lower'], indices['sii_upper'])}): "
            f"this is the slope index of inequality (SII), read from a line fitted through every {quantile} and "
            f"weighted by the number of people in each. As a ratio, the least deprived end's level is "
            f"{fmt_number(indices['rii'])} times the most deprived end's, {rel} (the relative index of inequality, "
            f"RII; interval {fmt_interval(indices['rii_lower'], indices['rii_upper'])}).")


def groups_sentence(frame: pd.DataFrame, *, what: str, benchmark: float) -> str:
    """Which groups are significantly above or below the ICB value, and the range."""
    f = frame[frame["value"].notna()]
    if f.empty:
        return f"No {what} group has data."
    hi = f.loc[f["value"].idxmax()]
    lo = f.loc[f["value"].idxmin()]
    lower = list(f.loc[f["compared"] == "lower", "label"])
    higher = list(f.loc[f["compared"] == "higher", "label"])
    text = (f"By {what}, the value ranges from {pct(lo['value'])} ({lo['label']}) to {pct(hi['value'])} "
            f"({hi['label']}), against {pct(benchmark)} for the ICB as a whole.")
    if lower:
        text += f" Significantly below the ICB value: {', '.join(lower)}."
    if higher:
        text += f" Significantly above: {', '.join(higher)}."
    if not lower and not higher:
        text += " No group differs significantly from the ICB value."
    return text


_RULES = {"beyond_limits": "a point beyond the process limits", "shift": "a run of 7 or more points on one side of "
          "the mean", "trend": "7 or more points rising or falling in a row", "two_in_three": "2 of 3 points close to "
          "a limit"}


def spc_sentence(trend: pd.DataFrame, *, improvement: str = "increase", unit: str = "%") -> str:
    """Special causes on the SPC chart, named in words with their periods."""
    n = len(trend)
    special = trend[trend["special_cause"]]
    base = (f"Over {plural(n, 'period')} the mean is {pct(trend['centre'].iloc[0], unit=unit)}, and a value between "
            f"{pct(trend['lower_limit'].iloc[0], unit=unit)} and {pct(trend['upper_limit'].iloc[0], unit=unit)} "
            f"would be ordinary (common-cause) variation.")
    if special.empty:
        return base + " No special cause was found: the level has been stable."
    parts = []
    for kind in ("special cause improvement", "special cause concern", "special cause neutral"):
        k = special[special["variation"] == kind]
        if k.empty:
            continue
        rules = [text for col, text in _RULES.items() if k[col].any()]
        word = {"neutral": "variation (neither better nor worse)"}.get(kind.replace("special cause ", ""),
                                                                      kind.replace("special cause ", ""))
        parts.append(f"{plural(len(k), 'period')} show{'s' if len(k) == 1 else ''} special-cause {word} "
                     f"({when(k['period'].iloc[0])} to {when(k['period'].iloc[-1])}; signals: {', '.join(rules)})")
    return base + " " + "; ".join(parts) + "."


def bounds_sentence(bounds: dict) -> str:
    """How far the people with no IMD decile could move the Core20 gap."""
    if bounds["unknown"] == 0:
        return "Every row matched an IMD decile, so missing deprivation cannot move the Core20 gap."
    return (f"{fmt_count(bounds['unknown'])} people ({pct(bounds['unknown_pct'])}) could "
            f"not be placed in a deprivation decile; their value is "
            f"{pct(bounds['unknown_value'])}. Placed in the worst possible way — any of them in Core20 or the rest, "
            f"with any of their events — the gap could be anywhere from {fmt_interval(bounds['low'], bounds['high'])} "
            f"percentage points, against {fmt_number(bounds['gap'])} as measured. If they all lived in Core20 neighbourhoods "
            f"and had their own average value there, the gap would be {pct(bounds['gap_if_core20'], unit='percentage points')}; "
            f"if none did, {pct(bounds['gap_if_rest'], unit='percentage points')} (these two assume their value is the same wherever they live).")


def completeness_sentence(table: pd.DataFrame) -> str:
    """Overall not-stated and unmatched shares, with the range across periods."""
    total = table.iloc[-1]
    by = table.iloc[:-1]
    text = f"{fmt_number(total['no_imd_pct'])}% of people could not be given a deprivation decile"
    if len(by):
        text += f" (between {fmt_number(by['no_imd_pct'].min())}% and {fmt_number(by['no_imd_pct'].max())}% in a single period)"
    if "not_stated_pct" in table:
        text += f", and ethnicity is not stated for {fmt_number(total['not_stated_pct'])}%"
        if len(by):
            text += (f" (between {fmt_number(by['not_stated_pct'].min())}% and {fmt_number(by['not_stated_pct'].max())}% "
                     f"in a single period)")
    return text + "."


def quintile_gap_sentence(gap: dict, *, level: float = 0.95) -> str:
    """Most against least deprived quintile, in words."""
    if math.isnan(gap["value"]):
        return f"The gap between the most and least deprived quintiles could not be calculated ({gap.get('note')})."
    side = "below" if gap["value"] < 0 else "above"
    rel = fmt_ratio_change(gap.get("ratio"), more="higher", fewer="lower")
    return (f"Between the two ends of the gradient, the most deprived quintile's value is {fmt_number(abs(gap['value']))} "
            f"percentage points {side} the least deprived quintile's{'' if rel == MISSING else ', ' + rel} "
            f"{interval(gap['lower_ci'], gap['upper_ci'], level=level, unit='percentage points')}.")


def not_stated_sentence(by_quintile: pd.DataFrame, completeness: pd.DataFrame) -> str:
    """Ethnicity not stated overall and at the two ends of the deprivation gradient."""
    total = completeness["not_stated_pct"].iloc[-1]
    q = by_quintile.set_index("quintile")["not_stated_pct"]
    most, least = q.get("Quintile 1 (most deprived)"), q.get("Quintile 5 (least deprived)")
    text = f"Ethnicity is not stated for {fmt_number(total)}% of people"
    if most is not None and least is not None:
        text += f": {fmt_number(most)}% in the most deprived quintile against {fmt_number(least)}% in the least deprived"
    return text + ". Gaps between ethnic groups are measured only among people whose ethnicity is recorded."


def spc_headline(trend: pd.DataFrame) -> str:
    """One short line on the trend for the summary box: which special causes, and when."""
    first, last = trend["period"].iloc[0], trend["period"].iloc[-1]
    text = f"Trend from {when(first)} to {when(last)} ({plural(len(trend), 'period')}): "
    parts = []
    for kind, word in (("special cause improvement", "improvement"), ("special cause concern", "concern"),
                       ("special cause neutral", "a change that is neither better nor worse")):
        k = trend[trend["variation"] == kind]
        if len(k):
            parts.append(f"special-cause {word} in {when(k['period'].iloc[0])} to {when(k['period'].iloc[-1])}")
    if not parts:
        return text + "no special cause; the level has been stable."
    return text + "; ".join(parts) + " (see the trend chart)."
