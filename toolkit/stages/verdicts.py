"""Plain-English verdicts on natural-experiment diagnostics, each by a stated rule.

A board cannot read a Ljung–Box statistic, but it can read "the model has dealt
with the month-to-month correlation".  Each function here turns one diagnostic
into a :class:`Verdict`: the question asked, a one-word answer (``good``,
``caution`` or ``concern``), the finding in a sentence, and the rule that decided
it (so the report can say why).  No estimation happens here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Iterable, Sequence

import pandas as pd

from toolkit.reporting.formatting import fmt_ci, fmt_number, fmt_p

__all__ = [
    "Verdict", "STATUS_WORDS", "verdicts_frame", "periods_verdict", "autocorrelation_verdict",
    "seasonality_verdict", "controlled_verdict", "synth_fit_verdict", "placebo_verdict",
    "leave_one_out_verdict", "manipulation_verdict", "bandwidth_verdict", "effective_n_verdict",
    "heterogeneity_verdict", "worst", "p_text", "verdict_blocks",
]

#: Words shown for each status (never colour alone).
STATUS_WORDS = {"good": "Good enough", "caution": "Caution", "concern": "Concern"}

#: Rules, stated once so reports and tests quote the same thresholds.
RECOMMENDED_PERIODS = 12          # Penfold & Zhang (2013): at least 12 points each side
AUTOCORRELATION_ALPHA = 0.05      # Ljung–Box p-value below which residuals are autocorrelated
SYNTH_GOOD_FIT = 0.5              # pre-period RMSPE / SD of the treated series: good at or below (the estimator
SYNTH_POOR_FIT = 1.0              # warns above 0.5); poor above 1 (it misses by more than the series varies)
PLACEBO_ALPHA = 0.10              # placebo p at or below: unlikely to be chance (Abadie et al. 2010 use 0.1)
MANIPULATION_ALPHA = 0.05         # density-test p below which we flag possible sorting
LOO_TOLERANCE = 0.5               # leave-one-out estimates within ±50% of the headline: robust


@dataclass(frozen=True)
class Verdict:
    """One diagnostic question and its plain-English answer.

    Parameters
    ----------
    check : str
        The question, e.g. "Is the pre-period fit good enough?".
    status : {"good", "caution", "concern"}
        The answer in one word.
    finding : str
        What we found, in a sentence with the numbers.
    rule : str
        The stated rule that decided ``status``.
    """

    check: str
    status: str
    finding: str
    rule: str

    def __post_init__(self) -> None:
        if self.status not in STATUS_WORDS:
            raise ValueError(f"status must be one of {', '.join(STATUS_WORDS)}")

    @property
    def word(self) -> str:
        return STATUS_WORDS[self.status]

    @property
    def callout_kind(self) -> str:
        """The :func:`toolkit.reporting.display.callout` kind for this verdict."""
        return {"good": "good", "caution": "warning", "concern": "concern"}[self.status]


def verdicts_frame(verdicts: Iterable[Verdict]) -> pd.DataFrame:
    """A table for the report: check, verdict (in words), finding, rule."""
    return pd.DataFrame([{"Check": v.check, "Verdict": v.word, "What we found": v.finding, "Rule used": v.rule}
                         for v in verdicts], columns=["Check", "Verdict", "What we found", "Rule used"])


def verdict_blocks(verdicts: Sequence[Verdict]) -> list:
    """The report's diagnostics: the table of every check, then a callout for each that is not good."""
    from toolkit.stages.base import Callout, Table

    return [Table(verdicts_frame(verdicts), caption="Diagnostic checks in plain English"),
            *(Callout(f"{v.check} {v.finding}", kind=v.callout_kind) for v in verdicts if v.status != "good")]


def p_text(p: float) -> str:
    """``p = 0.044`` or ``p < 0.001`` for sentences (the value is :func:`toolkit.reporting.formatting.fmt_p`'s)."""
    if _nan(p):
        return "p not available"
    text = fmt_p(p)
    return f"p {text}" if text.startswith("<") else f"p = {text}"


def _nan(x) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


# ------------------------------------------------------------------ time series (ITS, synth)
def periods_verdict(n: int, *, side: str, unit: str = "period", minimum: int,
                    recommended: int = RECOMMENDED_PERIODS) -> Verdict:
    """Are there enough periods before (or after) the start?

    Rule: at least ``recommended`` → good; ``minimum`` to ``recommended − 1`` → caution
    (the estimators refuse below ``minimum``).
    """
    when = "before" if side == "pre" else "after"
    status = "good" if n >= recommended else "caution"
    finding = (f"{n} {unit}s {when} the start." + ("" if status == "good" else
               f" That is enough to run, but fewer than the {recommended} recommended, so the "
               + ("underlying trend" if side == "pre" else "change in trend") + " is uncertain."))
    return Verdict(f"Enough {unit}s {when} the scheme started?", status, finding,
                   f"good at {recommended} or more; refused below {minimum}")


def autocorrelation_verdict(diagnostics: pd.DataFrame, *, cov: str) -> Verdict:
    """Is the residual autocorrelation handled?

    Rule: Ljung–Box p ≥ 0.05 → good (no evidence left in the residuals); p < 0.05 with
    Newey–West (HAC) standard errors → caution (present, but the intervals allow for
    it); p < 0.05 with model-based errors → concern.
    """
    d = diagnostics.set_index("test")
    p = float(d.loc["Ljung-Box", "p_value"])
    lags = int(d.loc["Ljung-Box", "lags"])
    hac = cov == "hac"
    if p >= AUTOCORRELATION_ALPHA:
        status = "good"
        finding = (f"No sign that the model's misses in neighbouring periods are linked (a test over {lags} "
                   f"periods, {p_text(p)})"
                   + ("; the intervals also allow for any link that remains." if hac else "."))
    else:
        status = "caution" if hac else "concern"
        finding = (f"The model's misses in neighbouring periods are linked ({p_text(p)}). "
                   + ("The intervals allow for this, but the model may be missing a pattern such as seasonality."
                      if hac else "The intervals do not allow for it, so they are too narrow."))
    return Verdict("Are the model's misses in neighbouring periods handled?", status, finding,
                   f"good when the test's p-value is at least {AUTOCORRELATION_ALPHA:g}; otherwise caution if the "
                   "intervals allow for linked misses, concern if not (tests named in the technical appendix)")


def seasonality_verdict(seasonality, *, unit: str) -> Verdict:
    """Is seasonality modelled?  Rule: monthly/quarterly/weekly data need seasonal terms."""
    seasonal_units = {"month", "quarter", "week"}
    if seasonality is not None:
        what = "month-of-year indicators" if seasonality == "month" else f"{seasonality} pair(s) of Fourier terms"
        return Verdict("Is seasonality allowed for?", "good", f"Yes: the model includes {what}.",
                       "monthly, quarterly or weekly series need seasonal terms")
    if unit in seasonal_units:
        return Verdict("Is seasonality allowed for?", "caution",
                       f"No seasonal terms, although the data are by {unit}: a winter peak could be mistaken "
                       "for an effect.", "monthly, quarterly or weekly series need seasonal terms")
    return Verdict("Is seasonality allowed for?", "good", "Not needed: the periods are not calendar months, "
                   "quarters or weeks.", "monthly, quarterly or weekly series need seasonal terms")


def controlled_verdict(single, controlled) -> Verdict:
    """Does a comparison series tell the same story?

    Rule: good when the controlled estimate's interval contains the single-series
    estimate *and* both point the same way; caution when they agree in direction
    only; concern when they point in opposite directions.
    """
    null = single.null_value
    same_dir = (single.estimate - null) * (controlled.estimate - null) > 0
    inside = controlled.ci_low <= single.estimate <= controlled.ci_high
    status = "good" if same_dir and inside else "caution" if same_dir else "concern"
    finding = (f"Allowing for the comparison series, the level change is {fmt_number(controlled.estimate)} "
               f"({fmt_ci(controlled.ci_low, controlled.ci_high, controlled.level)}), "
               f"against {fmt_number(single.estimate)} from this area's series alone"
               + (": the two agree." if status == "good" else
                  ": same direction, different size." if status == "caution" else
                  ": they point in opposite directions, so something other than the scheme may be at work."))
    return Verdict("Does a comparison area tell the same story?", status, finding,
                   "good when the controlled interval contains the single-series estimate and both point the same way")


# ------------------------------------------------------------------ synthetic control
def synth_fit_verdict(pre_rmspe: float, sd_pre: float) -> Verdict:
    """Is the pre-period fit good enough?

    Rule: r = pre-period RMSPE / SD of the treated unit's pre-period outcome.
    r ≤ 0.5 → good; 0.5 < r ≤ 1 → caution; r > 1 → concern (the synthetic control then
    misses by more than the series itself varies).
    """
    r = pre_rmspe / sd_pre if sd_pre and sd_pre > 0 else float("inf")
    status = "good" if r <= SYNTH_GOOD_FIT else "caution" if r <= SYNTH_POOR_FIT else "concern"
    finding = (f"Before the scheme, the synthetic control missed the real values by {fmt_number(pre_rmspe)} on "
               f"average (root mean squared error), {fmt_number(100 * r, digits=2)}% of how much the area's own "
               "values varied"
               + (": a close fit." if status == "good" else ": a loose fit, so read the effect with care." if
                  status == "caution" else ": a poor fit, so the comparison is not trustworthy."))
    return Verdict("Is the pre-period fit good enough?", status, finding,
                   f"good when the error is at most {SYNTH_GOOD_FIT * 100:g}% of the pre-period standard deviation; "
                   f"concern above {SYNTH_POOR_FIT * 100:g}%")


def placebo_verdict(p_value: float, n_units: int) -> Verdict:
    """Could the gap be chance?  Rule: placebo p ≤ 0.10 → good; otherwise caution."""
    if _nan(p_value) or n_units < 2:
        return Verdict("Could the gap be chance?", "caution", "No placebo test was run.",
                       "placebo p-value at most 0.1")
    rank = int(round(p_value * n_units))
    status = "good" if p_value <= PLACEBO_ALPHA else "caution"
    finding = (f"Treating each of the {n_units - 1} comparison areas in turn as if it had the scheme, "
               f"{rank} of {n_units} areas (this one included) show a post-scheme change at least as large, "
               f"relative to their pre-scheme fit (placebo {p_text(p_value)}; the smallest possible is "
               f"{fmt_number(1 / n_units)})"
               + (": unlikely to be chance." if status == "good" else ": a change this size could be chance."))
    return Verdict("Could the gap be chance?", status, finding, f"good when the placebo p-value is at most "
                   f"{PLACEBO_ALPHA:g}")


def leave_one_out_verdict(estimate: float, loo: pd.DataFrame | None) -> Verdict:
    """Does the answer rest on one comparison area?

    Rule: good when every leave-one-out estimate has the headline's sign and lies
    within ±50% of it; otherwise caution.
    """
    if loo is None or loo.empty:
        return Verdict("Does the answer rest on one comparison area?", "caution", "Not checked.",
                       "every leave-one-out estimate within 50% of the headline, same sign")
    lo, hi = float(loo["estimate"].min()), float(loo["estimate"].max())
    ok = all((e * estimate > 0) and abs(e - estimate) <= LOO_TOLERANCE * abs(estimate) for e in loo["estimate"])
    finding = (f"Dropping each of the {len(loo)} areas that carry weight in turn gives estimates from "
               f"{fmt_number(lo)} to {fmt_number(hi)}" + (": the answer does not hang on any one area." if ok else
                                                          ": the answer depends on which areas are used."))
    return Verdict("Does the answer rest on one comparison area?", "good" if ok else "caution", finding,
                   f"good when every leave-one-out estimate has the same sign and lies within "
                   f"{LOO_TOLERANCE * 100:g}% of the headline")


# ------------------------------------------------------------------ regression discontinuity
def manipulation_verdict(density: pd.DataFrame | None, *, running_label: str,
                         set_externally: bool = False) -> Verdict:
    """Is there evidence of manipulation of the running variable?

    Rule: density-test p ≥ 0.05 → good; p < 0.05 → caution when the running variable
    is set by someone other than the units (e.g. national IMD ranks), concern otherwise.
    """
    rule = (f"good when the density test's p-value is at least {MANIPULATION_ALPHA:g}; a lower p-value is a "
            "concern unless the score that decides who gets the scheme is set nationally")
    if density is None or density.empty:
        return Verdict("Is there evidence of manipulation?", "caution", "The density test could not be run.", rule)
    p = float(density["p_value"].iloc[0])
    nl, nr = int(density["n_left"].iloc[0]), int(density["n_right"].iloc[0])
    if p >= MANIPULATION_ALPHA:
        return Verdict("Is there evidence of manipulation?", "good",
                       f"No: the number of units just either side of the threshold is about what a smooth "
                       f"distribution gives ({nl:,} and {nr:,} near it; density test {p_text(p)}).", rule)
    text = (f"The density test finds more units on one side of the threshold than a smooth distribution gives "
            f"({nl:,} and {nr:,} near it; {p_text(p)}).")
    if set_externally:
        text += (f" {running_label[:1].upper() + running_label[1:]} is set nationally, so units cannot have moved "
                 "themselves across the threshold; with a 1 in 20 false-alarm rate this is most likely chance or "
                 "an artefact of how the areas were sampled.")
        return Verdict("Is there evidence of manipulation?", "caution", text, rule)
    text += " Units may have sorted themselves across the threshold, which would bias the estimate."
    return Verdict("Is there evidence of manipulation?", "concern", text, rule)


def bandwidth_verdict(estimate: float, sensitivity: pd.DataFrame | None) -> Verdict:
    """Does the answer depend on the bandwidth?

    Rule: good when every estimate from half to twice the chosen bandwidth has the
    headline's sign and every robust interval excludes zero or every one includes
    it (the conclusion does not change); otherwise caution.
    """
    if sensitivity is None or sensitivity.empty:
        return Verdict("Does the answer depend on how close to the threshold we look?", "caution", "Not checked.",
                       "same sign and same conclusion at every band width tried")
    s = sensitivity
    same_sign = bool(((s["estimate"] * estimate) > 0).all())
    excl = (s["robust_ci_low"] > 0) | (s["robust_ci_high"] < 0)
    same_conclusion = bool(excl.all() or (~excl).all())
    ok = same_sign and same_conclusion
    finding = (f"Using bands from {fmt_number(s['multiplier'].min())} to {fmt_number(s['multiplier'].max())} times "
               f"the chosen width, the estimate ranges from {fmt_number(s['estimate'].min())} to "
               f"{fmt_number(s['estimate'].max())}"
               + (": the conclusion does not change." if ok else ": the conclusion changes with the width."))
    return Verdict("Does the answer depend on how close to the threshold we look?", "good" if ok else "caution",
                   finding, "good when the estimate keeps its sign and its interval the same verdict at every "
                   "band width")


def effective_n_verdict(n_left: int, n_right: int, *, minimum: int = 30) -> Verdict:
    """Are there enough units near the threshold?  Rule: at least ``minimum`` each side within the bandwidth."""
    n = min(n_left, n_right)
    status = "good" if n >= minimum else "caution"
    return Verdict("Enough units near the threshold?", status,
                   f"{n_left:,} units below and {n_right:,} at or above the threshold fall inside the bandwidth.",
                   f"good with at least {minimum} on each side inside the bandwidth")


# ------------------------------------------------------------------ across groups
def heterogeneity_verdict(table: pd.DataFrame, *, by_label: str, term: str, ratio: bool = False) -> Verdict | None:
    """Did the effect differ across groups (e.g. deprivation quintiles)?

    Reads the ``<term>difference_across_groups`` and ``<term>gradient`` rows of a
    ``segmented_by``/``fit_by`` table.  Rule: Cochran's Q p < 0.05 → the effect
    differs ("caution": read the groups separately); otherwise "good" (no evidence
    it differs).  Returns None when fewer than two groups could be analysed.
    """
    q = table[table["term"] == f"{term}difference_across_groups"]
    g = table[table["term"] == f"{term}gradient"]
    if q.empty:
        return None
    qp = float(q["p_value"].iloc[0])
    differs = qp < 0.05
    text = (f"The effect differed between {by_label}s (test that it is the same in each: {p_text(qp)})."
            if differs else
            f"No evidence that the effect differed between {by_label}s (test that it is the same in each: "
            f"{p_text(qp)}).")
    if not g.empty:
        gr = g.iloc[0]
        null = 1.0 if ratio else 0.0
        step = (f"a ratio of {fmt_number(gr['estimate'])} per step" if ratio
                else f"{fmt_number(gr['estimate'])} per step")
        sig = gr["ci_low"] > null or gr["ci_high"] < null
        lv = gr.get("level", 0.95)
        lv = 0.95 if pd.isna(lv) else float(lv)
        text += (f" From one {by_label} to the next, the effect changes by {step} "
                 f"({fmt_ci(gr['ci_low'], gr['ci_high'], lv)})"
                 + (": a gradient." if sig else ": no clear gradient."))
    return Verdict(f"Did the effect differ by {by_label}?", "caution" if differs else "good", text,
                   "Cochran's Q test across groups; p below 0.05 means the effect differs")


def worst(verdicts: Sequence[Verdict]) -> str:
    """The worst status among ``verdicts`` (concern > caution > good)."""
    order = {"good": 0, "caution": 1, "concern": 2}
    return max((v.status for v in verdicts), key=order.get, default="good")
