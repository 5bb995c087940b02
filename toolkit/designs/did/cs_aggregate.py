"""Aggregation of Callaway & Sant'Anna group-time effects, from numbers only.

:class:`GroupTimeEffects` holds what every aggregation needs — the ATT(g,t),
their influence functions and each unit's cohort and weight — as read-only
arrays.  :func:`aggregate` and :func:`wald_pretest` are pure functions of it, so
a result can aggregate itself without the model that fitted it.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats

from toolkit.designs.did._tidy import coef_row, dot
from toolkit.errors import DesignError, Problem

__all__ = ["KINDS", "GroupTimeEffects", "Aggregation", "aggregate", "wald_pretest", "PRETEST_UNITS_PER_CELL"]

KINDS = ("simple", "group", "dynamic", "calendar")

#: The pre-test is reported only with at least this many units per pre-period cell.
PRETEST_UNITS_PER_CELL = 10
#: Above this many influence-function entries (units x pre cells) the rank check uses the
#: eigenvalues of the cells' covariance instead of an SVD of the influence functions.
RANK_SVD_LIMIT = 200_000
#: ... and counts an eigenvalue as zero below this fraction of the largest.
RANK_EIG_RTOL = 1e-12


def _readonly(a: np.ndarray, dtype=float) -> np.ndarray:
    """A read-only view (no copy of a large influence matrix; the caller hands its array over)."""
    a = np.asarray(a, dtype=dtype).view()
    a.flags.writeable = False
    return a


@dataclass(frozen=True)
class GroupTimeEffects:
    """ATT(g,t) cells with their influence functions (read-only).

    Attributes
    ----------
    group, time : ndarray, shape (K,)
        Cohort (first-treated period) and period of each cell.
    att : ndarray, shape (K,)
        ATT(g,t) (NaN when a cell has no treated or no comparison units).
    influence : ndarray, shape (n, K)
        Influence function of each cell over the :math:`n` units, scaled so
        that :math:`SE = \\sqrt{\\sum_i \\psi_i^2}/n`.
    unit_cohort, unit_weight : ndarray, shape (n,)
        Each unit's first-treated period (0 = never) and weight (mean 1),
        for the cohort-share weights of the aggregations.
    reference : ndarray of bool, shape (K,)
        Cells fixed at 0 as the base period (universal base period only).
    """

    group: np.ndarray
    time: np.ndarray
    att: np.ndarray
    influence: np.ndarray
    unit_cohort: np.ndarray
    unit_weight: np.ndarray
    reference: np.ndarray | None = None

    def __post_init__(self) -> None:
        for name in ("group", "time", "att", "influence", "unit_cohort", "unit_weight"):
            object.__setattr__(self, name, _readonly(getattr(self, name)))
        ref = np.zeros(self.att.size, bool) if self.reference is None else self.reference
        object.__setattr__(self, "reference", _readonly(ref, bool))

    @property
    def n(self) -> int:
        return int(self.influence.shape[0])

    def se(self, k: int) -> float:
        """Standard error of cell ``k``: :math:`\\sqrt{\\sum_i \\psi_{ik}^2}/n`."""
        psi = np.ascontiguousarray(self.influence[:, k])
        return math.sqrt(dot(psi, psi)) / self.n


@dataclass(frozen=True)
class Aggregation:
    """One aggregation: the overall estimate, its influence function and the per-key rows."""

    kind: str
    estimate: float
    se: float
    influence: np.ndarray
    rows: list
    label: str
    vcov: pd.DataFrame | None = None


def _wif(fx: GroupTimeEffects, groups: np.ndarray, pg: np.ndarray, att: np.ndarray) -> np.ndarray:
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
    a1 = np.zeros(fx.n)
    a0 = np.zeros(fx.n)
    for g in ubar:
        m = fx.unit_cohort == g
        a1[m] = fx.unit_weight[m] * att_by[g]
        a0[m] = fx.unit_weight[m] * cnt_by[g]
    pa = float(np.dot(pg, att))
    return (a1 - pa) / S - (a0 - pg.sum()) * pa / S**2


def _combine(fx: GroupTimeEffects, idx: np.ndarray, pg_all: dict, *, equal: bool = False) -> tuple[float, np.ndarray]:
    """Weighted average of cells ``idx`` and its influence function."""
    att = fx.att[idx]
    groups = fx.group[idx]
    psi = np.zeros(fx.n)
    if equal:
        wts = np.full(idx.size, 1.0 / idx.size)
    else:
        pg = np.array([pg_all[g] for g in groups])
        wts = pg / pg.sum()
    for k, wk in zip(idx, wts):
        psi += wk * fx.influence[:, int(k)]
    est = float(np.dot(wts, att))
    if not equal:
        psi += _wif(fx, groups, pg, att)
    return est, psi


def aggregate(fx: GroupTimeEffects, kind: str = "simple", *, level: float = 0.95, min_e: float = -math.inf,
              max_e: float = math.inf) -> Aggregation:
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
    The ``dynamic`` aggregation also returns the covariance of its event-time
    estimates, :math:`\\Psi'\\Psi/n^2` (for :func:`~toolkit.designs.did.honest`).
    """
    if kind not in KINDS:
        raise DesignError(f"Unknown aggregation {kind!r}.",
                          [Problem(f"kind must be one of {', '.join(KINDS)}", fix='use e.g. aggregate("dynamic")')])
    n = fx.n
    ok = np.isfinite(fx.att)
    g, t = fx.group, fx.time
    e = t - g
    inwin = e <= max_e
    pg_all = {c: float(np.mean(fx.unit_weight * (fx.unit_cohort == c))) for c in np.unique(g)}
    rows = []
    vcov = None
    se_of = lambda psi: math.sqrt(dot(psi, psi)) / n  # noqa: E731
    if kind == "simple":
        idx = np.flatnonzero(ok & (t >= g) & inwin)
        est, psi = _combine(fx, idx, pg_all)
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
            est_k, psi_k = _combine(fx, idx, pg_all, equal=(kind == "group"))
            parts.append((key, est_k, psi_k))
            extra_cols = {col: key}
            if kind == "dynamic":
                is_ref = bool(fx.reference[idx].all())
                extra_cols["period"] = "reference" if is_ref else ("post" if key >= 0 else "pre")
            rows.append(coef_row(f"{col} {key:g}", est_k, se_of(psi_k), level, **extra_cols))
        if kind == "group":
            keys_arr = np.array([p[0] for p in parts])
            att_arr = np.array([p[1] for p in parts])
            pg = np.array([pg_all[k] for k in keys_arr])
            est = float(np.dot(pg, att_arr) / pg.sum())
            psi = sum((pk / pg.sum()) * p[2] for pk, p in zip(pg, parts)) + _wif(fx, keys_arr, pg, att_arr)
            label = "by cohort (overall: cohort-size weighted average of cohort effects)"
        elif kind == "dynamic":
            post = [p for p in parts if p[0] >= 0]
            est = float(np.mean([p[1] for p in post]))
            psi = sum(p[2] for p in post) / len(post)
            label = "by event time (overall: mean of effects at event times 0 and later)"
            terms = [r["term"] for r in rows]
            Psi = np.column_stack([p[2] for p in parts])
            vcov = pd.DataFrame(Psi.T @ Psi / n**2, index=terms, columns=terms)
        else:
            est = float(np.mean([p[1] for p in parts]))
            psi = sum(p[2] for p in parts) / len(parts)
            label = "by calendar period (overall: mean over periods)"
    return Aggregation(kind, est, se_of(psi), psi, rows, label, vcov)


def wald_pretest(fx: GroupTimeEffects) -> tuple[dict[str, float], str]:
    r"""Wald pre-test that every pre-adoption ATT(g,t) is zero (as ``did::att_gt`` reports).

    Returns the test (``stat``, ``df``, ``p_value``, ``rank``) and why it has
    no p-value (``""`` when it has one or there are no pre cells).

    Notes
    -----
    With :math:`\Psi` the influence functions of the :math:`q` pre-adoption
    cells (reference cells of a universal base period excluded),
    :math:`\hat V = \Psi'\Psi/n^2` and
    :math:`W = \widehat{ATT}' \hat V^{-1} \widehat{ATT} \sim \chi^2_q`.

    :math:`\hat V` is estimated from :math:`n` units, so the test needs
    :math:`q` small relative to :math:`n`.  No p-value is reported (``stat``
    and ``p_value`` NaN) when :math:`q \ge n`, when the numerical rank of
    :math:`\Psi` (``numpy.linalg.matrix_rank``, default tolerance; above
    :data:`RANK_SVD_LIMIT` entries, the number of eigenvalues of :math:`\hat V`
    above :data:`RANK_EIG_RTOL` times the largest) is below
    :math:`q`, or when there are fewer than :data:`PRETEST_UNITS_PER_CELL`
    (10) units per cell (:math:`n < 10q`).  In simulations with parallel
    trends by construction the 5% test rejected in 95% of panels with 27
    cells on 40 units and 40% with 27 cells on 100, but 9-12% with 10-20
    units per cell; the R ``did`` mpdta example (5 cells, 500 units) is
    unaffected.
    """
    idx = np.flatnonzero((fx.time < fx.group) & np.isfinite(fx.att) & ~fx.reference)
    q, n = int(idx.size), fx.n
    nan = {"stat": float("nan"), "df": q, "p_value": float("nan"), "rank": 0}
    if q == 0:
        return nan, ""
    psi = np.column_stack([fx.influence[:, int(k)] for k in idx])
    finite = bool(np.all(np.isfinite(psi)))
    V = psi.T @ psi / n**2 if finite else None
    if not finite:
        rank = 0
    elif psi.size <= RANK_SVD_LIMIT:
        rank = int(np.linalg.matrix_rank(psi))
    else:  # large panels: an SVD of n x q would dominate the run time
        ev = np.linalg.eigvalsh(V)
        rank = int((ev > ev.max() * RANK_EIG_RTOL).sum()) if ev.max() > 0 else 0
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
        return nan, why
    att = fx.att[idx]
    try:
        W = float(att @ np.linalg.solve(V, att))
    except np.linalg.LinAlgError:
        return nan, ""
    return {"stat": W, "df": q, "p_value": float(stats.chi2.sf(W, q)), "rank": rank}, ""
