"""Run the difference-in-differences estimators the design choice calls for.

Nothing is estimated here: this module prepares the frame the estimators in
:mod:`toolkit.designs.did` expect (columns named as the analyst's data, so
their methods and warnings name the analyst's columns) and calls them in the
order :func:`toolkit.stages.did.choose.choose_design` decided.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Sequence

import pandas as pd

from toolkit.cautions import Caution, code_of
from toolkit.designs import DesignResult, did
from toolkit.designs.did.pretrend import PretrendTest, cs_pretrend
from toolkit.errors import DesignError
from toolkit.reporting.formatting import fmt_p
from toolkit.stages.common import collecting_cautions
from toolkit.stages.did.choose import DesignChoice
from toolkit.stages.did.treatment import FIRST, PERIOD, TREATED, UNIT, DidData

__all__ = ["DidEstimates", "EstimationFrame", "estimation_frame", "estimate_did"]


@dataclass(frozen=True)
class EstimationFrame:
    """The panel with columns under readable names, and those names."""

    data: pd.DataFrame
    outcome: str
    unit: str
    time: str
    first_treated: str
    treatment: str
    weights: str | None
    cluster: str | None
    quintile: str | None


def estimation_frame(dd: DidData, *, outcome_label: str = "") -> EstimationFrame:
    """Name the columns as the analyst does, and the outcome as the board reads it.

    The outcome column takes ``outcome_label`` (e.g. "new diagnoses per 1,000
    a year") so that the estimators' sentences use it; a cluster column that
    is the unit column is dropped (clustering by unit is the default).
    """
    cols = dd.columns
    names = {
        "outcome": outcome_label.strip() or cols.get("outcome", "outcome"),
        UNIT: cols.get("unit", "unit"),
        PERIOD: cols.get("time", "period"),
        FIRST: "first treated period",
        TREATED: "treated",
        "weight": cols.get("weight", "weight"),
        "cluster": cols.get("cluster", "cluster"),
        "quintile": cols.get("quintile", "quintile"),
    }
    seen: set[str] = set()
    for key in list(names):
        while names[key] in seen:
            names[key] += " "
        seen.add(names[key])
    keep = [c for c in names if c in dd.data.columns]
    frame = dd.data[keep].rename(columns={c: names[c] for c in keep})
    cluster = names["cluster"] if dd.has("cluster") and cols.get("cluster") != cols.get("unit") else None
    return EstimationFrame(
        frame, names["outcome"], names[UNIT], names[PERIOD], names[FIRST], names[TREATED],
        names["weight"] if dd.has("weight") else None, cluster,
        names["quintile"] if dd.has("quintile") else None,
    )


@dataclass(frozen=True)
class DidEstimates:
    """Every estimate the report shows.

    Attributes
    ----------
    headline : DesignResult
        Callaway & Sant'Anna simple aggregate (staggered) or TWFE (single start).
    by_cohort, dynamic : AggregateResult or None
        Callaway & Sant'Anna by adoption group and by time since adoption (staggered only).
    twfe : TwfeResult
        Two-way fixed effects: the headline with one start time, a labelled comparison otherwise.
    event_study : EventStudyResult or None
        Regression event study in the chosen window, with the joint pre-trend
        test; None under staggered adoption when it is not identified
        (``event_study_note`` says why; it is only a comparison there).
    equity : EquityResult or None
        Effect by deprivation quintile and on the gap (needs a quintile column).
    group_time : StaggeredResult or None
        The Callaway & Sant'Anna ATT(g,t) behind the aggregates (staggered only).
    n_units : int
        Units in the panel.
    cs_pretrend : PretrendTest or None
        Staggered only: the headline pre-trend test on Callaway & Sant'Anna's
        pre-adoption event-time estimates (:func:`~toolkit.designs.did.pretrend.cs_pretrend`).
    """

    choice: DesignChoice
    frame: EstimationFrame
    headline: DesignResult
    twfe: DesignResult
    event_study: DesignResult | None
    by_cohort: DesignResult | None = None
    dynamic: DesignResult | None = None
    equity: DesignResult | None = None
    group_time: DesignResult | None = None
    n_units: int = 0
    cs_pretrend: PretrendTest | None = None
    event_study_note: str = ""
    raised: tuple = ()  # cautions raised while fitting (coded; see toolkit.cautions)

    @property
    def pretrend_source(self) -> str:
        """``"callaway_santanna"`` (staggered adoption) or ``"event_study"`` (one start time)."""
        return "callaway_santanna" if self.cs_pretrend is not None else "event_study"

    @property
    def pretrend(self) -> dict[str, float]:
        """The headline pre-trend test: ``stat``, ``df1``, ``p_value`` (and ``df2`` for the event study).

        Staggered adoption: the Callaway & Sant'Anna test (the TWFE event
        study's leads are contaminated when effects differ between cohorts,
        Sun & Abraham 2021, and are shown only as a labelled comparison).
        One start time: the regression event study's F test.
        """
        if self.cs_pretrend is not None:
            return self.cs_pretrend.as_dict()
        return dict(self.event_study.pretrend)

    @property
    def pretrend_ok(self) -> bool:
        """Whether the headline pre-trend test has a trustworthy p-value."""
        if self.cs_pretrend is not None:
            return self.cs_pretrend.testable
        return self.pretrend_valid

    @property
    def pretrend_method(self) -> str:
        """The headline pre-trend test in words."""
        if self.cs_pretrend is not None:
            return self.cs_pretrend.method
        return "Joint Wald test that all event-study leads are zero (F with clustered covariance, fixest convention)"

    def pretrend_passed(self, alpha: float = 0.05) -> bool | None:
        """True when the headline pre-trend test does not reject at ``alpha``, False when it does, None when not testable."""
        if not self.pretrend_ok:
            return None
        return bool(self.pretrend["p_value"] >= alpha)

    @property
    def pretrend_valid(self) -> bool:
        r"""Whether the event study's joint pre-trend test can be trusted.

        A clustered covariance has rank at most :math:`G-1` (``df2``); testing
        :math:`q > G-1` leads at once (``df1``) inverts a singular matrix and
        the statistic is meaningless.  Reduce ``leads`` or use more clusters.
        """
        if self.event_study is None:
            return False
        pt = self.event_study.pretrend
        p = pt.get("p_value", float("nan"))
        return bool(p == p and pt.get("df1", 0) >= 1 and pt.get("df1", 0) <= pt.get("df2", 0))

    @property
    def warnings(self) -> tuple[str, ...]:
        r"""Every result's warnings, once each, in the order met.

        Dropped: TWFE's timing warning when TWFE is only a comparison (the
        report says so itself); the event study's pre-test warning when that
        test is invalid (:attr:`pretrend_valid`; the report says so in words)
        or when adoption is staggered (its leads are then only a comparison);
        and the estimator's chi-squared pre-test over every pre-adoption
        ATT(g,t), rejection or not (its size is far above 5% at these numbers
        of units: :func:`~toolkit.designs.did.pretrend.cs_pretrend`), which the
        headline test replaces.  A rejection by the headline test is added,
        and so is every caution raised while fitting (:attr:`raised`: a
        numerical routine's RuntimeWarning reaches the report, not a log).
        Cautions are told apart by their code (:func:`toolkit.cautions.code_of`),
        never by their wording.
        """
        drop = set(_ALWAYS_DROPPED)
        if self.choice.staggered:
            drop.add("did.staggered_timing")
        if not self.pretrend_valid or self.cs_pretrend is not None:
            drop |= _EVENT_STUDY_PRETEST
        out: list[str] = []
        for r in (self.headline, self.by_cohort, self.dynamic, self.event_study, self.equity, self.twfe):
            for w in (r.warnings if r is not None else ()):
                if code_of(w) not in drop and w not in out:
                    out.append(w)
        out += [w for w in self.raised if w not in out]  # warned while fitting (e.g. numerical routines)
        if self.event_study_note:
            out.append(Caution(self.event_study_note, code="did.event_study_missing"))
        if self.cs_pretrend is not None:
            if self.cs_pretrend.note:
                out.append(Caution(self.cs_pretrend.note, code="did.cs_pretrend_untestable"))
            elif self.pretrend_passed() is False:
                out.append(Caution(f"The pre-trend test rejects parallel trends (p = {fmt_p(self.cs_pretrend.p_value)}): "
                                   "the units that took part were already moving differently before they started, "
                                   "so the estimates may be biased.", code="did.pretrend_rejected"))
        return tuple(out)


#: Estimator cautions :attr:`DidEstimates.warnings` never shows (matched by code, not wording): the
#: chi-squared pre-test over every pre-adoption ATT(g,t), replaced by the headline test, and the
#: unbalanced-panel note, which the data checks give already (``DidData.warnings``).
_ALWAYS_DROPPED = frozenset({"did.cs_pretest_not_reported", "did.cs_pretest_rejected", "did.unbalanced_panel"})
#: The TWFE event study's own pre-test cautions (dropped when that test is invalid or only a comparison).
_EVENT_STUDY_PRETEST = frozenset({"did.es_pretest_not_computed", "did.es_pretrend_rejected"})


@collecting_cautions
def estimate_did(
    dd: DidData,
    choice: DesignChoice,
    *,
    outcome_label: str = "",
    leads: int = 12,
    lags: int = 12,
    most_deprived: Sequence = (1,),
    level: float = 0.95,
) -> DidEstimates:
    """Run the estimators for ``choice`` on ``dd``.

    Parameters
    ----------
    dd : DidData
        Validated panel.
    choice : DesignChoice
        From :func:`~toolkit.stages.did.choose.choose_design`.
    outcome_label : str
        The outcome in words, used in sentences.
    leads, lags : int
        Event-study window: periods before adoption tested for pre-trends
        (earlier ones binned into the first) and periods after shown.
    most_deprived : sequence
        Quintile(s) forming the most deprived group for the gap (1 = Core20).
    level : float
        Confidence level.

    Notes
    -----
    Staggered: :func:`~toolkit.designs.did.staggered` (Callaway & Sant'Anna,
    standard errors clustered by unit) aggregated ``simple`` (headline),
    ``group`` and ``dynamic`` (event times ``-leads..lags``), and the headline
    pre-trend test :func:`~toolkit.designs.did.pretrend.cs_pretrend` on event
    times ``-leads..-1``.  Always:
    :func:`~toolkit.designs.did.twfe` and :func:`~toolkit.designs.did.event_study`
    (CRV1, clustered by the cluster column or the unit).  With a quintile column:
    :func:`~toolkit.designs.did.equity` on the staggered path when adoption is
    staggered, else on the TWFE path.
    """
    ef = estimation_frame(dd, outcome_label=outcome_label)
    df = ef.data
    n_t = dd.scale.n_periods
    leads = max(1, min(int(leads), n_t - 1))
    lags = max(0, min(int(lags), n_t - 1))
    common = dict(weights=ef.weights, level=level)
    tw = did.twfe(df, ef.outcome, ef.unit, ef.time, ef.treatment, cluster=ef.cluster, **common)
    eq = cs = None
    es_note = ""
    try:
        es = did.event_study(df, ef.outcome, ef.unit, ef.time, ef.first_treated, leads=leads, lags=lags,
                             cluster=ef.cluster, **common)
    except DesignError as exc:
        if not choice.staggered:
            raise
        # under staggered adoption the regression event study is only a comparison: say why it is missing
        es = None
        es_note = ("The regression event study (shown for comparison only) could not be estimated: "
                   + "; ".join([exc.message.rstrip(".:")] + [str(p) for p in exc.problems]) + ".")
    if choice.staggered:
        cs = did.staggered(df, ef.outcome, ef.unit, ef.time, ef.first_treated, control=choice.control, **common)
        headline = cs.aggregate("simple")
        by_cohort = cs.aggregate("group")
        dynamic = cs.aggregate("dynamic", min_e=-leads, max_e=lags)
        pt = cs_pretrend(cs, leads=leads)
        if ef.quintile:
            eq = did.equity(df, ef.outcome, ef.unit, ef.time, ef.quintile, first_treated=ef.first_treated,
                            most_deprived=tuple(most_deprived), control=choice.control, **common)
    else:
        headline, by_cohort, dynamic, pt = tw, None, None, None
        if ef.quintile:
            eq = did.equity(df, ef.outcome, ef.unit, ef.time, ef.quintile, treatment=ef.treatment,
                            most_deprived=tuple(most_deprived), cluster=ef.cluster, **common)
    # the headline carries to results.json (and so to the summary's caveats) only the cautions this report shows:
    # the superseded chi-squared C&S pre-test note is replaced by the headline pre-trend test above
    headline = replace(headline, warnings=tuple(w for w in headline.warnings if code_of(w) not in _ALWAYS_DROPPED))
    return DidEstimates(choice, ef, headline, tw, es, by_cohort, dynamic, eq, cs, int(dd.first_treated.size), pt,
                       es_note)
