"""The interrupted-time-series stage: template parameters → estimator calls → tables, verdicts, records.

The ``its`` template hands its role-named data and parameters to :func:`run_its`
and shows what comes back; nothing here estimates anything itself (that is
:mod:`toolkit.designs.its`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Sequence

import pandas as pd

from toolkit.designs import its
from toolkit.errors import DataError, DesignError, ToolkitError
from toolkit.stages.its.inputs import parse_seasonality, split_series
from toolkit.stages.common import (collecting_cautions, fmt_p, fmt_time, interval_text, pct_change_text,
                                   reraise_with_parameter, require_roles, slug)
from toolkit.stages.verdicts import (Verdict, autocorrelation_verdict, controlled_verdict, heterogeneity_verdict,
                                      periods_verdict, seasonality_verdict)
from toolkit.reporting.language import fmt_number, upper_first

__all__ = ["ITSAnalysis", "run_its", "parse_seasonality", "MIN_PRE_PERIODS"]

MIN_PRE_PERIODS = its.MIN_PRE_PERIODS
_COMPARISON_ROLES = ("comparison_outcome", "comparison_denominator")


@dataclass(frozen=True)
class ITSAnalysis:
    """Everything the ``its`` template shows.

    Attributes
    ----------
    result : ITSResult
        The headline segmented regression on the intervention series.
    controlled : ITSResult or None
        The controlled ITS with the comparison series, when one is mapped and asked for.
    by_group : DataFrame or None
        :func:`toolkit.designs.its.segmented_by` output when a ``group`` role is mapped.
    verdicts : list of Verdict
        Plain-English diagnostics.
    gradient : Verdict or None
        Whether the effect differed across groups (with a ``group`` role); an answer, not a diagnostic.
    notes : list of str
        Information about how the data were used (e.g. groups added up), shown as notes.
    cautions : list of str
        Problems with the input the report must flag (e.g. horizons beyond the data).
    """

    result: Any
    controlled: Any
    by_group: pd.DataFrame | None
    verdicts: list[Verdict]
    notes: list[str]
    outcome_label: str
    period_label: str
    rate_label: str
    group_label: str
    gradient: Verdict | None = None
    cautions: list[str] = field(default_factory=list)
    settings: dict = field(default_factory=dict)
    raised: tuple = ()  # cautions raised while fitting (coded; see toolkit.cautions)

    # -------------------------------------------------------------- views
    @property
    def ratio(self) -> bool:
        return self.result.scale == "ratio"

    @property
    def decimals(self) -> dict[str, int] | None:
        """Decimals for estimate columns of the model and group tables (rate ratios need 4)."""
        if not self.ratio:
            return None
        pct = f"{self.result.level * 100:g}%"
        return {"Estimate": 4, f"{pct} CI from": 4, f"{pct} CI to": 4}

    @property
    def warnings(self) -> list[str]:
        """Input cautions and estimator warnings, each once."""
        seen: list[str] = []
        for w in (list(self.cautions) + list(self.result.warnings) + list(getattr(self.controlled, "warnings", ()))
                  + list(self.raised)):
            if w not in seen:
                seen.append(w)
        return seen

    def horizon_rows(self) -> pd.DataFrame:
        return self.result.horizons

    def headline(self) -> tuple[str, list[str]]:
        """The summary box: an answer and supporting points, with uncertainty."""
        r = self.result
        lv, sl = r.level_change, r.slope_change if "slope_change" in set(r.table["term"]) else None
        ci = interval_text(lv["ci_low"], lv["ci_high"], r.level)
        out = self.outcome_label
        if self.ratio:
            answer = (f"When the scheme started, {out} were {pct_change_text(lv['estimate'])} than the earlier trend "
                      f"predicted (rate ratio {fmt_number(lv['estimate'])}, {ci}).")
        else:
            verb = "higher" if lv["estimate"] > 0 else "lower"
            answer = (f"When the scheme started, {out} were {fmt_number(abs(lv['estimate']))} {verb} than the earlier "
                      f"trend predicted ({ci}).")
        answer += " " + _certainty(lv, self.ratio)
        points = []
        if sl is not None:
            points.append(self._slope_sentence(sl))
        last = self._last_horizon_sentences()
        points.extend(last)
        if self.gradient is not None:
            points.append(self.gradient.finding)
        if self.controlled is not None:
            c = self.controlled
            points.append(f"Allowing for the comparison area's trend, the level change is {fmt_number(c.estimate)} "
                          f"({interval_text(c.ci_low, c.ci_high, c.level)}).")
        bad = [v for v in self.verdicts if v.status != "good"]
        if bad:
            points.append("Read with care: " + "; ".join(v.check.rstrip("?").lower() for v in bad)
                          + " (see the diagnostics below).")
        else:
            points.append("The diagnostics below raise no concerns about the model.")
        return answer, points

    def _slope_sentence(self, sl: pd.Series) -> str:
        ci = interval_text(sl["ci_low"], sl["ci_high"], self.result.level)
        if self.ratio:
            return (f"After the start, the trend changed by a factor of {fmt_number(sl['estimate'], digits=4)} per "
                    f"{self.period_label}: a further {pct_change_text(sl['estimate'])} for each {self.period_label} "
                    f"that passed, relative to the old trend ({ci}).")
        verb = "rose" if sl["estimate"] > 0 else "fell"
        return (f"After the start, the trend {verb} by {fmt_number(abs(sl['estimate']))} more per {self.period_label} "
                f"than before ({ci}).")

    def _last_horizon_sentences(self) -> list[str]:
        h = self.result.horizons
        if h is None or h.empty:
            return []
        last = int(h["horizon"].max())
        rows = h[h["horizon"] == last].set_index("measure")
        when = f"{fmt_time(rows['time'].iloc[0], unit=self.period_label)} ({last + 1} {self.period_label}s in)"
        lvl = self.result.level
        out = []
        if self.ratio:
            rr = rows.loc["rate_ratio"]
            out.append(f"By {when}, {self.outcome_label} were {pct_change_text(rr['estimate'])} than expected "
                       f"without the scheme (rate ratio {fmt_number(rr['estimate'])}, "
                       f"{interval_text(rr['ci_low'], rr['ci_high'], lvl)}).")
            ev = rows.loc["difference_in_events"]
            cu = rows.loc["cumulative_difference"]
            out.append(f"That is {_count_text(ev, lvl)} {self.outcome_label} in that {self.period_label}, and "
                       f"{_count_text(cu, lvl)} in total since the start.")
        else:
            d = rows.loc["difference"]
            out.append(f"By {when}, {self.outcome_label} were {fmt_number(d['estimate'])} away from the level expected "
                       f"without the scheme ({interval_text(d['ci_low'], d['ci_high'], lvl)}).")
        return out

    @property
    def y_label(self) -> str:
        cf = self.result.counterfactual
        label = self.outcome_label[:1].upper() + self.outcome_label[1:]
        return f"{label} {self.rate_label}" if "observed_rate" in cf and self.rate_label else label

    def design_facts(self, charter=None) -> list[tuple[str, str]]:
        """Key facts of the design for the report's first section."""
        r = self.result
        d = r.counterfactual[r.counterfactual["series"] == "intervention"]
        start = d.loc[d["post"], "time"].iloc[0]
        facts = []
        if charter is not None:
            facts.append(("Scheme", charter.title))
        facts += [
            ("Outcome", self.outcome_label + (f" ({self.rate_label})" if "observed_rate" in d else "")),
            ("Scheme started", fmt_time(start, unit=self.period_label)),
            ("Data", f"{fmt_time(d['time'].iloc[0], unit=self.period_label)} to "
                     f"{fmt_time(d['time'].iloc[-1], unit=self.period_label)}"),
            (f"{upper_first(self.period_label)}s before the start", f"{int(r.extra['n_pre'])}"),
            (f"{upper_first(self.period_label)}s since the start", f"{int(r.extra['n_post'])}"),
            ("Comparison", "a comparison area's series (controlled ITS, as a check)" if self.controlled is not None
             else "this area's own pre-scheme trend"),
        ]
        return facts

    def method_facts(self) -> list[tuple[str, str]]:
        r = self.result
        facts = [("Model", r.method)]
        if self.controlled is not None:
            facts.append(("Check", self.controlled.method))
        facts += [
            ("Level change", "the immediate change at the start" + (" (a rate ratio: 0.9 means 10% lower)"
                                                                     if self.ratio else "")),
            ("Slope change", f"the change in the trend per {self.period_label} after the start"),
            ("Minimum data", f"refused with fewer than {MIN_PRE_PERIODS} {self.period_label}s before the start; "
                             f"12 or more recommended"),
            ("References", "Wagner et al. (2002); Lopez Bernal, Cummins and Gasparrini (2017); Newey and West (1987)"),
        ]
        return facts

    def no_groups_text(self) -> str:
        return (f"These data hold one series for the whole area, with no breakdown by {self.group_label}, so "
                f"they cannot say whether the effect differed across the deprivation gradient. To answer it, "
                f"supply the series by {self.group_label} (one row per group and {self.period_label}) and map the "
                f"column to the 'group' role: each group then gets its own estimate, with a test of whether "
                f"they differ.")

    # -------------------------------------------------------------- tables
    def series_table(self) -> pd.DataFrame:
        """The chart's data: each period's observed value, the fitted trend and the counterfactual."""
        cf = self.result.counterfactual
        d = cf[cf["series"] == "intervention"]
        sfx = "_rate" if "observed_rate" in d else ""
        unit = f" ({self.rate_label})" if sfx else ""
        out = pd.DataFrame({
            upper_first(self.period_label): [fmt_time(t, unit=self.period_label) for t in d["time"]],
            f"Observed{unit}": d["observed" + sfx].to_numpy(),
            f"Fitted trend{unit}": d["trend" + sfx].to_numpy(),
            f"Expected without the scheme{unit}": d["counterfactual_trend" + sfx].where(d["post"]).to_numpy(),
            "Scheme running": d["post"].to_numpy(),
        })
        return out

    def comparison_table(self) -> pd.DataFrame | None:
        """Observed values of both series (the controlled chart's data)."""
        if self.controlled is None:
            return None
        cf = self.controlled.counterfactual
        sfx = "_rate" if "observed_rate" in cf else ""
        wide = cf.pivot(index="time", columns="series", values="observed" + sfx).sort_index()
        unit = f" ({self.rate_label})" if sfx else ""
        return pd.DataFrame({upper_first(self.period_label): [fmt_time(t, unit=self.period_label) for t in wide.index],
                             f"This area{unit}": wide["intervention"].to_numpy(),
                             f"Comparison area{unit}": wide["comparison"].to_numpy()})

    def horizons_table(self) -> pd.DataFrame:
        """Differences from the counterfactual at each horizon, in words a board reads."""
        h = self.result.horizons
        names = {"rate_ratio": "Rate ratio (1 = no change)", "difference": "Difference from expected",
                 "difference_in_events": f"Difference in {self.outcome_label} that {self.period_label}",
                 "cumulative_difference": f"Cumulative difference in {self.outcome_label} since the start"}
        pct = f"{self.result.level * 100:g}%"
        return pd.DataFrame({
            "Measure": [names.get(m, m) for m in h["measure"]],
            upper_first(self.period_label): [f"{fmt_time(t, unit=self.period_label)} ({int(k) + 1} in)"
                                             for t, k in zip(h["time"], h["horizon"])],
            "Estimate": h["estimate"].to_numpy(), f"{pct} CI from": h["ci_low"].to_numpy(),
            f"{pct} CI to": h["ci_high"].to_numpy(), "p-value": [fmt_p(v) for v in h["p_value"]],
        })

    def model_table(self) -> pd.DataFrame:
        """Level change, slope change and pre-period trend (single and controlled)."""
        names = {"level_change": "Level change at the start", "slope_change": f"Change in trend per {self.period_label}",
                 "pre_trend": f"Trend per {self.period_label} before the start"}
        pct = f"{self.result.level * 100:g}%"
        rows = []
        for model, res in (("This area's series", self.result), ("Against the comparison area", self.controlled)):
            if res is None:
                continue
            t = res.table[res.table["term"].isin(list(names))]
            for _, r in t.iterrows():
                rows.append({"Model": model, "Term": names[r["term"]], "Estimate": r["estimate"],
                             f"{pct} CI from": r["ci_low"], f"{pct} CI to": r["ci_high"],
                             "p-value": fmt_p(r["p_value"])})
        return pd.DataFrame(rows)

    def diagnostics_table(self) -> pd.DataFrame:
        d = self.result.diagnostics
        return pd.DataFrame({"Test": d["test"], "Statistic": d["statistic"], "Lags": d["lags"].astype(int),
                             "p-value": [fmt_p(v) for v in d["p_value"]]})

    def group_table(self) -> pd.DataFrame | None:
        """Level and slope change in each group, with a note where a group could not be analysed."""
        if self.by_group is None:
            return None
        g = self.by_group
        col = g.columns[0]
        per = g[g["term"].isin(["level_change", "slope_change"])]
        pct = f"{self.result.level * 100:g}%"
        names = {"level_change": "Level change", "slope_change": f"Change in trend per {self.period_label}"}
        return pd.DataFrame({
            upper_first(self.group_label): per[col].astype(str).to_numpy(),
            "Term": [names[t] for t in per["term"]],
            "Estimate": per.get("estimate", pd.Series(index=per.index, dtype=float)).to_numpy(),
            f"{pct} CI from": per.get("ci_low", pd.Series(index=per.index, dtype=float)).to_numpy(),
            f"{pct} CI to": per.get("ci_high", pd.Series(index=per.index, dtype=float)).to_numpy(),
            "Note": per.get("note", pd.Series("", index=per.index)).fillna("").to_numpy(),
        })

    # -------------------------------------------------------------- results.json
    def record(self, results) -> None:
        """Record the headline numbers under stable names (see the template's README cell)."""
        r = self.result
        unit = "rate ratio" if self.ratio else self.rate_label or "difference"
        results.record_design("level_change", r, unit=unit)
        t = r.table.set_index("term")
        if "slope_change" in t.index:
            s = t.loc["slope_change"]
            results.record("slope_change", s["estimate"], se=s["se"], se_scale=r.se_scale, ci_low=s["ci_low"],
                           ci_high=s["ci_high"],
                           level=r.level, p_value=s["p_value"], n=r.n_obs, method=r.method, kind="effect",
                           unit=f"{unit} per {self.period_label}", sentence=self._slope_sentence(s))
        for _, h in r.horizons.iterrows():
            name = {"rate_ratio": "rate_ratio", "difference": "difference", "difference_in_events": "difference",
                    "cumulative_difference": "cumulative_difference"}[h["measure"]]
            when = f"{fmt_time(h['time'], unit=self.period_label)} ({int(h['horizon']) + 1} {self.period_label}s in)"
            what = {"rate_ratio": f"Rate ratio of {self.outcome_label} against the counterfactual",
                    "difference": f"Difference in {self.outcome_label} from the counterfactual",
                    "difference_in_events": f"Difference in {self.outcome_label} from the counterfactual",
                    "cumulative_difference": f"Cumulative difference in {self.outcome_label} since the start"}
            results.record(f"{name}_h{int(h['horizon'])}", h["estimate"], se=h["se"], ci_low=h["ci_low"],
                           se_scale="log" if h["measure"] == "rate_ratio" else "estimate",
                           ci_high=h["ci_high"], level=r.level, p_value=h["p_value"], n=r.n_obs, method=r.method,
                           kind="effect", unit="rate ratio" if name == "rate_ratio" else self.outcome_label,
                           sentence=f"{what[h['measure']]} in {when}: {fmt_number(h['estimate'])} "
                                    f"({interval_text(h['ci_low'], h['ci_high'], r.level)}).")
        if self.controlled is not None:
            c = self.controlled
            results.record_design("controlled_level_change", c, unit=unit)
            ct = c.table.set_index("term")
            if "slope_change" in ct.index:
                s = ct.loc["slope_change"]
                results.record("controlled_slope_change", s["estimate"], se=s["se"], se_scale=c.se_scale,
                               ci_low=s["ci_low"],
                               ci_high=s["ci_high"], level=c.level, p_value=s["p_value"], n=c.n_obs,
                               method=c.method, kind="effect", unit=f"{unit} per {self.period_label}",
                               sentence="Against the comparison area: " + self._slope_sentence(s))
        if self.by_group is not None:
            g = self.by_group
            col = g.columns[0]
            for _, row in g.iterrows():
                if row["term"] == "level_change" and pd.notna(row.get("estimate")):
                    results.record(f"level_change_{slug(row[col])}", row["estimate"], se=row["se"],
                                   se_scale="log" if self.ratio else "estimate",
                                   ci_low=row["ci_low"], ci_high=row["ci_high"], level=r.level,
                                   p_value=row["p_value"], n=_int_or_none(row.get("n_obs")), method=r.method, kind="effect",
                                   unit=unit, sentence=f"Level change in {self.group_label} {row[col]}.")
                elif row["term"] in ("level_change_gradient", "level_change_difference_across_groups"):
                    name = row["term"].replace("difference_across_groups", "heterogeneity")
                    results.record(name, row["estimate"], se=row.get("se"), ci_low=row.get("ci_low"),
                                   se_scale="log" if self.ratio and row["term"].endswith("gradient") else "estimate",
                                   ci_high=row.get("ci_high"), p_value=row["p_value"], method="Cochran's Q and "
                                   "inverse-variance weighted gradient across ordered groups", kind="test",
                                   sentence=f"Does the level change differ by {self.group_label}?")


def _count_text(row: pd.Series, level: float) -> str:
    """``about 1,435 fewer (95% CI 1,246 to 1,623 fewer)``; an interval across zero is said so."""
    est, lo, hi = row["estimate"], row["ci_low"], row["ci_high"]
    word = "fewer" if est < 0 else "more"
    pct = f"{level * 100:g}%"
    if lo < 0 < hi:
        return (f"about {fmt_number(abs(est))} {word} ({pct} CI {fmt_number(abs(lo))} fewer to "
                f"{fmt_number(abs(hi))} more)")
    a, b = sorted((abs(lo), abs(hi)))
    return f"about {fmt_number(abs(est))} {word} ({pct} CI {fmt_number(a)} to {fmt_number(b)} {word})"


def _int_or_none(value) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _certainty(row: pd.Series, ratio: bool) -> str:
    null = 1.0 if ratio else 0.0
    if row["ci_low"] > null or row["ci_high"] < null:
        side = "above" if row["ci_low"] > null else "below"
        return f"The whole interval is {side} {null:g} (no change), so this is unlikely to be chance."
    return f"The interval includes {null:g} (no change), so we cannot rule out that the scheme made no difference."


@collecting_cautions
def run_its(
    data: pd.DataFrame,
    *,
    stage: str,
    intervention_start: Any,
    family: str = "quasipoisson",
    seasonality: Any = "month",
    horizons: Sequence[int] = (),
    per: float = 1000,
    use_comparison: bool = True,
    level: float = 0.95,
    outcome_label: str = "the outcome",
    period_label: str = "month",
    rate_label: str = "",
    group_label: str = "deprivation quintile",
    min_pre: int = MIN_PRE_PERIODS,
    column_names: dict[str, str] | None = None,
) -> ITSAnalysis:
    """Run the interrupted-time-series stage on role-named data.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns under role names: ``time``, ``outcome`` and optionally ``denominator``,
        ``comparison_outcome``, ``comparison_denominator`` (a comparison area's series
        on the same rows) and ``group`` (e.g. IMD quintile, 1 = most deprived; then
        one row per group and period).
    stage : str
        Stage name, for error messages that point into evaluation.yaml.
    intervention_start
        First period of the scheme, in the time column's terms ("2023-04" or 49).
    family, per, level, min_pre
        Passed to :func:`toolkit.designs.its.segmented`.
    seasonality : str or int
        See :func:`parse_seasonality`.
    horizons : sequence of int
        Periods after the start (0 = first) at which to report the difference from
        the counterfactual; horizons beyond the data are dropped with a note, and the
        last observed period is always added.
    use_comparison : bool
        Fit a controlled ITS as a check when a comparison series is mapped.
    outcome_label, period_label, rate_label, group_label : str
        Words for the report.
    column_names : dict, optional
        The source's ``{role: user column}`` mapping, so errors name the user's columns.

    Returns
    -------
    ITSAnalysis

    Notes
    -----
    The headline is the single-series segmented regression (its level change β₂,
    a rate ratio exp(β₂) for count families; see
    :func:`toolkit.designs.its.segmented`).  The controlled ITS is a check: its
    verdict (:func:`toolkit.stages.verdicts.controlled_verdict`) says whether it
    agrees.  With a ``group`` role the headline uses the period totals
    Σ_g outcome and Σ_g denominator, and :func:`toolkit.designs.its.segmented_by`
    gives each group's effect with Cochran's Q and the gradient across groups.
    """
    require_roles(data, {"time": "the period", "outcome": "what is counted or measured"}, stage=stage)
    season = parse_seasonality(seasonality)
    comparison = use_comparison and "comparison_outcome" in data
    group = "group" in data
    series, control, notes = split_series(data, comparison=comparison, group=group, family=family)
    den = "denominator" if "denominator" in series else None
    common = dict(denominator=den, seasonality=season, family=family, per=per, level=level, min_pre=min_pre,
                  outcome_label=outcome_label, season_period=12 if period_label == "month" else
                  4 if period_label == "quarter" else None)
    try:
        first = its.segmented(series, "outcome", "time", intervention_start, **common)
    except DesignError as exc:
        fix = ("set intervention_start to the first period of the scheme, inside the data, with enough periods "
               f"before it (at least {min_pre})")
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter="intervention_start", fix=fix) from None
    except DataError as exc:
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter=None,
                                     fix="correct the data file named in data.sources") from None
    n_post = int(first.extra["n_post"])
    asked = sorted({int(h) for h in horizons})
    kept = [h for h in asked if 0 <= h < n_post]
    dropped = [h for h in asked if h not in kept]
    cautions: list[str] = []
    if dropped:
        cautions.append(f"Horizon(s) {', '.join(map(str, dropped))} {period_label}s after the start are beyond the "
                     f"data ({n_post} {period_label}s observed since the start) and are not shown.")
    hz = sorted(set(kept) | {n_post - 1})
    result = its.segmented(series, "outcome", "time", intervention_start, horizons=hz, **common)
    controlled = None
    if comparison:
        try:
            controlled = its.segmented(series, "outcome", "time", intervention_start, control=control, **common)
        except ToolkitError as exc:
            cautions.append(f"The comparison series could not be used: {exc}")
    by_group = gradient = None
    if group:
        long = data.drop(columns=[c for c in _COMPARISON_ROLES if c in data])
        by_group = its.segmented_by(long, "outcome", "time", intervention_start, by="group", **common)
        by_group = by_group.rename(columns={"group": group_label})
    unit = period_label
    verdicts = [
        periods_verdict(int(result.extra["n_pre"]), side="pre", unit=unit, minimum=min_pre),
        periods_verdict(n_post, side="post", unit=unit, minimum=2),
        seasonality_verdict(season, unit=unit),
        autocorrelation_verdict(result.diagnostics, cov=result.extra["cov"]),
    ]
    if controlled is not None:
        verdicts.append(controlled_verdict(result, controlled))
    if by_group is not None:
        gradient = heterogeneity_verdict(by_group, by_label=group_label, term="level_change_",
                                         ratio=result.scale == "ratio")
    return ITSAnalysis(result=result, controlled=controlled, by_group=by_group, verdicts=verdicts, notes=notes,
                       outcome_label=outcome_label, period_label=period_label, rate_label=rate_label,
                       group_label=group_label, gradient=gradient, cautions=cautions,
                       settings={"intervention_start": intervention_start, "family": family,
                                 "seasonality": season, "per": per, "horizons": hz})
