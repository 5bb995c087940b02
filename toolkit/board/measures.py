"""A measured goal's series: its value per period, from the data, with intervals.

A charter goal with a ``measure`` names a data source, the roles to count and
the population (everyone, Core20, quintiles/deciles or a PLUS group, or the
target population minus everyone else for a gap).  This module sums the
source's records to period × group cells in DuckDB (:func:`toolkit.data.aggregate.aggregate`)
and turns them into one value per period, a pooled baseline over the charter's
pre-scheme window and the latest value, each with its interval.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from toolkit.data.aggregate import aggregate
from toolkit.data.sources import resolve_source
from toolkit.errors import ConfigError, DataError, Problem
from toolkit.evaluations.schema import Charter, Evaluation, Measure
from toolkit.indicators.confidence import poisson_limits, wilson, z_of

__all__ = ["Value", "MeasuredSeries", "measure_series", "parse_periods", "value_of", "difference"]

_QUARTER = re.compile(r"^\s*(\d{4})\s*[-/ ]?\s*Q([1-4])\s*$", re.IGNORECASE)


@dataclass(frozen=True)
class Value:
    """A value with its interval (on the goal's scale, e.g. per cent)."""

    value: float
    ci_low: float
    ci_high: float
    n: float

    @property
    def finite(self) -> bool:
        return bool(np.isfinite(self.value))


@dataclass(frozen=True)
class MeasuredSeries:
    """``series``: period (pandas Period), end (date), value, ci_low, ci_high, n; plus baseline and latest."""

    series: pd.DataFrame
    baseline: Value | None
    baseline_window: tuple[dt.date, dt.date] | None
    latest: Value | None
    latest_end: dt.date | None
    latest_label: str | None
    level: float
    excluded: int = 0  # records left out: a blank period, or no deprivation for a deprivation population
    excluded_reason: str = ""


def parse_periods(values: pd.Series, *, column: str, file: str) -> pd.Series:
    """Dates, ``YYYY-MM``, ``YYYY-MM-DD`` or ``YYYY-Qn`` → timestamps (error naming the bad values)."""
    text = values.astype(str).str.strip()
    quarter = text.str.extract(_QUARTER)
    out = pd.to_datetime(text.where(quarter[0].isna()), errors="coerce", format="mixed")
    has_q = quarter[0].notna()
    if has_q.any():
        out[has_q] = pd.to_datetime(quarter.loc[has_q, 0] + "-" + ((quarter.loc[has_q, 1].astype(int) - 1) * 3 + 1)
                                    .astype(str).str.zfill(2) + "-01")
    bad = out.isna() & values.notna()
    if bad.any():
        examples = ", ".join(sorted(set(text[bad]))[:3])
        raise DataError(f"Cannot read the period of {int(bad.sum())} row group(s) as dates.",
                        [Problem(f"values such as {examples} are not dates", file=file, column=column,
                                 count=int(bad.sum()), fix="use YYYY-MM, YYYY-MM-DD or YYYY-Qn")])
    return out


def value_of(kind: str, num: float, den: float, *, multiplier: float, level: float,
             sumsq: float | None = None) -> Value:
    """One value and interval from pooled sums.

    Notes
    -----
    proportion: Wilson score interval (METHODS.md), × multiplier; rate: exact
    Poisson limits below 10 events, Byar's from 10 (METHODS.md), divided by the
    denominator, × multiplier; count: the same limits on the count; mean:
    x̄ ± z·s/√n with s from the pooled sum of squares (normal approximation).
    ``num`` is the sum of the value for a mean, ``den`` the number of records.
    """
    if den is None or not den > 0:
        return Value(float("nan"), float("nan"), float("nan"), 0.0)
    if kind == "proportion":
        lo, hi = wilson(num, den, level)
        return Value(num / den * multiplier, float(lo) * multiplier, float(hi) * multiplier, den)
    if kind == "rate":
        lo, hi = poisson_limits(num, level)
        return Value(num / den * multiplier, float(lo) / den * multiplier, float(hi) / den * multiplier, den)
    if kind == "count":
        lo, hi = poisson_limits(num, level)
        return Value(float(num), float(lo), float(hi), den)
    mean = num / den
    var = max(((sumsq or 0.0) - den * mean * mean) / (den - 1), 0.0) if den > 1 else float("nan")
    half = z_of(level) * np.sqrt(var / den)
    return Value(mean, mean - half, mean + half, den)


def difference(a: Value, b: Value) -> Value:
    """a − b with the MOVER interval built from each value's own limits.

    Notes
    -----
    L = d − √((a − lₐ)² + (u_b − b)²), U = d + √((uₐ − a)² + (b − l_b)²)
    (Newcombe 1998, method 10, for proportions with Wilson limits; Zou and
    Donner 2008 for the general "method of variance estimates recovery").
    """
    d = a.value - b.value
    lo = d - np.sqrt((a.value - a.ci_low) ** 2 + (b.ci_high - b.value) ** 2)
    hi = d + np.sqrt((a.ci_high - a.value) ** 2 + (b.value - b.ci_low) ** 2)
    return Value(float(d), float(lo), float(hi), min(a.n, b.n))


def _group_roles(measure: Measure, columns: dict[str, str], imd_vintage: int | None, where: str):
    """The role to group by for the population, and whether IMD must be joined."""
    pop = measure.population
    if pop.everyone:
        return None, None
    if pop.role:
        return pop.role, None
    if "decile" in columns:
        return "decile", None
    if (pop.core20 or pop.quintiles) and "quintile" in columns:
        return "quintile", None
    if "lsoa" in columns and imd_vintage is not None:
        return "imd_decile", imd_vintage
    raise DataError("A goal's population needs deprivation, which this source does not give.", [Problem(
        f"population {pop.text()} needs a decile or quintile role, or an lsoa role and imd_vintage",
        where=where, fix="map `lsoa:` (with imd_vintage set), `decile:` or `quintile:` on the source")])


def _in_target(measure: Measure, group: pd.Series, role: str | None) -> np.ndarray:
    pop = measure.population
    if role is None:
        return np.ones(len(group), dtype=bool)
    if pop.role:
        return group.astype(str).str.strip().isin([str(v).strip() for v in pop.values]).to_numpy()
    g = pd.to_numeric(group, errors="coerce")
    if role == "quintile":
        wanted = pop.quintiles or [1]
        return g.isin(wanted).to_numpy()
    wanted = pop.deciles or ([1, 2] if pop.core20 else sorted({d for q in pop.quintiles for d in (2 * q - 1, 2 * q)}))
    return g.isin(wanted).to_numpy()


def _pool(frame: pd.DataFrame, measure: Measure, level: float) -> Value:
    sums = frame[["num", "den", "sumsq"]].sum()
    value = value_of(measure.kind, float(sums["num"]), float(sums["den"]), multiplier=measure.multiplier,
                     level=level, sumsq=float(sums["sumsq"]))
    k = frame["period"].nunique() if "period" in frame else 1
    if measure.kind == "count" and k > 1:  # a count pooled over k periods is given per period
        return Value(value.value / k, value.ci_low / k, value.ci_high / k, value.n)
    return value


def _value(frame: pd.DataFrame, measure: Measure, level: float) -> Value:
    target = _pool(frame[frame["target"]], measure, level)
    if not measure.gap:
        return target
    return difference(target, _pool(frame[~frame["target"]], measure, level))


def _engine(found):
    """The kept-open engine of a table source (None for files: aggregate reads them in DuckDB)."""
    from toolkit.data.engine import TableSource
    from toolkit.data.tables import engine_for

    return engine_for(found) if isinstance(found, TableSource) else None


def measure_series(evaluation: Evaluation, folder: Path, measure: Measure, charter: Charter, *,
                   where: str = "charter.goals", level: float = 0.95) -> MeasuredSeries:
    """Compute a measured goal's series, baseline and latest value from its data source.

    Parameters
    ----------
    evaluation : Evaluation
        The whole configuration (data sources and ``imd_vintage``).
    folder : Path
        The evaluation folder (source paths are relative to it).
    measure : Measure
    charter : Charter
        For the scheme start and the baseline window.

    Returns
    -------
    MeasuredSeries

    Notes
    -----
    Records are summed to (period × group) cells in one DuckDB query, then to
    the goal's ``per`` (month, quarter, year).  Periods starting before
    ``charter.period.start`` (or inside ``charter.baseline_period``) are pooled
    into the baseline; the latest value pools the last ``window`` periods.
    Records with a blank period are excluded by the aggregation and counted
    there; no other row is dropped.
    """
    source = evaluation.data.sources.get(measure.source)
    if source is None:
        raise ConfigError(f"No data source called '{measure.source}'.", [Problem(
            f"no data source called '{measure.source}'", where=f"{where}.source",
            fix=f"sources defined under data.sources: {', '.join(evaluation.data.sources) or 'none'}")])
    files = resolve_source(measure.source, source, folder)
    group_role, vintage = _group_roles(measure, source.columns, evaluation.imd_vintage, where)
    by = [measure.period] + ([group_role] if group_role else [])
    if measure.kind == "mean":
        by.append(measure.value)
    sums = [r for r in (measure.numerator, measure.denominator) if r and measure.kind != "mean"]
    agg = aggregate(files, roles=source.columns, by=by, sums=sums, imd_vintage=vintage, lsoa="lsoa",
                    allow_vintage_mismatch=source.allow_vintage_mismatch, engine=_engine(files))
    cells = agg.cells
    blank = cells[measure.period].isna().to_numpy()
    excluded, reasons = int(cells.loc[blank, "rows"].sum()), ["a blank period"] if blank.any() else []
    cells = cells[~blank].reset_index(drop=True)
    if group_role is not None and not measure.population.role:
        unmatched = cells[group_role].isna().to_numpy()
        if unmatched.any():  # no decile: neither in the target group nor in the rest
            excluded += int(cells.loc[unmatched, "rows"].sum())
            reasons.append("no IMD decile or quintile")
            cells = cells[~unmatched].reset_index(drop=True)
    frame = pd.DataFrame({"when": parse_periods(cells[measure.period], column=source.columns[measure.period],
                                                file=source.label)})
    if measure.kind == "mean":
        v = pd.to_numeric(cells[measure.value], errors="coerce")
        ok = v.notna().to_numpy()
        cells, v, frame = cells[ok], v[ok], frame[ok]
        frame["num"], frame["den"], frame["sumsq"] = (v * cells["rows"]).to_numpy(), cells["rows"].to_numpy(), \
            (v * v * cells["rows"]).to_numpy()
    else:
        frame["num"] = cells[measure.numerator].to_numpy(dtype=float)
        frame["den"] = (cells[measure.denominator] if measure.denominator else cells["rows"]).to_numpy(dtype=float)
        frame["sumsq"] = 0.0
    frame["target"] = _in_target(measure, cells[group_role] if group_role else pd.Series(index=cells.index,
                                                                                         dtype=object), group_role)
    freq = {"month": "M", "quarter": "Q", "year": "Y"}[measure.per]
    frame["period"] = frame["when"].dt.to_period(freq)
    rows = []
    for period, part in frame.groupby("period", sort=True):
        val = _value(part, measure, level)
        rows.append({"period": period, "start": period.start_time.date(), "end": period.end_time.date(),
                     "value": val.value, "ci_low": val.ci_low, "ci_high": val.ci_high, "n": val.n})
    series = pd.DataFrame(rows, columns=["period", "start", "end", "value", "ci_low", "ci_high", "n"])
    start = charter.period.start
    window = (charter.baseline_period.start, charter.baseline_period.end) if charter.baseline_period else None
    if window:
        pre = frame[(frame["when"].dt.date >= window[0]) & (frame["when"].dt.date <= window[1])]
    else:
        pre = frame[frame["when"].dt.date < start]
        if len(pre):
            window = (pre["when"].min().date(), min(pre["period"].max().end_time.date(), start - dt.timedelta(days=1)))
    baseline = _value(pre, measure, level) if len(pre) else None
    post_periods = series.loc[series["start"] >= start, "period"] if len(series) else pd.Series(dtype=object)
    post_periods = post_periods[series.loc[post_periods.index, "value"].notna()] if len(post_periods) else post_periods
    latest = latest_end = label = None
    if len(post_periods):
        last = list(post_periods)[-measure.window:]
        latest = _value(frame[frame["period"].isin(last)], measure, level)
        latest_end = last[-1].end_time.date()
        label = (f"{last[-1].start_time:%B %Y}" if measure.per == "month" and len(last) == 1
                 else f"{last[0].start_time:%B %Y} to {last[-1].end_time:%B %Y}")
    return MeasuredSeries(series, baseline if baseline is not None and baseline.finite else None, window,
                          latest if latest is not None and latest.finite else None, latest_end, label, level,
                          excluded, " or ".join(reasons))
