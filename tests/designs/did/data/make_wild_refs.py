"""Produce wild cluster bootstrap reference numbers (pyfixest + wildboottest).

Run from the repository root in an environment with pyfixest and wildboottest
(``pip install pyfixest wildboottest``; they are not toolkit dependencies)::

    python tests/designs/did/data/make_wild_refs.py

For each case pyfixest fits ``feols(fml, vcov={"CRV1": cluster})`` and runs
``Feols.wildboottest(param, reps, weights_type="rademacher", impose_null=True,
bootstrap_type="11", seed)``, which builds the fixed effects one-hot and calls
``wildboottest.WildboottestCL`` (the restricted wild cluster bootstrap-t of
Roodman et al. 2019).  With 2**G < reps every Rademacher vector is enumerated,
so those p-values are exact (no simulation error) and must agree with ours to
rounding; the other cases use random draws (compare within Monte-Carlo error).
Writes ``wild_refs.json`` next to this script.
"""

from __future__ import annotations

import json
import sys
import warnings
from pathlib import Path

import numpy as np
import pyfixest as pf
from importlib.metadata import version

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
from simdata import checksum, panel  # noqa: E402

CASES = {
    # 10 clusters (PCN-like), one coefficient, 2**10 = 1024 < reps: full enumeration
    "pcn10_enumerated": dict(sim=dict(n_units=60, n_periods=8, seed=41, cohorts=(0, 5), effect=0.3),
                             n_clusters=10, fml="y ~ d | unit + time", params=["d"], reps=9999),
    # 12 clusters with a covariate, both coefficients, 4096 < reps: full enumeration
    "pcn12_covariate_enumerated": dict(sim=dict(n_units=72, n_periods=6, seed=42, cohorts=(0, 3, 5),
                                                effect=0.2, drop_frac=0.05),
                                       n_clusters=12, fml="y ~ d + x | unit + time", params=["d", "x"],
                                       reps=9999),
    # 40 clusters: random Rademacher draws (Monte-Carlo comparison)
    "cl40_random": dict(sim=dict(n_units=120, n_periods=6, seed=43, cohorts=(0, 4), effect=0.15),
                        n_clusters=40, fml="y ~ d | unit + time", params=["d"], reps=9999),
}


def make(case: dict):
    df = panel(**case["sim"])
    df["pcn"] = (df["unit"] - 1) % case["n_clusters"]
    return df


def main() -> None:
    out = {"pyfixest_version": pf.__version__, "wildboottest_version": version("wildboottest"),
           "cases": {}}
    for name, c in CASES.items():
        df = make(c)
        m = pf.feols(c["fml"], df, vcov={"CRV1": "pcn"})
        res = {}
        for prm in c["params"]:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                b = m.wildboottest(param=prm, reps=c["reps"], weights_type="rademacher", impose_null=True,
                                   bootstrap_type="11", seed=20240517, parallel=False)
            res[prm] = {"t_stat": float(b["t value"]), "p_value": float(b["Pr(>|t|)"]),
                        "crv1_t": float(m.tstat()[prm]), "coef": float(m.coef()[prm])}
        out["cases"][name] = {**{k: v for k, v in c.items()}, "checksum": checksum(df), "results": res}
    (HERE / "wild_refs.json").write_text(json.dumps(out, indent=1))


if __name__ == "__main__":
    main()
