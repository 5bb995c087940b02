"""Which periods the baseline's breakdowns add up: every period, or only the latest (a snapshot).

Two kinds of extract look alike.  In an **event or cohort extract** each row is a new
event, or a person counted once, so adding every period's rows together is right.  In a
monthly **snapshot** (the registered list as it stood each month) everyone appears in
every month: adding the months counts each person once per month, as if they were new
people.  The stage parameter ``period_use`` says which it is; :func:`period_scope`
applies it and says in words which it used.  The trend always shows every period.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from toolkit.errors import ConfigError, Problem

__all__ = ["PERIOD_USES", "PeriodScope", "period_scope"]

#: Choices of the ``period_use`` parameter.
PERIOD_USES = ("all", "latest")


@dataclass(frozen=True)
class PeriodScope:
    """The cells the breakdowns use and what was chosen.

    Attributes
    ----------
    cells : pandas.DataFrame
        Analysis cells for the breakdowns, the Core20 gap, SII/RII and the
        completeness bounds.
    use : {"all", "latest"}
        What was used.
    periods : tuple of str
        The periods in ``cells`` (empty when no period is mapped).
    sentence : str
        One plain-English sentence saying which periods were added up and why.
    """

    cells: pd.DataFrame
    use: str
    periods: tuple[str, ...]
    sentence: str


def period_scope(agg, use: str = "all") -> PeriodScope:
    """Keep every period (``"all"``) or only the latest one (``"latest"``, for snapshot extracts).

    Parameters
    ----------
    agg : toolkit.baseline.Aggregated
        The aggregated source (its ``cells``, ``has_period`` and the analyst's ``columns``).
    use : {"all", "latest"}
        ``"all"`` adds up every period's rows (each row a new event or person);
        ``"latest"`` keeps the latest period only (a snapshot where everyone appears
        in every period).

    Returns
    -------
    PeriodScope

    Raises
    ------
    ConfigError
        An unknown ``use``, or ``"latest"`` with no period column mapped.

    Notes
    -----
    The latest period is the last in the order the trend uses (periods sorted as
    written: ``2024-01`` < ``2024-02``; quarters ``2024Q1`` < ``2024Q2``).
    """
    if use not in PERIOD_USES:
        raise ConfigError("A stage parameter is not valid.", [Problem(
            f"'{use}' is not a choice", where="parameters.period_use",
            fix="use 'all' (each row a new event or person) or 'latest' (a monthly snapshot where everyone "
                "appears every month)")])
    cells = agg.cells
    column = (agg.columns or {}).get("period")
    named = f"'{column}'" if column else "the period column"
    if not agg.has_period:
        if use == "latest":
            raise ConfigError("A stage parameter is not valid.", [Problem(
                "period_use: latest needs a period column, and the data source maps none",
                where="parameters.period_use", fix="map `period:` to the column holding the month, or use 'all'")])
        return PeriodScope(cells, "all", (), "The data have no period column, so every row is counted once.")
    periods = tuple(sorted(str(p) for p in cells["period"].dropna().unique()))
    if use == "all":
        if len(periods) <= 1:
            text = f"The data hold one period ({periods[0] if periods else 'none'} in {named})."
        else:
            text = (f"The breakdowns add up all {len(periods)} periods in {named} ({periods[0]} to {periods[-1]}), "
                    "which is right when each row is a new event or a person counted once. If the extract is a "
                    "snapshot in which everyone appears every period, set period_use: latest so that nobody is "
                    "counted once per period.")
        return PeriodScope(cells, "all", periods, text)
    latest = periods[-1]
    keep = cells[cells["period"].astype(str) == latest].reset_index(drop=True)
    earlier = len(periods) - 1
    text = (f"The extract is treated as a snapshot (period_use: latest): the breakdowns use only the latest period, "
            f"{latest} in {named}, so that nobody is counted once per period"
            + (f"; the {earlier} earlier period{'s' if earlier != 1 else ''} appear only in the trend." if earlier
               else "."))
    return PeriodScope(keep, "latest", (latest,), text)
