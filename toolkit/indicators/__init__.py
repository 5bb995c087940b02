"""Public-health indicators with Fingertips / PHEindicatormethods conventions.

Every function takes a DataFrame and column names, ``by=`` (grouping columns,
one output row per group) and ``confidence=`` (0.95, or the pair
``(0.95, 0.998)``).  Outputs carry ``value`` with ``lower_ci``/``upper_ci`` (one
level) or ``lower_ci_95``, ``upper_ci_95``, ``lower_ci_99_8``, ``upper_ci_99_8``
(the pair), and a ``note`` saying why a value is withheld.  Formulas: docs/methods.md.

>>> from toolkit import indicators as ind
>>> ind.crude_rate(df, "deaths", "pop", by=["quintile"], confidence=(0.95, 0.998))  # doctest: +SKIP
"""

from toolkit.indicators.attributable import attributable_fraction
from toolkit.indicators.concentration import concentration_index
from toolkit.indicators.funnel import funnel, funnel_limits, overdispersion_factor
from toolkit.indicators.gaps import core20_gap, quantile_gap
from toolkit.indicators.le_decomposition import LEGapDecomposition, le_gap_decomposition
from toolkit.indicators.life_expectancy import LE_BANDS, le_bands, life_expectancy
from toolkit.indicators.quantiles import deprivation_quantile
from toolkit.indicators.rates import crude_rate, proportion
from toolkit.indicators.sii import sii
from toolkit.indicators.sii_trend import sii_trend
from toolkit.indicators.spc import SPC_COLOURS, spc
from toolkit.indicators.standardised import ESP2013, dsr, isr, normalise_age_band

__all__ = [
    "proportion",
    "crude_rate",
    "dsr",
    "isr",
    "life_expectancy",
    "le_gap_decomposition",
    "LEGapDecomposition",
    "deprivation_quantile",
    "sii",
    "sii_trend",
    "concentration_index",
    "attributable_fraction",
    "funnel",
    "funnel_limits",
    "overdispersion_factor",
    "spc",
    "quantile_gap",
    "core20_gap",
    "normalise_age_band",
    "ESP2013",
    "LE_BANDS",
    "le_bands",
    "SPC_COLOURS",
]
