"""The standing caveats of each design, worded for a board, from what the run already records.

Every design has threats a result cannot rule out by itself: a co-intervention at the same date
(interrupted time series, synthetic control), one treated area, a placebo test whose smallest
possible p-value is fixed by the number of comparison areas, an effect that holds only at a
threshold (regression discontinuity), deprivation given per practice rather than per person,
crude rather than age-standardised gaps, regression to the mean, and COVID-19 disruption. The
summary lists the ones that apply, so "no caveat" is never the answer.

Facts are read from the charter and stage definitions (evaluation.yaml), the run's results
(``results.json``) and its manifest (the periods of every input file).
"""

from __future__ import annotations

import datetime as dt
import json
import re
from dataclasses import dataclass
from typing import Any

from toolkit.evaluations.loader import LoadedEvaluation
from toolkit.reporting.formatting import fmt_p, fmt_period

__all__ = ["Caveat", "design_caveats", "COVID_START", "COVID_END", "min_placebo_p", "read_manifest"]

#: COVID-19 disruption to NHS activity, as used for this caveat (first lockdown to the end of Plan B measures).
COVID_START = dt.date(2020, 3, 1)
COVID_END = dt.date(2022, 3, 31)
_SINGLE_AREA = ("its", "synth", "sdid", "augsynth")
_OVER_TIME = ("did", "its", "synth", "sdid", "augsynth", "baseline")
_APPROACH_TEMPLATE = {"interrupted-time-series": "its", "synthetic-control": "synth",
                      "regression-discontinuity": "rd", "difference-in-differences": "did"}


@dataclass(frozen=True)
class Caveat:
    """One caveat: ``code`` (stable, for tests), ``text`` (for the board), ``basis`` (what it was derived from)."""

    code: str
    text: str
    basis: str = ""


def min_placebo_p(donors: int) -> float:
    """The smallest p-value an in-space placebo test can give with ``donors`` comparison areas.

    Notes
    -----
    The treated area is ranked among itself and the ``donors`` placebo areas, so the p-value is
    a multiple of :math:`1/(d + 1)`; the smallest is :math:`1/(d + 1)` (Abadie, Diamond and
    Hainmueller 2010).
    """
    return 1.0 / (int(donors) + 1)


def read_manifest(evaluation: LoadedEvaluation, run_id: str) -> dict[str, Any]:
    """The run's manifest (written when the run starts), or ``{}`` when it cannot be read."""
    try:
        return json.loads((evaluation.runs_dir / run_id / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _period_start(text: Any) -> dt.date | None:
    s = str(text).strip()
    m = re.fullmatch(r"(\d{4})-?Q([1-4])", s, re.I)
    if m:
        return dt.date(int(m.group(1)), 3 * int(m.group(2)) - 2, 1)
    m = re.fullmatch(r"(\d{4})-(\d{2})(?:-(\d{2}))?", s[:10])
    if m:
        try:
            return dt.date(int(m.group(1)), int(m.group(2)), int(m.group(3) or 1))
        except ValueError:
            return None
    return None


def _templates(evaluation: LoadedEvaluation) -> dict[str, str]:
    return {s.name: s.template for s in evaluation.config.stages}


def _start(evaluation: LoadedEvaluation) -> dt.date:
    """The scheme start: a design stage's start parameter when given, else the charter's period start."""
    for stage in evaluation.config.stages:
        for name in ("treatment_start", "intervention_start"):
            when = _period_start(stage.parameters.get(name, ""))
            if when is not None:
                return when
    return evaluation.config.charter.period.start


def _stage_periods(evaluation: LoadedEvaluation, manifest: dict[str, Any]) -> list[dt.date]:
    sources = {s.source for s in evaluation.config.stages if s.template in _OVER_TIME and s.source}
    out = []
    for item in manifest.get("inputs", []) or []:
        if item.get("source") in sources:
            out += [d for d in (_period_start(p) for p in item.get("periods") or []) if d is not None]
    return out


def _covid(evaluation: LoadedEvaluation, manifest: dict[str, Any]) -> Caveat | None:
    start = _start(evaluation)
    window = f"{fmt_period(COVID_START)} to {fmt_period(COVID_END)}"
    if COVID_START <= start <= COVID_END:
        return Caveat("covid", f"The scheme started in {fmt_period(start)}, during the COVID-19 disruption to "
                      f"services ({window}): activity was unusual and recovering, so part of the change after the "
                      "start may be the recovery rather than the scheme.", "scheme start date")
    periods = _stage_periods(evaluation, manifest)
    before = [d for d in periods if d < start and COVID_START <= d <= COVID_END]
    after = [d for d in periods if d >= start and COVID_START <= d <= COVID_END]
    if before:
        return Caveat("covid", f"The data before the scheme include the COVID-19 disruption ({window}), so the "
                      "pre-scheme pattern the scheme is compared with may be distorted; the analyst should show "
                      "the result with those months left out.", "periods of the input data (run manifest)")
    if after:
        return Caveat("covid", f"The data since the scheme started include the COVID-19 disruption ({window}), "
                      "which changed activity everywhere and may hide or mimic the scheme's effect.",
                      "periods of the input data (run manifest)")
    return None


def _placebo(results: dict[str, Any]) -> Caveat | None:
    """The in-space placebo's floor; the recorded ``n`` counts every unit ranked, our area first."""
    placebo = next((e for e in results.get("estimates", []) if e.get("name") == "placebo_p"), None)
    extra = (placebo or {}).get("extra") or {}
    n = (placebo or {}).get("n")
    donors = extra.get("n_donors") or (int(n) - 1 if n else None)
    if not donors or donors < 1:
        return None
    smallest = min_placebo_p(int(donors))
    return Caveat("placebo-floor", f"The placebo test compares our area with {int(donors)} areas without the "
                  f"scheme, so the smallest p-value it can give is {fmt_p(smallest)} (1 in {int(donors) + 1}): with "
                  "few comparison areas even a large effect cannot look very unlikely by chance.",
                  "number of areas ranked by the placebo test (our area and the donors)")


def _ecological(evaluation: LoadedEvaluation) -> Caveat | None:
    for stage in evaluation.config.stages:
        source = evaluation.config.data.sources.get(stage.source or "")
        if source is None:
            continue
        roles = source.columns
        if ("quintile" in roles or "decile" in roles) and "unit" in roles and "lsoa" not in roles:
            who = "practice" if "practice" in roles["unit"].lower() else "area or organisation"
            return Caveat("ecological", f"Deprivation is assigned per {who}, not per person: everyone registered "
                          f"with a {who} counts as equally deprived, so effects by deprivation describe {who}s, "
                          "not the most deprived people within them (an ecological comparison).",
                          "the data source maps a deprivation role to each unit, not to each person")
    return None


def _crude(evaluation: LoadedEvaluation, results: dict[str, Any]) -> Caveat | None:
    gap_goal = any(g.measure is not None and g.measure.gap for g in evaluation.config.charter.goals)
    names = {e.get("name") for e in results.get("estimates", [])}
    if not (gap_goal or names & {"gap_effect", "core20_gap", "quintile_gap", "sii", "rii"}):
        return None
    has_age = any("age_band" in (evaluation.config.data.sources.get(s.source or "") or _NoSource()).columns
                  for s in evaluation.config.stages if s.template == "baseline")
    tail = ("the baseline report compares them with age-standardised gaps" if has_age else
            "the data give no age bands, so this cannot be checked")
    return Caveat("crude-gap", "The gaps on this page are crude rates, not age-standardised: if the most deprived "
                  "neighbourhoods have a younger or older population than the rest, part of a gap may be age "
                  f"rather than inequality ({tail}).", "gap goals or gap results in this run")


class _NoSource:
    columns: dict[str, str] = {}


def design_caveats(evaluation: LoadedEvaluation, results: dict[str, Any] | None, *,
                   manifest: dict[str, Any] | None = None) -> list[Caveat]:
    """The standing caveats of this evaluation's designs, in the order a board should read them.

    Parameters
    ----------
    evaluation : LoadedEvaluation
        The evaluation (charter, stages, data sources).
    results : dict
        The run's merged results (``results.json``).
    manifest : dict, optional
        The run's manifest; its input periods decide the COVID-19 caveat.
    """
    results = results or {}
    manifest = manifest or {}
    templates = set(_templates(evaluation).values())
    approach = evaluation.config.charter.design.approach
    templates |= {_APPROACH_TEMPLATE[approach]} if approach in _APPROACH_TEMPLATE else set()
    out: list[Caveat] = []
    if templates & set(_SINGLE_AREA):
        out.append(Caveat("co-intervention", "Anything else that changed at the same time as the scheme (another "
                          "service, a national policy, a change in how activity is recorded) would show up as the "
                          "scheme's effect: this design cannot separate them.", "single-start design"))
        controlled = any(e.get("name", "").startswith("controlled_") for e in results.get("estimates", []))
        out.append(Caveat("single-area", "The scheme was evaluated in one area"
                          + (" (checked against one comparison area)" if controlled else "")
                          + ": the result describes what happened here and may not carry over to other places.",
                          "single-start design"))
    placebo = _placebo(results)
    if placebo is not None:
        out.append(placebo)
    if "rd" in templates:
        out.append(Caveat("local-effect", "The effect is measured at the eligibility threshold: it describes "
                          "neighbourhoods just either side of the cut-off, not the most deprived neighbourhoods far "
                          "from it, where the effect may differ.", "regression discontinuity design"))
    for found in (_ecological(evaluation), _crude(evaluation, results)):
        if found is not None:
            out.append(found)
    if templates & set(_OVER_TIME) or approach in ("descriptive", "before-after"):
        out.append(Caveat("regression-to-mean", "If the areas or practices were chosen because their figures were "
                          "unusually bad before the scheme, part of any improvement would have happened anyway "
                          "(regression to the mean); the charter does not record how they were chosen.",
                          "design compares before and after; selection not recorded"))
    covid = _covid(evaluation, manifest)
    if covid is not None:
        out.append(covid)
    return out
