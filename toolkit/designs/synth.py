"""Synthetic control (Abadie, Diamond & Hainmueller 2010).

``fit`` chooses non-negative donor weights summing to one so that the weighted
donors reproduce the treated unit before the scheme; the effect is the gap
between the treated unit and its synthetic control afterwards.  Inference is by
in-space placebos (each donor treated in turn, ranked on the post/pre RMSPE ratio),
with a leave-one-out check of the donors that carry weight.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.designs._simplex import simplex_weights
from toolkit.designs._timeseries import check_columns
from toolkit.designs.result import DesignResult
from toolkit.errors import DataError, DesignError

__all__ = ["SynthResult", "fit", "simplex_weights", "MIN_PRE_PERIODS"]

#: refused with fewer pre-treatment periods than this
MIN_PRE_PERIODS = 5
WARN_PRE_PERIODS = 10


@dataclass(frozen=True, repr=False)
class SynthResult(DesignResult):
    """Result of :func:`fit`; ``estimate`` is the average post-period gap.

    ``se``, ``ci_low`` and ``ci_high`` are NaN: a synthetic control has no sampling
    standard error; ``p_value`` is the in-space placebo (permutation) p-value.

    Extra attributes
    ----------------
    weights : DataFrame  (``unit``, ``weight``), largest first.
    gaps : DataFrame  per period: ``time``, ``post``, ``treated``, ``synthetic``, ``gap``.
    placebos : DataFrame  per unit (treated first): ``pre_rmspe``, ``post_rmspe``,
        ``ratio``, ``average_post_gap``, ``rank``.
    placebo_gaps : DataFrame  long: ``unit``, ``time``, ``gap`` for every placebo.
    leave_one_out : DataFrame  refits without each weighted donor.
    balance : DataFrame  treated vs synthetic vs donor average on the matched variables.
    pre_rmspe : float
    """

    weights: pd.DataFrame | None = field(default=None, compare=False)
    gaps: pd.DataFrame | None = field(default=None, compare=False)
    placebos: pd.DataFrame | None = field(default=None, compare=False)
    placebo_gaps: pd.DataFrame | None = field(default=None, compare=False)
    leave_one_out: pd.DataFrame | None = field(default=None, compare=False)
    balance: pd.DataFrame | None = field(default=None, compare=False)
    pre_rmspe: float = float("nan")



def _post_mask(index: pd.Index, start: Any, time: str) -> np.ndarray:
    try:
        if pd.api.types.is_datetime64_any_dtype(index):
            start = pd.Timestamp(start)
        elif pd.api.types.is_numeric_dtype(index):
            start = float(start)
        return np.asarray(index >= start)
    except (TypeError, ValueError) as exc:
        raise DesignError(f"treatment_start {start!r} cannot be compared with the periods in '{time}'") from exc


def _rmspe(gap: np.ndarray) -> float:
    return float(np.sqrt(np.mean(gap**2))) if gap.size else float("nan")


def _matching(Y: pd.DataFrame, pre: np.ndarray, P: pd.DataFrame | None, v: np.ndarray | None = None) -> pd.DataFrame:
    """Rows = matching variables (pre-period outcomes, then predictors), columns = units."""
    M = Y.loc[pre]
    if P is not None:
        M = pd.concat([M, P.T])
        sd = M.std(axis=1, ddof=1).replace(0, 1.0)
        M = M.div(sd, axis=0)
    if v is not None:
        M = M.mul(np.sqrt(v), axis=0)
    return M


def _synth(Y: pd.DataFrame, pre: np.ndarray, P: pd.DataFrame | None, treated: Any, donors: list,
           v: np.ndarray | None = None) -> tuple:
    M = _matching(Y, pre, P, v)
    w = simplex_weights(M[treated].to_numpy(), M[donors].to_numpy())
    synthetic = Y[donors].to_numpy() @ w
    gap = Y[treated].to_numpy() - synthetic
    return w, synthetic, gap


def fit(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    treated_unit: Any,
    treatment_start: Any,
    *,
    predictors: Sequence[str] | None = None,
    donors: Sequence[Any] | None = None,
    placebo: bool = True,
    leave_one_out: bool = True,
    v: Sequence[float] | None = None,
    placebo_mspe_cutoff: float | None = None,
    min_pre: int = MIN_PRE_PERIODS,
    outcome_label: str | None = None,
    method: str = "sc",
    **options: Any,
) -> DesignResult:
    """Synthetic control estimate (``method="sc"``), or synthetic DiD (``"sdid"``).

    Parameters
    ----------
    data : pandas.DataFrame
        Long panel: one row per unit and period.
    outcome, unit, time : str
        Outcome, unit identifier and period columns.
    treated_unit
        The unit that received the scheme.
    treatment_start
        First treated period (``time >= treatment_start`` is post).
    predictors : sequence of str, optional
        Columns whose pre-period means are matched as well as the outcome path.
    donors : sequence, optional
        Units allowed in the donor pool (default: every other unit).
    placebo : bool
        Run in-space placebos for the permutation p-value.
    leave_one_out : bool
        Refit without each donor with positive weight.
    v : "equal", "optimise", sequence of float or mapping, optional
        The diagonal of V (importance of each matching row: each pre-period outcome
        in time order, then each predictor).  Default/"equal": equal.  "optimise":
        chosen to minimise the pre-period outcome MSPE (nested optimisation, ADH
        2010; :func:`toolkit.designs.synth_v.optimise_v`).  A sequence gives every
        row; a mapping ``{period or predictor: weight}`` names rows (others 0).
    placebo_mspe_cutoff : float, optional
        Leave out of the p-value the placebos whose pre-period MSPE exceeds this
        multiple of the treated unit's (ADH 2010 use 20, 5 and 2); they stay in
        ``placebos`` with ``in_p_value = False``.
    min_pre : int
        Minimum pre-treatment periods (refused below; warning below 10).
    outcome_label : str, optional
        Name of the outcome in sentences.
    method : {"sc", "sdid", "did", "augmented"}
        "sc": this module's synthetic control for one treated unit.  "augmented":
        :func:`toolkit.designs.augsynth.fit` (ridge-augmented SC, jackknife SE).  "sdid" (and "did"):
        :func:`toolkit.designs.sdid.fit`, synthetic difference-in-differences with
        placebo standard errors; ``treated_unit`` may then be a list (average effect),
        and ``options`` (``se``, ``replications``, ``seed``, ``level``) pass through.
        A list of treated units with "sc" uses the synthdid form of SC in the same module.

    Returns
    -------
    SynthResult (``"sc"``, one treated unit) or SDIDResult

    Notes
    -----
    Weights solve min_w Σ_k v_k (X₁ₖ − Σ_j w_j X₀ₖⱼ)² subject to w_j ≥ 0, Σw_j = 1
    (:func:`simplex_weights`).  Convention implemented here: **the matching
    variables are the treated unit's pre-period outcomes, one per period, with equal
    weights v_k = 1** (so the weights minimise the pre-period RMSPE).  With
    ``predictors``, their pre-period means are appended and every matching row
    (outcome periods and predictors) is divided by its standard deviation across
    units, still with equal v_k unless ``v`` says otherwise (``v="optimise"`` is the
    nested optimisation of Abadie, Diamond & Hainmueller 2010; placebos reuse the
    treated unit's V).

    gap_t = Y₁ₜ − Σ_j w_j Y_jt; ``estimate`` = mean of gap_t over post periods;
    RMSPE = √(mean gap_t²) over pre (or post) periods.  Placebo p-value (Abadie et
    al. 2010): each donor in turn is treated as the treated unit, with the other
    donors as its pool (the real treated unit excluded); p = #{units with post/pre
    RMSPE ratio ≥ the treated unit's} / (J + 1), counting the treated unit (ranking
    by the MSPE ratio, as ADH do, gives the same p-value).
    """
    several = isinstance(treated_unit, (list, tuple, set))
    if method not in ("sc", "sdid", "did", "augmented"):
        raise DesignError("method must be 'sc', 'sdid', 'did' or 'augmented'")
    if method == "augmented":
        from toolkit.designs import augsynth
        return augsynth.fit(data, outcome, unit, time, treated_unit, treatment_start, outcome_label=outcome_label,
                            **options)
    if method != "sc" or several:
        from toolkit.designs import sdid
        if predictors or v is not None:
            raise DesignError("predictors and v apply to method='sc' with one treated unit only")
        if donors is not None:
            keep = set(donors) | (set(treated_unit) if several else {treated_unit})
            data = data[data[unit].isin(keep)]
        return sdid.fit(data, outcome, unit, time, treated_unit, treatment_start, method=method,
                        outcome_label=outcome_label, **options)
    if options:
        raise DesignError(f"unknown option(s) for method='sc': {', '.join(options)}")
    check_columns(data, {"outcome": outcome, "unit": unit, "time": time,
                         **{f"predictor {p}": p for p in (predictors or [])}})
    warnings: list[str] = []
    df = data.copy()
    num = pd.to_numeric(df[outcome], errors="coerce")
    text = (num.isna() & df[outcome].notna()).to_numpy()
    if text.any():
        raise DataError("values are not numbers", column=outcome, rows=tuple(int(i) + 2 for i in np.flatnonzero(text)[:5]),
                        count=int(text.sum()), fix="make the outcome numeric (leave missing values empty)")
    df[outcome] = num
    dup = df.duplicated([unit, time], keep=False).to_numpy()
    if dup.any():
        rows = tuple(int(i) + 2 for i in np.flatnonzero(dup)[:5])
        raise DataError("the same unit and period appear more than once", column=unit, rows=rows,
                        count=int(dup.sum()), fix="aggregate to one row per unit and period")
    units = pd.unique(df[unit])
    if treated_unit not in set(units):
        raise DataError(f"the treated unit {treated_unit!r} is not in the panel", column=unit,
                        fix=f"check the spelling; units include {', '.join(map(str, units[:6]))}")
    Y = df.pivot(index=time, columns=unit, values=outcome).sort_index()
    times = Y.index.to_numpy()
    post = _post_mask(Y.index, treatment_start, time)
    n_pre, n_post = int((~post).sum()), int(post.sum())
    if n_pre == 0 or n_post == 0:
        raise DesignError(f"treatment_start {treatment_start!r} is outside the data ({times[0]} to {times[-1]}); "
                          "a synthetic control needs periods before and after")
    if n_pre < min_pre:
        raise DesignError(f"only {n_pre} pre-treatment period(s); at least {min_pre} are needed to build a "
                          "synthetic control. Add earlier data")
    if n_pre < WARN_PRE_PERIODS:
        warnings.append(Caution(f"Only {n_pre} pre-treatment periods: the synthetic control may fit by chance.",
                                code="synth.short_pre"))
    if Y[treated_unit].isna().any():
        miss = [str(t) for t in Y.index[Y[treated_unit].isna()][:5]]
        raise DataError(f"the treated unit {treated_unit!r} has no outcome in {int(Y[treated_unit].isna().sum())} "
                        f"period(s), e.g. {', '.join(miss)}", column=outcome,
                        fix="supply every period for the treated unit")
    pool = [u for u in units if u != treated_unit]
    if donors is not None:
        unknown = [d for d in donors if d not in set(pool)]
        if unknown:
            raise DataError(f"donor(s) not in the panel: {', '.join(map(str, unknown[:5]))}", column=unit,
                            count=len(unknown), fix="check the donor list")
        pool = [u for u in pool if u in set(donors)]
    incomplete = [u for u in pool if Y[u].isna().any()]
    if incomplete:
        warnings.append(Caution(f"{len(incomplete)} donor(s) excluded because they miss periods or outcome values: "
                                f"{', '.join(map(str, incomplete[:8]))}{' ...' if len(incomplete) > 8 else ''}.",
                                code="synth.donors_incomplete"))
        pool = [u for u in pool if u not in set(incomplete)]
    P = None
    if predictors:
        pre_times = set(Y.index[~post])
        pre_rows = df[df[time].isin(pre_times)]
        P = pre_rows.groupby(unit)[list(predictors)].mean(numeric_only=False).apply(pd.to_numeric, errors="coerce")
        P = P.reindex([treated_unit] + pool)
        if P.loc[treated_unit].isna().any():
            raise DataError("the treated unit has no pre-period value for a predictor",
                            column=", ".join(P.columns[P.loc[treated_unit].isna()]),
                            fix="supply the predictor or drop it")
        bad = [u for u in pool if P.loc[u].isna().any()]
        if bad:
            warnings.append(Caution(f"{len(bad)} donor(s) excluded because a predictor is missing before the scheme: "
                                    f"{', '.join(map(str, bad[:8]))}.", code="synth.donors_no_predictor"))
            pool = [u for u in pool if u not in set(bad)]
    if len(pool) < 2:
        raise DesignError(f"only {len(pool)} usable donor unit(s); a synthetic control needs at least 2")
    Y = Y[[treated_unit] + pool]

    from toolkit.designs.synth_v import resolve_v
    vv, v_text = resolve_v(v, Y, ~post, P, treated_unit, pool, _matching)
    w, synthetic, gap = _synth(Y, ~post, P, treated_unit, pool, vv)
    pre_rmspe, post_rmspe = _rmspe(gap[~post]), _rmspe(gap[post])
    estimate = float(gap[post].mean())
    weights = pd.DataFrame({"unit": pool, "weight": w}).sort_values("weight", ascending=False, kind="stable")
    weights = weights.reset_index(drop=True)
    gaps = pd.DataFrame({"time": times, "post": post, "treated": Y[treated_unit].to_numpy(),
                         "synthetic": synthetic, "gap": gap})
    sd_pre = float(Y[treated_unit].to_numpy()[~post].std(ddof=1)) if n_pre > 1 else float("nan")
    if sd_pre > 0 and pre_rmspe > 0.5 * sd_pre:
        warnings.append(Caution(f"The synthetic control fits the treated unit poorly before the scheme (pre-period RMSPE "
                                f"{pre_rmspe:.3g} vs SD {sd_pre:.3g}); the treated unit may lie outside the donors' range.",
                                code="synth.poor_fit"))

    placebos = placebo_gaps = None
    p_value = float("nan")
    if placebo:
        prow = [{"unit": treated_unit, "treated": True, "pre_rmspe": pre_rmspe, "post_rmspe": post_rmspe,
                 "average_post_gap": estimate}]
        pg = [pd.DataFrame({"unit": treated_unit, "time": times, "gap": gap})]
        for j in pool:
            others = [u for u in pool if u != j]
            _, _, gj = _synth(Y, ~post, P, j, others, vv)
            prow.append({"unit": j, "treated": False, "pre_rmspe": _rmspe(gj[~post]),
                         "post_rmspe": _rmspe(gj[post]), "average_post_gap": float(gj[post].mean())})
            pg.append(pd.DataFrame({"unit": j, "time": times, "gap": gj}))
        placebos = pd.DataFrame(prow)
        with np.errstate(divide="ignore", invalid="ignore"):
            placebos["ratio"] = placebos["post_rmspe"] / placebos["pre_rmspe"]
        placebos["rank"] = placebos["ratio"].rank(ascending=False, method="max").astype(int)
        ratio0 = placebos["ratio"].iloc[0]
        placebos["in_p_value"] = True
        if placebo_mspe_cutoff is not None:
            placebos["in_p_value"] = placebos["pre_rmspe"] ** 2 <= placebo_mspe_cutoff * pre_rmspe**2
            placebos.loc[0, "in_p_value"] = True
            dropped = int((~placebos["in_p_value"]).sum())
            if dropped:
                warnings.append(Caution(f"{dropped} placebo(s) left out of the p-value because their pre-period MSPE is more "
                                        f"than {placebo_mspe_cutoff:g} times the treated unit's.",
                                        code="synth.placebos_dropped"))
        used = placebos[placebos["in_p_value"]]
        p_value = float((used["ratio"] >= ratio0).sum() / len(used))
        placebo_gaps = pd.concat(pg, ignore_index=True)
        if len(placebos) < 20:
            warnings.append(Caution(f"With {len(placebos) - 1} donors the smallest possible placebo p-value is "
                                    f"{1 / len(placebos):.3g}.", code="synth.few_donors"))

    loo = None
    if leave_one_out:
        lrows = []
        for j in weights.loc[weights["weight"] > 1e-3, "unit"]:
            others = [u for u in pool if u != j]
            if len(others) < 1:
                continue
            _, _, gj = _synth(Y[[treated_unit] + others], ~post, None if P is None else P.drop(index=j),
                              treated_unit, others, vv)
            lrows.append({"excluded_donor": j, "estimate": float(gj[post].mean()), "pre_rmspe": _rmspe(gj[~post]),
                          "post_rmspe": _rmspe(gj[post])})
        loo = pd.DataFrame(lrows, columns=["excluded_donor", "estimate", "pre_rmspe", "post_rmspe"])

    raw = pd.concat([Y.loc[~post], P.T]) if P is not None else Y.loc[~post]
    balance = pd.DataFrame({"variable": raw.index.astype(str), "treated": raw[treated_unit].to_numpy(),
                            "synthetic": raw[pool].to_numpy() @ w, "donor_mean": raw[pool].mean(axis=1).to_numpy()})

    method = ("Synthetic control (non-negative weights summing to 1, fitted on pre-period "
              + ("outcomes and standardised predictor means" if predictors else "outcomes")
              + f", {v_text}" + "); in-space placebo permutation p-value on the post/pre RMSPE ratio")
    table = pd.DataFrame([{"term": "average_post_gap", "estimate": estimate, "se": float("nan"),
                           "ci_low": float("nan"), "ci_high": float("nan"), "p_value": p_value,
                           "n_obs": int(Y.size)},
                          {"term": "pre_rmspe", "estimate": pre_rmspe, "se": float("nan"), "ci_low": float("nan"),
                           "ci_high": float("nan"), "p_value": float("nan"), "n_obs": int(Y.size)}])
    nan = float("nan")
    return SynthResult(
        estimate=estimate, se=nan, ci_low=nan, ci_high=nan, p_value=p_value, n_obs=int(Y.size), method=method,
        outcome=outcome_label or outcome, name="average_post_gap", scale="difference", table=table,
        extra={"treated_unit": treated_unit, "treatment_start": treatment_start, "n_pre": n_pre, "n_post": n_post,
               "n_donors": len(pool), "post_rmspe": post_rmspe,
               "v": None if vv is None else tuple(float(x) for x in vv)},
        warnings=tuple(warnings), weights=weights, gaps=gaps, placebos=placebos, placebo_gaps=placebo_gaps,
        leave_one_out=loo, balance=balance, pre_rmspe=pre_rmspe,
    )
