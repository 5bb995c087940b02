"""Produce imputation-estimator reference point estimates with pyfixest's did2s.

Run from the repository root where pyfixest is installed (``pip install pyfixest``)::

    python tests/designs/did/data/make_imputation_refs.py

Gardner's two-stage estimator (``pyfixest.did2s``: first stage ``~ 0 | unit +
time`` on the untreated rows, second stage the residualised outcome on
mutually exclusive treatment indicators) has the same point estimates as
Borusyak, Jaravel & Spiess's imputation estimator (BJS 2024, section 4.1; the
second-stage coefficient of an indicator is the mean imputed effect of its
rows).  Standard errors differ (did2s uses GMM two-stage errors), so only
point estimates are recorded.  Writes ``imputation_refs.json``.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import numpy as np
import pyfixest as pf

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from simdata import checksum, panel  # noqa: E402

CASES = {
    "balanced": dict(sim=dict(n_units=200, n_periods=8, seed=61, cohorts=(0, 3, 5, 7), cohort_slope=1.0,
                              dynamic_slope=0.5), weights=None),
    # (pyfixest 0.60's did2s fails on unbalanced panels -- its vcov step drops rows -- so both are balanced)
    "balanced_weighted": dict(sim=dict(n_units=180, n_periods=7, seed=63, cohorts=(0, 3, 6), cohort_slope=1.5),
                              weights="w"),
}


def main() -> None:
    out = {"pyfixest_version": pf.__version__, "cases": {}}
    for name, c in CASES.items():
        df = panel(**c["sim"])
        ck = checksum(df)
        treat = (df.first_treated > 0) & (df.time >= df.first_treated)
        # rows of units with no untreated row cannot be imputed (both estimators leave them out; pyfixest
        # 0.60's did2s fails on them, so they are removed here)
        has0 = (~treat).groupby(df["unit"]).transform("any")
        df = df[has0].copy()
        treat = treat[has0]
        df["treat"] = treat.astype(bool)
        rel = np.where(treat, df.time - df.first_treated, -1)
        names = {}
        for e in sorted(set(rel[treat])):
            nm = f"ep{int(e)}"
            df[nm] = (rel == e).astype(float)
            names[nm] = float(e)
        kw = {"weights": c["weights"]} if c["weights"] else {}
        df["treat_f"] = treat.astype(float)
        m_att = pf.did2s(df, yname="y", first_stage="~ 0 | unit + time", second_stage="~ 0 + treat_f",
                         treatment="treat", cluster="ucl", **kw)
        m_es = pf.did2s(df, yname="y", first_stage="~ 0 | unit + time",
                        second_stage="~ 0 + " + " + ".join(names), treatment="treat", cluster="ucl", **kw)
        out["cases"][name] = {
            **c, "checksum": ck, "att": float(m_att.coef()["treat_f"]),
            "event": {str(names[k]): float(v) for k, v in m_es.coef().items()},
            "did2s_se_att": float(m_att.se()["treat_f"]),
        }
    (HERE / "imputation_refs.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
