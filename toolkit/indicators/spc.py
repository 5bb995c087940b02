"""Statistical process control: Making Data Count XmR charts and their rules."""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators._validate import (
    as_by,
    check_frame,
    group_codes,
    numeric_column,
    require_columns,
    sheet_rows,
)

__all__ = ["spc", "SPC_COLOURS", "improvement_before"]

#: Making Data Count colours (docs/methods.md). Several fail 3:1 contrast on white,
#: so charts must add a shape or label (see the ``variation`` column).
SPC_COLOURS = {
    "common cause": "#A6A6A6",
    "special cause improvement": "#00B0F0",
    "special cause concern": "#E46C0A",
    "special cause neutral": "#490092",
}
_RUN = 7


def _runs(flags: np.ndarray, length: int) -> np.ndarray:
    """Mark every element that belongs to a run of ``length`` or more True values."""
    out = np.zeros(flags.size, dtype=bool)
    start = None
    for i, f in enumerate(np.append(flags, False)):
        if f and start is None:
            start = i
        elif not f and start is not None:
            if i - start >= length:
                out[start:i] = True
            start = None
    return out


def _trend(x: np.ndarray, up: bool) -> np.ndarray:
    """Points in a run of ``_RUN`` or more consecutive strictly rising (falling) points."""
    step = np.diff(x) > 0 if up else np.diff(x) < 0
    # a run of k rising steps covers k + 1 points
    inc = _runs(step, _RUN - 1)
    out = np.zeros(x.size, dtype=bool)
    out[1:] |= inc
    out[:-1] |= inc
    return out


def _two_in_three(beyond: np.ndarray) -> np.ndarray:
    """Points beyond the two-thirds line that sit in a window of 3 with another such point."""
    out = np.zeros(beyond.size, dtype=bool)
    for i in range(beyond.size - 2):
        w = beyond[i:i + 3]
        if w.sum() >= 2:
            out[i:i + 3] |= w
    return out


def _classify(x: np.ndarray, improvement: str, target: float | None):
    n = x.size
    centre = float(x.mean())
    mr = float(np.abs(np.diff(x)).mean())
    upper, lower = centre + 2.66 * mr, centre - 2.66 * mr
    hi23, lo23 = centre + 2.66 * mr * 2 / 3, centre - 2.66 * mr * 2 / 3
    beyond_hi, beyond_lo = x > upper, x < lower
    shift_hi, shift_lo = _runs(x > centre, _RUN), _runs(x < centre, _RUN)
    trend_up, trend_down = _trend(x, True), _trend(x, False)
    two_hi, two_lo = _two_in_three(x > hi23), _two_in_three(x < lo23)
    high = beyond_hi | shift_hi | trend_up | two_hi
    low = beyond_lo | shift_lo | trend_down | two_lo
    special = high | low
    both = high & low  # e.g. a rising trend that starts below the mean: side of the mean decides
    high, low = (high & ~both) | (both & (x > centre)), (low & ~both) | (both & (x < centre))
    if improvement == "neutral":
        variation = np.where(special, "special cause neutral", "common cause")
    else:
        good, bad = (high, low) if improvement == "increase" else (low, high)
        variation = np.where(good & ~bad, "special cause improvement",
                             np.where(bad & ~good, "special cause concern",
                                      np.where(special, "special cause neutral", "common cause")))
    assurance = None
    if target is not None and improvement != "neutral":
        if improvement == "increase":
            assurance = "pass" if target < lower else ("fail" if target > upper else "inconsistent")
        else:
            assurance = "pass" if target > upper else ("fail" if target < lower else "inconsistent")
    return {
        "centre": np.full(n, centre),
        "lower_limit": np.full(n, lower),
        "upper_limit": np.full(n, upper),
        "beyond_limits": beyond_hi | beyond_lo,
        "shift": shift_hi | shift_lo,
        "trend": trend_up | trend_down,
        "two_in_three": two_hi | two_lo,
        "special_cause": special,
        "variation": variation,
        "colour": np.array([SPC_COLOURS[v] for v in variation], dtype=object),
        "assurance": np.array([assurance] * n, dtype=object),
    }


def spc(
    data: pd.DataFrame,
    value: str,
    time: str,
    *,
    improvement: str = "neutral",
    target: float | None = None,
    by: str | Sequence[str] | None = None,
    recalculate_at=None,
) -> pd.DataFrame:
    """XmR chart (Making Data Count): centre, limits, special causes, variation and assurance.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and time point.
    value, time : str
        Columns with the measure and its time (sorted within each group).
    improvement : {"increase", "decrease", "neutral"}
        Which direction is better; turns special causes into improvement or concern.
    target : float, optional
        A target to compare with the process limits (assurance).
    by : str or list of str, optional
        One chart per group.
    recalculate_at : scalar comparable with ``time``, optional
        Recalculate the limits from this time on (e.g. the scheme start), when
        the analyst has a documented reason to expect the process to change
        there.  Points before it and points at or after it get their own mean,
        limits and rules (no run or trend crosses the break), and a
        ``segment`` column ("before", "after") is added.  Never automatic: the
        default (None) keeps one set of limits for the whole series.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``time``, ``value``, ``centre``, ``lower_limit``, ``upper_limit``,
        the rule flags ``beyond_limits``, ``shift``, ``trend``, ``two_in_three``,
        ``special_cause``, ``variation`` ("common cause", "special cause
        improvement", "special cause concern", "special cause neutral"),
        ``colour`` and ``assurance`` ("pass", "fail", "inconsistent" or None);
        with ``recalculate_at`` also ``segment``.

    Notes
    -----
    centre x̄ = mean; moving range mRₜ = |xₜ − xₜ₋₁|; limits x̄ ± 2.66·mean(mR);
    the two-thirds lines are x̄ ± (2/3)·2.66·mean(mR) (NHS England, *Making Data
    Count*, 2019; docs/methods.md).  Special cause rules: a point beyond a limit; a
    run of 7 or more points on one side of the mean (points on the mean break a
    run); 7 or more consecutive points strictly rising or falling; 2 of 3
    consecutive points beyond the same two-thirds line (the points beyond it are
    flagged).  For ``increase`` a high-side signal is an improvement, for
    ``decrease`` a low-side one (a point with signals on both sides, such as
    the start of a rising trend below the mean, takes the side of the mean it
    is on); assurance for ``increase`` is "pass" when the
    target is below the lower limit, "fail" above the upper limit, otherwise
    "inconsistent" (mirrored for ``decrease``).  Fewer than 12 points give a
    ToolkitWarning (per segment when ``recalculate_at`` is given).
    """
    data = check_frame(data)
    by = as_by(by)
    if improvement not in ("increase", "decrease", "neutral"):
        raise DataError(f"improvement must be 'increase', 'decrease' or 'neutral', not {improvement!r}",
                        column="improvement", fix="choose the direction that is better")
    require_columns(data, [value, time, *by])
    x = numeric_column(data, value, what="value")
    codes, keys = group_codes(data, by)
    t = data[time]
    if t.isna().any():
        miss = t.isna().to_numpy()
        raise DataError("time is missing", column=time, rows=sheet_rows(miss), count=int(miss.sum()),
                        fix="fill in the time of every point")
    dup = pd.DataFrame({"g": codes, "t": t.to_numpy()}).duplicated(keep=False).to_numpy()
    if dup.any():
        raise DataError("a time appears more than once in a chart", column=time, rows=sheet_rows(dup),
                        count=int(dup.sum()), fix="aggregate to one value per time (or add by=)")
    order = np.lexsort((np.argsort(np.argsort(t.to_numpy(), kind="stable")), codes))
    pieces = []
    short = 0
    for g in range(len(keys)):
        ix = order[codes[order] == g]
        if ix.size < 2:
            raise DataError("an SPC chart needs at least 2 points", column=value, rows=sheet_rows(ix),
                            count=int(ix.size), fix="give more time points")
        part = data.iloc[ix][[*by, time]].reset_index(drop=True)
        part[value] = x[ix]
        if recalculate_at is None:
            short += ix.size < 12
            for k, v in _classify(x[ix], improvement, target).items():
                part[k] = v
        else:
            after = (part[time] >= recalculate_at).to_numpy()
            part["segment"] = np.where(after, "after", "before")
            segs = []
            for mask in (~after, after):
                if not mask.any():
                    continue
                if mask.sum() < 2:
                    raise DataError("a segment of an SPC chart needs at least 2 points", column=time,
                                    rows=sheet_rows(ix[mask]), count=int(mask.sum()),
                                    fix="move recalculate_at or leave it out")
                short += mask.sum() < 12
                segs.append(pd.DataFrame(_classify(x[ix][mask], improvement, target), index=np.flatnonzero(mask)))
            part = part.join(pd.concat(segs).sort_index())
        pieces.append(part)
    if short:
        warnings.warn(ToolkitWarning(f"{short} chart(s) have fewer than 12 points; limits are unreliable",
                                     code="spc.short_series"), stacklevel=2)
    return pd.concat(pieces, ignore_index=True)


def _and(items: list[str]) -> str:
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " and " + items[-1]


def improvement_before(chart: pd.DataFrame, time: str, start, *, window: int = _RUN) -> str | None:
    """Words saying that improvement began before ``start``, or None.

    Parameters
    ----------
    chart : pandas.DataFrame
        Output of :func:`spc` for one series (``improvement`` not neutral).
    time : str
        Its time column.
    start : scalar comparable with ``time``
        The scheme start.
    window : int
        How many of the last points before ``start`` are looked at (default 7,
        the run length of the rules).

    Notes
    -----
    Improvement "began before the scheme" when a special cause improvement
    (by any rule) is flagged on any of the last ``window`` points before the
    start, i.e. a run, trend, two-in-three or point beyond a limit in the
    better direction that ends at or just before the start.  Use a chart
    whose pre-start limits come from the pre-start points (``recalculate_at``)
    or from the whole series; both are reported as they are flagged.
    """
    pre = chart[chart[time] < start]
    if not len(pre):
        return None
    tail = pre.iloc[-window:]
    good = tail["variation"] == "special cause improvement"
    if not good.any():
        return None
    rules = [name for col, name in (("trend", "a trend"), ("shift", "a run on the better side of the mean"),
                                     ("beyond_limits", "a point beyond a limit"),
                                     ("two_in_three", "two of three points near a limit")) if tail.loc[good, col].any()]
    first = tail.loc[good, time].iloc[0]
    when = f"{first:%B %Y}" if hasattr(first, "strftime") else str(first)
    return (f"Improvement began before the scheme: the chart shows special cause improvement from {when}, before the "
            f"scheme started ({_and(rules)}). Some or all of the later change may not be due to the scheme.")
