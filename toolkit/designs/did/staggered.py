"""Staggered adoption: Callaway & Sant'Anna (2021) group-time effects, no covariates.

Written here (no maintained permissively licensed Python implementation of
the analytic influence-function inference exists; the reference R package
``did`` is GPL).  Cross-checked against ``did`` output on its ``mpdta``
example in the tests.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.cautions import Caution
from toolkit.designs.did import _panel as P
from toolkit.designs.did.results import AggregateResult, StaggeredResult, coef_row
from toolkit.errors import DesignError, Problem

__all__ = ["staggered", "aggregate_att"]

KINDS = ("simple", "group", "dynamic", "calendar")


@dataclass(frozen=True)
class _CSFit:
    """What the aggregations need: the balanced grid and the cell definitions."""

    Y: np.ndarray  # (n_units, n_time)
    w: np.ndarray  # unit weights, mean 1
    G: np.ndarray  # first-treated value per unit, 0 = never (comparison only)
    times: np.ndarray  # time values used
    cells: pd.DataFrame  # one row per (g, t): group, time, ti, bi, att, ...
    control: str

    def __post_init__(self) -> None:
        # plain arrays of the cell definitions (row access through pandas is slow)
        object.__setattr__(self, "_g", self.cells["group"].to_numpy(dtype=float))
        object.__setattr__(self, "_ti", self.cells["ti"].to_numpy(dtype=np.int64))
        object.__setattr__(self, "_bi", self.cells["bi"].to_numpy(dtype=np.int64))

    @property
    def n(self) -> int:
        return int(self.Y.shape[0])

    def masks(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Treated and comparison units of cell ``k`` (units observed in both of its periods)."""
        g, ti, bi = self._g[k], int(self._ti[k]), int(self._bi[k])
        seen = np.isfinite(self.Y[:, ti]) & np.isfinite(self.Y[:, bi])
        treated = (self.G == g) & seen
        if self.control == "never":
            comp = (self.G == 0) & seen
        else:
            later = self.times[max(ti, bi)]
            comp = ((self.G == 0) | ((self.G > later) & (self.G != g))) & seen
        return treated, comp

    def cell(self, k: int) -> tuple[float, np.ndarray, int, int]:
        """ATT(g,t), its influence function (length n), treated and comparison counts.

        Notes
        -----
        With :math:`\\Delta Y_i = Y_{it} - Y_{ib}` (``b`` the base period),
        :math:`S_1 = \\sum_{i:G_i=g} w_i`, :math:`S_0 = \\sum_{i \\in C} w_i`,
        :math:`\\mu_1, \\mu_0` the weighted mean changes,
        :math:`ATT = \\mu_1 - \\mu_0` and
        :math:`\\psi_i = n\\,[1\\{G_i=g\\} w_i (\\Delta Y_i - \\mu_1)/S_1
        - 1\\{i\\in C\\} w_i (\\Delta Y_i - \\mu_0)/S_0]`, so that
        :math:`SE = \\sqrt{\\sum_i \\psi_i^2}/n` (the panel DRDID influence
        function with no covariates, as ``did::att_gt`` uses).
        """
        treated, comp = self.masks(k)
        n1, n0 = int(treated.sum()), int(comp.sum())
        if n1 == 0 or n0 == 0:
            return float("nan"), np.zeros(self.n), n1, n0
        dy = self.Y[:, int(self._ti[k])] - self.Y[:, int(self._bi[k])]
        w = self.w
        s1 = w[treated].sum()
        s0 = w[comp].sum()
        mu1 = float(np.dot(w[treated], dy[treated]) / s1)
        mu0 = float(np.dot(w[comp], dy[comp]) / s0)
        psi = np.zeros(self.n)
        psi[treated] = w[treated] * (dy[treated] - mu1) / s1
        psi[comp] -= w[comp] * (dy[comp] - mu0) / s0
        return mu1 - mu0, psi * self.n, n1, n0


#: Within-unit variation of the weights above which :func:`staggered` warns
#: (coefficient of variation over a unit's periods, and max/min ratio).
WEIGHT_CV_LIMIT = 0.10
WEIGHT_RATIO_LIMIT = 1.25


def _weight_drift_warning(wg: np.ndarray, column: str | None) -> list[str]:
    """A warning when weights vary materially over time within units (else nothing).

    Notes
    -----
    ``wg`` is the unit x period grid of weights (NaN where unobserved).  Per
    unit, :math:`CV = sd(w)/mean(w)` (``ddof=0``) and :math:`r = \\max w/\\min w`;
    the warning is given when :math:`CV >` :data:`WEIGHT_CV_LIMIT` or
    :math:`r >` :data:`WEIGHT_RATIO_LIMIT` for at least one unit.  Smaller drift
    (e.g. list sizes growing by a few per cent) is expected and not reported.
    """
    with np.errstate(invalid="ignore", divide="ignore"):
        mean = np.nanmean(wg, axis=1)
        cv = np.nanstd(wg, axis=1) / mean
        ratio = np.nanmax(wg, axis=1) / np.nanmin(wg, axis=1)
    material = (cv > WEIGHT_CV_LIMIT) | (ratio > WEIGHT_RATIO_LIMIT)
    if not material.any():
        return []
    return [Caution(
        f"Weights in '{column}' vary over time within units ({int(material.sum()):,} unit(s) by more than "
        f"{WEIGHT_CV_LIMIT:.0%} (coefficient of variation) or a max/min ratio above {WEIGHT_RATIO_LIMIT:g}; "
        f"largest ratio {np.nanmax(ratio):.3g}); each unit's weight in its first period is used.",
        code="did.time_varying_weights")]


def _grid(panel: P.Panel) -> tuple[np.ndarray, list[str]]:
    """Unit x period outcome grid (NaN where a unit is not observed) and a warning describing any gaps.

    No unit is dropped for a gap: each ATT(g,t) uses the units observed in
    both of its periods (see :func:`staggered`, Notes).
    """
    counts = np.bincount(panel.unit, minlength=panel.n_unit)
    gaps = counts < panel.n_time
    warns = []
    if gaps.any():
        missing = int(panel.n_unit * panel.n_time - counts.sum())
        warns.append(
            Caution(f"{int(gaps.sum()):,} of {panel.n_unit:,} units are not observed in every period ({missing:,} "
                    "unit-periods missing); no unit is left out for this: each group-time effect uses the units observed "
                    "in both of its periods.", code="did.unbalanced_panel")
        )
    grid = np.full((panel.n_unit, panel.n_time), np.nan)
    grid[panel.unit, panel.time] = panel.y
    return grid, warns


def staggered(
    data: pd.DataFrame,
    outcome: str,
    unit: str,
    time: str,
    first_treated: str,
    *,
    control: str = "never",
    weights: str | None = None,
    level: float = 0.95,
) -> StaggeredResult:
    """Callaway & Sant'Anna (2021) ATT(g,t) for staggered adoption, without covariates.

    Parameters
    ----------
    data : DataFrame
        Long panel, one row per unit and period; ``time`` numeric.
    outcome, unit, time : str
        Column names.
    first_treated : str
        The period each unit was first treated, on the scale of ``time``;
        0 or missing = never treated.
    control : {"never", "not_yet"}
        Comparison group: never-treated units, or units not yet treated by
        period t (and by the base period).
    weights : str, optional
        Unit weights (e.g. population), taken from each unit's first period
        (as ``did`` does).  Weights that drift a little over time (list sizes)
        are expected; a warning is given only when the drift is material: for
        some unit the coefficient of variation of its weight over its periods
        (standard deviation with ``ddof=0`` over the mean) exceeds
        :data:`WEIGHT_CV_LIMIT` (10%) or its max/min ratio exceeds
        :data:`WEIGHT_RATIO_LIMIT` (1.25).
    level : float
        Confidence level (normal critical values, as ``did``).

    Returns
    -------
    StaggeredResult
        ``att_gt`` table and :meth:`~StaggeredResult.aggregate`; the headline
        is the ``"simple"`` aggregate.

    Notes
    -----
    For cohort :math:`g` and period :math:`t`,
    :math:`ATT(g,t) = E[Y_t - Y_b \\mid G=g] - E[Y_t - Y_b \\mid C]` with base
    period :math:`b = g-1` (the last period before adoption) when
    :math:`t \\ge g` and the varying base :math:`b = t-1` before adoption;
    :math:`C` = never treated, or (``"not_yet"``) units with :math:`G = 0` or
    :math:`G > \\max(t, b)`, :math:`G \\ne g`.  Standard errors from the
    influence functions (see :meth:`_CSFit.cell`), clustered by unit; the R
    package's default multiplier bootstrap targets the same variance.
    Units treated in the first period are dropped and units first treated
    after the last period count as never treated (as in ``did``).

    Unbalanced panels: a unit missing in some periods is not dropped.  Each
    ATT(g,t) uses the units of its cohort and comparison group observed in
    both :math:`t` and :math:`b` (the sums and means above run over them; the
    influence function is 0 for the others), and :math:`n` stays the number
    of units.  On a balanced panel this is exactly ``did``'s panel estimator
    (the ``mpdta`` reference is unchanged).  It differs from ``did``'s
    ``allow_unbalanced_panel = TRUE``, which treats the data as repeated
    cross-sections; the pairs used here keep the panel's within-unit
    differencing and are unbiased under the same condition (whether a
    unit-period is missing is unrelated to the unit's outcome changes).  Without
    never-treated units and ``control="not_yet"``, periods from the last
    cohort's adoption on are dropped and that cohort serves as comparison
    only (as in ``did``).
    """
    if control not in ("never", "not_yet"):
        raise ValueError("control must be 'never' or 'not_yet'")
    if not 0 < level < 1:
        raise ValueError("level must be between 0 and 1")
    P.require_columns(data, {"first_treated": first_treated})
    panel = P.prepare_panel(
        data, outcome=outcome, unit=unit, time=time, weights=weights,
        roles={"first_treated": first_treated}, what="the staggered-adoption estimate",
    )
    warns = list(panel.warnings)
    tvals, G = P.adoption_periods(panel, first_treated, time, "staggered adoption")
    Y, bw = _grid(panel)
    warns += bw
    w_unit = np.ones(panel.n_unit)
    if panel.weights is not None:
        wg = np.full((panel.n_unit, panel.n_time), np.nan)
        wg[panel.unit, panel.time] = panel.weights
        first_col = np.argmax(~np.isnan(wg), axis=1)
        w_unit = wg[np.arange(panel.n_unit), first_col]
        warns += _weight_drift_warning(wg, weights)
    tmin, tmax = tvals.min(), tvals.max()
    always = (G > 0) & (G <= tmin)
    if always.any():
        warns.append(
            Caution(f"{int(always.sum()):,} unit(s) were treated from the first period ({first_treated} <= "
                    f"{tmin:g}); they have no pre-period and were left out.", code="did.always_treated")
        )
    late = G > tmax
    if late.any():
        warns.append(
            Caution(f"{int(late.sum()):,} unit(s) are first treated after the last period ({tmax:g}); they "
                    "count as never treated.", code="did.late_adopters")
        )
        G = np.where(late, 0.0, G)
    keep = ~always
    Y, G, w_unit = Y[keep], G[keep], w_unit[keep]
    if Y.shape[0] == 0:
        raise DesignError("No units are left for the staggered-adoption estimate.",
                          [Problem(w, column=first_treated) for w in warns]
                          or [Problem("every unit was left out", column=first_treated)])
    cohorts = np.unique(G[G > 0])
    if cohorts.size == 0:
        raise DesignError(
            "No unit is treated during the panel.",
            [Problem("no unit has a first-treated period inside the panel", column=first_treated,
                     fix="check the first-treated column (period of first treatment, 0 = never)")],
        )
    times = tvals
    if not (G == 0).any():
        if control == "never":
            raise DesignError(
                "There is no never-treated comparison group.",
                [Problem("every unit is treated at some point", column=first_treated, count=int(G.size),
                         fix='use control="not_yet" (compare with units not yet treated)')],
            )
        last = cohorts.max()
        warns.append(
            Caution(f"No unit is never treated: periods from {last:g} on are dropped and the cohort first "
                    f"treated in {last:g} serves only as a comparison group.", code="did.no_never_treated")
        )
        cohorts = cohorts[cohorts < last]
        tkeep = times < last
        Y, times = Y[:, tkeep], times[tkeep]
        if cohorts.size == 0 or times.size < 2:
            raise DesignError(
                "With no never-treated units there is nothing to compare: only one adoption cohort.",
                [Problem("all units adopt at the same time and none is left untreated",
                         column=first_treated, fix="include untreated units in the data")],
            )
    w_unit = w_unit / w_unit.mean()
    rows = []
    for g in cohorts:
        pre = np.flatnonzero(times < g)
        if pre.size == 0:
            continue
        base_post = int(pre[-1])
        for ti in range(1, times.size):
            t = times[ti]
            bi = base_post if t >= g else ti - 1
            rows.append({"group": g, "time": t, "ti": ti, "bi": bi})
    cells = pd.DataFrame(rows)
    fit = _CSFit(Y=Y, w=w_unit, G=G, times=times, cells=cells, control=control)
    att, se, n1, n0 = [], [], [], []
    for k in range(len(cells)):
        a, psi, m1, m0 = fit.cell(k)
        att.append(a)
        se.append(math.sqrt(float(np.dot(psi, psi))) / fit.n if np.isfinite(a) else float("nan"))
        n1.append(m1)
        n0.append(m0)
    cells = cells.assign(att=att, se=se, n_treated=n1, n_comparison=n0)
    empty = cells["att"].isna()
    if empty.any():
        warns.append(
            Caution(f"{int(empty.sum())} group-time cell(s) have no treated or no comparison units observed in both of "
                    "their periods and are left out of the aggregates.", code="did.empty_cells")
        )
    fit = _CSFit(Y=Y, w=w_unit, G=G, times=times, cells=cells, control=control)
    tab = pd.DataFrame(
        [
            coef_row(
                f"ATT({r.group:g},{r.time:g})", r.att, r.se, level,
                group=r.group, time=r.time, event_time=r.time - r.group,
                post=bool(r.time >= r.group), n_treated=r.n_treated, n_comparison=r.n_comparison,
            )
            for r in cells.itertuples()
        ]
    )
    pretrend, pretrend_note = _pretest(fit)
    if pretrend_note:
        warns.append(pretrend_note)
    elif np.isfinite(pretrend["p_value"]) and pretrend["p_value"] < 0.05:
        warns.append(
            Caution(f"The joint test that all pre-adoption ATT(g,t) are zero rejects parallel trends "
                    f"(p = {pretrend['p_value']:.3g}): the estimates may be biased.",
                    code="did.cs_pretest_rejected")
        )
    comp = "never-treated" if control == "never" else "not-yet-treated"
    wtxt = f", weighted by {weights}" if weights else ""
    method = (
        f"Callaway & Sant'Anna (2021) group-time ATT, {comp} comparison{wtxt}; influence-function "
        "standard errors clustered by unit"
    )
    proto = StaggeredResult(
        estimate=float("nan"), se=float("nan"), ci_low=float("nan"), ci_high=float("nan"),
        p_value=float("nan"), n_obs=int(np.isfinite(Y).sum()), method=method, level=level, outcome=outcome,
        name="att_simple", table=tab, extra={"att_gt": tab, "n_units": fit.n, "control": control},
        warnings=tuple(warns), _state=fit,
    )
    simple = aggregate_att(proto, "simple")
    return StaggeredResult(
        estimate=simple.estimate, se=simple.se, ci_low=simple.ci_low, ci_high=simple.ci_high,
        p_value=simple.p_value, n_obs=int(np.isfinite(Y).sum()), method=method, level=level, outcome=outcome,
        name="att_simple", table=tab,
        extra={"att_gt": tab, "n_units": fit.n, "n_periods": int(times.size), "control": control,
               "cohorts": tuple(float(c) for c in cohorts), "pretrend": pretrend,
               "pretrend_note": pretrend_note},
        warnings=tuple(warns), _state=fit,
    )


#: The pre-test is reported only with at least this many units per pre-period cell.
PRETEST_UNITS_PER_CELL = 10


def _pretest(fit: _CSFit) -> tuple[dict[str, float], str]:
    r"""Wald pre-test that every pre-adoption ATT(g,t) is zero (as ``did::att_gt`` reports).

    Returns the test (``stat``, ``df``, ``p_value``, ``rank``) and a note saying
    why it has no p-value (``""`` when it has one or there are no pre cells).

    Notes
    -----
    With :math:`\Psi` the influence functions of the :math:`q` pre-adoption
    cells, :math:`\hat V = \Psi'\Psi/n^2` and
    :math:`W = \widehat{ATT}' \hat V^{-1} \widehat{ATT} \sim \chi^2_q`.

    :math:`\hat V` is estimated from :math:`n` units, so the test needs
    :math:`q` small relative to :math:`n`.  No p-value is reported (``stat``
    and ``p_value`` NaN) when :math:`q \ge n`, when the numerical rank of
    :math:`\Psi` (``numpy.linalg.matrix_rank``, default tolerance) is below
    :math:`q`, or when there are fewer than :data:`PRETEST_UNITS_PER_CELL`
    (10) units per cell (:math:`n < 10q`).  In simulations with parallel
    trends by construction the 5% test rejected in 95% of panels with 27
    cells on 40 units and 40% with 27 cells on 100, but 9-12% with 10-20
    units per cell; the R ``did`` mpdta example (5 cells, 500 units) is
    unaffected.
    """
    cells = fit.cells
    idx = np.flatnonzero((cells["time"] < cells["group"]).to_numpy() & cells["att"].notna().to_numpy())
    q, n = int(idx.size), fit.n
    nan = {"stat": float("nan"), "df": q, "p_value": float("nan"), "rank": 0}
    if q == 0:
        return nan, ""
    psi = np.column_stack([fit.cell(int(k))[1] for k in idx])
    rank = int(np.linalg.matrix_rank(psi)) if np.all(np.isfinite(psi)) else 0
    nan["rank"] = rank
    why = ""
    if q >= n:
        why = (f"there are too many pre-period cells for the number of units for a joint test ({q} cells on "
               f"{n} units; it needs fewer cells than units)")
    elif rank < q:
        why = (f"the covariance of the {q} pre-period cells is singular (rank {rank}), e.g. because cohorts or "
               "comparison groups have a single unit")
    elif n < PRETEST_UNITS_PER_CELL * q:
        why = (f"there are too many pre-period cells for the number of units for a joint test ({q} cells on "
               f"{n} units; a reliable joint test needs at least {PRETEST_UNITS_PER_CELL} units per cell)")
    if why:
        note = Caution(f"The joint test that all pre-adoption ATT(g,t) are zero is not reported: {why}, so its "
                       "p-value would be unreliable. Use the event-study pre-trend test (with a few leads) instead.",
                       code="did.cs_pretest_not_reported")
        return nan, note
    V = psi.T @ psi / n**2
    att = cells["att"].to_numpy()[idx]
    try:
        W = float(att @ np.linalg.solve(V, att))
    except np.linalg.LinAlgError:
        return nan, ""
    return {"stat": W, "df": q, "p_value": float(stats.chi2.sf(W, q)), "rank": rank}, ""


def _wif(fit: _CSFit, groups: np.ndarray, pg: np.ndarray, att: np.ndarray) -> np.ndarray:
    """Influence function of the estimated aggregation weights, times ``att``.

    Notes
    -----
    For kept cells :math:`k` with cohort :math:`g_k` and weight
    :math:`p_k = \\overline{w\\,1\\{G=g_k\\}}`, :math:`S = \\sum_k p_k`:
    :math:`\\sum_k att_k [(w_i 1\\{G_i=g_k\\} - p_k)/S
    - p_k \\sum_j (w_i 1\\{G_i=g_j\\} - p_j)/S^2]` (the weight influence
    function of ``did::aggte``).
    """
    S = pg.sum()
    ubar = np.unique(groups)
    att_by = {g: att[groups == g].sum() for g in ubar}
    cnt_by = {g: float((groups == g).sum()) for g in ubar}
    a1 = np.zeros(fit.n)
    a0 = np.zeros(fit.n)
    for g in ubar:
        m = fit.G == g
        a1[m] = fit.w[m] * att_by[g]
        a0[m] = fit.w[m] * cnt_by[g]
    pa = float(np.dot(pg, att))
    return (a1 - pa) / S - (a0 - pg.sum()) * pa / S**2


def _combine(fit: _CSFit, idx: np.ndarray, pg_all: dict, *, equal: bool = False) -> tuple[float, np.ndarray]:
    """Weighted average of cells ``idx`` and its influence function."""
    cells = fit.cells
    att = cells["att"].to_numpy()[idx]
    groups = cells["group"].to_numpy()[idx]
    psi = np.zeros(fit.n)
    if equal:
        wts = np.full(idx.size, 1.0 / idx.size)
    else:
        pg = np.array([pg_all[g] for g in groups])
        wts = pg / pg.sum()
    for k, wk in zip(idx, wts):
        psi += wk * fit.cell(int(k))[1]
    est = float(np.dot(wts, att))
    if not equal:
        psi += _wif(fit, groups, pg, att)
    return est, psi


def aggregate_att(result: StaggeredResult, kind: str = "simple", *, min_e: float = -math.inf,
                  max_e: float = math.inf) -> AggregateResult:
    """Aggregate ATT(g,t) as ``did::aggte`` (analytic standard errors).

    Notes
    -----
    Cohort weights :math:`p_g = \\overline{w\\,1\\{G=g\\}}` (share of units,
    weighted).  Cells with :math:`t - g > ` ``max_e`` are ignored.

    - ``simple``: post cells (:math:`t \\ge g`) averaged with weights
      :math:`p_g`.
    - ``group``: for each cohort the plain mean of its post cells
      :math:`\\theta(g)`; overall :math:`\\sum_g p_g\\theta(g)/\\sum_g p_g`.
    - ``dynamic``: for each event time :math:`e = t - g` the
      :math:`p_g`-weighted mean of cells with that :math:`e` (pre-periods
      included); overall = plain mean over :math:`e \\ge 0`.
    - ``calendar``: for each period the :math:`p_g`-weighted mean of post
      cells in it; overall = plain mean over periods.

    Each influence function is the weighted sum of cell influence functions
    plus the weight influence function :func:`_wif` (estimated :math:`p_g`),
    and :math:`SE = \\sqrt{\\sum_i \\psi_i^2}/n`, as ``did`` computes them.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    fit: _CSFit = result._state
    cells = fit.cells
    level = result.level
    ok = cells["att"].notna().to_numpy()
    g = cells["group"].to_numpy()
    t = cells["time"].to_numpy()
    e = t - g
    inwin = e <= max_e
    pg_all = {c: float(np.mean(fit.w * (fit.G == c))) for c in np.unique(g)}
    rows = []
    se_of = lambda psi: math.sqrt(float(np.dot(psi, psi))) / fit.n  # noqa: E731
    if kind == "simple":
        idx = np.flatnonzero(ok & (t >= g) & inwin)
        est, psi = _combine(fit, idx, pg_all)
        label = "simple (cohort-size weighted average of post-adoption cells)"
    else:
        parts = []
        if kind == "group":
            keys = np.unique(g[ok])
            sel = lambda k: ok & (g == k) & (t >= g) & inwin  # noqa: E731
            col = "group"
        elif kind == "dynamic":
            keys = np.unique(e[ok & (e >= min_e) & inwin])
            sel = lambda k: ok & (e == k)  # noqa: E731
            col = "event_time"
        else:
            keys = np.unique(t[ok & (t >= g)])
            sel = lambda k: ok & (t == k) & (t >= g) & inwin  # noqa: E731
            col = "time"
        for key in keys:
            idx = np.flatnonzero(sel(key))
            if idx.size == 0:
                continue
            est_k, psi_k = _combine(fit, idx, pg_all, equal=(kind == "group"))
            parts.append((key, est_k, psi_k))
            extra_cols = {col: key}
            if kind == "dynamic":
                extra_cols["period"] = "post" if key >= 0 else "pre"
            rows.append(coef_row(f"{col} {key:g}", est_k, se_of(psi_k), level, **extra_cols))
        if kind == "group":
            keys_arr = np.array([p[0] for p in parts])
            att_arr = np.array([p[1] for p in parts])
            pg = np.array([pg_all[k] for k in keys_arr])
            est = float(np.dot(pg, att_arr) / pg.sum())
            psi = sum((pk / pg.sum()) * p[2] for pk, p in zip(pg, parts)) + _wif(fit, keys_arr, pg, att_arr)
            label = "by cohort (overall: cohort-size weighted average of cohort effects)"
        elif kind == "dynamic":
            post = [p for p in parts if p[0] >= 0]
            est = float(np.mean([p[1] for p in post]))
            psi = sum(p[2] for p in post) / len(post)
            label = "by event time (overall: mean of effects at event times 0 and later)"
        else:
            est = float(np.mean([p[1] for p in parts]))
            psi = sum(p[2] for p in parts) / len(parts)
            label = "by calendar period (overall: mean over periods)"
    se = se_of(psi)
    head = coef_row(f"overall ({kind})", est, se, level)
    table = pd.DataFrame(rows + [head]) if rows else pd.DataFrame([head])
    return AggregateResult(
        estimate=head["estimate"], se=se, ci_low=head["ci_low"], ci_high=head["ci_high"],
        p_value=head["p_value"], n_obs=result.n_obs,
        method=f"{result.method}; aggregated {label}",
        level=level, outcome=result.outcome, name=f"att_{kind}", table=table,
        extra={"kind": kind, "influence_function": psi}, warnings=result.warnings,
    )
