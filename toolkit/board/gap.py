"""The one rule for "did the gap narrow?", shared by every stage report and the summary.

The *gap* is the target group minus the rest (e.g. Core20 minus other
neighbourhoods).  The *effect on the gap* is how much the scheme changed that
difference (a triple difference, or a change in a measured gap).  Whether the
gap narrowed is a question about its size, so it needs the sign of the gap
before the scheme; whether that change is good news for the target group needs
the charter's direction of improvement.  Both are stated in the verdict.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from toolkit.board.numbers import fmt

__all__ = ["GapVerdict", "gap_change", "GAP_RULE", "NOT_MEASURABLE", "TOO_EARLY"]

GAP_RULE = (
    "The gap is the target group minus the rest. It narrowed when the whole confidence interval of the effect on "
    "the gap lies on the side of zero that moves the gap towards zero (opposite in sign to the gap before the "
    "scheme); widened when the whole interval lies on the other side; no clear change when the interval includes "
    "zero. Whether the change favours the target group follows the charter's direction of improvement. When the "
    "gap before the scheme is not known, the target group is taken to start worse off, as the charter states. "
    "Without a design stage that estimates the effect on the gap, a gap goal measured from data gives the same "
    "verdict on its change since before the scheme (a before-after change, labelled as not causal). Too early to "
    "tell only when there are no data since the scheme started; not measurable when neither a stage nor a "
    "measured gap goal can tell."
)
NOT_MEASURABLE = "not measurable with this design or data"
TOO_EARLY = "too early to tell"


@dataclass(frozen=True)
class GapVerdict:
    """The verdict on the gap.

    Attributes
    ----------
    verdict : str
        "narrowed", "widened", "no clear change", "too early to tell" or
        "not measurable with this design or data".
    favourable : bool or None
        Whether the change moved the target group in the direction the charter
        calls improvement, relative to the rest (None when unclear).
    explanation : str
        The reason in words (no trailing full stop).
    """

    verdict: str
    favourable: bool | None
    explanation: str

    @property
    def narrowed(self) -> bool | None:
        """True for "narrowed", False for "widened", None otherwise."""
        return {"narrowed": True, "widened": False}.get(self.verdict)


def _finite(x) -> bool:
    try:
        return x is not None and math.isfinite(float(x))
    except (TypeError, ValueError):
        return False


def gap_change(baseline_gap: float | None, ci_low: float | None, ci_high: float | None, *,
               higher_is_better: bool | None, level: float = 0.95) -> GapVerdict:
    """Whether the gap narrowed, by :data:`GAP_RULE`.

    Parameters
    ----------
    baseline_gap : float or None
        Target group minus the rest before the scheme (None or NaN when unknown).
    ci_low, ci_high : float
        Confidence interval of the effect on the gap (target minus rest).
    higher_is_better : bool or None
        The charter's direction of improvement (None: unknown; then the verdict
        needs a known baseline gap).
    level : float
        Confidence level of the interval, for the wording.

    Returns
    -------
    GapVerdict

    Notes
    -----
    With g₀ the gap before the scheme and [l, u] the interval of the effect on
    the gap: narrowed when l > 0 and g₀ < 0, or u < 0 and g₀ > 0 (the change is
    opposite in sign to g₀, so |g| shrinks); widened when the interval lies
    wholly on g₀'s side; no clear change when l ≤ 0 ≤ u.  The change favours
    the target group when it has the sign of the direction of improvement.
    With g₀ unknown (or exactly 0), g₀ is taken as unfavourable to the target
    group (negative when higher is better), the charter's premise.
    """
    pct = f"{level * 100:g}%"
    if not (_finite(ci_low) and _finite(ci_high)):
        return GapVerdict(TOO_EARLY, None, "the effect on the gap has no confidence interval yet")
    lo, hi = float(ci_low), float(ci_high)
    interval = f"the {pct} interval of the effect on the gap ({fmt(lo)} to {fmt(hi)})"
    if lo <= 0 <= hi:
        return GapVerdict("no clear change", None, f"{interval} includes zero")
    change_sign = 1 if lo > 0 else -1
    assumed = ""
    if _finite(baseline_gap) and float(baseline_gap) != 0:
        gap_sign = 1 if float(baseline_gap) > 0 else -1
    elif higher_is_better is None:
        return GapVerdict("no clear change", None,
                          f"{interval} excludes zero, but neither the gap before the scheme nor the direction of "
                          "improvement is known, so whether it narrowed cannot be said")
    else:
        gap_sign = -1 if higher_is_better else 1
        assumed = " (the gap before the scheme is not known; the target group is taken to start worse off)"
    narrowed = change_sign != gap_sign
    favourable = None if higher_is_better is None else (change_sign == (1 if higher_is_better else -1))
    starts = "below" if gap_sign < 0 else "above"
    side = "towards zero" if narrowed else "away from zero"
    text = f"{interval} lies wholly {side}; the target group started {starts} the rest{assumed}"
    if favourable is not None:
        better_off = (gap_sign > 0) == bool(higher_is_better)  # starts above and higher is better, or v.v.
        if narrowed and better_off is False:
            text += ", so the change favours the target group"
        elif narrowed:
            text += ", so the target group lost part of its advantage"
        elif better_off is False:
            text += ", so the target group fell further behind"
        else:
            text += ", so the target group, already better off, moved further ahead"
    return GapVerdict("narrowed" if narrowed else "widened", favourable, text)
