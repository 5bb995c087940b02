"""Plain-English sentences and display tables for the difference-in-differences report.

The numbers come from the estimators; this module only words them, so that
the template holds no logic of its own.
"""

from __future__ import annotations

import math
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.reporting.formatting import fmt_interval, fmt_number, fmt_p, fmt_relative

__all__ = ["verdict", "answer", "relative_text", "gap_sentence", "pretrend_sentence", "placebo_sentence", "effects_table",
           "cohort_effects_table", "placebo_table", "adjusted_table", "group_label", "quintile_records", "conclusion", "group_effects_table"]


def _pct(level: float) -> str:
    return f"{level * 100:g}%"


def _finite(*xs) -> bool:
    return all(x is not None and isinstance(x, (int, float)) and math.isfinite(x) for x in xs)


def verdict(result, *, higher_is_better: bool = True) -> str:
    """"improved", "worsened" or "unclear" from the interval of an effect."""
    if not _finite(result.ci_low, result.ci_high) or not result.significant:
        return "unclear"
    up = result.ci_low > result.null_value
    return "improved" if up == higher_is_better else "worsened"


def relative_text(estimate, reference, *, unit_word: str = "units") -> str:
    """", about 11% more than the 13.2 average in these units before they started" (empty without a reference)."""
    if not _finite(estimate, reference) or reference == 0:
        return ""
    rel = fmt_relative(reference + estimate, reference)
    if rel == "about the same":
        return ""
    return f", {rel} than the {fmt_number(reference)} average in these {unit_word} before they started"


def answer(result, *, outcome_label: str, higher_is_better: bool = True, reference: float | None = None,
           unit_word: str = "units") -> str:
    """The summary box's first sentence: did it work, by how much (absolute and relative), with the interval.

    ``reference`` is the treated units' mean before they started: the effect is also given relative to it.
    """
    v = verdict(result, higher_is_better=higher_is_better)
    if not _finite(result.estimate):
        return f"No estimate of the scheme's effect on {outcome_label} could be made from these data."
    move = "higher" if result.estimate > 0 else "lower"
    size = (f"{outcome_label} was {fmt_number(abs(result.estimate))} {move} than it would have been without the "
            f"scheme{relative_text(result.estimate, reference, unit_word=unit_word)} "
            f"({_pct(result.level)} confidence interval {fmt_interval(result.ci_low, result.ci_high)})")
    if v == "improved":
        return f"Yes, it appears to have worked: {size}."
    if v == "worsened":
        return f"No: the data point to things getting worse: {size}."
    return (f"We cannot tell yet: our best estimate is that {size}, but the interval includes no effect.")


def gap_sentence(equity, *, outcome_label: str, most_deprived_label: str,
                 higher_is_better: bool | None = None) -> str:
    """Did the scheme do more for the most deprived than for the rest, and so did the gap narrow?"""
    if equity is None:
        return "The effect on the gap was not estimated: the data do not give each unit's deprivation quintile."
    if not _finite(equity.estimate):
        return "The effect on the gap could not be estimated from these data."
    more = "more" if equity.estimate > 0 else "less"
    base = (f"In {most_deprived_label} the scheme changed {outcome_label} by {fmt_number(abs(equity.estimate))} "
            f"{more} than elsewhere ({_pct(equity.level)} confidence interval "
            f"{fmt_interval(equity.ci_low, equity.ci_high)})")
    gap = equity.baseline_gap
    if _finite(gap):
        base += (f"; before the scheme {outcome_label} was {fmt_number(abs(gap))} "
                 f"{'higher' if gap > 0 else 'lower'} there than elsewhere")
    from toolkit.board.gap import gap_change  # the one rule for "did the gap narrow?", shared with the summary

    verdict = gap_change(gap, equity.ci_low, equity.ci_high, higher_is_better=higher_is_better, level=equity.level)
    if verdict.narrowed is None:
        return base + ". The interval includes no difference, so we cannot tell whether the gap changed."
    return base + f". The gap {verdict.verdict}: {verdict.explanation}."


def pretrend_sentence(pretrend: dict, *, leads: int, unit_name: str, alpha: float = 0.05, valid: bool = True) -> str:
    """The pre-trend test in words (a joint Wald test that every lead is zero).

    ``valid=False`` when the test cannot be trusted (more leads than clusters
    minus one): the sentence says so and points to the chart.
    """
    p = pretrend.get("p_value", float("nan"))
    if not valid and pretrend.get("df1") and "df2" in pretrend:
        return (f"The joint pre-trend test is not reliable here: it tests {pretrend['df1']:g} {unit_name}s at once "
                f"but its margins of error rest on only {pretrend.get('df2', 0) + 1:g} groups of units. Judge the trends "
                f"before the start from the chart instead (the technical appendix says how to test fewer "
                f"{unit_name}s).")
    if not valid and pretrend.get("df1"):
        return (f"The joint pre-trend test could not be made reliably ({pretrend['df1']:g} {unit_name}s before the "
                f"start on too few units). Judge the trends before the start from the chart instead (the technical "
                f"appendix says how to test fewer {unit_name}s).")
    if not _finite(p):
        return "The pre-trend test could not be computed (too few periods before the scheme)."
    what = (f"We tested whether the units that took part were already moving differently from the comparison units "
            f"in the {leads} {unit_name}s before they started (p = {fmt_p(p)}).")
    if p < alpha:
        return what + (" They were: the trends were not parallel before the scheme, so the estimated effect may "
                       "partly reflect differences that were already there.")
    return what + (" We found no sign that they were; this supports, but cannot prove, the assumption that they "
                   "would have kept moving in parallel without the scheme.")


def placebo_sentence(checks: Sequence, *, unit_name: str) -> str:
    """Summarise the placebo checks: how many fake start dates showed an 'effect'."""
    made = [c for c in checks if c.result is not None]
    if not made:
        return "The placebo checks could not be made: there are too few periods before the scheme."
    failed = [c for c in made if c.passed is False]
    shifts = ", ".join(f"{c.shift}" for c in made)
    if not failed:
        return (f"Pretending the scheme started earlier ({shifts} {unit_name}s before it really did) and using only "
                "data from before the real start, we found no 'effect' at the fake start dates, as we should if "
                "the comparison is fair.")
    bad = ", ".join(f"{c.shift}" for c in failed)
    return (f"Caution: pretending the scheme started {bad} {unit_name}s early, on data from before the real "
            "start, shows an 'effect' where there should be none; the comparison units may not be a fair "
            "comparison, or units changed before they formally started.")


def effects_table(rows: Sequence[tuple[str, object]], *, relative: str = "") -> pd.DataFrame:
    """One display row per (label, result): estimate, interval, p-value, rows used.

    ``relative`` (the first row's effect relative to the level before the scheme, in words) adds a column.
    """
    out = []
    for label, r in rows:
        if r is None:
            continue
        row = {"Estimate": label, "Effect": r.estimate, "Lower limit": r.ci_low, "Upper limit": r.ci_high}
        if relative:
            row["Relative to before the scheme"] = relative if not out else ""
        out.append({**row, "p-value": fmt_p(r.p_value), "Rows used": int(r.n_obs)})
    return pd.DataFrame(out)


def adjusted_table(table: pd.DataFrame) -> pd.DataFrame:
    """Display form of the multiplicity-adjusted subgroup table for the board (the method is in the appendix)."""
    return pd.DataFrame({"Group": table["term"].map(group_label), "Effect": table["estimate"],
                         "p-value": table["p_value"].map(fmt_p),
                         "p-value allowing for the groups tested": [
                             "not adjusted (primary estimate)" if a == "exempt (primary)" else fmt_p(p)
                             for p, a in zip(table["p_adjusted"], table["adjustment"])]})


def group_label(term) -> str:
    """"quintile 1" -> "Quintile 1"; "gap (most deprived - rest)" -> "Gap: most deprived minus the rest"."""
    text = str(term)
    if text.startswith("gap"):
        return "Gap: most deprived minus the rest"
    if text == "rest":
        return "The rest"
    return text[:1].upper() + text[1:]


def cohort_effects_table(by_cohort, scale) -> pd.DataFrame:
    """Display table of the Callaway & Sant'Anna effects by adoption group (``aggregate("group")``)."""
    rows = []
    for _, r in by_cohort.table.iterrows():
        g = r.get("group")
        label = f"Started {scale.label(g)}" if _finite(g) else "Average of the groups (weighted by size)"
        rows.append({"Group": label, "Effect": r["estimate"], "Lower limit": r["ci_low"], "Upper limit": r["ci_high"],
                     "p-value": fmt_p(r["p_value"])})
    return pd.DataFrame(rows)


def group_effects_table(table: pd.DataFrame) -> pd.DataFrame:
    """Display form of :func:`toolkit.stages.did.inputs.group_effects`' table (p-values formatted, notes kept)."""
    out = table.copy()
    if "p-value" in out:
        out["p-value"] = [fmt_p(p) for p in out["p-value"]]
    if "Note" in out and not out["Note"].astype(bool).any():
        out = out.drop(columns="Note")
    return out


def placebo_table(checks: Sequence, *, unit_name: str) -> pd.DataFrame:
    """Display table of the placebo checks."""
    rows = []
    for c in checks:
        r = c.result
        rows.append({
            "Fake start": f"{c.shift} {unit_name}s early",
            "Groups tested": len(c.cohorts),
            "Placebo effect": r.estimate if r else np.nan,
            "Lower limit": r.ci_low if r else np.nan,
            "Upper limit": r.ci_high if r else np.nan,
            "p-value": fmt_p(r.p_value) if r else "–",
            "Result": ("no effect found (as expected)" if c.passed else "an 'effect' found: caution"
                       if c.passed is False else f"not made: {c.note}"),
        })
    return pd.DataFrame(rows)


def quintile_records(equity) -> list[dict]:
    """Per-quintile effects as record() keyword sets: name, estimate, se, interval, p, n, sentence."""
    out = []
    if equity is None:
        return out
    for _, r in equity.table.iterrows():
        term = str(r["term"])
        if r["group"] == "quintile":
            name = "effect_quintile_" + term.split()[-1].replace(".", "-")
        elif r["group"] == "most_deprived":
            name = "effect_most_deprived"
        elif r["group"] == "rest":
            name = "effect_rest"
        else:
            continue
        est = r["estimate"]
        sentence = (f"Effect in {term}: {fmt_number(est)} ({_pct(equity.level)} confidence interval "
                    f"{fmt_interval(r['ci_low'], r['ci_high'])})." if _finite(est) else f"No estimate for {term}.")
        out.append(dict(name=name, estimate=est, se=r["se"], ci_low=r["ci_low"], ci_high=r["ci_high"],
                        level=equity.level, p_value=r["p_value"],
                        n=None if not _finite(r.get("n_obs")) else int(r["n_obs"]), method=equity.method,
                        sentence=sentence))
    return out


def conclusion(headline, equity, pretrend: dict, checks: Sequence, *, outcome_label: str,
               most_deprived_label: str, higher_is_better: bool = True, alpha: float = 0.05,
               pretrend_valid: bool = True, reference: float | None = None, unit_word: str = "units") -> list[str]:
    """The closing paragraphs: what we found, how sure we are, what would change our minds."""
    v = verdict(headline, higher_is_better=higher_is_better)
    pct = _pct(headline.level)
    first = {
        "improved": "The scheme appears to have worked on average",
        "worsened": "The data point to the scheme having made things worse on average",
        "unclear": "We cannot yet say whether the scheme worked on average",
    }[v]
    change = (f"{'an increase' if headline.estimate > 0 else 'a fall'} of {fmt_number(abs(headline.estimate))} in "
              f"{outcome_label}{relative_text(headline.estimate, reference, unit_word=unit_word)}"
              if _finite(headline.estimate) else f"not available for {outcome_label}")
    paras = [f"{first}: the best estimate is {change}, and the "
             f"{pct} confidence interval runs from {fmt_interval(headline.ci_low, headline.ci_high)}. "
             "The interval is the range of effects consistent with the data; values near its middle are more "
             "likely than values at its ends."]
    if equity is not None and _finite(equity.estimate):
        paras.append(gap_sentence(equity, outcome_label=outcome_label, most_deprived_label=most_deprived_label))
    doubts = []
    p = pretrend.get("p_value", float("nan"))
    if pretrend_valid and _finite(p) and p < alpha:
        doubts.append("the groups were already moving apart before the scheme")
    if any(c.passed is False for c in checks):
        doubts.append("a placebo check found an 'effect' at a fake start date")
    if doubts:
        paras.append("Treat this result with caution: " + " and ".join(doubts) + ".")
    else:
        paras.append("The checks we could make (trends before the scheme, placebo start dates) do not suggest the "
                     "comparison is unfair, but they cannot rule out something else that changed at the same time "
                     "as the scheme in the units that took part.")
    return paras
