"""The "How robust is this?" section of the DiD report.

Runs the robustness estimators beside the headline -- Sun & Abraham and the
imputation estimator (both, like Callaway & Sant'Anna, allow the effect to
differ between groups that started at different times), the wild cluster
bootstrap when clusters are few, and multiplicity-adjusted p-values for the
effects by deprivation group -- and words each in one plain sentence.
Nothing is estimated here beyond calling :mod:`toolkit.designs.did`; the
template only shows what this returns.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs import did
from toolkit.designs.did.multiplicity import adjust_subgroups
from toolkit.errors import ToolkitError
from toolkit.reporting.formatting import fmt_interval, fmt_number, fmt_p
from toolkit.stages.did.estimate import DidEstimates

__all__ = ["RobustRow", "Robustness", "robustness_checks"]


@dataclass(frozen=True)
class RobustRow:
    """One robustness estimate: its label, the result (None when it could not be estimated) and a sentence."""

    key: str
    label: str
    result: object | None
    sentence: str
    note: str = ""


@dataclass(frozen=True)
class Robustness:
    """Everything the "How robust is this?" section shows."""

    rows: tuple[RobustRow, ...]
    subgroups: object | None = None
    subgroup_sentence: str = ""
    warnings: tuple[str, ...] = field(default_factory=tuple)
    honest: object | None = None
    honest_source: str = ""

    def table(self, headline, headline_label: str) -> pd.DataFrame:
        """Display table: the headline, then each robustness estimate."""
        out = [{"Estimate": f"Headline: {headline_label}", "Effect": headline.estimate, "Lower limit": headline.ci_low,
                "Upper limit": headline.ci_high, "p-value": fmt_p(headline.p_value)}]
        for r in self.rows:
            res = r.result
            out.append({"Estimate": r.label, "Effect": res.estimate if res else math.nan,
                        "Lower limit": res.ci_low if res else math.nan, "Upper limit": res.ci_high if res else math.nan,
                        "p-value": fmt_p(res.p_value) if res else "–"})
        return pd.DataFrame(out)

    def subgroup_table(self) -> pd.DataFrame | None:
        """Effects by deprivation group with unadjusted and adjusted p-values."""
        if self.subgroups is None:
            return None
        tab = self.subgroups.table
        return pd.DataFrame({"Group": tab["term"], "Effect": tab["estimate"], "p-value": tab["p_value"].map(fmt_p),
                             "Adjusted p-value": tab["p_adjusted"].map(fmt_p), "Adjustment": tab["adjustment"]})

    @property
    def sentences(self) -> list[str]:
        out = [r.sentence for r in self.rows]
        if self.honest is not None:
            text = self.honest.sentence
            out.append(f"If the trends had not been exactly parallel: {text[:1].lower()}{text[1:]}")
        if self.subgroup_sentence:
            out.append(self.subgroup_sentence)
        return out


def _agreement(res, headline, outcome_label: str, name: str) -> str:
    est = f"{fmt_number(res.estimate)} ({fmt_interval(res.ci_low, res.ci_high)})"
    half = (headline.ci_high - headline.ci_low) / 2
    close = math.isfinite(half) and abs(res.estimate - headline.estimate) <= half
    same_sign = (res.estimate > 0) == (headline.estimate > 0)
    if close and res.significant == headline.significant:
        verdict = "close to the headline, so the answer does not depend on the method"
    elif close:
        verdict = ("close to the headline in size, but its interval "
                   + ("includes no effect, so the evidence is weaker than the headline suggests" if headline.significant
                      else "excludes no effect"))
    elif same_sign:
        verdict = "in the same direction as the headline but of a different size, so read the size with care"
    else:
        verdict = "in the opposite direction to the headline, so the answer depends on the method: treat it with caution"
    return f"{name} estimates the effect on {outcome_label} at {est}: {verdict}."


def _try(fn, *args, **kw):
    try:
        return fn(*args, **kw), ""
    except ToolkitError as exc:
        return None, str(exc.message if hasattr(exc, "message") and exc.message else exc)


def robustness_checks(an: DidEstimates, *, outcome_label: str, multiplicity: str = "holm",
                      level: float = 0.95, reps: int | None = None, seed: int | None = None) -> Robustness:
    """Robustness estimates for the report (see the module docstring).

    Parameters
    ----------
    an : DidEstimates
        The main estimates (:func:`toolkit.stages.did.estimate.estimate_did`).
    outcome_label : str
        The outcome in words.
    multiplicity : {"holm", "bh"}
        Adjustment of the p-values of the effects by deprivation group (the
        gap, the primary estimate, is exempt).
    level : float
        Confidence level.
    reps, seed : int, optional
        Wild bootstrap replications and seed (default: :func:`toolkit.designs.did.twfe`'s).
    """
    ef = an.frame
    df = ef.data
    common = dict(weights=ef.weights, level=level)
    rows: list[RobustRow] = []
    warns: list[str] = []
    never = bool((pd.to_numeric(df[ef.first_treated], errors="coerce").fillna(0) == 0).any())
    sa, why = _try(did.sun_abraham, df, ef.outcome, ef.unit, ef.time, ef.first_treated,
                   control="never" if never else "last", cluster=ef.cluster, **common)
    name = "A second method (which allows the effect to differ between start dates)"
    rows.append(RobustRow("sun_abraham", "Sun and Abraham (interaction-weighted)", sa,
                          _agreement(sa, an.headline, outcome_label, name) if sa else
                          "The second method could not be used with these data (the technical appendix says why).",
                          why))
    imp, why = _try(did.imputation, df, ef.outcome, ef.unit, ef.time, ef.first_treated, cluster=ef.cluster, **common)
    name = "A third method (which predicts each treated unit's figures without the scheme)"
    rows.append(RobustRow("imputation", "Imputation (Borusyak, Jaravel and Spiess)", imp,
                          _agreement(imp, an.headline, outcome_label, name) if imp else
                          "The third method could not be used with these data (the technical appendix says why).",
                          why))
    G = int(an.twfe.extra.get("n_clusters", 0))
    wild, why = _try(did.twfe, df, ef.outcome, ef.unit, ef.time, ef.treatment, cluster=ef.cluster,
                     inference="auto", **{k: v for k, v in (("reps", reps), ("seed", seed)) if v is not None},
                     **common)
    if wild is not None and "wild" in wild.extra:
        wx = wild.extra["wild"]
        excl = "still excludes" if wild.significant else "includes"
        which = ("the headline" if not an.choice.staggered else
                 "the simple before-and-after comparison (shown in the technical appendix)")
        rows.append(RobustRow(
            "wild_bootstrap", "Two-way fixed effects, wild cluster bootstrap interval", wild,
            f"With only {wx['n_clusters']:,} units to compare ({wx['n_treated_clusters']:,} of them in the scheme) "
            f"the usual margin of error can be too narrow; a method that holds with few units gives {which} a range "
            f"of {fmt_interval(wild.ci_low, wild.ci_high)} (p = {fmt_p(wild.p_value)}), which {excl} no effect."))
    elif wild is not None:
        warns.append(Caution(f"{G:,} clusters: conventional clustered intervals are reliable, so no wild bootstrap is shown.",
                             code="did.wild_not_needed"))
    sub, sub_sentence = None, ""
    if an.equity is not None:
        sub = adjust_subgroups(an.equity, method=multiplicity)
        fam = sub.table[sub.table["adjustment"] != "exempt (primary)"]
        raw = int((fam["p_value"] < 1 - level).sum())
        adj = int((fam["p_adjusted"] < 1 - level).sum())
        m = sub.extra["multiplicity"]["family_size"]
        sub_sentence = (f"Effects were estimated in {m} deprivation groups; {raw} show an effect at the "
                        f"{(1 - level) * 100:g}% level before and {adj} after allowing for the number of groups "
                        "tested. The effect on the gap is the primary estimate and is not adjusted.")
    hon, hon_src = None, ""
    src = an.event_study if not an.choice.staggered else sa
    if src is not None:
        hon, why = _try(did.honest, src, method="smoothness", target=0, level=level, max_pre=5, max_post=1)
        hon_src = ("the regression event study" if not an.choice.staggered else "Sun and Abraham's event study") + \
            ", effect in the first period after the start"
        if hon is None:
            warns.append(Caution(f"The sensitivity analysis for non-parallel trends could not be run: {why}",
                                 code="did.honest_not_run"))
    return Robustness(tuple(rows), sub, sub_sentence, tuple(warns), hon, hon_src)
