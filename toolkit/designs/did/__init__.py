"""Difference-in-differences designs.

Public API (every function validates its input and returns a read-only result
with ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n_obs``,
``method``, ``summary()``, ``tidy()``; sentences in :mod:`toolkit.reporting.interpret`, charts in
:mod:`toolkit.reporting.plots.did`):

- :func:`two_by_two` — treated/control × pre/post means and the DiD.
- :func:`twfe` — two-way fixed effects, CRV1 SEs (fixest convention).
- :func:`event_study` — leads and lags, joint pre-trend test, ``plot()``.
- :func:`staggered` — Callaway & Sant'Anna ATT(g,t) (covariates: doubly robust, IPW or
  regression; anticipation; varying or universal base period) and ``aggregate()``;
  :class:`CallawaySantAnna` is its model (validate, then ``fit()``).
- :func:`equity` — effect by deprivation quintile and on the gap (triple difference).
- :func:`sun_abraham` — Sun & Abraham interaction-weighted event study.
- :func:`imputation` — Borusyak, Jaravel & Spiess imputation estimator.
- :func:`honest` — Rambachan & Roth sensitivity to non-parallel trends (smoothness).

``twfe``, ``event_study`` and ``equity`` take ``inference="wild"`` (wild cluster
bootstrap-t, :mod:`toolkit.designs.did.wild`) for few clusters;
:mod:`toolkit.designs.did.multiplicity` adjusts subgroup and secondary-outcome p-values.
"""

from toolkit.designs.did.equity import equity
from toolkit.designs.did.honest import HonestResult, honest
from toolkit.designs.did.imputation import imputation
from toolkit.designs.did.event_study import event_study
from toolkit.designs.did.results import (
    AggregateResult,
    EquityResult,
    EventStudyResult,
    StaggeredResult,
    TwfeResult,
    TwoByTwoResult,
)
from toolkit.designs.did.staggered import CallawaySantAnna, staggered
from toolkit.designs.did.sun_abraham import sun_abraham
from toolkit.designs.did.two_by_two import two_by_two
from toolkit.designs.did.twfe import twfe

__all__ = [
    "two_by_two",
    "twfe",
    "event_study",
    "staggered",
    "CallawaySantAnna",
    "equity",
    "sun_abraham",
    "imputation",
    "honest",
    "HonestResult",
    "TwoByTwoResult",
    "TwfeResult",
    "EventStudyResult",
    "StaggeredResult",
    "AggregateResult",
    "EquityResult",
]
