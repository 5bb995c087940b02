r"""Andrews, Roth & Pakes's conditional and hybrid tests of moment inequalities with nuisance parameters.

Written from the papers (no maintained Python library on PyPI offers it without
heavy solver stacks): Andrews, Roth & Pakes (2023), "Inference for linear
conditional moment inequalities", *Review of Economic Studies* 90(6), sections
3-6; used by Rambachan & Roth (2023) for the relative-magnitudes restriction.

Notes
-----
The null hypothesis is that some nuisance vector :math:`\xi` satisfies
:math:`E[Y] - X\xi \le 0`, with :math:`Y \sim N(\mu, \Sigma)` and
:math:`\sigma = \sqrt{\operatorname{diag}\Sigma}`.  The statistic is the value
of the linear programme

.. math:: \hat\eta = \min_{\eta,\xi}\ \eta \quad\text{s.t.}\quad Y - X\xi \le \eta\,\sigma
          \;=\; \max_{\gamma \in F} \gamma'Y,\qquad
          F = \{\gamma \ge 0,\ X'\gamma = 0,\ \sigma'\gamma = 1\}.

Conditional on the optimal vertex :math:`\hat\gamma` of :math:`F` and on
:math:`S = Y - b\,\hat\gamma'Y`, :math:`b = \Sigma\hat\gamma/\hat\gamma'\Sigma\hat\gamma`,
:math:`\hat\eta` is normal with variance :math:`\sigma_\gamma^2 = \hat\gamma'\Sigma\hat\gamma`
truncated to :math:`[V^{lo}, V^{up}] = \{c : \max_{\gamma\in F}\gamma'(S + bc) = c\}`,
i.e. :math:`V^{lo} = \max_{\gamma: \gamma'b<1} \gamma'S/(1-\gamma'b)` and
:math:`V^{up} = \min_{\gamma: \gamma'b>1} \gamma'S/(1-\gamma'b)` over the vertices, or
equivalently the least and largest :math:`c` such that some :math:`\xi` has
:math:`S + (b-\sigma)c - X\xi \le 0` (two linear programmes).  Under the null the
worst case is :math:`\hat\gamma'\mu = 0`.

The hybrid ("LF") test first rejects when :math:`\hat\eta` exceeds the least
favourable critical value :math:`c_{LF}`, the :math:`1-\kappa` quantile of
:math:`\hat\eta` when :math:`\mu = 0` (simulated); otherwise it rejects when
:math:`\hat\eta/\sigma_\gamma` exceeds the :math:`1-(\alpha-\kappa)/(1-\kappa)`
quantile of a standard normal truncated to
:math:`[V^{lo}, \min(V^{up}, c_{LF})]/\sigma_\gamma` (and never below 0).  As in
ARP, the test accepts when the statistic falls outside its truncation
interval (a numerical corner) or when the programme has no solution.

The vertices of :math:`F` (the extreme rays of :math:`\{\gamma\ge 0, X'\gamma=0\}`,
each supported on :math:`\operatorname{rank}X + 1` rows, scaled to :math:`\sigma'\gamma=1`)
are enumerated when there are few, which makes each test a
matrix product; otherwise every step is a linear programme solved by HiGHS
(``scipy.optimize.linprog``).  Both give the same answers.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
from scipy import optimize, stats

__all__ = ["MomentTest"]

_MAX_SUPPORTS = 20000


def _column_basis(X: np.ndarray) -> np.ndarray:
    """Orthonormal basis of the column space of X (only the space enters the test)."""
    if X.size == 0:
        return np.zeros((X.shape[0], 0))
    u, s, _ = np.linalg.svd(X, full_matrices=False)
    keep = s > 1e-10 * max(1.0, s.max())
    return u[:, keep]


_RAYS: dict = {}


def _rays(X: np.ndarray) -> np.ndarray | None:
    """Extreme rays of the cone {g >= 0, X'g = 0} as rows (cached: the same X recurs across pieces and Mbar).

    Each is the one-dimensional null space of X_J' on a support J of rank(X) + 1 rows, kept when it can be
    taken non-negative.  None when there are too many supports to enumerate.
    """
    m, k = X.shape
    key = (X.shape, np.round(X, 12).tobytes())
    if key in _RAYS:
        return _RAYS[key]
    if k + 1 > m:
        out = np.zeros((0, m))
    elif math.comb(m, k + 1) > _MAX_SUPPORTS:
        out = None
    else:
        rays = []
        for J in itertools.combinations(range(m), k + 1):
            if k == 0:
                r = np.ones(1)
            else:
                _, sv, vt = np.linalg.svd(X[list(J)].T)
                if sv.size < k or sv[-1] < 1e-10 * max(1.0, sv[0]):
                    continue
                r = vt[-1]
            if (r <= 1e-12).all():
                r = -r
            if (r >= -1e-12).all():
                full = np.zeros(m)
                full[list(J)] = np.clip(r, 0.0, None) / np.abs(r).max()
                rays.append(full)
        out = np.unique(np.round(np.array(rays), 13), axis=0) if rays else np.zeros((0, m))
    if len(_RAYS) > 64:
        _RAYS.clear()
    _RAYS[key] = out
    return out


def _vertices(X: np.ndarray, sd: np.ndarray) -> np.ndarray | None:
    """Vertices of F = {g >= 0, X'g = 0, sd'g = 1} as rows: the extreme rays scaled to sd'g = 1."""
    R = _rays(X)
    if R is None or len(R) == 0:
        return R
    return R / (R @ sd)[:, None]


class MomentTest:
    """ARP test of ``E[y0 - a*theta] - X xi <= 0`` for a scalar ``theta``, with ``Cov(y0) = sigma``.

    Parameters
    ----------
    y0, a : ndarray
        The moments at ``theta = 0`` and their slope in ``theta``.
    X : ndarray
        Nuisance directions (m x k, k may be 0).
    sigma : ndarray
        Covariance of ``y0``.
    alpha, kappa : float
        Size of the test and of its least-favourable first stage (hybrid); ``kappa=0`` gives the
        purely conditional test.
    sims, seed : int
        Draws for the least-favourable critical value (at most 1,000, HonestDiD's number, when
        the vertices are too many to enumerate and each draw needs a linear programme).
    use_vertices : bool
        Enumerate the vertices of the dual feasible set when feasible (fast); False forces
        linear programmes throughout.
    """

    def __init__(self, y0, a, X, sigma, *, alpha=0.05, kappa=0.005, sims=10000, seed=0, use_vertices=True):
        self.y0, self.a = np.asarray(y0, dtype=float), np.asarray(a, dtype=float)
        self.sigma = np.asarray(sigma, dtype=float)
        self.sd = np.sqrt(np.diag(self.sigma))
        self.X = _column_basis(np.asarray(X, dtype=float).reshape(self.y0.size, -1))
        self.alpha, self.kappa = alpha, kappa
        self.V = _vertices(self.X, self.sd) if use_vertices else None
        self.c_lf = self._lf_cv(sims, seed) if kappa > 0 else math.inf

    # -- the linear programme and its dual ----------------------------------------------------------------
    def _eta(self, y):
        """(eta_hat, gamma_hat); eta = -inf (and gamma None) when the programme is unbounded."""
        if self.V is not None:
            if len(self.V) == 0:
                return -math.inf, None
            vals = self.V @ y
            i = int(np.argmax(vals))
            return float(vals[i]), self.V[i]
        m, k = self.X.shape
        res = optimize.linprog(np.r_[1.0, np.zeros(k)], A_ub=np.column_stack([-self.sd, -self.X]), b_ub=-y,
                               bounds=[(None, None)] * (k + 1), method="highs")
        if res.status != 0:
            return -math.inf, None
        return float(res.fun), -np.asarray(res.ineqlin.marginals)

    def _lf_cv(self, sims, seed):
        rng = np.random.default_rng(seed)
        L = np.linalg.cholesky(self.sigma + 1e-14 * np.eye(self.sd.size) * max(1.0, self.sd.max() ** 2))
        draws = rng.standard_normal((sims, self.sd.size)) @ L.T
        if self.V is not None:
            if len(self.V) == 0:
                return math.inf
            eta = (draws @ self.V.T).max(axis=1)
        else:  # one linear programme a draw: at most R's 1,000
            eta = np.array([self._eta(d)[0] for d in draws[:1000]])
        return float(np.quantile(eta, 1 - self.kappa))

    def _truncation(self, S, b):
        """[V^lo, V^up]: the values c of gamma_hat'Y for which gamma_hat stays optimal (module Notes)."""
        if self.V is not None:
            num, den = self.V @ S, 1.0 - self.V @ b
            tol = 1e-10
            lo = num[den > tol] / den[den > tol]
            up = num[den < -tol] / den[den < -tol]
            return (float(lo.max()) if lo.size else -math.inf), (float(up.min()) if up.size else math.inf)
        m, k = self.X.shape
        A = np.column_stack([b - self.sd, -self.X])
        out = []
        for sign in (1.0, -1.0):
            res = optimize.linprog(np.r_[sign, np.zeros(k)], A_ub=A, b_ub=-S, bounds=[(None, None)] * (k + 1),
                                   method="highs")
            out.append(sign * res.fun if res.status == 0 else -sign * math.inf)
        return out[0], out[1]

    # -- the test -------------------------------------------------------------------------------------------
    def rejects(self, theta: float) -> bool:
        """Hybrid (or conditional, kappa=0) test of the null at ``theta``."""
        y = self.y0 - self.a * theta
        eta, g = self._eta(y)
        if g is None:
            return False
        if eta > self.c_lf:
            return True
        s2 = float(g @ self.sigma @ g)
        if s2 < 1e-20:
            return eta > 0
        sg = math.sqrt(s2)
        b = self.sigma @ g / s2
        vlo, vup = self._truncation(y - b * eta, b)
        zlo, zup = vlo / sg, min(vup, self.c_lf) / sg
        stat = eta / sg
        if not zlo - 1e-9 <= stat <= zup + 1e-9:
            return False
        size = (self.alpha - self.kappa) / (1 - self.kappa)
        return stat > max(0.0, _truncnorm_ppf(1 - size, zlo, zup))

    def lf_interval(self) -> tuple[float, float] | None:
        """The thetas the first stage does not reject, {theta : eta_hat(theta) <= c_LF}; None when empty."""
        if not np.isfinite(self.c_lf):
            return -math.inf, math.inf
        m, k = self.X.shape
        A = np.column_stack([-self.a, -self.X])  # y0 - a theta - X xi <= c sd
        b = self.c_lf * self.sd - self.y0
        ends = []
        for sign in (1.0, -1.0):
            res = optimize.linprog(np.r_[sign, np.zeros(k)], A_ub=A, b_ub=b, bounds=[(None, None)] * (k + 1),
                                   method="highs")
            if res.status == 2:
                return None
            ends.append(sign * res.fun if res.status == 0 else -sign * math.inf)
        return ends[0], ends[1]


def _truncnorm_ppf(p: float, lo: float, hi: float) -> float:
    """Quantile of a standard normal truncated to [lo, hi], stable in either tail."""
    if lo >= hi:
        return lo
    if lo > 0:  # work in the upper tail with survival functions
        slo, shi = stats.norm.sf(lo), stats.norm.sf(hi)
        return float(stats.norm.isf(slo - p * (slo - shi)))
    clo, chi = stats.norm.cdf(lo), stats.norm.cdf(hi)
    return float(stats.norm.ppf(clo + p * (chi - clo)))
