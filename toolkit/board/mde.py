"""Can this evaluation tell at all? The minimum detectable effect from a result's standard error.

The design-based power calculation at charter time (units, periods, intra-cluster correlation) is
``toolkit.power``; this is the after-the-fact check used when a verdict is inconclusive.
"""

from __future__ import annotations

from toolkit.power.result import mde_from_se

__all__ = ["minimum_detectable_effect", "mde_sentence"]


def minimum_detectable_effect(se: float, *, level: float = 0.95, power: float = 0.8,
                              df: float | None = None) -> float:
    """Smallest true change a two-sided test at ``level`` detects with ``power``, from a standard error.

    Notes
    -----
    MDE = (z₁₋α/₂ + z_power) × SE (Bloom 1995, "Minimum detectable effects", Evaluation Review 19:547-556);
    2.80 × SE at 95% and 80% power.  Computed by :func:`toolkit.power.result.mde_from_se` as the root of
    the two-sided power (the far tail adds < 10⁻⁵ SE), with a noncentral t when ``df`` is given.
    A design-based power calculation (``toolkit.power``) can replace this where the planned units,
    periods and intra-cluster correlation are known.
    """
    return mde_from_se(float(se), level=level, power=power, df=df)


def mde_sentence(se, *, level: float = 0.95, what: str = "effect") -> str:
    """"With this much data, only an effect of about X or more would be detected with 80% power" (or "")."""
    from toolkit.board.numbers import fmt

    try:
        se = float(se)
    except (TypeError, ValueError):
        return ""
    if not se > 0:
        return ""
    return (f"With these data only a true {what} of about {fmt(minimum_detectable_effect(se, level=level))} or more "
            "would be detected with 80% power (2.8 standard errors)")
