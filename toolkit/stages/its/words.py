"""The interrupted-time-series stage in words: the answer, its uncertainty, the design and method facts.

A mixin of :class:`toolkit.stages.its.analysis.ITSAnalysis`; every sentence the ITS report and its
``results.json`` carry is built here.
"""

from __future__ import annotations

import pandas as pd

from toolkit.designs.its import MIN_PRE_PERIODS
from toolkit.reporting.formatting import fmt_ci, fmt_count, fmt_number
from toolkit.reporting.language import upper_first
from toolkit.stages.common import covid_caution, fmt_time, pct_change_text

__all__ = ["ITSWords"]


class ITSWords:
    """Sentences and facts of the ITS report (needs ``result``, ``controlled``, ``verdicts``, labels)."""

    def headline(self) -> tuple[str, list[str]]:
        """The summary box: an answer and supporting points, with uncertainty."""
        r = self.result
        lv, sl = r.level_change, r.slope_change if "slope_change" in set(r.table["term"]) else None
        ci = fmt_ci(lv["ci_low"], lv["ci_high"], r.level)
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
                          f"({fmt_ci(c.ci_low, c.ci_high, c.level)}).")
        bad = [v for v in self.verdicts if v.status != "good"]
        if bad:
            points.append("Read with care: " + "; ".join(v.check.rstrip("?").lower() for v in bad)
                          + " (see the diagnostics below).")
        else:
            points.append("The diagnostics below raise no concerns about the model.")
        return answer, points

    def _slope_sentence(self, sl: pd.Series) -> str:
        ci = fmt_ci(sl["ci_low"], sl["ci_high"], self.result.level)
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
                       f"{fmt_ci(rr['ci_low'], rr['ci_high'], lvl)}).")
            ev = rows.loc["difference_in_events"]
            cu = rows.loc["cumulative_difference"]
            out.append(f"That is {_count_text(ev, lvl)} {self.outcome_label} in that {self.period_label}, and "
                       f"{_count_text(cu, lvl)} in total since the start.")
        else:
            d = rows.loc["difference"]
            out.append(f"By {when}, {self.outcome_label} were {fmt_number(d['estimate'])} away from the level expected "
                       f"without the scheme ({fmt_ci(d['ci_low'], d['ci_high'], lvl)}).")
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
            ("Comparison", "a comparison area's series (as a check)" if self.controlled is not None
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
                f"they cannot say whether the effect differed across the deprivation gradient. Supplying the "
                f"series by {self.group_label} would give each group its own estimate, with a test of whether "
                "they differ (the technical appendix says how).")

    def roles_text(self) -> str:
        """How the data are mapped (column roles in evaluation.yaml), for the appendix."""
        return ("The stage reads the roles time, outcome and denominator. A comparison area's series is added by "
                "mapping comparison_outcome and comparison_denominator; a breakdown by "
                f"{self.group_label} by mapping the column to the group role (one row per group and "
                f"{self.period_label}).")

    @property
    def start(self):
        d = self.result.counterfactual
        return d.loc[(d["series"] == "intervention") & d["post"], "time"].iloc[0]

    def limits_text(self) -> str:
        """The standing threats of the design, named on the headline (issue 15)."""
        text = ("This design compares one area with its own past. It cannot tell the scheme apart from anything "
                "else that changed at the same time (another scheme, a change in services, coding or "
                "admission policy), and with a single area there is no second place where the scheme was tried "
                "to confirm the result."
                + (" The comparison area below is a partial check on this." if self.controlled is not None else ""))
        covid = covid_caution(self.start, unit=self.period_label)
        return text + (" " + covid if covid else "")

    def effect_axis_labels(self) -> tuple[str, str]:
        """Axis labels of the effect panels: the difference each period and in total."""
        if self.ratio:
            return (f"Difference each {self.period_label}\n(number)", "Total difference\nsince the start (number)")
        unit = f"\n({self.rate_label})" if self.rate_label else ""
        return f"Difference each {self.period_label}{unit}", f"Total difference\nsince the start{unit}"

    def series_alt(self) -> str:
        """Alt text of the counterfactual chart with its band and effect panels."""
        r = self.result
        d = r.counterfactual[r.counterfactual["series"] == "intervention"]
        unit = self.period_label
        pct = f"{r.level * 100:g}%"
        last = self._last_horizon_sentences()
        return (f"Three charts sharing a time axis from {fmt_time(d['time'].iloc[0], unit=unit)} to "
                f"{fmt_time(d['time'].iloc[-1], unit=unit)}. Top: {self.outcome_label} observed each {unit} (dots), "
                f"the fitted trend (solid line) and, from {fmt_time(self.start, unit=unit)}, the level expected "
                f"without the scheme (dashed line) inside a hatched band showing its {pct} interval. Middle: the "
                f"estimated difference each {unit}, with its {pct} interval shaded. Bottom: the total difference "
                f"since the start, with its interval. " + " ".join(last))

    def comparison_alt(self) -> str:
        c = self.controlled if self.controlled is not None else self.result
        d = c.counterfactual[c.counterfactual["series"] == "intervention"]
        unit = self.period_label
        return (f"Line chart of {self.outcome_label} in this area (dots) and the comparison area (squares) from "
                f"{fmt_time(d['time'].iloc[0], unit=unit)} to {fmt_time(d['time'].iloc[-1], unit=unit)}, with "
                f"fitted trends (solid lines), the level expected without the scheme (dashed) and a dotted line at "
                f"the start, {fmt_time(self.start, unit=unit)}. Allowing for the comparison area, the level change "
                f"at the start is {fmt_number(c.estimate)} ({fmt_ci(c.ci_low, c.ci_high, c.level)}).")


def _count_text(row: pd.Series, level: float) -> str:
    """``about 1,430 fewer (95% CI 1,250 to 1,620 fewer)``; an interval across zero is said so."""
    est, lo, hi = row["estimate"], row["ci_low"], row["ci_high"]
    word = "fewer" if est < 0 else "more"
    if lo < 0 < hi:
        return (f"{fmt_count(abs(est))} {word} ({level * 100:g}% CI {fmt_count(abs(lo), about=False)} fewer to "
                f"{fmt_count(abs(hi), about=False)} more)")
    a, b = sorted((abs(lo), abs(hi)))
    return (f"{fmt_count(abs(est))} {word} ({level * 100:g}% CI {fmt_count(a, about=False)} to "
            f"{fmt_count(b, about=False)} {word})")


def _certainty(row: pd.Series, ratio: bool) -> str:
    null = 1.0 if ratio else 0.0
    if row["ci_low"] > null or row["ci_high"] < null:
        side = "above" if row["ci_low"] > null else "below"
        return f"The whole interval is {side} {null:g} (no change), so this is unlikely to be chance."
    return f"The interval includes {null:g} (no change), so we cannot rule out that the scheme made no difference."
