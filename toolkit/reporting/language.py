"""Plain-English sentences about numbers, for boards.

Kept apart from computation: estimators return numbers; this module words them.
"""

from __future__ import annotations

import math

from toolkit.reporting.formatting import fmt_interval, fmt_number  # one formatting module for every page

__all__ = ["describe_effect", "fmt_number", "fmt_interval", "upper_first"]


def upper_first(text: str) -> str:
    """``text`` with its first letter in capitals and the rest exactly as written.

    Unlike ``str.capitalize`` (which makes "NHS health checks" "Nhs health checks")
    and ``str.title``, the user's own capitals are kept.
    """
    text = str(text)
    return text[:1].upper() + text[1:]


def describe_effect(
    estimate: float,
    ci_low: float,
    ci_high: float,
    *,
    level: float = 0.95,
    outcome: str = "the outcome",
    scale: str = "difference",
) -> str:
    """Describe an effect and its interval in one sentence.

    Parameters
    ----------
    estimate, ci_low, ci_high : float
        Point estimate and interval.
    level : float
        Confidence level of the interval.
    outcome : str
        What was measured.
    scale : {"difference", "ratio"}
        Whether no effect is 0 or 1.

    Returns
    -------
    str
        e.g. "The scheme is estimated to have increased blood pressure checks
        per 1,000 by 4.1 (95% confidence interval 2.3 to 5.9); the interval
        excludes no effect, so the data are consistent with a real increase."
    """
    if any(v is None or (isinstance(v, float) and math.isnan(v)) for v in (estimate, ci_low, ci_high)):
        return f"No estimate of the effect on {outcome} could be made from these data."
    pct = f"{level * 100:g}%"
    null = 1.0 if scale == "ratio" else 0.0
    if scale == "ratio":
        change = (estimate - 1) * 100
        direction = "higher" if change > 0 else "lower"
        head = (
            f"{outcome[:1].upper() + outcome[1:]} was an estimated {fmt_number(abs(change))}% {direction} "
            f"than expected without the scheme (rate ratio {fmt_number(estimate)}, "
            f"{pct} confidence interval {fmt_interval(ci_low, ci_high)})"
        )
    else:
        verb = "increased" if estimate > 0 else "reduced" if estimate < 0 else "left unchanged"
        head = (
            f"The scheme is estimated to have {verb} {outcome}"
            + (f" by {fmt_number(abs(estimate))}" if estimate != 0 else "")
            + f" ({pct} confidence interval {fmt_interval(ci_low, ci_high)})"
        )
    if ci_low > null:
        tail = "the whole interval is above no effect, so the data point to a real increase."
    elif ci_high < null:
        tail = "the whole interval is below no effect, so the data point to a real decrease."
    else:
        tail = "the interval includes no effect, so we cannot rule out that the scheme made no difference."
    return f"{head}; {tail}"
