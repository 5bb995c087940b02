"""Glue between the natural-experiment templates (its, synth, rd) and the estimators.

Each ``*_stage`` module turns a template's role-named data and parameters into
estimator calls (:mod:`toolkit.designs.its`, ``synth``, ``rd``) and returns an
analysis object that builds the report's tables, plain-English sentences and
diagnostics verdicts (:mod:`toolkit.natural.verdicts`) and records the headline
results.  Templates call these and show what they return; nothing here estimates.
"""
