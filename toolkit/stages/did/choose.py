"""Which estimator fits the timing of adoption.

When units start at different times, a plain two-way fixed-effects (TWFE)
estimate compares later adopters with earlier adopters that are already
treated, and with effects that differ between cohorts or grow over time its
weights can even be negative (Goodman-Bacon 2021; de Chaisemartin &
D'Haultfœuille 2020).  The headline is then Callaway & Sant'Anna's (2021)
estimate, and TWFE appears only beside it, labelled as potentially biased.
With a single start time TWFE is the ordinary difference-in-differences and
is the headline.

References
----------
Callaway B, Sant'Anna PHC (2021). Difference-in-differences with multiple time
periods. Journal of Econometrics 225(2):200-230.
Goodman-Bacon A (2021). Difference-in-differences with variation in treatment
timing. Journal of Econometrics 225(2):254-277.
de Chaisemartin C, D'Haultfœuille X (2020). Two-way fixed effects estimators
with heterogeneous treatment effects. American Economic Review 110(9):2964-2996.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolkit.stages.did.treatment import DidData
from toolkit.errors import ConfigError, Problem

__all__ = ["DesignChoice", "choose_design", "COMPARISONS"]

COMPARISONS = {"never": "units never treated", "not_yet": "units not yet treated at the time"}


@dataclass(frozen=True)
class DesignChoice:
    """The estimators to run and show.

    Attributes
    ----------
    staggered : bool
        Units start at more than one time.
    headline : {"callaway_santanna", "twfe"}
        The estimator behind the headline effect.
    control : {"never", "not_yet"}
        Comparison group for Callaway & Sant'Anna.
    show_twfe_comparison : bool
        TWFE is shown beside the headline as a comparison (never alone).
    reasons : tuple of str
        Why, in plain English.
    """

    staggered: bool
    headline: str
    control: str
    show_twfe_comparison: bool
    reasons: tuple[str, ...]

    @property
    def headline_name(self) -> str:
        return ("Callaway & Sant'Anna staggered difference-in-differences" if self.headline == "callaway_santanna"
                else "difference-in-differences (two-way fixed effects)")


def choose_design(dd: DidData, *, comparison: str = "not_yet") -> DesignChoice:
    """Decide between staggered (Callaway & Sant'Anna) and single-adoption estimation.

    Parameters
    ----------
    dd : DidData
        The validated panel.
    comparison : {"not_yet", "never"}
        Preferred comparison group for the staggered estimator.  Without
        never-treated units "not_yet" is used whatever is asked (and a reason says so).

    Returns
    -------
    DesignChoice
    """
    if comparison not in COMPARISONS:
        raise ConfigError("The comparison group is not recognised.", [Problem(
            f"comparison is {comparison!r}", where="stages.<stage>.parameters.comparison",
            fix='use "not_yet" (units not yet treated) or "never" (never-treated units only)')])
    cohorts = dd.cohorts
    reasons = []
    control = comparison
    if len(cohorts) > 1:
        reasons.append(
            f"Units started at {len(cohorts)} different times ({', '.join(dd.scale.label(g) for g in cohorts)}), "
            "so adoption is staggered: the headline uses Callaway and Sant'Anna's method, which only compares "
            "units that started with units that had not (yet) started.")
        reasons.append(
            "A plain two-way fixed-effects estimate is shown only as a comparison: with staggered adoption it can "
            "be biased, because it also compares late starters with units already treated.")
        if not dd.has_never_treated and control == "never":
            control = "not_yet"
            reasons.append("No unit is never treated, so the comparison is with units not yet treated.")
        reasons.append(f"Comparison group: {COMPARISONS[control]}.")
        return DesignChoice(True, "callaway_santanna", control, True, tuple(reasons))
    reasons.append(
        f"Every treated unit started at the same time ({dd.scale.label(cohorts[0])}), so the ordinary "
        "difference-in-differences (two-way fixed effects) is the right estimate.")
    return DesignChoice(False, "twfe", "never", False, tuple(reasons))
