"""What the difference-in-differences template needs that is not an estimator.

- :mod:`~toolkit.did_stage.periods` — time columns to consecutive period numbers;
- :mod:`~toolkit.did_stage.treatment` — three ways of giving treatment, one validated answer;
- :mod:`~toolkit.did_stage.structure` — units, periods, who is treated when;
- :mod:`~toolkit.did_stage.choose` — staggered or single adoption, and which estimators to show;
- :mod:`~toolkit.did_stage.analysis` — runs the estimators of :mod:`toolkit.designs.did`;
- :mod:`~toolkit.did_stage.placebo` — fake start dates on pre-treatment data;
- :mod:`~toolkit.did_stage.charts` — trends, timing, event study, effects by quintile;
- :mod:`~toolkit.did_stage.wording` — sentences and display tables.
"""
