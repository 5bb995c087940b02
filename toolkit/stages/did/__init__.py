"""The difference-in-differences stage (template ``did``): ``build`` → ``record`` → sections.

- :mod:`~toolkit.stages.did.stage` — :func:`build` and :class:`DidAnalysis` (records the results);
- :mod:`~toolkit.stages.did.sections` — the report's sections as blocks;
- :mod:`~toolkit.stages.did.periods` — time columns to consecutive period numbers;
- :mod:`~toolkit.stages.did.treatment` — three ways of giving treatment, one validated answer;
- :mod:`~toolkit.stages.did.inputs` — a rate from numerator and denominator, effects by group;
- :mod:`~toolkit.stages.did.structure` — units, periods, who is treated when;
- :mod:`~toolkit.stages.did.choose` — staggered or single adoption, and which estimators to show;
- :mod:`~toolkit.stages.did.estimate` — runs the estimators of :mod:`toolkit.designs.did`;
- :mod:`~toolkit.stages.did.placebo` — fake start dates on pre-treatment data;
- :mod:`~toolkit.stages.did.robustness` — other estimators, wild bootstrap, adjusted p-values, sensitivity;
- :mod:`~toolkit.stages.did.charts` — charts of the panel (trends, timing, effects by quintile);
- :mod:`~toolkit.stages.did.wording` — sentences and display tables;
- :mod:`~toolkit.stages.did.caveats` — the design's standing caveats and the reference of relative effects;
- :mod:`~toolkit.stages.did.appendix` — the technical appendix's glossary, method notes and references.

Charts of fitted results (event time, sensitivity) are in :mod:`toolkit.reporting.plots.did`.
"""

from toolkit.stages.did.stage import SECTIONS, DidAnalysis, build

__all__ = ["build", "SECTIONS", "DidAnalysis"]
