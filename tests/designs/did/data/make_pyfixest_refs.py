"""Produce pyfixest reference numbers for the TWFE and event-study tests.

Run from the repository root with the dev environment (pyfixest installed)::

    .venv/bin/python tests/designs/did/data/make_pyfixest_refs.py

pyfixest (a Python port of R fixest) is run with fixest's default small-sample
correction for clustered SEs (``ssc(adj=TRUE, fixef.K="nested",
cluster.adj=TRUE)``; pyfixest's ``k_fixef="nonnested"``).  Clusters are passed
as a *copy* of the unit column (``ucl``): on small panels pyfixest 0.60 was seen
to miscount K when the cluster column has the same name as a fixed effect (it
reported K = 2 instead of fixest's 1 + number of periods), which would not be
fixest's number.
Writes ``pyfixest_refs.json`` next to this script.
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
    "balanced": dict(sim=dict(seed=11), fml="y ~ d | unit + time", cluster="ucl", weights=None),
    "balanced_weighted": dict(sim=dict(seed=12), fml="y ~ d | unit + time", cluster="ucl", weights="w"),
    "unbalanced_covariate": dict(sim=dict(seed=13, drop_frac=0.15), fml="y ~ d + x | unit + time",
                                 cluster="ucl", weights=None),
    "unbalanced_weighted_state": dict(sim=dict(seed=14, drop_frac=0.1), fml="y ~ d | unit + time",
                                      cluster="state", weights="w"),
}


def main() -> None:
    out = {"pyfixest_version": pf.__version__, "twfe": {}, "event_study": {}, "organ_donations": {}}
    for name, c in CASES.items():
        df = panel(**c["sim"])
        m = pf.feols(c["fml"], df, vcov={"CRV1": c["cluster"]}, weights=c["weights"])
        out["twfe"][name] = {
            "sim": c["sim"], "formula": c["fml"], "cluster": c["cluster"], "weights": c["weights"],
            "checksum": checksum(df), "n_obs": int(m._N),
            "coef": {k: float(v) for k, v in m.coef().items()},
            "se": {k: float(v) for k, v in m.se().items()},
        }
    # event study: explicit event-time dummies, reference -1, never-treated all zero
    for name, sim, w in (("es_balanced", dict(seed=21, dynamic_slope=0.5), None),
                         ("es_weighted", dict(seed=22, cohort_slope=1.0), "w")):
        df = panel(**sim)
        rel = np.where(df.first_treated > 0, df.time - df.first_treated, np.nan)
        evs = sorted(set(rel[~np.isnan(rel)]) - {-1.0})
        cols = {}
        for e in evs:
            nm = f"e{'m' if e < 0 else 'p'}{abs(int(e))}"
            df[nm] = (rel == e).astype(float)
            cols[nm] = e
        m = pf.feols("y ~ " + " + ".join(cols) + " | unit + time", df, vcov={"CRV1": "ucl"}, weights=w)
        pre = [k for k, e in cols.items() if e < -1]
        R = np.zeros((len(pre), len(cols)))
        for i, k in enumerate(pre):
            R[i, list(cols).index(k)] = 1.0
        wt = m.wald_test(R=R)
        out["event_study"][name] = {
            "sim": sim, "weights": w, "checksum": checksum(df),
            "coef": {str(cols[k]): float(v) for k, v in m.coef().items()},
            "se": {str(cols[k]): float(v) for k, v in m.se().items()},
            "wald_chi2": float(wt["statistic"]), "wald_p_chi2": float(wt["pvalue"]),
        }
    od = pd.read_csv(HERE / "organ_donation.csv")
    od["Treated"] = ((od.State == "California") & od.Quarter.isin(["Q32011", "Q42011", "Q12012"])).astype(int)
    od["state_cl"] = od["State"]
    m = pf.feols("Rate ~ Treated | State + Quarter", od, vcov={"CRV1": "state_cl"})
    out["organ_donations"] = {"coef": float(m.coef().iloc[0]), "se": float(m.se().iloc[0]), "n_obs": int(m._N)}
    mp = pd.read_csv(HERE / "mpdta.csv").rename(columns={"first.treat": "g"})
    mp["d"] = ((mp.g > 0) & (mp.year >= mp.g)).astype(int)
    mp["ccl"] = mp["countyreal"]
    m = pf.feols("lemp ~ d | countyreal + year", mp, vcov={"CRV1": "ccl"})
    rel = np.where(mp.g > 0, mp.year - mp.g, np.nan)
    cols = {}
    for e in sorted(set(rel[~np.isnan(rel)]) - {-1.0}):
        nm = f"e{'m' if e < 0 else 'p'}{abs(int(e))}"
        mp[nm] = (rel == e).astype(float)
        cols[nm] = e
    es = pf.feols("lemp ~ " + " + ".join(cols) + " | countyreal + year", mp, vcov={"CRV1": "ccl"})
    out["mpdta"] = {
        "twfe_coef": float(m.coef().iloc[0]), "twfe_se": float(m.se().iloc[0]),
        "es_coef": {str(cols[k]): float(v) for k, v in es.coef().items()},
        "es_se": {str(cols[k]): float(v) for k, v in es.se().items()},
    }
    (HERE / "pyfixest_refs.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
