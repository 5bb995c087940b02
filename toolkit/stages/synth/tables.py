"""The synthetic-control stage's tables: the trajectory, the weights, the areas, the placebos, the groups.

A mixin of :class:`toolkit.stages.synth.analysis.SynthAnalysis`; each method returns a display DataFrame.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from toolkit.reporting.formatting import fmt_number, fmt_p
from toolkit.reporting.language import upper_first
from toolkit.stages.common import fmt_time

__all__ = ["SynthTables"]


class SynthTables:
    """Tables of the synth report (needs ``result``, ``panel``, ``by_group`` and the labels)."""

    def _t(self, value: Any) -> str:
        return fmt_time(value, unit=self.time_unit or self.period_label)

    def trajectory_table(self) -> pd.DataFrame:
        from toolkit.reporting.plots.synth import placebo_band

        g = self.result.gaps.reset_index(drop=True)
        out = pd.DataFrame({upper_first(self.period_label): [self._t(t) for t in g["time"]],
                            "Scheme running": ["yes" if p else "no" for p in g["post"]],
                            self.treated_label: g["treated"].to_numpy(), "Synthetic control": g["synthetic"].to_numpy(),
                            "Gap": g["gap"].to_numpy(),
                            "Gap added up since the start": g["gap"].where(g["post"], 0.0).cumsum().where(g["post"])
                            .to_numpy()})
        band = placebo_band(self.result)
        if band is not None:
            b = band.set_index("time").reindex(g["time"])
            out["Placebo gaps: lowest"] = b["low"].to_numpy()
            out["Placebo gaps: highest"] = b["high"].to_numpy()
        return out

    def trajectory_alt(self) -> str:
        from toolkit.reporting.plots.synth import placebo_band

        r, g = self.result, self.result.gaps
        band = placebo_band(r)
        post = g[g["post"]]
        outside = int(((post["gap"] < band.set_index("time")["low"].reindex(post["time"]).to_numpy())
                       | (post["gap"] > band.set_index("time")["high"].reindex(post["time"]).to_numpy())).sum()) \
            if band is not None else None
        text = (f"Three charts sharing a time axis from {self._t(g['time'].iloc[0])} to {self._t(g['time'].iloc[-1])}. "
                f"Top: {self.outcome_label} for {self.treated_label} (solid line, circles) and its synthetic control "
                f"(dashed line, squares), which track each other before the scheme (typical miss "
                f"{fmt_number(r.pre_rmspe)}); afterwards {self.treated_label} is on average "
                f"{fmt_number(abs(r.estimate))} {'lower' if r.estimate < 0 else 'higher'}. Middle: the gap each "
                f"{self.period_label}; bottom: the gap added up since the start.")
        if band is not None:
            text += (f" A hatched or shaded band shows the lowest to highest gap among "
                     f"{int(band['n_placebos'].iloc[0])} comparison areas treated as if they had the scheme; "
                     f"the area's gap is outside it in {outside} of {len(post)} {self.period_label}s since the start.")
        return text

    def placebo_alt(self) -> str:
        r = self.result
        n = len(r.placebos) if r.placebos is not None else 0
        return (f"Line chart of the gap between each area and its synthetic control: {self.treated_label} as a "
                f"thick line with dots and {n - 1} comparison areas, each treated as if it had the scheme, as thin "
                f"grey lines. Relative to how well it fitted before the start, {self.treated_label}'s gap ranks "
                f"{int(r.placebos['rank'].iloc[0])} of {n} (placebo p-value {fmt_p(r.p_value)}).")

    def weights_table(self) -> pd.DataFrame:
        w = self.result.weights
        w = w[w["weight"] > 0]
        return pd.DataFrame({"Comparison area": w["unit"].astype(str).to_numpy(), "Weight": w["weight"].to_numpy()})

    def areas_table(self) -> pd.DataFrame | None:
        """The data: every area's mean outcome before and after the start, its role and weight."""
        if self.panel is None:
            return None
        r = self.result
        start = r.gaps.loc[r.gaps["post"], "time"].iloc[0]
        p = self.panel.assign(post=self.panel["time"] >= start)
        means = p.groupby(["unit", "post"])["outcome"].mean().unstack()
        periods = p.groupby("unit")["outcome"].count()
        weights = dict(zip(r.weights["unit"].astype(str), r.weights["weight"]))
        treated = str(r.extra["treated_unit"])

        def role(u):
            return "has the scheme" if u == treated else "comparison" if u in weights else "not used"

        out = pd.DataFrame({"Area": means.index.astype(str),
                            "Role": [role(str(u)) for u in means.index],
                            "Periods with data": periods.reindex(means.index).to_numpy(),
                            "Mean before the start": means.get(False, pd.Series(np.nan, index=means.index)).to_numpy(),
                            "Mean since the start": means.get(True, pd.Series(np.nan, index=means.index)).to_numpy(),
                            "Weight": [weights.get(str(u), np.nan) for u in means.index]})
        order = out["Role"].map({"has the scheme": 0, "comparison": 1, "not used": 2})
        return out.assign(_o=order).sort_values(["_o", "Area"], kind="stable").drop(columns="_o").reset_index(drop=True)

    def weights_alt(self) -> str:
        w = self.weights_table()
        top = ", ".join(f"{u} {fmt_number(v)}" for u, v in zip(w["Comparison area"].head(3), w["Weight"].head(3)))
        return (f"Bar chart of the weights of the {len(w)} comparison areas that make up the synthetic control for "
                f"{self.treated_label}; the largest are {top}. The weights sum to 1.")

    def placebo_table(self) -> pd.DataFrame:
        p = self.result.placebos
        return pd.DataFrame({
            "Area": p["unit"].astype(str).to_numpy(), "Has the scheme": p["treated"].to_numpy(),
            "Fit error before": p["pre_rmspe"].to_numpy(), "Error after": p["post_rmspe"].to_numpy(),
            "Ratio after/before": p["ratio"].to_numpy(), "Rank": p["rank"].astype(int).to_numpy(),
            "Average gap after": p["average_post_gap"].to_numpy()}).sort_values("Rank", kind="stable")

    def leave_one_out_table(self) -> pd.DataFrame | None:
        loo = self.result.leave_one_out
        if loo is None or loo.empty:
            return None
        return pd.DataFrame({"Comparison area left out": loo["excluded_donor"].astype(str).to_numpy(),
                             "Average gap": loo["estimate"].to_numpy(), "Fit error before":
                             loo["pre_rmspe"].to_numpy()})

    def group_table(self) -> pd.DataFrame | None:
        if self.by_group is None:
            return None
        b = self.by_group
        return pd.DataFrame({upper_first(self.group_label): b["group"].astype(str).to_numpy(),
                             "Average gap": b["estimate"].to_numpy(), "Placebo p-value": [fmt_p(v) for v in b["p_value"]],
                             "Fit error before": b["pre_rmspe"].to_numpy(), "Note": b["note"].to_numpy()})
