"""Allowed values of stage parameters, checked by ``hitk validate`` before anything runs.

The catalogue (:mod:`toolkit.evaluations.catalogue`) checks a parameter's *type*
from the template's parameters cell; this module checks its *value*: ranges and
choices.  Wherever the stage code keeps its own list of choices or its own
parser, the rule is built from that very object (read-only), so validate and run
cannot disagree:

=================  =====================================================================
did.comparison     :data:`toolkit.stages.did.choose.COMPARISONS`
its.family         ``toolkit.designs.its.FAMILIES`` (what :func:`~toolkit.designs.its.segmented` accepts)
its.seasonality    :func:`toolkit.stages.its.inputs.parse_seasonality` (called on the value)
baseline.sii_by    ``toolkit.baseline.analysis.LEAST_DEPRIVED`` (the quantiles ``by_imd`` accepts)
baseline.period_use :data:`toolkit.baseline.periods.PERIOD_USES`
=================  =====================================================================

The rest are ranges the designs enforce inline (``0 < level < 1`` in every
design; at least one lead and no negative lag in the event study; placebo shifts
of at least one period; at least 1,000 SII simulations; ``below``/``above`` in
the RD stage), written down once here as :data:`LEVEL` and friends.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterable

from toolkit.errors import Problem, ToolkitError

__all__ = ["Rule", "rules_for", "check_values", "LEVEL"]


@dataclass(frozen=True)
class Rule:
    """One parameter's allowed values: ``check(value)`` returns what is wrong, or None."""

    check: Callable[[Any], str | None]
    fix: str


def _number(v: Any) -> bool:
    return isinstance(v, (int, float)) and not isinstance(v, bool)


def _level(v: Any) -> str | None:
    if not _number(v):
        return None  # the type check reports it
    if not 0 < v < 1:
        return f"a confidence level is a proportion between 0 and 1, got {v!r}"
    return None


LEVEL = Rule(_level, "write the level as a proportion, e.g. 0.95 or 0.998 (not 95)")


def choice(options: Iterable[str], *, what: str = "value") -> Rule:
    allowed = tuple(options)

    def check(v: Any) -> str | None:
        if isinstance(v, str) and v not in allowed:
            return f"{what} {v!r} is not one of the choices"
        return None

    return Rule(check, "use one of: " + ", ".join(f'"{a}"' for a in allowed))


def whole_at_least(low: int, *, each: bool = False, what: str = "value") -> Rule:
    def one(v: Any) -> str | None:
        if not _number(v) or int(v) != v or v < low:
            return f"{what} must be a whole number of at least {low}, got {v!r}"
        return None

    def check(v: Any) -> str | None:
        if each:
            if not isinstance(v, list):
                return None
            return next((m for m in (one(x) for x in v) if m), None)
        return one(v) if _number(v) else None

    return Rule(check, f"use whole numbers of {low} or more")


def within(low: int, high: int, *, each: bool = False, what: str = "value", nonempty: bool = False) -> Rule:
    def one(v: Any) -> str | None:
        if not _number(v) or int(v) != v or not low <= v <= high:
            return f"{what} must be whole numbers from {low} to {high}, got {v!r}"
        return None

    def check(v: Any) -> str | None:
        if each and isinstance(v, list):
            if nonempty and not v:
                return f"{what} must name at least one"
            return next((m for m in (one(x) for x in v) if m), None)
        return one(v) if _number(v) else None

    return Rule(check, f"use whole numbers from {low} to {high}")


def positive() -> Rule:
    return Rule(lambda v: f"must be above 0, got {v!r}" if _number(v) and v <= 0 else None, "use a number above 0")


def parsed_by(parser: Callable[[Any], Any], fix: str) -> Rule:
    """A rule that calls the stage's own parser on the value."""

    def check(v: Any) -> str | None:
        try:
            parser(v)
        except ToolkitError as exc:
            return exc.message or str(exc)
        return None

    return Rule(check, fix)


TREATED_SIDES = ("below", "above")


def _did() -> dict[str, Rule]:
    from toolkit.stages.did.choose import COMPARISONS

    return {
        "level": LEVEL,
        "comparison": choice(COMPARISONS, what="comparison"),
        "leads": whole_at_least(1, what="leads"),
        "lags": whole_at_least(0, what="lags"),
        "placebo_shifts": whole_at_least(1, each=True, what="each placebo shift"),
        "most_deprived": within(1, 5, each=True, what="most deprived quintiles", nonempty=True),
        "outcome_per": Rule(lambda v: f"outcome_per must be above 0, got {v!r}" if _number(v) and v <= 0 else None,
                            "use 1 (a proportion), 100 (per cent) or 1000 (per 1,000)"),
    }


def _its() -> dict[str, Rule]:
    from toolkit.designs.its import FAMILIES
    from toolkit.stages.its.inputs import parse_seasonality

    return {
        "level": LEVEL,
        "family": choice(FAMILIES, what="family"),
        "seasonality": parsed_by(parse_seasonality, 'use "month", "none" or a number of sine/cosine pairs such as "2"'),
        "horizons": whole_at_least(0, each=True, what="each horizon"),
        "per": positive(),
    }


def _rd() -> dict[str, Rule]:
    return {"level": LEVEL, "treated_side": choice(TREATED_SIDES, what="treated_side"),
            "bins": whole_at_least(1, what="bins")}


def _baseline() -> dict[str, Rule]:
    from toolkit.baseline.analysis import LEAST_DEPRIVED
    from toolkit.baseline.periods import PERIOD_USES

    return {
        "level": LEVEL,
        "improvement": choice(("increase", "decrease", "neutral"), what="improvement"),
        "sii_by": choice(tuple(LEAST_DEPRIVED), what="sii_by"),
        "sii_repetitions": whole_at_least(1000, what="sii_repetitions"),
        "period_use": choice(PERIOD_USES, what="period_use"),
    }


_BUILDERS: dict[str, Callable[[], dict[str, Rule]]] = {"did": _did, "its": _its, "rd": _rd, "baseline": _baseline}


def rules_for(template: str) -> dict[str, Rule]:
    """The value rules of a template's parameters (empty for templates without any)."""
    builder = _BUILDERS.get(template)
    return builder() if builder else {}


def check_values(template: str, values: dict[str, Any], *, where: str) -> list[Problem]:
    """Problems with parameter values (ranges, choices), each at its YAML path with the fix."""
    rules = rules_for(template)
    problems = []
    for name, value in values.items():
        rule = rules.get(name)
        if rule is None or value is None:
            continue
        message = rule.check(value)
        if message:
            problems.append(Problem(message, where=f"{where}.{name}", fix=rule.fix))
    return problems
