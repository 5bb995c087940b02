"""What a template sees of its evaluation: the config, its stage, its data, its results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.data.sources import read_source, resolve_files
from toolkit.errors import ConfigError, Problem
from toolkit.evaluations.loader import LoadedEvaluation, load_evaluation
from toolkit.evaluations.schema import Charter, Stage
from toolkit.reporting.disclosure import DisclosureRule
from toolkit.reporting.display import set_disclosure
from toolkit.results import Results

__all__ = ["StageContext", "open_stage"]


@dataclass
class StageContext:
    """Everything a template needs about the stage it renders."""

    evaluation: LoadedEvaluation
    stage: Stage
    results: Results
    disclosure: DisclosureRule

    @property
    def charter(self) -> Charter:
        return self.evaluation.config.charter

    @property
    def parameters(self) -> dict:
        return dict(self.stage.parameters)

    def data(self) -> pd.DataFrame:
        """The stage's source, read with its column mapping (columns under their role names)."""
        if self.stage.source is None:
            raise ConfigError(
                f"Stage '{self.stage.name}' has no data source.",
                [Problem("no source given", where=f"stages.{self.stage.name}.source",
                         fix="name one of data.sources")],
            )
        source = self.evaluation.config.data.sources[self.stage.source]
        files = resolve_files(self.stage.source, source, self.evaluation.folder)
        return read_source(files, dict(source.columns) or None)


def open_stage(evaluation_dir: str | Path, stage: str, results_path: str | Path | None = None) -> StageContext:
    """Load the evaluation and set up the stage (disclosure rule, results file).

    Parameters
    ----------
    evaluation_dir : path
        The evaluation folder (holding evaluation.yaml).
    stage : str
        The stage name in evaluation.yaml.
    results_path : path, optional
        Where to write the stage's results; empty keeps them in memory.
    """
    ev = load_evaluation(Path(evaluation_dir))
    try:
        st = ev.config.stage(stage)
    except KeyError:
        known = ", ".join(s.name for s in ev.config.stages)
        raise ConfigError(
            f"Evaluation '{ev.name}' has no stage called '{stage}'.",
            [Problem("stage not found", where="stages", fix=f"stages defined: {known}")],
        ) from None
    rule = DisclosureRule.from_config(ev.config.reporting.disclosure)
    set_disclosure(rule)
    return StageContext(ev, st, Results(results_path or None, stage=stage), rule)
