"""Power for panel designs: cluster DiD, staggered rollout and the difference in the gap.

Closed forms (Burlig, Preonas & Woerman 2020, "Panel data and experimental
design", J. Dev. Econ. 144) with the variance components taken from baseline
data.  Written here: no maintained Python package implements the BPW formula.
"""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.errors import DesignError
from toolkit.power._baseline import BaselineVariance, baseline_variance
from toolkit.power._dist import nct_cdf, nct_sf
from toolkit.power.result import PowerResult, critical_value, curve, mde_from_se, power_from_se

__all__ = ["mde_did", "mde_staggered", "mde_gap", "did_contrast", "staggered_contrasts", "crv1_test"]


def _check_level_power(level: float, power: float) -> None:
    if not 0 < level < 1:
        raise DesignError("level must be between 0 and 1 (e.g. 0.95)")
    if not 0 < power < 1:
        raise DesignError("power must be between 0 and 1 (e.g. 0.8)")


def _count(name: str, value: Any, minimum: int = 1) -> int:
    if isinstance(value, bool) or int(value) != value or value < minimum:
        raise DesignError(f"{name} must be a whole number of at least {minimum} (got {value!r})")
    return int(value)


def did_contrast(pre_periods: int, post_periods: int) -> np.ndarray:
    """One unit's weights in the DiD: −1/m on each pre period, +1/r on each post period."""
    return np.r_[np.full(pre_periods, -1.0 / pre_periods), np.full(post_periods, 1.0 / post_periods)]


def staggered_contrasts(cohorts: Mapping[int, int], n_control: int, periods: int) -> list[tuple[int, np.ndarray]]:
    """(number of units, per-unit weights) for each cohort and the never-treated, for the simple C&S ATT.

    ``cohorts`` maps the index (0-based) of a cohort's first treated period to its size.
    """
    post = {g: np.arange(g, periods) for g in cohorts}
    W = float(sum(n * post[g].size for g, n in cohorts.items()))
    out, control = [], np.zeros(periods)
    for g, n in sorted(cohorts.items()):
        b = np.zeros(periods)
        np.add.at(b, post[g], 1.0)
        b[g - 1] -= post[g].size
        out.append((n, b / W))
        control -= n * b / W
    out.append((n_control, control / n_control))
    return out


def crv1_test(nt: int, nc: int, rows_per_cluster_period: float, periods: int) -> tuple[float, float, int]:
    """(c, ν, G − 1) for the CRV1 t-test of :func:`toolkit.designs.did.twfe` clustered by unit of assignment.

    Notes
    -----
    With equal-sized clusters the TWFE DiD is the difference of the arms' mean unit
    contrasts d_g, and its CRV1 variance is κ[Σ_T(d_g − d̄_T)²/n_T² + Σ_C(d_g − d̄_C)²/n_C²],
    κ = G/(G − 1)·(N − 1)/(N − K) (N rows, K = slope + period effects, as fixest).  Under
    equal variances it is c·Var(β̂)·χ²_ν/ν with c = κ[(n_T − 1)/n_T² + (n_C − 1)/n_C²] /
    (1/n_T + 1/n_C) and ν by Satterthwaite (= J − 2, exact, for equal arms), so
    t_CRV1 = T_ν(δ/SE)/√c is referred to t with G − 1 df.
    """
    G = nt + nc
    wt, wc = (nt - 1) / nt**2, (nc - 1) / nc**2
    N = G * rows_per_cluster_period * periods
    kappa = G / (G - 1) * (N - 1) / (N - periods - 1)
    c = kappa * (wt + wc) / (1 / nt + 1 / nc)
    nu = (wt + wc) ** 2 / (wt**2 / (nt - 1) + wc**2 / (nc - 1)) if nt > 1 and nc > 1 else G - 2
    return c, nu, G - 1


def _finish(var: float, *, design: str, method: str, level: float, power: float, df: int | None,
            n: dict, parameters: dict, warnings: list[str], crv1: tuple[float, float, int] | None = None
            ) -> PowerResult:
    se = float(np.sqrt(var))
    fn = None
    if crv1 is None:
        mde = mde_from_se(se, level=level, power=power, df=df)
        fn = lambda e: power_from_se(e, se, level=level, df=df)  # noqa: E731
    else:
        c, nu, df = crv1
        crit = np.sqrt(c) * critical_value(level, df)

        def fn(e: float) -> float:
            ncp = abs(e) / se
            return nct_sf(crit, nu, ncp) + nct_cdf(-crit, nu, ncp)

        from scipy import optimize  # imported when needed (a fixed cost of every stage's start otherwise)

        hi = se
        while fn(hi) < power:
            hi *= 2
        mde = float(optimize.brentq(lambda d: fn(d) - power, 0.0, hi, xtol=1e-12 * se, rtol=1e-12))
    return PowerResult(mde=mde, power=power, level=level, se=se, df=df, design=design, method=method, n=n,
                       curve=curve(fn, mde), parameters=parameters, warnings=tuple(warnings),
                       _power_fn=None if crv1 is None else fn)


def _params(bv: BaselineVariance, serial: str, pre: int, post: int) -> dict:
    p: dict[str, Any] = {"baseline_units": bv.n_units, "baseline_periods": bv.n_periods, "serial": serial,
                         "ar1_noise": bv.ar1["noise"], "ar1_variance": bv.ar1["ar_var"], "ar1_phi": bv.ar1["phi"]}
    if serial == "empirical" and pre and post:
        S = bv.window_cov(pre + post)
        B, A, X = S[:pre, :pre], S[pre:, pre:], S[:pre, pre:]
        off = lambda M: (M.sum() - np.trace(M)) / (M.shape[0] * (M.shape[0] - 1)) if M.shape[0] > 1 else 0.0  # noqa
        # σ² weighted as it enters BPW's bracket ((m+r)/(mr)σ² = σ²_pre/m + σ²_post/r), so that the bracket
        # reproduces a'Σ̄a exactly even when the variance drifts over the window
        s2 = (np.trace(B) / pre / pre + np.trace(A) / post / post) * pre * post / (pre + post)
        p.update(sigma2=float(s2), psi_B=float(off(B)), psi_A=float(off(A)),
                 psi_X=float(X.mean()))
    if not np.isnan(bv.icc):
        p["icc"] = bv.icc
    return p


def mde_did(
    baseline_panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    n_treated: int,
    n_control: int,
    pre_periods: int,
    post_periods: int,
    cluster: str | None = None,
    level: float = 0.95,
    power: float = 0.8,
    serial: str = "auto",
    test: str = "t",
) -> PowerResult:
    """Minimum detectable effect of a (cluster) difference-in-differences.

    Parameters
    ----------
    baseline_panel : DataFrame
        Historical outcomes, one row per unit and period (no scheme yet).
    unit, time, outcome : str
        Columns of ``baseline_panel``.
    n_treated, n_control : int
        Units of assignment (clusters when ``cluster`` is given) in each arm.
    pre_periods, post_periods : int
        Periods before and after the scheme starts in the planned evaluation.
    cluster : str, optional
        Column naming the unit of assignment when it is coarser than ``unit``
        (e.g. PCN above practice); outcomes are averaged to it first.
    level : float
        Confidence level of the two-sided test (default 0.95).
    power : float
        Target power (default 0.8).
    serial : {"auto", "empirical", "ar1"}
        Serial-correlation model: the baseline's own covariance averaged over windows
        of pre + post periods ("empirical", needs that many baseline periods), or a
        fitted AR(1)-plus-noise variogram ("ar1"); "auto" takes "empirical" when
        the baseline is long enough.  The "ar1" extrapolation is biased upwards when the
        true correlation dies out fast (estimated/true DiD variance 1.20 at ρ = 0 with 40
        units: benchmarks/bench_power.py, tests/power/test_power_accuracy.py).
    test : {"t", "crv1"}
        The test the evaluation will run.  "t": a correctly sized t-test with J − 2 df
        (BPW's collapsed estimator; what the wild cluster bootstrap approximates).
        "crv1": :func:`toolkit.designs.did.twfe`'s CRV1 clustered t-test with G − 1 df,
        which over-rejects with few clusters, so its power at a given effect is higher
        (and its size above the nominal level: 6.8% with 8 clusters).

    Returns
    -------
    PowerResult
        ``mde``, ``se``, ``power_at(effect)``, a power curve and the variance
        components (σ², ψ^B, ψ^A, ψ^X as BPW; ICC when clustered).

    Notes
    -----
    Burlig, Preonas & Woerman (2020), eq. (8): with J = n_T + n_C units, P = n_T/J,
    m pre and r post periods,

    .. math::
        \\mathrm{MDE} = (t_{1-\\kappa} + t_{\\alpha/2}) \\sqrt{\\frac{1}{P(1-P)J}
        \\Big[\\frac{m+r}{mr}\\sigma^2 + \\frac{m-1}{m}\\psi^B + \\frac{r-1}{r}\\psi^A
        - 2\\psi^X\\Big]}

    where σ² is the residual variance and ψ^B, ψ^A, ψ^X the average covariances
    between distinct pre periods, distinct post periods, and pre-post pairs.  The
    bracket equals a'Σa for a = (−1/m, …, +1/r, …), which is what is computed (from
    Σ̄ or from the fitted variogram as −a'Va).  Power uses the noncentral t with
    J − 2 degrees of freedom, exact for the DiD on unit-level pre/post means (BPW's
    "collapsed" estimator) tested by a two-sample t-test, when the residuals are
    normal; the MDE is the root of power(δ) = target, which is BPW's formula with
    the noncentral-t correction.  ``test="crv1"``: see :func:`crv1_test` (rows per
    cluster and period from the baseline).  Checked against seeded simulation of
    ``did.twfe`` in tests/power/test_power_accuracy.py and benchmarks/bench_power.py.
    """
    _check_level_power(level, power)
    if test not in ("t", "crv1"):
        raise DesignError("test must be 't' (a correctly sized t-test) or 'crv1' (did.twfe's clustered t-test)")
    nt, nc = _count("n_treated", n_treated), _count("n_control", n_control)
    m, r = _count("pre_periods", pre_periods), _count("post_periods", post_periods)
    bv = baseline_variance(baseline_panel, unit=unit, time=time, outcome=outcome, cluster=cluster)
    s = bv.resolve(serial, m + r)
    var_unit = bv.contrast_variance(did_contrast(m, r), s)
    var = var_unit * (1 / nt + 1 / nc)
    warnings = list(bv.warnings)
    if nt + nc < 10:
        warnings.append(Caution(f"Only {nt + nc} units of assignment: the calculation assumes a t-test with "
                                f"{nt + nc - 2} degrees of freedom; clustered inference with so few may be unreliable.",
                                code="power.few_units"))
    what = f"{cluster}s" if cluster else f"{unit}s"
    method = (f"Closed form (Burlig, Preonas & Woerman 2020) for a DiD with {nt} treated and {nc} comparison {what}, "
              f"{m} pre and {r} post periods; variance components from the baseline ("
              + ("its covariance averaged over windows" if s == "empirical" else "fitted AR(1)-plus-noise variogram")
              + f"); two-sided test at {level:.0%}, noncentral t with {nt + nc - 2} df")
    crv1 = None
    if test == "crv1":
        crv1 = crv1_test(nt, nc, bv.info.get("units_per_cluster", 1.0), m + r)
        method = method.rsplit("; two-sided", 1)[0] + (f"; CRV1 clustered t-test at {level:.0%} with {nt + nc - 1} df "
                                                      f"(SE scale {np.sqrt(crv1[0]):.3f}, Satterthwaite {crv1[1]:.1f} df)")
    return _finish(var, design="did", method=method, level=level, power=power, df=nt + nc - 2,
                   n={"treated": nt, "control": nc, "pre_periods": m, "post_periods": r},
                   parameters=_params(bv, s, m, r), warnings=warnings, crv1=crv1)


def mde_staggered(
    baseline_panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    cohorts: Mapping[int, int],
    n_control: int,
    periods: int,
    cluster: str | None = None,
    level: float = 0.95,
    power: float = 0.8,
    serial: str = "auto",
) -> PowerResult:
    """Minimum detectable effect of a staggered rollout (Callaway–Sant'Anna simple ATT).

    Parameters
    ----------
    baseline_panel, unit, time, outcome, cluster, level, power, serial
        As :func:`mde_did`.
    cohorts : mapping of int to int
        ``{first treated period index: number of units}``; indices are 0-based
        within the planned window of ``periods`` periods, so ``{6: 10, 12: 10}``
        starts 10 units at the 7th period and 10 more at the 13th.
    n_control : int
        Never-treated units.
    periods : int
        Length of the planned evaluation window.

    Returns
    -------
    PowerResult

    Notes
    -----
    ATT(g,t) = [Ȳ_g,t − Ȳ_g,g−1] − [Ȳ_C,t − Ȳ_C,g−1] against never-treated units;
    the simple aggregate weights post cells (t ≥ g) by cohort size:
    θ = Σ_g Σ_{t≥g} n_g ATT(g,t) / Σ_g n_g (T − g).  θ is linear in the outcomes,
    θ = Σ_i b_iᵀy_i, with b_i the same within a cohort and summing to zero, so
    Var θ = Σ_i b_iᵀΣb_i exactly (BPW's argument for any linear panel estimator),
    with Σ from the baseline as in :func:`mde_did`.  Reference: noncentral t with
    J − 2 df (an approximation here, since cohorts weigh differently).
    """
    _check_level_power(level, power)
    L = _count("periods", periods, 2)
    nc = _count("n_control", n_control)
    if not cohorts:
        raise DesignError("cohorts must name at least one cohort: {first treated period index: units}")
    coh = {}
    for g, n in cohorts.items():
        g = _count("a cohort's first treated period index", g, 1)
        if g >= L:
            raise DesignError(f"cohort starting at period index {g} is outside the {L}-period window (0 to {L - 1})")
        coh[g] = _count(f"the size of cohort {g}", n)
    bv = baseline_variance(baseline_panel, unit=unit, time=time, outcome=outcome, cluster=cluster)
    s = bv.resolve(serial, L)
    var = sum(n * bv.contrast_variance(b, s) for n, b in staggered_contrasts(coh, nc, L))
    J = sum(coh.values()) + nc
    method = (f"Closed-form variance of the Callaway–Sant'Anna simple ATT (never-treated comparison) for "
              f"{len(coh)} cohort(s) of {sum(coh.values())} units and {nc} never-treated units over {L} periods; "
              f"covariance from the baseline ({'windows' if s == 'empirical' else 'AR(1)-plus-noise variogram'}); "
              f"noncentral t with {J - 2} df")
    return _finish(var, design="staggered", method=method, level=level, power=power, df=J - 2,
                   n={"treated": sum(coh.values()), "control": nc, "periods": L, "cohorts": dict(coh)},
                   parameters=_params(bv, s, 0, 0), warnings=list(bv.warnings))


def mde_gap(
    baseline_panel: pd.DataFrame,
    *,
    unit: str,
    time: str,
    outcome: str,
    group: str,
    focus: Any,
    n_treated: tuple[int, int],
    n_control: tuple[int, int],
    pre_periods: int,
    post_periods: int,
    level: float = 0.95,
    power: float = 0.8,
    serial: str = "auto",
) -> PowerResult:
    """Minimum detectable change in the gap (triple difference): effect in the focus group minus the rest.

    Parameters
    ----------
    baseline_panel, unit, time, outcome, pre_periods, post_periods, level, power, serial
        As :func:`mde_did`.
    group : str
        Column giving each unit's group (e.g. IMD quintile); constant within unit.
    focus : value or list of values
        The group value(s) of the focus group (e.g. quintile 1, most deprived).
    n_treated, n_control : (int, int)
        Treated and comparison units in (focus group, rest).

    Returns
    -------
    PowerResult

    Notes
    -----
    The gap effect is DiD_focus − DiD_rest (as :func:`toolkit.designs.did.equity`),
    with independent units, so
    Var = a'Σ_F a (1/n_TF + 1/n_CF) + a'Σ_R a (1/n_TR + 1/n_CR), each group's Σ
    estimated from its own baseline units (a as in :func:`mde_did`).  df = J − 4.
    """
    _check_level_power(level, power)
    m, r = _count("pre_periods", pre_periods), _count("post_periods", post_periods)
    if group not in baseline_panel.columns:
        raise DesignError(f"the baseline has no column '{group}'")
    focus_vals = set(focus) if isinstance(focus, (list, tuple, set)) else {focus}
    in_focus = baseline_panel[group].isin(focus_vals)
    if not in_focus.any() or in_focus.all():
        raise DesignError(f"'{group}' must split the baseline into the focus group {sorted(map(str, focus_vals))} "
                          "and the rest; one of them is empty")
    ntf, ntr = (_count("n_treated", v) for v in n_treated)
    ncf, ncr = (_count("n_control", v) for v in n_control)
    a = did_contrast(m, r)
    var, warnings, params = 0.0, [], {}
    for label, mask, nt, nc in (("focus", in_focus, ntf, ncf), ("rest", ~in_focus, ntr, ncr)):
        bv = baseline_variance(baseline_panel[mask], unit=unit, time=time, outcome=outcome)
        s = bv.resolve(serial, m + r)
        vu = bv.contrast_variance(a, s)
        var += vu * (1 / nt + 1 / nc)
        warnings += [f"{label}: {w}" for w in bv.warnings]
        params[f"{label}_unit_variance"] = vu
        params[f"{label}_serial"] = s
    J = ntf + ntr + ncf + ncr
    method = (f"Closed form for the difference in the gap (DiD in the focus group minus DiD in the rest), "
              f"{m} pre and {r} post periods, variance components from each group's baseline; "
              f"noncentral t with {J - 4} df")
    return _finish(var, design="gap", method=method, level=level, power=power, df=J - 4,
                   n={"treated_focus": ntf, "control_focus": ncf, "treated_rest": ntr, "control_rest": ncr,
                      "pre_periods": m, "post_periods": r}, parameters=params, warnings=warnings)
