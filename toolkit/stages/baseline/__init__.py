"""The baseline stage (``templates/baseline.ipynb``): build → record → sections.

Modules, one concern each:

- :mod:`~toolkit.stages.baseline.fit` — aggregate the stage's data and compute every measure
  (through :mod:`toolkit.baseline` and :mod:`toolkit.indicators`);
- :mod:`~toolkit.stages.baseline.record` — the named results (``results.json``);
- :mod:`~toolkit.stages.baseline.sections`, :mod:`~toolkit.stages.baseline.quality` and
  :mod:`~toolkit.stages.baseline.measure_sections` — the report's sections as blocks;
- :mod:`~toolkit.stages.baseline.text` and :mod:`~toolkit.stages.baseline.measure_text` — the sentences;
- :mod:`~toolkit.stages.baseline.charts` and :mod:`~toolkit.stages.baseline.measure_charts` — the charts;
- :mod:`~toolkit.stages.baseline.analysis` — :class:`BaselineAnalysis` and :func:`build`.
"""

from toolkit.stages.baseline.analysis import SECTIONS, BaselineAnalysis, build

__all__ = ["build", "SECTIONS", "BaselineAnalysis"]
