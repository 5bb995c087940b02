"""Evaluation designs: estimators only.

Every design follows one contract: validate its inputs (raising
:class:`toolkit.errors.DataError` for data problems or
:class:`toolkit.errors.DesignError` for design problems, naming the column and the
fix), estimate, and return a read-only :class:`DesignResult` carrying ``estimate``,
``se`` (on the scale ``se_scale`` names), ``ci_low``/``ci_high`` (``interval``),
``p_value``, ``n_obs``, ``method``, ``summary()`` and ``tidy()`` (with a ``df``
column: t degrees of freedom, NaN where the interval is normal).

Shared names: single-start designs take ``treatment_start``; staggered designs take
the ``first_treated`` column and call the adoption cohort ``cohort`` in their tidy
tables; ``<fn>_by(data, ..., by=column)`` returns a tidy DataFrame whose ``group``
column holds the subgroup.  This package imports nothing from the presentation
layer: a result's sentence is :func:`toolkit.reporting.interpret.interpret`, its
charts are in :mod:`toolkit.reporting.plots` (see ``docs/architecture.md``).
"""

from toolkit.designs.result import DesignResult

__all__ = ["DesignResult"]
