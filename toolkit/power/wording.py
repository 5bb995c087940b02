"""Plain-English sentences about a :class:`toolkit.power.PowerResult`, for charters and board papers."""

from __future__ import annotations

import math

from toolkit.power.result import PowerResult
from toolkit.reporting.language import fmt_number

__all__ = ["describe_power"]


def _an(word: str) -> str:
    """The indefinite article for ``word`` ("an 80%", "an effect", "a 90%")."""
    return "an" if word[:1] in "aeiou8" or word.startswith(("11", "18")) else "a"


def _design_text(r: PowerResult, units: str) -> str:
    n = r.n
    if r.design == "did":
        return (f"With {n['treated']} {units} in the scheme and {n['control']} for comparison, "
                f"{n['pre_periods']} periods before and {n['post_periods']} after")
    if r.design == "staggered":
        return (f"With {n['treated']} {units} joining the scheme in {len(n['cohorts'])} wave(s) and "
                f"{n['control']} for comparison, over {n['periods']} periods")
    if r.design == "gap":
        return (f"With {n['treated_focus']} + {n['treated_rest']} {units} in the scheme (most deprived + rest) and "
                f"{n['control_focus']} + {n['control_rest']} for comparison")
    if r.design == "its":
        return f"With {n['pre_periods']} periods before the scheme and {n['post_periods']} after"
    return "As planned"


def describe_power(result: PowerResult, *, outcome: str = "the outcome", units: str = "areas") -> str:
    """One sentence: the smallest effect the design would probably detect, and what that means.

    Parameters
    ----------
    result : PowerResult
    outcome : str
        The outcome in words (with its units).
    units : str
        What the units of assignment are called (e.g. "practices", "PCNs").
    """
    if math.isnan(result.mde):
        return "The smallest detectable effect could not be worked out from these data."
    level = f"{result.level:.0%}"
    chance = f"{result.power:.0%}"
    if result.design == "pretrend":
        return (f"The check for diverging trends before the scheme would catch a difference in trend of "
                f"{fmt_number(result.mde)} per period with {_an(chance)} {chance} chance; smaller differences could pass "
                "unnoticed and still bias the estimate.")
    what = "change in the gap" if result.design == "gap" else (
        "change in slope per period" if result.parameters.get("effect") == "slope" else "effect")
    return (f"{_design_text(result, units)}, the evaluation has {_an(chance)} {chance} chance of detecting "
            f"{_an(what)} {what} of "
            f"{fmt_number(result.mde)} or more on {outcome} (two-sided test at the {level} confidence level); "
            "a smaller effect could be real but missed.")
