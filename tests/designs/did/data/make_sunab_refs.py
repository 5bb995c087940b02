"""Produce Sun & Abraham reference numbers with pyfixest (explicit cohort x event-time dummies).

Run from the repository root where pyfixest is installed (``pip install pyfixest``)::

    python tests/designs/did/data/make_sunab_refs.py

For each seeded panel of ``../simdata.py`` this builds fixest's ``sunab()``
regression by hand -- one dummy per (cohort, event time) cell of the treated
cohorts, event time -1 left out, never-treated (or the last cohort, with its
post-adoption periods dropped) as the comparison -- fits it with
``pyfixest.feols(..., vcov={"CRV1": cluster})`` (fixest's small-sample
correction), and aggregates the cell coefficients to event times with the
cohort shares (observation counts, or sums of the regression weights) and
the delta method with the shares fixed, as ``fixest::aggregate()``.
Writes ``sunab_refs.json`` next to this script.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyfixest as pf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from simdata import checksum, panel  # noqa: E402

CASES = {
    "never_balanced": dict(sim=dict(n_units=150, n_periods=7, seed=51, cohorts=(0, 3, 5), cohort_slope=1.0,
                                    dynamic_slope=0.4), control="never", cluster="ucl", weights=None),
    "never_unbalanced_weighted_state": dict(sim=dict(n_units=160, n_periods=7, seed=52, cohorts=(0, 3, 4, 6),
                                                     dynamic_slope=0.3, drop_frac=0.08),
                                            control="never", cluster="state", weights="w"),
    "last_cohort": dict(sim=dict(n_units=150, n_periods=8, seed=53, cohorts=(3, 5, 7), cohort_slope=0.5),
                        control="last", cluster="ucl", weights=None),
}


def main() -> None:
    out = {"pyfixest_version": pf.__version__, "cases": {}}
    for name, c in CASES.items():
        df = panel(**c["sim"])
        ck = checksum(df)
        # always treated (no row before adoption) are left out, as fixest does
        first_seen = df.groupby("unit")["time"].transform("min")
        df = df[~((df.first_treated > 0) & (df.first_treated <= first_seen))].copy()
        g = df["first_treated"].astype(float)
        cohorts = sorted(set(g[g > 0]))
        if c["control"] == "last":
            last = cohorts[-1]
            df = df[df["time"] < last].copy()
            cohorts = cohorts[:-1]
        g = df["first_treated"].astype(float)
        tr = g.isin(cohorts)
        rel = np.where(tr, df["time"] - g, np.nan)
        wcol = df[c["weights"]] if c["weights"] else pd.Series(1.0, index=df.index)
        cells = (pd.DataFrame({"g": g[tr], "e": rel[tr], "w": wcol[tr]}).groupby(["g", "e"])["w"].sum()
                 .reset_index())
        cells = cells[cells.e != -1].reset_index(drop=True)
        names = []
        for gg, e in zip(cells.g, cells.e):
            nm = f"c{int(gg)}_{'m' if e < 0 else 'p'}{abs(int(e))}"
            df[nm] = ((g == gg) & (rel == e)).astype(float)
            names.append(nm)
        m = pf.feols("y ~ " + " + ".join(names) + " | unit + time", df, vcov={"CRV1": c["cluster"]},
                     weights=c["weights"])
        b = m.coef()[names].to_numpy()
        V = m._vcov
        idx = [list(m._coefnames).index(n) for n in names]
        V = V[np.ix_(idx, idx)]
        share = cells.w / cells.groupby("e").w.transform("sum")
        event = {}
        for e in sorted(cells.e.unique()):
            a = np.where(cells.e == e, share, 0.0)
            event[str(e)] = {"estimate": float(a @ b), "se": float(np.sqrt(a @ V @ a))}
        a = np.where(cells.e >= 0, cells.w, 0.0)
        a = a / a.sum()
        out["cases"][name] = {**c, "checksum": ck, "n_obs": int(m._N), "event": event,
                              "att": {"estimate": float(a @ b), "se": float(np.sqrt(a @ V @ a))},
                              "cells": {f"{gg:g}:{e:g}": float(v) for gg, e, v in zip(cells.g, cells.e, b)}}
    (HERE / "sunab_refs.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
