"""Write moderndid_mpdta_refs.csv: Callaway & Sant'Anna with covariates on mpdta, computed by moderndid.

moderndid (MIT licence) is a Python port of R's ``did``/``DRDID``; its covariate
estimators reproduce R ``did::att_gt`` (its own test suite compares them). Run in a
separate environment (``pip install moderndid``; version recorded in the output's
``source`` column)::

    python make_moderndid_refs.py

Data: ``mpdta.csv`` + ``mpdta_lpop.csv`` (the same county panel; moderndid ships
``mpdta`` with ``lpop``). Analytic standard errors (``boot=False``).
"""

from pathlib import Path

import moderndid as md
import pandas as pd

HERE = Path(__file__).parent

SCENARIOS = {
    # name: (est_method, control_group, base_period, anticipation)
    "dr_lpop_never": ("dr", "nevertreated", "varying", 0),
    "dr_lpop_notyet": ("dr", "notyettreated", "varying", 0),
    "ipw_lpop_never": ("ipw", "nevertreated", "varying", 0),
    "ipw_lpop_notyet": ("ipw", "notyettreated", "varying", 0),
    "reg_lpop_notyet": ("reg", "notyettreated", "varying", 0),
    "dr_lpop_notyet_universal": ("dr", "notyettreated", "universal", 0),
    "dr_lpop_notyet_anticipation1": ("dr", "notyettreated", "varying", 1),
}


def main() -> None:
    data = pd.read_csv(HERE / "mpdta.csv").merge(pd.read_csv(HERE / "mpdta_lpop.csv"), on="countyreal")
    rows = []
    for name, (est, cg, bp, ant) in SCENARIOS.items():
        r = md.att_gt(data, yname="lemp", tname="year", idname="countyreal", gname="first.treat",
                      xformla="~lpop", est_method=est, control_group=cg, base_period=bp, anticipation=ant,
                      boot=False, cband=False)
        for g, t, a, s in zip(r.groups, r.times, r.att_gt, r.se_gt):
            rows.append({"scenario": name, "kind": "att_gt", "group": g, "time": t, "key": "", "att": a, "se": s})
        for kind in ("simple", "dynamic"):
            ag = md.aggte(r, type=kind, boot=False, cband=False)
            rows.append({"scenario": name, "kind": kind, "key": "overall", "att": ag.overall_att, "se": ag.overall_se})
            if kind == "dynamic":
                for e, a, s in zip(ag.event_times, ag.att_by_event, ag.se_by_event):
                    rows.append({"scenario": name, "kind": kind, "key": str(int(e)), "att": a, "se": s})
    out = pd.DataFrame(rows).assign(source=f"moderndid {md.__version__}")
    out.to_csv(HERE / "moderndid_mpdta_refs.csv", index=False, float_format="%.15g")


if __name__ == "__main__":
    main()
