"""Statistical disclosure control for displayed counts.

Applied to what a report *shows* (tables, chart labels), never to computations.
Default rule: counts from 1 to 7 are shown as ``*``; zero is shown (it discloses
nothing about an individual).  Optional rounding to a base (e.g. 5) is applied
to the counts that are not suppressed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Iterable

import pandas as pd

__all__ = ["DisclosureRule", "DEFAULT_RULE", "mask_count", "apply_disclosure"]


@dataclass(frozen=True)
class DisclosureRule:
    suppress_from: int = 1
    suppress_to: int = 7
    symbol: str = "*"
    round_to: int | None = None

    @classmethod
    def from_config(cls, cfg: Any) -> "DisclosureRule":
        if cfg is None:
            return cls()
        return cls(cfg.suppress_from, cfg.suppress_to, cfg.symbol, cfg.round_to)

    def describe(self) -> str:
        text = (f"Statistical disclosure control: counts from {self.suppress_from} to {self.suppress_to} "
                f"are shown as '{self.symbol}'")
        if self.round_to:
            text += f" and other counts are rounded to the nearest {self.round_to}"
        return text + ". Calculations use the unsuppressed figures."


DEFAULT_RULE = DisclosureRule()


def mask_count(value: Any, rule: DisclosureRule = DEFAULT_RULE) -> str:
    """The displayed text for one count."""
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NA:
        return "–"
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    if rule.suppress_from <= number <= rule.suppress_to:
        return rule.symbol
    if rule.round_to:
        number = rule.round_to * round(number / rule.round_to)
    return f"{int(round(number)):,}"


def apply_disclosure(df: pd.DataFrame, count_columns: Iterable[str], rule: DisclosureRule = DEFAULT_RULE) -> pd.DataFrame:
    """A display copy of ``df`` with the count columns masked as text."""
    out = df.copy()
    for col in count_columns:
        if col in out.columns:
            out[col] = [mask_count(v, rule) for v in out[col]]
    return out
