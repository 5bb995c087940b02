"""The baseline stage's analysis object: :func:`build` it, :meth:`~BaselineAnalysis.record` it, show its sections."""

from __future__ import annotations

from typing import ClassVar

from toolkit.stages.base import StageAnalysis
from toolkit.stages.baseline import measure_sections, quality, sections
from toolkit.stages.baseline.fit import BaselineFit, fit
from toolkit.stages.baseline.record import record as _record

__all__ = ["BaselineAnalysis", "build", "SECTIONS"]


class BaselineAnalysis(StageAnalysis):
    """The baseline measured: Core20 and the rest, the deprivation gradient, other groups, the trend,
    data completeness and the deeper measures of the gap.

    ``fit`` (:class:`~toolkit.stages.baseline.fit.BaselineFit`) holds every number computed.
    """

    SECTIONS: ClassVar[tuple[str, ...]] = (
        "summary", "core20", "deprivation", "sii", "groups", "trend", "completeness",
        "standardised", "funnel", "sii_trend", "summary_measures", "le_gap", "statutory",
        "methods", "appendix",
    )
    #: The first section of the technical appendix: everything before it is for a board to read.
    APPENDIX_STARTS: ClassVar[str] = "methods"

    def __init__(self, fitted: BaselineFit):
        self.fit = fitted

    def record(self, results) -> None:
        """Write the baseline's named results (``core20_gap``, ``quintile_1`` ..., ``sii``, ``trend`` ...)."""
        _record(self.fit, results)

    def _section_summary(self):
        return sections.summary(self.fit)

    def _section_core20(self):
        return sections.core20(self.fit)

    def _section_deprivation(self):
        return sections.deprivation(self.fit)

    def _section_sii(self):
        return sections.sii(self.fit)

    def _section_groups(self):
        return sections.groups(self.fit)

    def _section_trend(self):
        return sections.trend(self.fit)

    def _section_completeness(self):
        return quality.completeness(self.fit)

    def _section_methods(self):
        return quality.methods(self.fit)

    def _section_appendix(self):
        return quality.appendix(self.fit)

    def _section_standardised(self):
        return measure_sections.standardised(self.fit)

    def _section_funnel(self):
        return measure_sections.funnel(self.fit)

    def _section_sii_trend(self):
        return measure_sections.sii_trend(self.fit)

    def _section_summary_measures(self):
        return measure_sections.summary_measures(self.fit)

    def _section_le_gap(self):
        return measure_sections.le_gap(self.fit)

    def _section_statutory(self):
        return measure_sections.statutory(self.fit)


SECTIONS = BaselineAnalysis.SECTIONS


def build(ctx, *, indicator: str = "the indicator", improvement: str = "increase", level: float = 0.95,
          sii_by: str = "quintile", sii_seed: int = 20250401, sii_repetitions: int = 100000, imd_lookup: str = "",
          period_use: str = "all", deaths_source: str = "") -> BaselineAnalysis:
    """Measure the baseline of the stage's data source.

    Parameters
    ----------
    ctx : toolkit.evaluations.context.StageContext
        The stage (from :func:`toolkit.evaluations.context.open_stage`).
    indicator : str
        What the numerator over the denominator measures, in words ("blood-pressure recording").
    improvement : {"increase", "decrease"}
        Which direction is better for the indicator (colours the SPC chart's special causes).
    level : float
        Confidence level of every interval (0.95 or 0.998).
    sii_by : {"quintile", "decile"}
        The IMD quantiles the SII and RII are fitted across.
    sii_seed, sii_repetitions : int
        Seed and number of simulations of the SII/RII interval (recorded with the result).
    imd_lookup : str
        Optional data source mapping area codes to IMD deciles, for data with an ``area`` role.
    period_use : {"all", "latest"}
        Add up every period, or use only the latest (a monthly snapshot).
    deaths_source : str
        Optional data source of deaths by IMD quintile, age band and cause, for the life-expectancy gap.

    Returns
    -------
    BaselineAnalysis

    Raises
    ------
    toolkit.errors.DataError
        When the stage's data (or the lookup or deaths source) cannot be used; the message names
        the file, column and rows.
    """
    return BaselineAnalysis(fit(ctx, indicator=indicator, improvement=improvement, level=level, sii_by=sii_by,
                                sii_seed=sii_seed, sii_repetitions=sii_repetitions, imd_lookup=imd_lookup,
                                period_use=period_use, deaths_source=deaths_source))
