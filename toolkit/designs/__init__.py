"""Evaluation designs.

Every design follows one contract: validate its inputs (raising
:class:`toolkit.errors.DesignError` or :class:`toolkit.errors.DataError` with the
column and the fix), estimate, and return a read-only :class:`DesignResult`
carrying ``estimate``, ``se``, ``ci_low``, ``ci_high``, ``p_value``, ``n_obs``,
``method``, ``summary()``, ``tidy()`` (its plain-English sentence is :func:`toolkit.reporting.interpret.interpret`).
"""

from toolkit.designs.result import DesignResult

__all__ = ["DesignResult"]
