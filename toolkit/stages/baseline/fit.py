"""Build the baseline: aggregate the stage's data and compute every measure the report shows.

Computation only: each number comes from :mod:`toolkit.baseline` (aggregation, breakdowns,
completeness, deeper measures) and :mod:`toolkit.indicators`; :class:`BaselineFit` keeps them
for :mod:`toolkit.stages.baseline.record` and the section modules, which word and draw them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from toolkit import baseline as bl
from toolkit import cautions
from toolkit.baseline import measures as ms
from toolkit.baseline.statutory import statutory_breakdowns

__all__ = ["BaselineFit", "fit"]


@dataclass
class BaselineFit:
    """Everything the baseline computed, with the stage's context and its reporting options.

    Attributes are the stage's intermediate results: ``agg`` (:class:`toolkit.baseline.Aggregated`),
    ``scope`` (:class:`toolkit.baseline.PeriodScope`), ``cells`` (the cells the breakdowns use),
    ``total`` and ``benchmark`` (the ICB value), ``deciles``/``quintiles``/``groups`` (breakdowns),
    ``core20``, ``q_gap``, ``indices`` (SII/RII), ``series`` (the SPC trend, None when not shown),
    ``completeness``, ``bounds``, ``not_stated`` and the deeper measures (``std``, ``ages``,
    ``funnel``, ``gap_series``, ``summary``, ``statutory``, ``le``).  ``raised`` holds the
    cautions the main calculations raised (shown under "Methods and data").
    """

    ctx: Any
    indicator: str
    improvement: str
    level: float
    sii_by: str
    lookup: pd.DataFrame | None
    deprivation: Any
    agg: Any
    scope: Any
    total: pd.Series
    deciles: pd.DataFrame
    quintiles: pd.DataFrame
    core20: dict
    q_gap: dict
    indices: dict
    completeness: pd.DataFrame
    bounds: dict
    groups: dict
    series: pd.DataFrame | None
    trend_caution: str | None
    raised: list
    not_stated: pd.DataFrame | None = None
    std: dict | None = None
    ages: pd.DataFrame | None = None
    funnel_in: tuple | None = None
    funnel: pd.DataFrame | None = None
    gap_series: pd.DataFrame | None = None
    summary: dict = field(default_factory=dict)
    statutory: dict = field(default_factory=dict)
    deaths: pd.DataFrame | None = None
    le: Any = None

    @property
    def cells(self) -> pd.DataFrame:
        """The cells of the breakdowns (every period, or only the latest for a snapshot)."""
        return self.scope.cells

    @property
    def benchmark(self) -> float:
        """The ICB's value, against which every group is compared."""
        return float(self.total["value"])


def fit(ctx, *, indicator: str, improvement: str, level: float, sii_by: str, sii_seed: int,
        sii_repetitions: int, imd_lookup: str, period_use: str, deaths_source: str) -> BaselineFit:
    """Aggregate the stage's source and compute the baseline's measures.

    Parameters are those of :func:`toolkit.stages.baseline.build`.  The cautions raised while
    the main measures are computed are collected (``raised``); the deeper measures raise theirs
    as ordinary warnings, as they always have.
    """
    with cautions.collect() as raised:  # every caution these calculations raise is shown under "Methods and data"
        lookup = bl.read_lookup(ctx, imd_lookup) if imd_lookup else None
        deprivation, agg = bl.aggregate_source(ctx, lookup=lookup)  # records: IMD join and cells in DuckDB
        scope = bl.period_scope(agg, period_use)  # a snapshot is not added up across months as if new people
        cells = scope.cells
        total = bl.overall(cells, level=level)
        benchmark = float(total["value"])
        deciles = bl.by_imd(cells, quantile="decile", level=level, benchmark=benchmark)
        quintiles = bl.by_imd(cells, quantile="quintile", level=level, benchmark=benchmark)
        core20 = bl.core20_summary(cells, level=level)
        q_gap = bl.quintile_gap(cells, level=level)
        indices = bl.inequality_indices(bl.by_imd(cells, quantile=sii_by, level=level), level=level, seed=sii_seed,
                                        repetitions=sii_repetitions, columns=agg.columns)
        completeness = bl.completeness_by_period(agg.cells, latest_only=scope.use == "latest")
        bounds = bl.core20_gap_bounds(cells)
        groups = {d: bl.by_dimension(cells, d, level=level, benchmark=benchmark) for d in agg.dimensions}
        series = (bl.trend(agg.cells, level=level, improvement=improvement, columns=agg.columns)
                  if agg.has_period else None)
    trend_caution = series.attrs.get("caution") if series is not None else None
    out = BaselineFit(
        ctx=ctx, indicator=indicator, improvement=improvement, level=level, sii_by=sii_by, lookup=lookup,
        deprivation=deprivation, agg=agg, scope=scope, total=total, deciles=deciles, quintiles=quintiles,
        core20=core20, q_gap=q_gap, indices=indices, completeness=completeness, bounds=bounds, groups=groups,
        series=None if trend_caution else series, trend_caution=trend_caution, raised=raised,
    )
    if "ethnicity" in agg.dimensions:
        out.not_stated = bl.not_stated_by_quintile(cells)
    _deeper(out, ctx, sii_seed=sii_seed, sii_repetitions=sii_repetitions, deaths_source=deaths_source)
    return out


def _deeper(out: BaselineFit, ctx, *, sii_seed: int, sii_repetitions: int, deaths_source: str) -> None:
    """The deeper measures of the gap (Fingertips / Segment Tool) and the statutory breakdowns."""
    cells, level, agg = out.cells, out.level, out.agg
    out.std = ms.standardised_comparison(cells, level=level) if "age_band" in agg.dimensions else None
    out.ages = ms.age_scope(cells, ctx.charter)
    out.funnel_in = ms.funnel_units(ctx)
    if out.funnel_in is not None and len(out.funnel_in[0]) >= 3:
        out.funnel = ms.unit_funnel(out.funnel_in[0], unit="unit")
    out.gap_series = (ms.gap_trend(cells, level=level, seed=sii_seed, repetitions=sii_repetitions)
                      if agg.has_period else None)
    out.summary = ms.summary_measures(cells, level=level)
    out.statutory = statutory_breakdowns(cells, charter=ctx.charter, indicator=out.indicator, level=level)
    out.deaths = ms.read_deaths(ctx, deaths_source) if deaths_source else None
    out.le = ms.le_gap(out.deaths) if out.deaths is not None else None
