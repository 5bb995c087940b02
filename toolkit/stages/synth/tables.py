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
        g = self.result.gaps
        return pd.DataFrame({upper_first(self.period_label): [self._t(t) for t in g["time"]],
                             self.treated_label: g["treated"].to_numpy(), "Synthetic control": g["synthetic"].to_numpy(),
                             "Gap": g["gap"].to_numpy(), "Scheme running": g["post"].to_numpy()})

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
            "Fit error before (RMSPE)": p["pre_rmspe"].to_numpy(), "Error after (RMSPE)": p["post_rmspe"].to_numpy(),
            "Ratio after/before": p["ratio"].to_numpy(), "Rank": p["rank"].astype(int).to_numpy(),
            "Average gap after": p["average_post_gap"].to_numpy()}).sort_values("Rank", kind="stable")

    def leave_one_out_table(self) -> pd.DataFrame | None:
        loo = self.result.leave_one_out
        if loo is None or loo.empty:
            return None
        return pd.DataFrame({"Comparison area left out": loo["excluded_donor"].astype(str).to_numpy(),
                             "Average gap": loo["estimate"].to_numpy(), "Fit error before (RMSPE)":
                             loo["pre_rmspe"].to_numpy()})

    def group_table(self) -> pd.DataFrame | None:
        if self.by_group is None:
            return None
        b = self.by_group
        return pd.DataFrame({upper_first(self.group_label): b["group"].astype(str).to_numpy(),
                             "Average gap": b["estimate"].to_numpy(), "Placebo p-value": [fmt_p(v) for v in b["p_value"]],
                             "Fit error before (RMSPE)": b["pre_rmspe"].to_numpy(), "Note": b["note"].to_numpy()})
