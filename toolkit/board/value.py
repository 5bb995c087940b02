"""Is it worth the money? Cost per additional outcome, per point of gap closed, net benefit and ROI.

Intervals are carried from the effect's uncertainty by a seeded simulation: the
effect is drawn from a normal distribution with its estimate and standard error
and each ratio is computed per draw; the interval is the draws' percentiles.
A ratio whose denominator's interval includes zero is unbounded and is said in
words, never printed as a number.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from toolkit.board.numbers import fmt
from toolkit.board.status import GoalStatus
from toolkit.evaluations.schema import Charter

__all__ = ["ValueForMoney", "VfmLine", "value_for_money", "total_cost", "VFM_RULE"]

VFM_RULE = (
    "Cost per additional outcome = total cost ÷ (effect × people exposed × time exposed ÷ the number of people "
    "the effect is expressed per, e.g. 1,000); cost per point of gap closed (a percentage point when the outcome "
    "is a percentage) = total cost ÷ the effect on the gap in the narrowing direction; net "
    "benefit = value per outcome × additional outcomes − cost; return on investment = net benefit ÷ cost. Intervals: "
    "percentiles of 10,000 seeded draws of the effect from a normal distribution with its standard error. When the "
    "effect's interval includes zero a cost per outcome is unbounded and is not given as a number."
)
_PERIODS_PER_YEAR = {"month": 12, "quarter": 4, "year": 1}
_DRAWS = 10_000


@dataclass(frozen=True)
class VfmLine:
    what: str
    estimate: float | None
    ci_low: float | None
    ci_high: float | None
    text: str


@dataclass(frozen=True)
class ValueForMoney:
    currency: str
    cost: float
    cost_text: str
    lines: list[VfmLine] = field(default_factory=list)
    headline: str = ""


def total_cost(charter: Charter) -> float:
    """The scheme's total cost: ``total``, ``per_period`` × periods in the charter period, or the categories' sum."""
    c = charter.costs
    if c.total is not None:
        return float(c.total)
    if c.per_period is not None:
        years = (charter.period.end - charter.period.start).days / 365.25
        return float(c.per_period.amount * round(years * _PERIODS_PER_YEAR[c.per_period.every]))
    return float(sum(c.by_category.values()))


def _money(cur: str, x: float) -> str:
    return f"-{cur}{abs(x):,.0f}" if x < 0 else f"{cur}{x:,.0f}"


def _draws(est: float, se: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(est, se, _DRAWS)


def _ratio_line(what: str, cost: float, est: float, lo: float, hi: float, se: float | None, scale: float,
                cur: str, seed: int, unit: str) -> VfmLine:
    if lo <= 0 <= hi or est <= 0:
        return VfmLine(what, None, None, None,
                       f"{what}: not defined — the interval of the number of {unit} ({fmt(lo * scale)} to "
                       f"{fmt(hi * scale)}) includes none (or fewer), so the cost of each could be any amount; it is "
                       "not given as a number")
    point = cost / (est * scale)
    if not se:
        return VfmLine(what, point, None, None, f"{what}: {_money(cur, point)} (no standard error, so no interval)")
    d = _draws(est, se, seed) * scale
    if (d <= 0).mean() > 0.025:
        return VfmLine(what, point, None, None, f"{what}: about {_money(cur, point)}, but the upper limit is unbounded "
                       "(more than 2.5% of simulated effects are zero or harmful)")
    r = np.percentile(cost / d, [2.5, 97.5])
    return VfmLine(what, point, float(r[0]), float(r[1]),
                   f"{what}: {_money(cur, point)} (95% interval {_money(cur, r[0])} to {_money(cur, r[1])})")


def value_for_money(charter: Charter, statuses: list[GoalStatus], gap_estimate: dict | None = None,
                    gap_sign: int | None = None) -> ValueForMoney | None:
    """Value for money from the charter's costs and the run's effects (:data:`VFM_RULE`).

    ``gap_sign`` is the sign of the gap before the scheme (−1 when the target
    group starts below the rest); the gap closes when the effect has the other sign.
    """
    c = charter.costs
    if c is None:
        return None
    cost, cur = total_cost(charter), c.currency
    parts = ", ".join(f"{k} {_money(cur, v)}" for k, v in c.by_category.items())
    cost_text = f"Total cost {_money(cur, cost)}" + (f" ({parts})" if parts else "")
    by_id = {s.goal.id: s for s in statuses}
    lines: list[VfmLine] = []
    for o in c.outcomes:
        s = by_id.get(o.goal)
        if s is None or s.observed is None or s.ci_low is None or s.ci_high is None:
            lines.append(VfmLine(f"Cost per {o.label}", None, None, None,
                                 f"Cost per {o.label}: not available — goal '{o.goal}' has no estimate with an interval yet"))
            continue
        sign = 1 if s.goal.direction == "increase" else -1
        observed, low, high, label = s.observed, s.ci_low, s.ci_high, o.label
        if s.kind != "impact":
            if s.baseline is None or s.baseline_low is None:
                lines.append(VfmLine(f"Cost per {o.label}", None, None, None, f"Cost per {o.label}: not available — "
                                     f"goal '{o.goal}' has no baseline from data to measure a change against"))
                continue
            from toolkit.board.measures import Value, difference

            d = difference(Value(s.observed, s.ci_low, s.ci_high, 0), Value(s.baseline, s.baseline_low,
                                                                          s.baseline_high, 0))
            observed, low, high = d.value, d.ci_low, d.ci_high
            label = f"{o.label} (before-after change, not a causal estimate)"
        est, lo, hi = sign * observed, *sorted((sign * low, sign * high))
        se = (hi - lo) / 3.919927969080108 if s.kind != "impact" or s.se is None else s.se
        scale = o.exposed * o.periods / o.per
        line = _ratio_line(f"Cost per {label}", cost, est, lo, hi, se, scale, cur, c.seed, "additional outcomes")
        lines.append(line)
        if o.unit_value is not None:
            d = _draws(est, se or 0.0, c.seed) * scale
            net = o.unit_value * d - cost
            n_lo, n_hi = np.percentile(net, [2.5, 97.5])
            point_net = o.unit_value * est * scale - cost
            src = f" (value per {o.label} {_money(cur, o.unit_value)}, source: {o.unit_value_source or 'not stated'})"
            lines.append(VfmLine("Net benefit", point_net, float(n_lo), float(n_hi),
                                 f"Net benefit: {_money(cur, point_net)} (95% interval {_money(cur, n_lo)} to "
                                 f"{_money(cur, n_hi)}){src}"))
            roi = net / cost
            r_lo, r_hi = np.percentile(roi, [2.5, 97.5])
            lines.append(VfmLine("Return on investment", point_net / cost, float(r_lo), float(r_hi),
                                 f"Return on investment: {point_net / cost:.2f} per {cur}1 spent (95% interval "
                                 f"{r_lo:.2f} to {r_hi:.2f})"))
    if gap_estimate is not None:
        lo_g, hi_g = gap_estimate.get("ci_low"), gap_estimate.get("ci_high")
        est_g, se_g = gap_estimate.get("estimate"), gap_estimate.get("se")
        if None not in (lo_g, hi_g, est_g):
            closing = -(gap_sign or -1)  # the sign of a change that moves the gap towards zero
            e, (l, h) = closing * est_g, sorted((closing * lo_g, closing * hi_g))
            unit = gap_estimate.get("unit") or "the outcome's units"
            lines.append(_ratio_line(f"Cost per point of gap closed ({unit}; a percentage point for a percentage)",
                                     cost, e, l, h, se_g, 1.0, cur, c.seed + 1, "points of gap closed"))
    defined = [ln for ln in lines if ln.estimate is not None and ln.what.startswith("Cost per")]
    headline = defined[0].text if defined else (lines[0].text if lines else cost_text)
    return ValueForMoney(cur, cost, cost_text, lines, headline)
