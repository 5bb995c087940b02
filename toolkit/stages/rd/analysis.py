"""The regression-discontinuity stage: template parameters → estimator calls → tables, verdicts, records.

The ``rd`` template hands its role-named data and parameters to :func:`run_rd`
and shows what comes back; the estimation is :func:`toolkit.designs.rd.fit`
(rdrobust) and :func:`toolkit.designs.rd.fit_by`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from toolkit.designs import rd
from toolkit.errors import DataError, DesignError
from toolkit.cautions import code_of
from toolkit.stages.common import (collecting_cautions,
                                   fmt_p, interval_text, reraise_with_parameter, require_roles, slug)
from toolkit.stages.verdicts import (Verdict, bandwidth_verdict, effective_n_verdict, heterogeneity_verdict,
                                      manipulation_verdict)
from toolkit.reporting.language import fmt_number, upper_first

__all__ = ["RDAnalysis", "run_rd", "running_check_verdict", "imd_checks", "fmt_cutoff", "MIN_PER_SIDE"]

MIN_PER_SIDE = rd.MIN_PER_SIDE


def running_check_verdict(data: pd.DataFrame, matched: pd.DataFrame, *, vintage: int) -> Verdict:
    """Does the running variable agree with the official IMD rank of each unit?

    Parameters
    ----------
    data : DataFrame
        Role-named rows with ``running``.
    matched : DataFrame
        The same rows after :meth:`StageContext.attach_imd` (``imd_rank``, NaN when unmatched).

    Rule: good when every matched unit's running value equals its official rank and
    every unit matched; caution otherwise (the rows concerned are counted).
    """
    rank = pd.to_numeric(matched["imd_rank"], errors="coerce")
    run = pd.to_numeric(data["running"], errors="coerce").to_numpy()
    ok = rank.notna().to_numpy()
    differ = ok & ~np.isclose(run, rank.to_numpy(float), equal_nan=False)
    n, n_ok, n_diff = len(data), int(ok.sum()), int(differ.sum())
    status = "good" if n_ok == n and n_diff == 0 else "caution"
    text = f"{n_ok:,} of {n:,} units matched an official IMD {vintage} rank"
    if n_diff:
        rows = ", ".join(str(i + 2) for i in np.flatnonzero(differ)[:5])
        text += f"; {n_diff:,} have a running value that differs from it (e.g. rows {rows})."
    else:
        text += "; every matched unit's running value is its official rank."
    return Verdict(f"Is the running variable the official IMD {vintage} rank?", status, text,
                   "good when every unit matches and every value equals the official rank")


def fmt_cutoff(x: float) -> str:
    """A threshold in full (``6,751.5``), never rounded to significant figures."""
    x = float(x)
    return f"{x:,.0f}" if x.is_integer() else f"{x:,.2f}".rstrip("0")


def imd_checks(ctx, data: pd.DataFrame, *, running_is_imd_rank: bool) -> tuple[Verdict, ...]:
    """When the running variable is the IMD rank and units are LSOAs, check it against the official lookup.

    Uses :meth:`toolkit.evaluations.context.StageContext.attach_imd` (the evaluation's
    ``imd_vintage``; credits the OGL data in the report).  Returns no verdicts when
    ``running_is_imd_rank`` is false or no ``unit`` role is mapped.
    """
    if not running_is_imd_rank or "unit" not in data:
        return ()
    attached = ctx.attach_imd(data, "unit")
    matched = attached.data.reset_index(drop=True)
    return (running_check_verdict(data.reset_index(drop=True), matched, vintage=attached.vintage),)


@dataclass(frozen=True)
class RDAnalysis:
    """Everything the ``rd`` template shows.

    Attributes
    ----------
    result : RDResult
    by_group : DataFrame or None
        :func:`toolkit.designs.rd.fit_by` output when a ``group`` role is mapped.
    verdicts : list of Verdict
    notes : list of str
    """

    result: Any
    by_group: pd.DataFrame | None
    verdicts: list[Verdict]
    notes: list[str]
    outcome_label: str
    running_label: str
    group_label: str
    treated_side: str
    effect_unit: str = ""
    gradient: Verdict | None = None
    settings: dict = field(default_factory=dict)
    raised: tuple = ()  # cautions raised while fitting (coded; see toolkit.cautions)

    @property
    def warnings(self) -> list[str]:
        """Estimator warnings in the report's words (role names replaced by labels), each once.

        The estimator's manipulation warning is left out: the manipulation verdict says
        the same, weighing who sets the running variable.
        """
        seen: list[str] = []
        for w in list(self.result.warnings) + list(self.raised):
            if code_of(w) == "rd.density_jump":
                continue
            w = w.replace("'running'", self.running_label).replace("'outcome'", self.outcome_label)
            if w not in seen:
                seen.append(w)
        return seen

    @property
    def cutoff(self) -> float:
        return float(self.result.extra["cutoff"])

    def _side_words(self) -> tuple[str, str]:
        """(treated side, untreated side) in words."""
        below, above = f"below {fmt_cutoff(self.cutoff)}", f"at or above {fmt_cutoff(self.cutoff)}"
        return (below, above) if self.treated_side == "below" else (above, below)

    def headline(self) -> tuple[str, list[str]]:
        r = self.result
        verb = "higher" if r.estimate > 0 else "lower"
        unit = f" {self.effect_unit}" if self.effect_unit else ""
        answer = (f"Just at the threshold, {self.outcome_label} was {fmt_number(abs(r.estimate))}{unit} {verb} on the side "
                  f"that gets the scheme than on the side that does not "
                  f"(robust {interval_text(r.ci_low, r.ci_high, r.level)}). ")
        answer += ("The whole interval is above zero, so the jump is unlikely to be chance." if r.ci_low > 0 else
                   "The whole interval is below zero, so the drop is unlikely to be chance." if r.ci_high < 0 else
                   "The interval includes zero, so we cannot rule out that the scheme made no difference.")
        treated, untreated = self._side_words()
        points = [
            f"Units with {self.running_label} {treated} get the scheme; those {untreated} do not. Units either side "
            "of the threshold are alike in every other way, so the jump there is the scheme's effect for units "
            "near the threshold.",
            f"The estimate uses the {int(r.extra['n_eff_left']):,} + {int(r.extra['n_eff_right']):,} units within "
            f"{fmt_number(r.extra['h_left'])} of the threshold (of {int(r.extra['n_total']):,}).",
        ]
        if self.gradient is not None:
            points.append(self.gradient.finding)
        bad = [v for v in self.verdicts if v.status != "good"]
        points.append("Read with care: " + "; ".join(v.check.rstrip("?").lower() for v in bad)
                      + " (see the diagnostics below)." if bad else "The diagnostics below raise no concerns.")
        return answer, points

    def design_facts(self, charter=None) -> list[tuple[str, str]]:
        r = self.result
        treated, untreated = self._side_words()
        facts = [("Scheme", charter.title)] if charter is not None else []
        facts += [
            ("Outcome", self.outcome_label),
            ("Running variable", self.running_label),
            ("Threshold", fmt_cutoff(self.cutoff)),
            ("Gets the scheme", f"{self.running_label} {treated}"),
            ("Units below / at or above", f"{int(r.extra['n_left']):,} / {int(r.extra['n_right']):,}"),
            ("Bandwidth (MSE-optimal)", f"{fmt_number(r.extra['h_left'])} either side of the threshold"),
        ]
        if r.extra.get("excluded"):
            facts.append(("Rows excluded (missing values)", f"{int(r.extra['excluded']):,}"))
        return facts

    def method_facts(self) -> list[tuple[str, str]]:
        return [
            ("Method", self.result.method),
            ("Estimate", "conventional local-linear estimate of the jump (treated side minus the other side)"),
            ("Interval", "robust bias-corrected interval and p-value (Calonico, Cattaneo and Titiunik 2014)"),
            ("Manipulation test", "rddensity (Cattaneo, Jansson and Ma 2020)"),
            ("Minimum data", f"refused with fewer than {MIN_PER_SIDE} units on either side of the threshold"),
        ]

    def no_groups_text(self) -> str:
        return (f"A regression discontinuity estimates the effect only for units near the threshold. Here the "
                f"threshold is set on {self.running_label}, so every unit near it has about the same deprivation: "
                "the design cannot say whether the effect differs across the deprivation gradient. To see whether "
                "it differs between other kinds of unit at the threshold (for example urban and rural "
                f"neighbourhoods), map that column to the 'group' role.")

    # -------------------------------------------------------------- tables
    def data_table(self) -> pd.DataFrame:
        """The data either side of the threshold: units, range of the running variable, mean outcome."""
        b = self.result.bins
        rows = []
        for side in ("below", "above"):
            d = b[b["side"] == side]
            if d.empty:
                continue
            n = int(d["n"].sum())
            rows.append({"Side of threshold": "below" if side == "below" else "at or above",
                         "Gets the scheme": (side == "below") == (self.treated_side == "below"), "Units": n,
                         f"{self.running_label} from": float(d["x_low"].min()),
                         f"{self.running_label} to": float(d["x_high"].max()),
                         f"Average: {self.outcome_label}": float((d["y"] * d["n"]).sum() / n)})
        return pd.DataFrame(rows)

    def bins_table(self) -> pd.DataFrame:
        b = self.result.bins
        treated_below = self.treated_side == "below"
        return pd.DataFrame({
            "Side of threshold": ["below" if s == "below" else "at or above" for s in b["side"]],
            "Gets the scheme": [(s == "below") == treated_below for s in b["side"]],
            f"Bin from ({self.running_label})": b["x_low"].to_numpy(),
            "Bin to": b["x_high"].to_numpy(),
            f"Average: {self.outcome_label}": b["y"].to_numpy(), "Units": b["n"].astype(int).to_numpy()})

    def sensitivity_table(self) -> pd.DataFrame:
        s = self.result.sensitivity
        pct = f"{self.result.level * 100:g}%"
        return pd.DataFrame({"Bandwidth (× chosen)": s["multiplier"].to_numpy(), "Bandwidth": s["h_left"].to_numpy(),
                             "Estimate": s["estimate"].to_numpy(), f"Robust {pct} CI from": s["robust_ci_low"].to_numpy(),
                             f"Robust {pct} CI to": s["robust_ci_high"].to_numpy(),
                             "Units below": s["n_left"].to_numpy(), "Units at or above": s["n_right"].to_numpy()})

    def estimates_table(self) -> pd.DataFrame:
        t = self.result.table
        pct = f"{self.result.level * 100:g}%"
        names = {"conventional": "Conventional", "bias-corrected": "Bias-corrected", "robust": "Robust (headline interval)"}
        return pd.DataFrame({"Estimator": [names.get(x, x) for x in t["term"]], "Estimate": t["estimate"].to_numpy(),
                             "Standard error": t["se"].to_numpy(), f"{pct} CI from": t["ci_low"].to_numpy(),
                             f"{pct} CI to": t["ci_high"].to_numpy(), "p-value": [fmt_p(p) for p in t["p_value"]]})

    def density_table(self) -> pd.DataFrame | None:
        d = self.result.density
        if d is None or d.empty:
            return None
        return pd.DataFrame({"Test": d["test"].to_numpy(), "Statistic": d["statistic"].to_numpy(),
                             "p-value": [fmt_p(p) for p in d["p_value"]],
                             "Units near, below": d["n_left"].to_numpy(), "Units near, at or above": d["n_right"].to_numpy()})

    def group_table(self) -> pd.DataFrame | None:
        if self.by_group is None:
            return None
        g = self.by_group[self.by_group["term"] == "rd_effect"]
        col = g.columns[0]
        pct = f"{self.result.level * 100:g}%"

        def get(name):
            return g[name].to_numpy() if name in g else np.full(len(g), np.nan)

        return pd.DataFrame({upper_first(self.group_label): g[col].astype(str).to_numpy(), "Estimate": get("estimate"),
                             f"Robust {pct} CI from": get("ci_low"), f"Robust {pct} CI to": get("ci_high"),
                             "Units in bandwidth": get("n_obs"),
                             "Note": pd.Series(get("note")).fillna("").astype(str).to_numpy()})

    # -------------------------------------------------------------- results.json
    def record(self, results) -> None:
        r = self.result
        results.record_design("effect", r, unit=self.effect_unit or self.outcome_label,
                              extra={"cutoff": self.cutoff, "treated_side": self.treated_side,
                                     "bandwidth": r.extra["h_left"]})
        d = r.density
        if d is not None and not d.empty:
            v = next(v for v in self.verdicts if v.check.startswith("Is there evidence of manipulation"))
            results.record("density_p", float(d["p_value"].iloc[0]), p_value=float(d["p_value"].iloc[0]),
                           n=int(d["n_left"].iloc[0] + d["n_right"].iloc[0]), method=str(d["test"].iloc[0]),
                           kind="test", sentence=v.finding)
        s = r.sensitivity
        if s is not None and not s.empty:
            results.record("effect_bandwidth_min", float(s["estimate"].min()), kind="diagnostic", unit=self.outcome_label,
                           sentence="Smallest estimate from half to twice the chosen bandwidth.")
            results.record("effect_bandwidth_max", float(s["estimate"].max()), kind="diagnostic", unit=self.outcome_label,
                           sentence="Largest estimate from half to twice the chosen bandwidth.")
        if self.by_group is not None:
            g = self.by_group
            col = g.columns[0]
            for _, row in g.iterrows():
                if row["term"] == "rd_effect" and pd.notna(row.get("estimate")):
                    results.record(f"effect_{slug(row[col])}", row["estimate"], se=row["se"], ci_low=row["ci_low"],
                                   ci_high=row["ci_high"], level=r.level, p_value=row["p_value"],
                                   n=int(row["n_obs"]), method=r.method, kind="effect", unit=self.outcome_label,
                                   sentence=f"Jump at the threshold in {self.group_label} {row[col]}.")
                elif row["term"] in ("gradient", "difference_across_groups"):
                    name = "effect_gradient" if row["term"] == "gradient" else "effect_heterogeneity"
                    results.record(name, row["estimate"], se=row.get("se"), ci_low=row.get("ci_low"),
                                   ci_high=row.get("ci_high"), p_value=row["p_value"], kind="test",
                                   method="Cochran's Q and inverse-variance weighted gradient across groups",
                                   sentence=f"Does the jump differ by {self.group_label}?")


@collecting_cautions
def run_rd(
    data: pd.DataFrame,
    *,
    stage: str,
    cutoff: float,
    treated_side: str = "below",
    level: float = 0.95,
    bins: int = 20,
    outcome_label: str = "the outcome",
    running_label: str = "the running variable",
    running_set_externally: bool = False,
    group_label: str = "group",
    effect_unit: str = "",
    extra_verdicts: tuple[Verdict, ...] = (),
    column_names: dict[str, str] | None = None,
) -> RDAnalysis:
    """Run the regression-discontinuity stage on role-named data.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per unit; columns under role names ``running`` and ``outcome``,
        optionally ``unit`` and ``group``.
    stage : str
        Stage name, for error messages that point into evaluation.yaml.
    cutoff : float
        The threshold of the running variable.
    treated_side : {"below", "above"}
        Which side gets the scheme (below: running < cutoff).
    level, bins
        Passed to :func:`toolkit.designs.rd.fit`.
    running_set_externally : bool
        The units cannot choose their running value (e.g. national IMD ranks); used
        by the manipulation verdict.
    effect_unit : str
        Unit of the jump in words (e.g. "percentage points").
    extra_verdicts : tuple of Verdict
        Checks made by the template beforehand (e.g. :func:`running_check_verdict`).
    column_names : dict, optional
        The source's ``{role: user column}`` mapping, so errors name the user's columns.

    Returns
    -------
    RDAnalysis

    Notes
    -----
    The estimate is rdrobust's conventional local-linear jump τ̂ = μ̂₊(c) − μ̂₋(c)
    with the sign set so it is always *treated side minus untreated side*; the
    interval is the robust bias-corrected one.  With a ``group`` role each group
    gets its own MSE-optimal bandwidth (:func:`toolkit.designs.rd.fit_by`).
    """
    require_roles(data, {"running": "the ranked or scored variable", "outcome": "the outcome"}, stage=stage)
    if treated_side not in ("below", "above"):
        raise DesignError(f"Stage '{stage}': treated_side must be 'below' or 'above', not {treated_side!r}.")
    kw = dict(treated=treated_side, level=level, outcome_label=outcome_label)
    try:
        result = rd.fit(data, "outcome", "running", float(cutoff), bins=bins, **kw)
    except DesignError as exc:
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter="cutoff",
                                     fix=f"set cutoff to the threshold inside the running variable's range, with at "
                                         f"least {MIN_PER_SIDE} units on each side") from None
    except DataError as exc:
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter=None,
                                     fix="correct the data file named in data.sources") from None
    by_group = None
    if "group" in data:
        by_group = rd.fit_by(data, "outcome", "running", float(cutoff), by="group", **kw)
        by_group = by_group.rename(columns={"group": group_label})
    verdicts = list(extra_verdicts) + [
        manipulation_verdict(result.density, running_label=running_label, set_externally=running_set_externally),
        effective_n_verdict(int(result.extra["n_eff_left"]), int(result.extra["n_eff_right"]), minimum=rd.WARN_EFFECTIVE),
        bandwidth_verdict(result.estimate, result.sensitivity),
    ]
    gradient = heterogeneity_verdict(by_group, by_label=group_label, term="") if by_group is not None else None
    notes: list[str] = []
    return RDAnalysis(result=result, by_group=by_group, verdicts=verdicts, notes=notes, outcome_label=outcome_label,
                      running_label=running_label, group_label=group_label, treated_side=treated_side,
                      effect_unit=effect_unit, gradient=gradient,
                      settings={"cutoff": cutoff, "treated_side": treated_side})
