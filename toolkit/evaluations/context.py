"""What a template sees of its evaluation: the config, its stage, its data, its results."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from toolkit.data.sources import read_source, resolve_source
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

    @property
    def source_label(self) -> str | None:
        """The stage's data file (or table) as written in evaluation.yaml (for messages)."""
        if self.stage.source is None:
            return None
        return self.evaluation.config.data.sources[self.stage.source].label

    def attach_imd(self, data: pd.DataFrame, lsoa: str = "lsoa", *, domains=None):
        """Attach IMD deciles to ``data`` by LSOA code, using the evaluation's ``imd_vintage``.

        Returns :class:`toolkit.data.imd.AttachResult` (rows kept, unmatched codes
        audited) and credits the OGL-licensed data in this stage's report.
        """
        from toolkit.data.imd import attach_imd

        vintage = self.evaluation.config.imd_vintage
        if vintage is None:
            raise ConfigError(
                "This stage joins IMD deciles but evaluation.yaml does not say which IMD to use.",
                [Problem("imd_vintage is not set", where="imd_vintage",
                         fix="add `imd_vintage: 2025` (2021 LSOA codes) or `imd_vintage: 2019` (2011 LSOA codes)")],
            )
        allow = False
        if self.stage.source is not None:
            allow = self.evaluation.config.data.sources[self.stage.source].allow_vintage_mismatch
        result = attach_imd(data, lsoa, vintage=vintage, domains=domains, allow_vintage_mismatch=allow,
                            file=self.source_label)
        self.results.add_attribution(result.attribution)
        return result

    def source_files(self):
        """The stage's source: its files (:class:`toolkit.data.sources.SourceFiles`) or its table
        (:class:`toolkit.data.engine.TableSource`)."""
        if self.stage.source is None:
            raise ConfigError(
                f"Stage '{self.stage.name}' has no data source.",
                [Problem("no source given", where=f"stages.{self.stage.name}.source", fix="name one of data.sources")],
            )
        source = self.evaluation.config.data.sources[self.stage.source]
        return resolve_source(self.stage.source, source, self.evaluation.folder)

    def cells(self, *, by, sums=(), means=(), exclude_missing=(), imd: bool = False, ethnicity_codes=None):
        """Sum the stage's records to analysis cells where they live (DuckDB, or the table's engine).

        Parameters are those of :func:`toolkit.data.aggregate.aggregate` (roles by
        name); ``imd=True`` joins the IMD decile of the evaluation's ``imd_vintage``
        by the ``lsoa`` role (and credits the OGL data in the report).

        Returns
        -------
        toolkit.data.aggregate.Cells
            The cells, the rows excluded by reason and (with ``imd``) the LSOA audit.
        """
        from toolkit.data.aggregate import aggregate
        from toolkit.data.engine import TableSource
        from toolkit.data.imd import ATTRIBUTION
        from toolkit.data.tables import engine_for

        files = self.source_files()
        source = self.evaluation.config.data.sources[self.stage.source]
        vintage = None
        if imd:
            vintage = self.evaluation.config.imd_vintage
            if vintage is None:
                raise ConfigError(
                    "This stage joins IMD deciles but evaluation.yaml does not say which IMD to use.",
                    [Problem("imd_vintage is not set", where="imd_vintage",
                             fix="add `imd_vintage: 2025` (2021 LSOA codes) or `imd_vintage: 2019` (2011 LSOA codes)")],
                )
            self.results.add_attribution(ATTRIBUTION)
        return aggregate(files, roles=dict(source.columns), by=by, sums=sums, means=means,
                         exclude_missing=exclude_missing, imd_vintage=vintage,
                         allow_vintage_mismatch=source.allow_vintage_mismatch, ethnicity_codes=ethnicity_codes,
                         engine=engine_for(files) if isinstance(files, TableSource) else None)

    def exclusions(self) -> pd.DataFrame:
        """Rows the template's data contract leaves out, by reason (for the report; nothing is silent).

        Returns
        -------
        pandas.DataFrame
            ``file``, ``column``, ``reason``, ``rows``, ``example_rows``; empty when none.
        """
        from toolkit.data.checking import check_contract
        from toolkit.data.contracts import contract_for
        from toolkit.data.engine import TableSource
        from toolkit.data.contract_support import contract_supported  # TEMPORARY (issue 18 merge)
        from toolkit.data.tables import engine_for

        cols = ["file", "column", "reason", "rows", "example_rows"]
        contract = contract_for(self.stage.template)
        if contract is None or self.stage.source is None:
            return pd.DataFrame(columns=cols)
        source = self.evaluation.config.data.sources[self.stage.source]
        found = self.source_files()
        if not contract_supported(found):
            return pd.DataFrame(columns=cols)
        extra = {"engine": engine_for(found)} if isinstance(found, TableSource) else {}
        report = check_contract(found, dict(source.columns), contract, folder=self.evaluation.folder, **extra)
        return pd.DataFrame([{"file": e.file, "column": e.column, "reason": e.reason, "rows": e.rows,
                              "example_rows": ", ".join(map(str, e.example_rows))} for e in report.exclusions],
                            columns=cols)

    def data(self) -> pd.DataFrame:
        """The stage's source, read with its column mapping (columns under their role names).

        A file keeps its row order; a table (no row order) is sorted by every mapped column
        (:func:`toolkit.data.sources.read_source`).
        """
        if self.stage.source is None:
            raise ConfigError(
                f"Stage '{self.stage.name}' has no data source.",
                [Problem("no source given", where=f"stages.{self.stage.name}.source",
                         fix="name one of data.sources")],
            )
        source = self.evaluation.config.data.sources[self.stage.source]
        files = resolve_source(self.stage.source, source, self.evaluation.folder)
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
