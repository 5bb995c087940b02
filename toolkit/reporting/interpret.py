"""One plain-English sentence about a fitted design's headline result, for boards.

Estimators in :mod:`toolkit.designs` return numbers only; their wording lives
here.  :func:`interpret` dispatches on the result's class (``functools.singledispatch``),
so a new design adds its sentence with ``@interpret.register``.
"""

from __future__ import annotations

import math
from functools import singledispatch

import numpy as np

from toolkit.designs.did.results import EquityResult
from toolkit.designs.rd_density import DensityResult
from toolkit.designs.result import DesignResult
from toolkit.designs.synth import SynthResult
from toolkit.reporting.formatting import fmt_interval, fmt_number
from toolkit.reporting.language import describe_effect

__all__ = ["interpret"]


@singledispatch
def interpret(result) -> str:
    """One sentence a board member can read about ``result``'s headline estimate."""
    raise TypeError(f"no plain-English sentence for {type(result).__name__}")


@interpret.register
def _(result: DesignResult) -> str:
    return describe_effect(result.estimate, result.ci_low, result.ci_high, level=result.level,
                           outcome=result.outcome, scale=result.scale)


@interpret.register
def _(result: DensityResult) -> str:
    if result.p_value < 1 - result.level:
        return (f"The number of units changes abruptly at the threshold (manipulation test p = "
                f"{result.p_value:.2g}): some may have moved themselves across it, which would bias the comparison.")
    return f"No sign that units sorted themselves across the threshold (manipulation test p = {result.p_value:.2g})."


@interpret.register
def _(result: SynthResult) -> str:
    if math.isnan(result.estimate):
        return f"No estimate of the effect on {result.outcome} could be made from these data."
    verb = "higher" if result.estimate > 0 else "lower"
    n = len(result.placebos) if result.placebos is not None else 0
    text = (f"After the scheme started, {result.outcome} was on average {fmt_number(abs(result.estimate))} {verb} "
            f"than in the synthetic comparison built from similar areas")
    if n > 1 and not math.isnan(result.p_value):
        text += (f"; {int(round(result.p_value * n))} of {n} areas (including this one) showed a change at least "
                 f"this large relative to their pre-scheme fit (placebo p = {fmt_number(result.p_value)}), so "
                 + ("the change is unlikely to be chance." if result.p_value <= 0.1
                    else "a change this size could be chance."))
    else:
        text += "."
    return text


@interpret.register
def _(result: EquityResult) -> str:
    pct = f"{result.level * 100:g}%"
    md = result.extra.get("most_deprived_label", "the most deprived quintile")
    diff = (
        f"The effect on {result.outcome} in {md} was {fmt_number(abs(result.estimate))} "
        f"{'larger' if result.estimate > 0 else 'smaller'} than in the other quintiles "
        f"({pct} confidence interval {fmt_interval(result.ci_low, result.ci_high)})"
        if np.isfinite(result.estimate)
        else f"No estimate of the effect on the gap in {result.outcome} could be made"
    )
    verdict = result.gap_narrowed
    if verdict is None:
        tail = "we cannot tell from these data whether the gap narrowed."
    elif verdict:
        tail = "the gap between the most deprived and the rest narrowed."
    else:
        tail = "the gap between the most deprived and the rest widened."
    return f"{diff}; {tail}"
