"""Small shared pieces of the stages: periods in words, result names, errors that point into evaluation.yaml.

Numbers, intervals and p-values are formatted by :mod:`toolkit.reporting.formatting` (one module for every page).
"""

from __future__ import annotations

import math
import re
import functools
from dataclasses import replace
from typing import Any

import pandas as pd

from toolkit.errors import ConfigError, Problem, ToolkitError
from toolkit.reporting.formatting import fmt_number

__all__ = ["fmt_time", "slug", "pct_change_text", "reraise_with_parameter", "require_roles", "role_columns",
           "collecting_cautions",
           "GLOSSARY", "glossary_blocks", "covid_caution"]


def fmt_time(value: Any, *, unit: str = "month") -> str:
    """A period for a board: ``Apr 2023`` for monthly dates, ``2022 Q1`` for quarters, else as given."""
    if isinstance(value, pd.Timestamp) or hasattr(value, "strftime"):
        ts = pd.Timestamp(value)
        if unit == "quarter":
            return f"{ts.year} Q{ts.quarter}"
        if unit == "year":
            return f"{ts.year}"
        if unit in ("week", "day"):
            return f"{ts:%d %b %Y}"
        return f"{ts:%b %Y}"
    if isinstance(value, float) and value.is_integer():
        return f"{int(value)}"
    return str(value)


def slug(value: Any) -> str:
    """A result-name-safe form of a group label (``"Quintile 1"`` → ``quintile-1``)."""
    text = re.sub(r"[^a-z0-9]+", "-", str(value).strip().lower()).strip("-")
    return text or "group"


def pct_change_text(ratio: float) -> str:
    """``0.93`` → ``7.0% lower``; ``1.05`` → ``5.0% higher``."""
    if ratio is None or (isinstance(ratio, float) and math.isnan(ratio)):
        return "not available"
    change = (ratio - 1) * 100
    return f"{fmt_number(abs(change), digits=2)}% {'lower' if change < 0 else 'higher'}"


def require_roles(data: pd.DataFrame, roles: dict[str, str], *, stage: str) -> None:
    """Raise :class:`ConfigError` naming the evaluation.yaml path when a needed role is not mapped."""
    problems = [Problem(f"role '{role}' is not mapped to a column ({why})",
                        where=f"data.sources (stage {stage}).columns", fix=f"add `{role}: <your column name>`")
                for role, why in roles.items() if role not in data.columns]
    if problems:
        raise ConfigError("The stage's data source lacks columns this design needs:", problems)


def reraise_with_parameter(exc: ToolkitError, *, stage: str, parameter: str | None, fix: str,
                           column_names: dict[str, str] | None = None) -> ToolkitError:
    """Re-build an estimator's error so it names the evaluation.yaml setting to change and the user's columns.

    The error keeps its class (``DataError``, ``DesignError``...) and its problems;
    role names in ``Problem.column`` become the user's column names via ``column_names``.
    """
    names = column_names or {}
    where = f"stages.{stage}.parameters.{parameter}" if parameter else f"stages.{stage}"
    if exc.problems:
        problems = [replace(p, column=names.get(p.column, p.column)) if p.column else p for p in exc.problems]
        problems.append(Problem("this is where the analysis is configured", where=where, fix=fix))
    else:
        problems = [Problem(exc.message or str(exc), where=where, fix=fix)]
    return type(exc)(f"Stage '{stage}' cannot be analysed as configured:", problems)


def role_columns(ctx) -> dict[str, str]:
    """The stage source's ``{role: user column}`` mapping (empty without a source), for error messages."""
    if ctx.stage.source is None:
        return {}
    return dict(ctx.evaluation.config.data.sources[ctx.stage.source].columns)


def collecting_cautions(run):
    """Run a stage function collecting every caution raised while it fits (:func:`toolkit.cautions.collect`).

    ToolkitWarnings and RuntimeWarnings raised inside the estimators (a division by zero,
    an optimiser that did not converge) land in the returned analysis's ``raised``
    field, which its ``warnings`` show in the report, instead of a kernel's stderr.
    """
    from toolkit import cautions

    @functools.wraps(run)
    def wrapper(*args, **kwargs):
        with cautions.collect() as found:
            analysis = run(*args, **kwargs)
        return replace(analysis, raised=tuple(found)) if found else analysis

    return wrapper


#: plain-English meanings of the method names the technical appendices use (one wording for every stage)
GLOSSARY: dict[str, str] = {
    "Segmented regression": "a regression on time with a separate level and slope after the scheme starts; the "
                            "pre-scheme segment, carried forward, is the counterfactual.",
    "Counterfactual": "what the model expects would have happened without the scheme.",
    "Rate ratio": "the observed rate divided by the expected rate: 0.90 means 10% lower, 1 means no change.",
    "Quasi-Poisson GLM": "a regression for counts (a generalised linear model, GLM) that allows more variation "
                         "than a pure Poisson count.",
    "Newey-West (HAC) standard errors": "standard errors that stay honest when neighbouring months are correlated "
                                        "(heteroskedasticity- and autocorrelation-consistent).",
    "Durbin-Watson, Ljung-Box, Breusch-Godfrey": "tests of whether the model's errors are still correlated over "
                                                 "time; large p-values mean no sign that they are.",
    "Controlled ITS": "an interrupted time series (ITS) that subtracts a comparison area's series.",
    "Prediction band": "the range in which the expected values without the scheme lie, given the uncertainty "
                       "in the estimated effect.",
    "Synthetic control": "a weighted average of comparison areas (donors) chosen to match the area with the scheme "
                         "before it started.",
    "Donor": "a comparison area that could contribute to the synthetic control.",
    "RMSPE": "root mean squared prediction error: the typical gap between an area and its synthetic control.",
    "Placebo test": "the same analysis run for each donor as if it had the scheme; the p-value is the share of "
                    "areas whose post/pre RMSPE ratio is at least as large as ours.",
    "Synthetic difference-in-differences (SDID)": "a related method that also weights periods and allows a steady "
                                                  "difference between areas.",
    "ATT": "average effect on the treated: the average gap after the start.",
    "Regression discontinuity": "compares units just either side of a threshold that decides who gets the scheme.",
    "Running variable": "the score whose threshold decides who gets the scheme (here the deprivation rank).",
    "rdrobust": "the standard software method for regression discontinuity (Calonico, Cattaneo and Titiunik).",
    "MSE-optimal bandwidth": "the width either side of the threshold that balances bias against noise "
                             "(minimises the mean squared error).",
    "Bias-corrected robust interval": "a confidence interval that allows for the bias of a local straight-line fit.",
    "Triangular kernel": "weights that give units nearer the threshold more say.",
    "rddensity": "a test of whether units bunch on one side of the threshold (a sign they sorted themselves).",
    "Logic model": "the chain from what the scheme uses (inputs) through what it does (activities) and produces "
                   "(outputs) to the changes it should bring (outcomes) and its long-term aim (impact).",
    "Minimum detectable effect": "the smallest change the planned study has a good chance (its power) of telling "
                                 "apart from chance.",
    "Power": "the chance that the study detects an effect of a given size if it is really there (usually 80%).",
    "Cochran's Q": "a test of whether estimates for several groups differ by more than chance.",
}


def glossary_blocks(*terms: str) -> list:
    """A "Glossary" heading and the meanings of ``terms`` (keys of :data:`GLOSSARY`), for a technical appendix."""
    from toolkit.stages.base import Facts, Heading

    return [Heading("Glossary", level=3), Facts(tuple((t, GLOSSARY[t]) for t in terms))]


#: the months of COVID-19 disruption to NHS activity a start date should not overlap unremarked
COVID_FROM, COVID_TO = pd.Timestamp("2020-03-01"), pd.Timestamp("2022-03-31")


def covid_caution(start: Any, *, unit: str = "month") -> str | None:
    """A sentence when ``start`` (a period, date or text) falls inside COVID-19 disruption (Mar 2020 to Mar 2022).

    Returns ``None`` when the start is outside that window or is not a date (e.g. period 49).
    """
    try:
        ts = pd.Period(start).start_time if isinstance(start, str) and "Q" in start.upper() else pd.Timestamp(start)
    except (ValueError, TypeError):
        return None
    if isinstance(start, (int, float)) or not (COVID_FROM <= ts <= COVID_TO):
        return None
    return (f"The scheme started in {fmt_time(ts, unit=unit)}, during COVID-19 disruption to health services "
            "(March 2020 to March 2022). Activity was recovering at different speeds everywhere, so part of any "
            "change may be the pandemic and the recovery from it, not the scheme.")
