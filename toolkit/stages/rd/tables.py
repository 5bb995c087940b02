"""The regression-discontinuity stage's tables: the data, the bins, the estimates, the density test, the groups.

A mixin of :class:`toolkit.stages.rd.analysis.RDAnalysis`; each method returns a display DataFrame.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from toolkit.reporting.formatting import fmt_p
from toolkit.reporting.language import upper_first

__all__ = ["RDTables"]


class RDTables:
    """Tables of the RD report (needs ``result``, ``by_group``, ``treated_side`` and the labels)."""

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
