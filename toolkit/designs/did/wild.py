r"""Wild cluster bootstrap-t for few-cluster inference (null imposed, "WCR").

With few clusters (an ICB typically has 5-15 primary care networks) or few
treated clusters, CRV1 standard errors are too small and t-tests over-reject
(Cameron, Gelbach & Miller 2008; MacKinnon & Webb 2017).  The restricted
wild cluster bootstrap-t keeps close to its nominal size in that setting.

Written here (rather than calling the ``wildboottest`` package) because it
must run on our fixed-effects fits (fixest convention, weights) and invert
the test for a confidence interval, which ``wildboottest`` does not; its
p-values are checked against ``wildboottest`` in the tests.

Notes
-----
The fixed effects are partialled out first (Frisch-Waugh-Lovell), as
pyfixest does before handing the demeaned data to ``wildboottest``; with
weights every row is multiplied by :math:`\sqrt{w_i}`.  For a linear
hypothesis :math:`H_0: a'\beta = r` on :math:`\ddot y = \ddot X\beta + e`:

1. restricted estimate :math:`\tilde\beta = \hat\beta - q\,(a'\hat\beta - r)/(a'q)`,
   :math:`q = (\ddot X'\ddot X)^{-1}a`, residuals :math:`\tilde e = \ddot y - \ddot X\tilde\beta`;
2. bootstrap samples :math:`y^*_b = \ddot X\tilde\beta + \tilde e\, v_{g(i)b}` with one
   weight per cluster: Rademacher (:math:`\pm1`), or Webb's six-point
   distribution (:math:`\pm\sqrt{1/2}, \pm1, \pm\sqrt{3/2}`) when there are
   fewer than 12 clusters (Webb 2023); every possible weight vector is used
   (full enumeration) when there are no more of them than ``reps``;
3. :math:`t^*_b = (a'\hat\beta^*_b - r)/\mathrm{se}_{CRV1}(a'\hat\beta^*_b)`, and
   :math:`p(r) = B^{-1}\sum_b 1\{|t^*_b| > |t(r)|\}` (symmetric, as boottest
   and ``wildboottest``), :math:`t(r) = (a'\hat\beta - r)/\mathrm{se}_{CRV1}`;
4. the interval is :math:`\{r: p(r) > 1 - \text{level}\}`, found by bisection
   with the same weights for every :math:`r` (Roodman, MacKinnon, Nielsen &
   Webb 2019, "Fast and wild"), so it agrees with the p-value.

Every quantity is linear in :math:`\delta = a'\hat\beta - r`, so each
:math:`p(r)` costs :math:`O(G\cdot B)` after an :math:`O(G^2 B)` set-up
("Fast and wild", section 5).  The CRV1 small-sample factor cancels in
:math:`p`.  Each bootstrap refit re-estimates the fixed effects, as a
regression with the dummies would (pyfixest's ``wildboottest()`` builds
them one-hot): the bootstrap residuals are
:math:`M_D(\tilde e\circ v) - \ddot X(\hat\beta^* - \tilde\beta)`, and the
projection :math:`M_D` of each cluster's residuals is computed once
(:math:`G` demeanings), so this stays :math:`O(G\cdot B)` per :math:`r`.
Fixed effects nested in the clusters need no correction (their
projection of :math:`\tilde e\circ v` is zero).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from typing import Sequence

import numpy as np

from toolkit.cautions import Caution
from toolkit.designs.did._fe import FixedEffect, demean
from toolkit.errors import DesignError

__all__ = [
    "WildTest",
    "WildProblem",
    "wild_problem",
    "cluster_weights",
    "few_clusters",
    "check_inference",
    "with_wild",
    "treated_clusters",
    "describe",
    "DEFAULT_REPS",
    "DEFAULT_SEED",
]

DEFAULT_REPS = 9999
DEFAULT_SEED = 20240517
WEBB = np.array([-math.sqrt(1.5), -1.0, -math.sqrt(0.5), math.sqrt(0.5), 1.0, math.sqrt(1.5)])
#: Below this many clusters, Webb's six-point weights replace Rademacher's.
WEBB_BELOW = 12
#: Few clusters: the wild bootstrap becomes the headline under ``inference="auto"``.
FEW_CLUSTERS = 30
FEW_TREATED = 10
INFERENCE = ("crv1", "wild", "auto")


def check_inference(inference: str, reps: int) -> None:
    """Validate the ``inference=`` and ``reps=`` options of a design."""
    if inference not in INFERENCE:
        raise DesignError(f"inference must be one of {INFERENCE}, not {inference!r}")
    if int(reps) != reps or reps < 99:
        raise DesignError("reps must be a whole number of at least 99")


def few_clusters(n_clusters: int, n_treated_clusters: int) -> bool:
    """True when CRV1 inference is unreliable: < 30 clusters or < 10 treated clusters."""
    return n_clusters < FEW_CLUSTERS or n_treated_clusters < FEW_TREATED


def cluster_weights(n_clusters: int, reps: int, seed: int | None, kind: str = "auto"):
    """Bootstrap weights, shape ``(n_clusters, B)``.

    Parameters
    ----------
    kind : {"auto", "rademacher", "webb"}
        ``"auto"``: Webb below 12 clusters, Rademacher otherwise.

    Returns
    -------
    V : ndarray
    kind : str
        The distribution used.
    enumerated : bool
        True when ``V`` holds every possible weight vector (then ``B`` =
        2**G or 6**G and the seed is not used).
    """
    if kind == "auto":
        kind = "webb" if n_clusters < WEBB_BELOW else "rademacher"
    if kind not in ("rademacher", "webb"):
        raise DesignError("kind must be 'auto', 'rademacher' or 'webb'")
    support = np.array([-1.0, 1.0]) if kind == "rademacher" else WEBB
    n_all = len(support) ** n_clusters
    if n_all < reps:
        V = np.array(list(itertools.product(support, repeat=n_clusters)), dtype=float).T
        return np.ascontiguousarray(V), kind, True
    rng = np.random.default_rng(seed)
    V = support[rng.integers(0, len(support), size=(n_clusters, reps))]
    return V, kind, False


@dataclass(frozen=True)
class WildTest:
    """Wild cluster bootstrap result for one linear combination."""

    estimate: float
    t_stat: float
    p_value: float
    ci_low: float
    ci_high: float
    reps: int
    kind: str
    enumerated: bool


class WildProblem:
    """A demeaned regression prepared for fast WCR tests of linear combinations.

    Parameters
    ----------
    Xd, yd : ndarray
        Regressors and outcome with the fixed effects already removed.
    cluster : ndarray of int
        Cluster codes ``0..G-1``.
    weights : ndarray, optional
        Observation weights.
    fes : sequence of FixedEffect
        The fixed effects that were removed (to re-project the bootstrap
        residuals on them, as a regression with the dummies would).
    balanced : bool
        As in :func:`toolkit.designs.did._fe.demean`.
    reps, seed, kind
        See :func:`cluster_weights`.
    """

    def __init__(self, Xd, yd, cluster, n_clusters, *, weights=None, fes=(), balanced=False,
                 reps=DEFAULT_REPS, seed=DEFAULT_SEED, kind="auto"):
        Xd = np.asarray(Xd, dtype=float)
        if Xd.ndim == 1:
            Xd = Xd[:, None]
        yd = np.asarray(yd, dtype=float)
        self.fes, self.balanced = tuple(fes), bool(balanced)
        self.w = None if weights is None else np.asarray(weights, dtype=float)
        self.sw = None
        if weights is not None:
            sw = self.sw = np.sqrt(self.w)
            Xd, yd = Xd * sw[:, None], yd * sw
        self.X, self.y, self.G = Xd, yd, int(n_clusters)
        self.cluster = np.asarray(cluster)
        k = Xd.shape[1]
        self.A = np.linalg.inv(Xd.T @ Xd)
        self.beta = self.A @ (Xd.T @ yd)
        self.resid = yd - Xd @ self.beta
        self.V, self.kind, self.enumerated = cluster_weights(self.G, int(reps), seed, kind)
        # per-cluster cross products H_g = X_g'X_g (G x k x k)
        self.H = np.zeros((self.G, k, k))
        for j in range(k):
            for m in range(j, k):
                v = np.bincount(self.cluster, weights=Xd[:, j] * Xd[:, m], minlength=self.G)
                self.H[:, j, m] = v
                self.H[:, m, j] = v

    def _scores(self, e: np.ndarray) -> np.ndarray:
        k = self.X.shape[1]
        S = np.empty((self.G, k))
        for j in range(k):
            S[:, j] = np.bincount(self.cluster, weights=self.X[:, j] * e, minlength=self.G)
        return S

    def _fe_part(self, e: np.ndarray, xq: np.ndarray) -> np.ndarray:
        """``L[h, g]`` = sum over cluster h of ``xq * P_D(e * 1{cluster = g})`` (G x G).

        :math:`P_D` projects on the fixed-effect dummies (in the weighted
        metric); it is applied to one cluster's residuals at a time, in
        chunks of columns to bound memory.
        """
        G = self.G
        L = np.zeros((G, G))
        if not self.fes:
            return L
        n = e.size
        chunk = max(1, int(2e6 // max(n, 1)))  # at most ~16 MB of columns at a time
        raw = e if self.sw is None else e / self.sw
        for g0 in range(0, G, chunk):
            gs = np.arange(g0, min(G, g0 + chunk))
            E = np.zeros((n, gs.size), order="F")
            for j, g in enumerate(gs):
                m = self.cluster == g
                E[m, j] = raw[m]
            Ed, _ = demean(E, self.fes, self.w, balanced=self.balanced)
            P = E - Ed
            for j in range(gs.size):
                col = P[:, j] if self.sw is None else P[:, j] * self.sw
                L[:, gs[j]] = np.bincount(self.cluster, weights=xq * col, minlength=G)
        return L

    def test(self, a: Sequence[float], *, level: float = 0.95, null: float = 0.0,
             interval: bool = True) -> WildTest:
        """Bootstrap p-value of a'beta = ``null`` and the inverted interval."""
        a = np.asarray(a, dtype=float)
        q = self.A @ a
        aq = float(a @ q)
        theta = float(a @ self.beta)
        S_hat = self._scores(self.resid)
        Z = self._scores(self.X @ q / aq)  # scores of the restricted-residual shift
        se_obs = math.sqrt(float(np.sum((S_hat @ q) ** 2)))  # without the ssc factor (it cancels)
        u0, u1 = S_hat @ q, Z @ q
        R = np.einsum("k,gkm,mn->gn", q, self.H, self.A)  # rows q'H_g A
        V = self.V
        z = self.X @ q / aq
        xq = self.X @ q
        M0 = R @ S_hat.T + self._fe_part(self.resid, xq)
        M1 = R @ Z.T + self._fe_part(z, xq)
        M0V, M1V = M0 @ V, M1 @ V
        Vu0, Vu1 = V.T @ u0, V.T @ u1

        def pval(r: float) -> tuple[float, float]:
            d = theta - r
            t = d / se_obs if se_obs > 0 else math.inf
            num = Vu0 + d * Vu1
            terms = (u0 + d * u1)[:, None] * V - (M0V + d * M1V)
            den = np.sqrt(np.einsum("gb,gb->b", terms, terms))
            with np.errstate(divide="ignore", invalid="ignore"):
                tb = np.abs(num / den)
            # ties (e.g. the all-ones draw reproduces t exactly): count as not exceeding
            tol = 1e-9 * max(abs(t), 1.0)
            return float(np.mean(tb > abs(t) + tol)), t

        p, t = pval(null)
        lo = hi = float("nan")
        if interval:
            lo, hi = self._invert(pval, theta, se_obs, 1 - level)
        return WildTest(estimate=theta, t_stat=t, p_value=p, ci_low=lo, ci_high=hi,
                        reps=V.shape[1], kind=self.kind, enumerated=self.enumerated)

    @staticmethod
    def _invert(pval, theta: float, se: float, alpha: float) -> tuple[float, float]:
        if not se > 0:
            return theta, theta
        ends = []
        for sign in (-1.0, 1.0):
            inner, step = theta, se
            outer = theta + sign * step
            while pval(outer)[0] > alpha:
                inner = outer
                step *= 2
                outer = theta + sign * step
                if step > 1e6 * se:
                    outer = None
                    break
            if outer is None:
                ends.append(sign * math.inf)
                continue
            for _ in range(60):
                mid = (inner + outer) / 2
                if pval(mid)[0] > alpha:
                    inner = mid
                else:
                    outer = mid
                if abs(outer - inner) <= 1e-7 * se:
                    break
            ends.append((inner + outer) / 2)
        return ends[0], ends[1]


def wild_problem(y, X, fes: Sequence[FixedEffect], *, cluster, n_clusters, weights=None,
                 balanced=False, reps=DEFAULT_REPS, seed=DEFAULT_SEED, kind="auto") -> WildProblem:
    """Demean ``y`` and ``X`` by ``fes`` and prepare a :class:`WildProblem`."""
    X = np.asarray(X, dtype=float)
    if X.ndim == 1:
        X = X[:, None]
    Z, _ = demean(np.column_stack([y, X]), fes, weights, balanced=balanced)
    return WildProblem(Z[:, 1:], Z[:, 0], cluster, n_clusters, weights=weights, fes=fes,
                       balanced=balanced and weights is None, reps=reps, seed=seed, kind=kind)


def describe(w: WildTest, n_clusters: int) -> str:
    draws = (f"all {w.reps:,} weight vectors (full enumeration)" if w.enumerated
             else f"{w.reps:,} seeded replications")
    name = "Webb six-point" if w.kind == "webb" else "Rademacher"
    return (f"wild cluster bootstrap-t ({name} weights, null imposed, {draws}, {n_clusters:,} clusters; "
            "interval by test inversion; the standard error shown is CRV1)")


def with_wild(result, problem: WildProblem, a, *, inference: str, n_clusters: int,
              n_treated_clusters: int, table_rows: dict[int, Sequence[float]] | None = None):
    """Return ``result`` with a wild-bootstrap headline (or unchanged under ``"auto"`` with many clusters).

    Parameters
    ----------
    result : DesignResult
        The CRV1 result of the design.
    problem : WildProblem
        The design's regression, prepared.
    a : sequence of float
        The headline as a combination of the coefficients.
    inference : {"wild", "auto"}
        ``"auto"`` bootstraps only when :func:`few_clusters` says so.
    table_rows : dict, optional
        Row position in ``result.table`` -> coefficient combination; those
        rows get bootstrap intervals and p-values too.
    """
    few = few_clusters(n_clusters, n_treated_clusters)
    if inference == "auto" and not few:
        return result
    w = problem.test(a, level=result.level)
    warns = list(result.warnings)
    crv = (f"With {n_clusters:,} clusters ({n_treated_clusters:,} containing treated observations), "
           f"the CRV1 interval was {result.ci_low:.4g} to {result.ci_high:.4g} (p = {result.p_value:.3g}); "
           f"the wild cluster bootstrap gives {w.ci_low:.4g} to {w.ci_high:.4g} (p = {w.p_value:.3g}) "
           "and is the headline.")
    if few:
        warns.append(Caution("Few clusters: " + crv, code="did.wild_bootstrap_used"))
    table = result.table
    if table is not None and table_rows:
        table = table.copy()
        table["p_value_crv1"] = table["p_value"]
        for pos, comb in table_rows.items():
            r = problem.test(comb, level=result.level)
            table.loc[table.index[pos], ["ci_low", "ci_high", "p_value"]] = [r.ci_low, r.ci_high, r.p_value]
    extra = dict(result.extra)
    extra["crv1"] = {"se": result.se, "ci_low": result.ci_low, "ci_high": result.ci_high,
                     "p_value": result.p_value}
    extra["wild"] = {"t_stat": w.t_stat, "reps": w.reps, "weights": w.kind, "enumerated": w.enumerated,
                     "n_clusters": n_clusters, "n_treated_clusters": n_treated_clusters}
    return replace(result, ci_low=w.ci_low, ci_high=w.ci_high, p_value=w.p_value,
                   method=f"{result.method}; inference: {describe(w, n_clusters)}",
                   table=table, extra=extra, warnings=tuple(dict.fromkeys(warns)))


def treated_clusters(cluster: np.ndarray, treated: np.ndarray) -> int:
    """Number of clusters with at least one treated observation."""
    return int(np.unique(np.asarray(cluster)[np.asarray(treated, dtype=bool)]).size)
