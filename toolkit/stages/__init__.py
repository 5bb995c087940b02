"""One module per template: build the analysis from the stage context, record its results, give its sections.

See :mod:`toolkit.stages.base` for the contract, and ``docs/architecture.md`` for the layout.
"""

STAGE_TEMPLATES = ("charter", "baseline", "did", "its", "synth", "rd")
