"""The interrupted-time-series stage's tables: the series, the horizons, the model terms, the groups.

A mixin of :class:`toolkit.stages.its.analysis.ITSAnalysis`; each method returns a display DataFrame.
"""

from __future__ import annotations

import pandas as pd

from toolkit.reporting.formatting import fmt_p
from toolkit.reporting.language import upper_first
from toolkit.stages.common import fmt_time

__all__ = ["ITSTables"]


class ITSTables:
    """Tables of the ITS report (needs ``result``, ``controlled``, ``by_group`` and the labels)."""

    def horizon_rows(self) -> pd.DataFrame:
        return self.result.horizons


    def series_table(self) -> pd.DataFrame:
        """The chart's data: each period's observed value, fitted trend, counterfactual with its interval, effects."""
        cf = self.result.counterfactual
        d = cf[cf["series"] == "intervention"].reset_index(drop=True)
        sfx = "_rate" if "observed_rate" in d else ""
        unit = f" ({self.rate_label})" if sfx else ""
        out = pd.DataFrame({
            upper_first(self.period_label): [fmt_time(t, unit=self.period_label) for t in d["time"]],
            "Scheme running": ["yes" if p else "no" for p in d["post"]],
            f"Observed{unit}": d["observed" + sfx].to_numpy(),
            f"Fitted trend{unit}": d["trend" + sfx].to_numpy(),
            f"Expected without the scheme{unit}": d["counterfactual_trend" + sfx].where(d["post"]).to_numpy(),
        })
        if getattr(self, "effects", None) is None:
            return out
        from toolkit.reporting.plots.its import counterfactual_band

        pct = f"{self.result.level * 100:g}%"
        band = counterfactual_band(self.result, self.effects).set_index("time")
        times = d["time"]
        out[f"Expected: {pct} interval from"] = times.map(band["low"]).to_numpy()
        out[f"Expected: {pct} interval to"] = times.map(band["high"]).to_numpy()
        point, total = (x.replace("\n", " ") for x in self.effect_axis_labels())
        e = self.effects
        for label, measure in ((point, "difference_in_events" if self.ratio else "difference"),
                               (total, "cumulative_difference")):
            m = e[e["measure"] == measure].set_index("time")
            out[label] = times.map(m["estimate"]).to_numpy()
            out[f"{label}: {pct} CI from"] = times.map(m["ci_low"]).to_numpy()
            out[f"{label}: {pct} CI to"] = times.map(m["ci_high"]).to_numpy()
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

