"""Accuracy of ``toolkit.power`` against seeded simulation (issue 16): prints the figures, asserts nothing.

    PYTHONPATH=. .venv/bin/python benchmarks/bench_power.py [--reps 2000] [--seeds 20]

Truth (practices within PCNs, the PCN the unit of assignment):

    y_ict = α_c + β_i + λ_t + u_ct + e_ict,   u_c AR(1) with coefficient ρ and variance 1,
    α_c ~ N(0, 1), β_i ~ N(0, 1), e_ict ~ N(0, 2), 5 practices per PCN  (period-level ICC 0.4)

Design: half the PCNs treated, 6 pre and 6 post periods, analysed by the design's own estimator —
``toolkit.designs.did.twfe`` at practice level, CRV1 SEs clustered by PCN, t with G − 1 df (its
closed form below is checked against ``did.twfe`` to 1e-10 on the first draws).

Figures, for ρ ∈ {0, 0.3, 0.7} × clusters G ∈ {8, 20, 40}:

* ``oracle``: power the calculation claims (0.80) at the MDE computed from the *true* covariance
  (default ``test="t"`` and ``test="crv1"``), against the simulated rejection rate of ``did.twfe``'s
  CRV1 test at that effect (``--reps`` panels; Monte-Carlo SE √(0.16/reps) ≈ 0.009 at 2,000);
* ``ar1`` / ``empirical``: the MDE from a simulated 8-period (``ar1``, extrapolated to 12) or
  12-period (``empirical``) baseline of the same PCNs, over ``--seeds`` baseline seeds, as a ratio to
  the oracle MDE (median and 90th centile), and the exact power of the t-test at that MDE averaged
  over seeds, against the 0.80 claimed.  Run with ``PYTHONPATH`` at an older checkout for "before".

ITS: ``mde_its`` with φ estimated from a 48-month baseline series over seeds, against the MDE with the
true φ, for φ ∈ {0, 0.3, 0.7}.
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import pandas as pd
from scipy import stats

from toolkit import power
from toolkit.power.panel import did_contrast

N_PER, S_ALPHA, S_BETA, S_E = 5, 1.0, 1.0, 2.0
M = R = 6


def ar1(rng, n, T, rho):
    u = np.empty((n, T))
    u[:, 0] = rng.standard_normal(n)
    for t in range(1, T):
        u[:, t] = rho * u[:, t - 1] + rng.standard_normal(n) * math.sqrt(1 - rho**2)
    return u


def practice_panel(rng, G, T, rho):
    """(G·N_PER) × T outcomes and each practice's PCN."""
    pcn = np.repeat(np.arange(G), N_PER)
    Y = (math.sqrt(S_ALPHA) * rng.standard_normal((G, 1)))[pcn] + math.sqrt(S_BETA) * rng.standard_normal((G * N_PER, 1))
    Y = Y + ar1(rng, G, T, rho)[pcn] + math.sqrt(S_E) * rng.standard_normal((G * N_PER, T)) + 0.2 * np.arange(T)
    return Y, pcn


def true_cov(T, rho):
    k = np.abs(np.subtract.outer(np.arange(T), np.arange(T)))
    return rho**k + S_E / N_PER * np.eye(T)  # PCN mean; α_c cancels in any contrast


def long(Y, pcn):
    n, T = Y.shape
    return pd.DataFrame({"unit": np.repeat(np.arange(n), T), "time": np.tile(np.arange(T), n), "y": Y.ravel(),
                         "pcn": np.repeat(pcn, T)})


def twfe_crv1(Y, pcn, treated_pcn):
    """β̂ and CRV1 SE of the TWFE DiD (balanced, common timing) — closed form of ``did.twfe``."""
    n, T = Y.shape
    a = did_contrast(M, R)
    d = Y @ a
    tr = treated_pcn[pcn]
    b = d[tr].mean() - d[~tr].mean()
    e = np.where(tr, d - d[tr].mean(), d - d[~tr].mean())
    P = tr.mean()
    w = np.where(tr, 1 - P, -P) * (M * R / T)
    S = np.bincount(pcn, weights=w * e)
    bread = (M * R / T) * ((1 - P) ** 2 * tr.sum() + P**2 * (~tr).sum())
    G = pcn.max() + 1
    N, K = n * T, T + 1  # slope + T period effects, as fixest counts them (unit effects nest in the clusters)
    kappa = G / (G - 1) * (N - 1) / (N - K)
    return b, math.sqrt(kappa * (S**2).sum() / bread**2)


def check_against_twfe(rng, G, rho):
    from toolkit.designs import did

    Y, pcn = practice_panel(rng, G, M + R, rho)
    treated = np.arange(G) < G // 2
    df = long(Y, pcn).assign(d=lambda x: (treated[x.pcn] & (x.time >= M)).astype(int))
    ref = did.twfe(df, "y", "unit", "time", "d", cluster="pcn")
    b, se = twfe_crv1(Y, pcn, treated)
    assert abs(ref.estimate - b) < 1e-10 and abs(ref.se - se) < 1e-10, (ref.estimate, b, ref.se, se)


def simulated_power(rng, G, rho, effect, reps):
    treated = np.arange(G) < G // 2
    crit = stats.t.ppf(0.975, G - 1)
    hits = 0
    for _ in range(reps):
        Y, pcn = practice_panel(rng, G, M + R, rho)
        Y[treated[pcn], M:] += effect
        b, se = twfe_crv1(Y, pcn, treated)
        hits += abs(b) > crit * se
    return hits / reps


def oracle_se(G, rho):
    a = did_contrast(M, R)
    n = G // 2
    return math.sqrt(a @ true_cov(M + R, rho) @ a * (2 / n))


def baseline_mde(seed, G, rho, T_b, serial):
    rng = np.random.default_rng(seed)
    Y, pcn = practice_panel(rng, G, T_b, rho)
    return power.mde_did(long(Y, pcn), unit="unit", time="time", outcome="y", cluster="pcn", n_treated=G // 2,
                         n_control=G - G // 2, pre_periods=M, post_periods=R, serial=serial)


def true_power_t(effect, G, rho):
    """Exact power of the correctly sized t-test (J − 2 df) the default calculation assumes."""
    return power.power_from_se(effect, oracle_se(G, rho), df=G - 2)


def oracle_crv1(G, rho):
    """MDE for did.twfe's CRV1 test from the true variance (``test="crv1"``'s formula), or None before it existed."""
    try:
        from toolkit.power.panel import _finish, crv1_test
    except ImportError:
        return None
    c = crv1_test(G // 2, G - G // 2, N_PER, M + R)
    return _finish(oracle_se(G, rho) ** 2, design="did", method="", level=0.95, power=0.8, df=G - 2, n={},
                   parameters={}, warnings=[], crv1=c).mde


def panel_grid(reps, seeds):
    print(f"\nCluster DiD, {M} pre + {R} post, half of G PCNs treated; MC SE of a simulated power "
          f"{math.sqrt(0.16 / reps):.3f}")
    print("oracle: MDE from the true covariance; 'sim' = did.twfe CRV1 rejection rate at that MDE "
          "(the calculation claims 0.80)")
    print("ar1 / emp: MDE from an 8- / 12-period baseline of the same PCNs over seeds, ratio to the oracle "
          "t-test MDE (median, 90th centile) and the exact power of that t-test at it (mean over seeds)")
    print(f"{'rho':>4} {'G':>3} | {'t MDE':>6} {'sim':>5} | {'crv1 MDE':>8} {'sim':>5} | "
          f"{'ar1 med':>7} {'p90':>5} {'pwr':>5} | {'emp med':>7} {'p90':>5} {'pwr':>5}")
    rng = np.random.default_rng(2026)
    check_against_twfe(rng, 8, 0.3)
    for rho in (0.0, 0.3, 0.7):
        for G in (8, 20, 40):
            se = oracle_se(G, rho)
            mde = power.mde_from_se(se, df=G - 2)
            sim = simulated_power(rng, G, rho, mde, reps)
            mde_c = oracle_crv1(G, rho)
            sim_c = simulated_power(rng, G, rho, mde_c, reps) if mde_c else float("nan")
            cols = []
            for serial, T_b in (("ar1", 8), ("empirical", M + R)):
                ratios, pw = [], []
                for s in range(seeds):
                    r = baseline_mde(1000 * s + G, G, rho, T_b, serial)
                    ratios.append(r.mde / mde)
                    pw.append(true_power_t(r.mde, G, rho))
                cols.append((np.median(ratios), np.quantile(ratios, 0.9), np.mean(pw)))
            print(f"{rho:4.1f} {G:3d} | {mde:6.3f} {sim:5.3f} | {mde_c or float('nan'):8.3f} {sim_c:5.3f} | "
                  + " | ".join(f"{m:7.2f} {p90:5.2f} {p:5.2f}" for m, p90, p in cols), flush=True)


def its_grid(seeds, n_sims):
    print(f"\nITS, 24 pre + 12 post, level change, HAC; φ from a 48-period baseline series, {seeds} seeds")
    print(f"{'phi':>4} | {'MDE(true phi)':>13} | {'phi-hat mean':>12} {'MDE/true med':>12} {'p10':>5} {'p90':>5}")
    for phi in (0.0, 0.3, 0.7):
        truth = power.mde_its(n_pre=24, n_post=12, sd=1.0, phi=phi, n_sims=n_sims, seed=1)
        est, ratios = [], []
        for s in range(seeds):
            rng = np.random.default_rng(s)
            series = 3 + 0.05 * np.arange(48) + ar1(rng, 1, 48, phi)[0]
            r = power.mde_its(n_pre=24, n_post=12, baseline_series=series, n_sims=n_sims, seed=1)
            est.append(r.parameters["phi"])
            ratios.append(r.mde / truth.mde)
        print(f"{phi:4.1f} | {truth.mde:13.3f} | {np.mean(est):12.3f} {np.median(ratios):12.2f} "
              f"{np.quantile(ratios, 0.1):5.2f} {np.quantile(ratios, 0.9):5.2f}")


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=2000)
    ap.add_argument("--seeds", type=int, default=20)
    ap.add_argument("--its-sims", type=int, default=2000)
    args = ap.parse_args()
    t0 = time.perf_counter()
    panel_grid(args.reps, args.seeds)
    its_grid(args.seeds, args.its_sims)
    print(f"\n{time.perf_counter() - t0:.0f} s")
