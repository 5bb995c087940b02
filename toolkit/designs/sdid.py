"""Synthetic difference-in-differences (Arkhangelsky, Athey, Hirshberg, Imbens & Wager 2021, AER 111:4088).

``fit`` re-weights the comparison units (ω) so that their pre-scheme trend matches
the treated units', and the pre-scheme periods (λ) so that they resemble the
post-scheme periods, then takes the weighted difference in differences.  The same
machinery gives the synthetic-control (``method="sc"``) and plain DiD
(``method="did"``) estimates of the paper's Table 1, so the three can be compared.
Standard errors by the placebo method (the paper's Algorithm 4).

Written here from the paper's equations (the R ``synthdid`` package is GPL; its
code was not used).  The weights solve the paper's regularised least-squares
problems on the simplex by Frank–Wolfe with exact line search, with the settings
documented as the reference implementation's defaults (start from uniform weights,
100 steps, sparsify — weights at most a quarter of the largest set to zero — then
up to 10,000 steps, stopping when the objective falls by less than (10⁻⁵σ̂)²), so
that the published Proposition 99 numbers are reproduced to 10⁻⁵.  No maintained
Python package with a permissive licence offered this with placebo SEs.

Layout: the simplex-weight solver in :mod:`toolkit.designs.sdid_weights`, the point
estimate and placebo replications in :mod:`toolkit.designs.sdid_estimate`; this module
validates the panel, computes the placebo SE and assembles the result.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.cautions import Caution
from toolkit.designs._timeseries import check_columns
from toolkit.designs.result import DesignResult
from toolkit.designs.sdid_estimate import METHODS, estimate, placebo_estimates
from toolkit.errors import DataError, DesignError

__all__ = ["SDIDResult", "fit", "estimate", "placebo_estimates", "compare", "METHODS"]


@dataclass(frozen=True, repr=False)
class SDIDResult(DesignResult):
    """Result of :func:`fit`.

    Extra attributes
    ----------------
    unit_weights : DataFrame (``unit``, ``weight``) ω over comparison units, largest first.
    time_weights : DataFrame (``time``, ``weight``) λ over pre-scheme periods.
    trajectory : DataFrame per period: ``time``, ``post``, ``treated`` (mean of treated
        units), ``synthetic`` (ω-weighted comparison shifted by the weighted pre-period
        gap), ``gap``.
    placebo_estimates : array of the placebo estimates behind ``se``.
    """

    unit_weights: pd.DataFrame | None = field(default=None, compare=False)
    time_weights: pd.DataFrame | None = field(default=None, compare=False)
    trajectory: pd.DataFrame | None = field(default=None, compare=False)
    placebo_estimates: np.ndarray | None = field(default=None, compare=False)

def _matrix(data: pd.DataFrame, outcome: str, unit: str, time: str, treated: list, start: Any
            ) -> tuple[pd.DataFrame, np.ndarray, list, list[str]]:
    check_columns(data, {"outcome": outcome, "unit": unit, "time": time})
    num = pd.to_numeric(data[outcome], errors="coerce")
    bad = (num.isna() & data[outcome].notna()).to_numpy()
    if bad.any():
        raise DataError("values are not numbers", column=outcome, rows=tuple(int(i) + 2 for i in np.flatnonzero(bad)[:5]),
                        count=int(bad.sum()), fix="make the outcome numeric (leave missing values empty)")
    dup = data.duplicated([unit, time], keep=False).to_numpy()
    if dup.any():
        raise DataError("the same unit and period appear more than once", column=unit,
                        rows=tuple(int(i) + 2 for i in np.flatnonzero(dup)[:5]), count=int(dup.sum()),
                        fix="aggregate to one row per unit and period")
    wide = data.assign(**{outcome: num}).pivot(index=unit, columns=time, values=outcome).sort_index(axis=1)
    missing = [u for u in treated if u not in wide.index]
    if missing:
        raise DataError(f"treated unit(s) not in the panel: {', '.join(map(str, missing))}", column=unit,
                        fix="check the spelling of the treated units")
    try:
        cols = wide.columns
        s = pd.Timestamp(start) if pd.api.types.is_datetime64_any_dtype(cols) else start
        post = np.asarray(cols >= s)
    except TypeError as exc:
        raise DesignError(f"treatment_start {start!r} cannot be compared with the periods in '{time}'") from exc
    warnings: list[str] = []
    if wide.loc[treated].isna().any().any():
        raise DataError("a treated unit misses periods or outcome values", column=outcome,
                        fix="supply every period for the treated units")
    controls = [u for u in wide.index if u not in set(treated)]
    incomplete = [u for u in controls if wide.loc[u].isna().any()]
    if incomplete:
        warnings.append(Caution(f"{len(incomplete)} comparison unit(s) excluded because they miss periods: "
                                f"{', '.join(map(str, incomplete[:8]))}{' ...' if len(incomplete) > 8 else ''}.",
                                code="sdid.units_incomplete"))
        controls = [u for u in controls if u not in set(incomplete)]
    return wide.loc[controls + list(treated)], post, controls, warnings


def fit(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_units: Any,
    treatment_start: Any,
    *,
    method: str = "sdid",
    se: str = "placebo",
    replications: int = 200,
    seed: int = 12345,
    level: float = 0.95,
    sparsify: bool = True,
    outcome_label: str | None = None,
) -> SDIDResult:
    """Synthetic difference-in-differences (or SC / DiD in the same framework) with placebo standard errors.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period (balanced for the treated units).
    outcome, unit, time : str
        Columns.
    treated_units : unit or list of units
        Units with the scheme; several give their average effect (all must start at
        ``treatment_start``: a block design).
    treatment_start
        First treated period.
    method : {"sdid", "sc", "did"}
        Estimator (see :func:`estimate`).
    se : {"placebo", "none"}
        Placebo standard errors (Algorithm 4) or none.
    replications : int
        Placebo draws; all assignments are enumerated when there are no more than this.
    seed : int
        Seed for the placebo draws.
    level : float
        Confidence level; interval τ̂ ± z·SE (normal, as the paper).
    sparsify : bool
        Sparsify the weights as the paper.
    outcome_label : str, optional

    Returns
    -------
    SDIDResult

    Notes
    -----
    See :func:`estimate` for the weights and τ̂.  Placebo variance:
    V = (1/B) Σ_b (τ̂_b − τ̄)² over placebo estimates τ̂_b computed on the comparison
    units alone with N₁ of them pseudo-treated; SE = √V.  Needs more comparison
    units than treated ones.  Reproduces the paper's Table 1 for Proposition 99
    (see the tests).
    """
    if se not in ("placebo", "none"):
        raise DesignError("se must be 'placebo' or 'none'")
    if method not in METHODS:
        raise DesignError(f"method must be one of {', '.join(METHODS)}")
    treated = list(treated_units) if isinstance(treated_units, (list, tuple, set, pd.Index, np.ndarray)) \
        else [treated_units]
    wide, post, controls, warnings = _matrix(data, outcome, unit, time, treated, treatment_start)
    t0, n0, n1 = int((~post).sum()), len(controls), len(treated)
    if t0 < 2 or post.sum() < 1:
        raise DesignError(f"treatment_start {treatment_start!r} leaves {t0} pre and {int(post.sum())} post "
                          "period(s); at least 2 pre and 1 post are needed")
    if n0 < 2:
        raise DesignError(f"only {n0} usable comparison unit(s); at least 2 are needed")
    Y = wide.to_numpy(float)
    est = estimate(Y, n0, t0, method=method, sparsify=sparsify)
    tau = est["tau"]
    sd = p = lo = hi = float("nan")
    plac = None
    if se == "placebo":
        if n0 <= n1:
            warnings.append(Caution("Placebo standard errors need more comparison units than treated units; none given.",
                                    code="sdid.no_placebo_se"))
        else:
            plac = placebo_estimates(Y[:n0], n1, t0, method=method, replications=replications, seed=seed,
                                     sparsify=sparsify)
            sd = float(np.sqrt(np.mean((plac - plac.mean()) ** 2)))
            z = stats.norm.ppf(1 - (1 - level) / 2)
            lo, hi = tau - z * sd, tau + z * sd
            p = float(2 * stats.norm.sf(abs(tau) / sd)) if sd > 0 else float("nan")
            if n0 < 20:
                warnings.append(Caution(f"Only {n0} comparison units: the placebo standard error rests on few placebos.",
                                        code="sdid.few_placebos"))
    times = wide.columns.to_numpy()
    tr = Y[n0:].mean(axis=0)
    co = est["omega"] @ Y[:n0]
    lam = est["lam"]
    shift = (tr[:t0] - co[:t0]) @ lam if lam.sum() > 0 else 0.0
    traj = pd.DataFrame({"time": times, "post": post, "treated": tr, "synthetic": co + shift})
    traj["gap"] = traj["treated"] - traj["synthetic"]
    uw = pd.DataFrame({"unit": controls, "weight": est["omega"]}).sort_values("weight", ascending=False,
                                                                             kind="stable").reset_index(drop=True)
    tw = pd.DataFrame({"time": times[:t0], "weight": lam})
    se_txt = ("placebo standard errors (" + (f"all {len(plac)} assignments" if plac is not None and
              len(plac) == math.comb(n0, n1) else f"{replications} draws, seed {seed}") + ")"
              if plac is not None else "no standard error")
    method_txt = (f"{METHODS[method]} (Arkhangelsky et al. 2021) with {n1} treated and {n0} comparison units, "
                  f"{t0} pre and {int(post.sum())} post periods; {se_txt}")
    table = pd.DataFrame([{"term": f"att_{method}", "estimate": tau, "se": sd, "ci_low": lo, "ci_high": hi,
                           "p_value": p, "n_obs": int(Y.size)}])
    return SDIDResult(
        estimate=tau, se=sd, ci_low=lo, ci_high=hi, p_value=p, n_obs=int(Y.size), method=method_txt,
        level=level, outcome=outcome_label or outcome, name=f"att_{method}", table=table,
        extra={"method": method, "treated_units": tuple(treated), "n_treated": n1, "n_control": n0, "n_pre": t0,
               "n_post": int(post.sum()), "zeta_omega": est["zeta_omega"], "noise_sd": est["sigma"]},
        warnings=tuple(warnings), unit_weights=uw, time_weights=tw, trajectory=traj, placebo_estimates=plac,
    )


def compare(data: pd.DataFrame, outcome: str, unit: str, time: str, treated_units: Any, treatment_start: Any,
            *, methods: Sequence[str] = ("sdid", "sc", "did"), **kwargs: Any) -> pd.DataFrame:
    """The paper's Table 1: estimate and placebo SE of each method, one row each."""
    rows = []
    for m in methods:
        r = fit(data, outcome, unit, time, treated_units, treatment_start, method=m, **kwargs)
        rows.append({"method": m, "label": METHODS[m], "estimate": r.estimate, "se": r.se, "ci_low": r.ci_low,
                     "ci_high": r.ci_high})
    return pd.DataFrame(rows)
