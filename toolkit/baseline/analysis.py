"""The baseline indicator by deprivation, ethnicity, age and sex; Core20 gap; SII/RII; trend.

Every function takes the cells of :func:`toolkit.baseline.aggregate` (``numerator``,
``denominator``, ``imd_decile``, ``imd_quintile``, ``core20`` and any of ``period``,
``ethnicity``, ``age_band``, ``sex``) and computes through :mod:`toolkit.indicators`:
Wilson intervals for proportions, the pooled Core20 gap, SII/RII by simulation and
XmR charts.  The indicator is a percentage (proportion × 100).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.stats import norm

from toolkit import indicators as ind
from toolkit.cautions import code_of
from toolkit.errors import DataError, ToolkitWarning

__all__ = ["overall", "by_imd", "by_dimension", "core20_summary", "quintile_gap", "inequality_indices", "trend",
           "compare"]

LEAST_DEPRIVED = {"decile": 10, "quintile": 5}


def compare(lower, upper, benchmark: float) -> np.ndarray:
    """Fingertips' comparison with a benchmark: the interval above, below or around it.

    Returns "higher", "lower" or "similar" for each (lower, upper) pair.
    """
    lo = np.asarray(lower, dtype=float)
    hi = np.asarray(upper, dtype=float)
    return np.where(lo > benchmark, "higher", np.where(hi < benchmark, "lower", "similar"))


def _pct(cells: pd.DataFrame, by, level: float) -> pd.DataFrame:
    return ind.proportion(cells, "numerator", "denominator", multiplier=100, by=by, confidence=level)


def _se(res: pd.DataFrame) -> np.ndarray:
    """Binomial standard error of each percentage, √(p(1−p)/n) × 100 (NaN for an empty group)."""
    p = res["value"].to_numpy(dtype=float) / 100
    n = res["denominator"].to_numpy(dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(n > 0, np.sqrt(p * (1 - p) / n) * 100, np.nan)


def overall(cells: pd.DataFrame, *, level: float = 0.95) -> pd.Series:
    """The indicator over every counted row (matched to an IMD decile or not).

    Returns
    -------
    pandas.Series
        ``numerator``, ``denominator``, ``value`` (%), ``lower_ci``, ``upper_ci``.

    Notes
    -----
    value = ΣO/Σn × 100 with the Wilson score interval (docs/methods.md).
    """
    return _pct(cells, None, level).iloc[0]


def by_imd(cells: pd.DataFrame, *, quantile: str = "decile", level: float = 0.95,
           benchmark: float | None = None) -> pd.DataFrame:
    """The indicator by national IMD decile or quintile (1 = most deprived).

    Parameters
    ----------
    cells : pandas.DataFrame
        Analysis cells.
    quantile : {"decile", "quintile"}
    level : float
        Confidence level of the Wilson intervals.
    benchmark : float, optional
        Value the groups are compared with (usually the ICB's overall value).

    Returns
    -------
    pandas.DataFrame
        ``group`` (1..N), ``label``, ``numerator``, ``denominator``, ``share`` (% of
        the matched population), ``value``, ``lower_ci``, ``upper_ci``, ``se``
        (√(p(1−p)/n) × 100) and, with a
        benchmark, ``compared`` ("higher", "similar", "lower": the interval above,
        around or below it).  Cells without a decile are left out; their
        denominator is in ``attrs["unmatched"]``.  Every quantile 1..N appears
        (a quantile with nobody in it has no value).
    """
    if quantile not in LEAST_DEPRIVED:
        raise DataError(f"quantile must be 'decile' or 'quintile', not {quantile!r}", column="quantile",
                        fix="choose decile or quintile")
    col = f"imd_{quantile}"
    matched = cells[cells[col].notna()]
    unmatched = float(cells.loc[cells[col].isna(), "denominator"].sum())
    if matched.empty:
        raise DataError("no row matched an IMD decile, so nothing can be shown by deprivation",
                        column="imd_decile", fix="check the LSOA codes and imd_vintage in evaluation.yaml")
    res = _pct(matched.assign(group=matched[col].astype("int64")), "group", level)
    full = pd.DataFrame({"group": np.arange(1, LEAST_DEPRIVED[quantile] + 1)})
    res = full.merge(res, on="group", how="left")
    res["numerator"] = res["numerator"].fillna(0.0)
    res["denominator"] = res["denominator"].fillna(0.0)
    res["share"] = res["denominator"] / res["denominator"].sum() * 100
    least = LEAST_DEPRIVED[quantile]
    res.insert(1, "label", [f"{quantile.title()} {g}" + (" (most deprived)" if g == 1 else
                                                          " (least deprived)" if g == least else "")
                            for g in res["group"]])
    res["se"] = _se(res)
    res = res[["group", "label", "numerator", "denominator", "share", "value", "lower_ci", "upper_ci", "se"]]
    if benchmark is not None:
        res["compared"] = compare(res["lower_ci"], res["upper_ci"], benchmark)
        res.loc[res["value"].isna(), "compared"] = "no data"
    res.attrs["unmatched"] = unmatched
    return res


def by_dimension(cells: pd.DataFrame, dimension: str, *, level: float = 0.95,
                 benchmark: float | None = None) -> pd.DataFrame:
    """The indicator by ethnicity, age band or sex (every group shown, "Not stated" included).

    Returns
    -------
    pandas.DataFrame
        ``label``, ``numerator``, ``denominator``, ``share`` (% of the population),
        ``value``, ``lower_ci``, ``upper_ci``, ``se`` and, with a benchmark, ``compared``.
        Age bands are in age order; other groups by size, "Not stated" / "Not
        known" last.
    """
    if dimension not in cells.columns:
        raise DataError(f"no column for role '{dimension}'", column=dimension,
                        fix=f"map `{dimension}:` under data.sources.<name>.columns")
    frame = cells.assign(label=cells[dimension].astype("string"))
    res = _pct(frame, "label", level)
    res["share"] = res["denominator"] / res["denominator"].sum() * 100
    if dimension == "age_band" and isinstance(cells[dimension].dtype, pd.CategoricalDtype):
        order = {str(c): i for i, c in enumerate(cells[dimension].cat.categories)}
        res = res.sort_values("label", key=lambda s: s.map(order)).reset_index(drop=True)
    else:
        unknown = res["label"].isin(["Not stated", "Not known"])
        res = (res.assign(_u=unknown).sort_values(["_u", "denominator"], ascending=[True, False])
               .drop(columns="_u").reset_index(drop=True))
    res["se"] = _se(res)
    res = res[["label", "numerator", "denominator", "share", "value", "lower_ci", "upper_ci", "se"]]
    if benchmark is not None:
        res["compared"] = compare(res["lower_ci"], res["upper_ci"], benchmark)
    return res


def core20_summary(cells: pd.DataFrame, *, level: float = 0.95) -> dict:
    """Core20 (IMD deciles 1-2) against the rest of the matched population.

    Returns
    -------
    dict
        ``core20`` and ``rest``: dicts of numerator, denominator, value (%),
        lower_ci, upper_ci (Wilson), se (√(p(1−p)/n) × 100); ``gap``: Core20 minus the rest in percentage
        points with ``lower_ci``, ``upper_ci`` and ``se``; ``ratio``: Core20 / rest
        with its interval; ``table``: the same as a DataFrame for display.

    Notes
    -----
    Through :func:`toolkit.indicators.core20_gap` with ``statistic="proportion"``:
    difference p₁ − p₂ ± z·√(p₁(1−p₁)/n₁ + p₂(1−p₂)/n₂) (Wald) × 100, ratio by
    the Katz log method; SE = half the interval width / z.  Rows without a decile
    are left out (see :func:`toolkit.baseline.core20_gap_bounds` for how far they
    could move the gap).
    """
    matched = cells[cells["imd_decile"].notna()].assign(
        side=lambda d: np.where(d["core20"].astype(bool), "Core20 (IMD deciles 1-2)", "Rest (deciles 3-10)"))
    if matched.empty:
        raise DataError("no row matched an IMD decile, so Core20 cannot be compared with the rest",
                        column="imd_decile", fix="check the LSOA codes and imd_vintage")
    sides = _pct(matched, "side", level).set_index("side")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitWarning)
        gaps = ind.core20_gap(matched, "numerator", "denominator", "imd_decile", statistic="proportion",
                              multiplier=100, confidence=level)
    out = {}
    for key, label in (("core20", "Core20 (IMD deciles 1-2)"), ("rest", "Rest (deciles 3-10)")):
        row = sides.loc[label] if label in sides.index else None
        out[key] = {k: (float(row[k]) if row is not None else np.nan)
                    for k in ("numerator", "denominator", "value", "lower_ci", "upper_ci")}
        p, n = out[key]["value"] / 100, out[key]["denominator"]
        out[key]["se"] = float(np.sqrt(p * (1 - p) / n) * 100) if n else np.nan
    ab = gaps[gaps["gap"] == "absolute"].iloc[0]
    rel = gaps[gaps["gap"] == "relative"].iloc[0]
    z = float(norm.ppf(0.5 + level / 2))
    out["gap"] = {"value": float(ab["value"]), "lower_ci": float(ab["lower_ci"]), "upper_ci": float(ab["upper_ci"]),
                  "se": float((ab["upper_ci"] - ab["lower_ci"]) / (2 * z)), "note": ab["note"]}
    out["ratio"] = {"value": float(rel["value"]), "lower_ci": float(rel["lower_ci"]),
                    "upper_ci": float(rel["upper_ci"]), "note": rel["note"]}
    cols = ("numerator", "denominator", "value", "lower_ci", "upper_ci")
    out["table"] = pd.DataFrame([
        {"group": "Core20 (IMD deciles 1-2)", **{k: out["core20"][k] for k in cols}},
        {"group": "Rest (deciles 3-10)", **{k: out["rest"][k] for k in cols}},
    ])
    return out


def quintile_gap(cells: pd.DataFrame, *, level: float = 0.95) -> dict:
    """Most minus least deprived IMD quintile (percentage points), and their ratio.

    Returns
    -------
    dict
        ``value``, ``lower_ci``, ``upper_ci``, ``se`` (absolute gap, quintile 1
        minus quintile 5), ``ratio``, ``ratio_lower``, ``ratio_upper`` and ``note``.

    Notes
    -----
    :func:`toolkit.indicators.quantile_gap` on the quintiles' Wilson 95% limits:
    SEᵢ = (Uᵢ − Lᵢ)/(2·1.959964), gap d = v₁ − v₅ ± z·√(SE₁² + SE₅²); ratio on the
    log scale likewise.
    """
    q95 = by_imd(cells, quantile="quintile", level=0.95)
    empty = [int(g) for g in (1, 5) if not q95.loc[q95["group"] == g, "denominator"].gt(0).any()]
    if empty:
        nan = float("nan")
        return {"value": nan, "lower_ci": nan, "upper_ci": nan, "se": nan, "ratio": nan, "ratio_lower": nan,
                "ratio_upper": nan,
                "note": f"nobody in the data is in IMD quintile {' or '.join(map(str, empty))}"}
    res = ind.quantile_gap(q95, "group", most=1, least=5, confidence=level)
    ab = res[res["gap"] == "absolute"].iloc[0]
    rel = res[res["gap"] == "relative"].iloc[0]
    z = float(norm.ppf(0.5 + level / 2))
    return {"value": float(ab["value"]), "lower_ci": float(ab["lower_ci"]), "upper_ci": float(ab["upper_ci"]),
            "se": float((ab["upper_ci"] - ab["lower_ci"]) / (2 * z)), "ratio": float(rel["value"]),
            "ratio_lower": float(rel["lower_ci"]), "ratio_upper": float(rel["upper_ci"]), "note": ab["note"]}


def _user_column(columns, *roles: str) -> str | None:
    """The analyst's column for the first of ``roles`` that is mapped (quoted), else None."""
    for role in roles:
        if columns and columns.get(role):
            return f"'{columns[role]}'"
    return None


def inequality_indices(by_quintile: pd.DataFrame, *, level: float = 0.95, seed: int = 20250401,
                       repetitions: int = 100_000, columns: dict | None = None) -> dict:
    """Slope and relative index of inequality across IMD quantiles.

    Parameters
    ----------
    by_quintile : pandas.DataFrame
        Output of :func:`by_imd` (quintiles or deciles), at any level: the
        limits the simulation needs are recomputed at 95% from ``numerator``
        and ``denominator``.
    level : float
        Confidence level of the simulated limits.
    seed : int
        Seed of the simulation (recorded).
    repetitions : int
        Simulations (100,000 as PHEindicatormethods).
    columns : dict, optional
        ``{role: the analyst's column}`` (:attr:`Aggregated.columns`), named in the
        note when a quantile is empty.

    Returns
    -------
    dict
        ``sii`` (percentage points, least minus most deprived end of the
        fitted line), ``sii_lower``, ``sii_upper``, ``rii`` (least / most
        deprived end), ``rii_lower``, ``rii_upper``, ``seed``, ``repetitions``,
        ``note`` and ``skipped`` (True when a quantile has nobody in it: the
        SII needs every quantile, so nothing is calculated and ``note`` says
        why in the analyst's column names).

    Notes
    -----
    :func:`toolkit.indicators.sii` on the quantile proportions (0-1) with
    ``value_type="proportion"`` (values simulated on the logit scale from their
    Wilson **95%** limits, which is what ``sii`` reads whatever ``level`` the
    table was made at) and ``multiplier=100``.  Rank 0 is the most deprived end, so
    a positive SII means the indicator is higher in less deprived areas.
    """
    nan = float("nan")
    empty = by_quintile["denominator"].fillna(0).to_numpy(dtype=float) <= 0
    if empty.any():
        kind = "decile" if len(by_quintile) == 10 else "quintile"
        groups = ", ".join(str(int(g)) for g in by_quintile.loc[empty, "group"])
        where = _user_column(columns, "lsoa", "imd_decile", "imd_score", "area")
        denom = _user_column(columns, "denominator")
        note = (f"nobody in the data is in IMD {kind}{'s' if empty.sum() > 1 else ''} {groups}"
                + (f" (no row's {where} falls there" + (f", so {denom} sums to nothing" if denom else "") + ")"
                   if where else "")
                + f"; the slope index needs every {kind}, so the SII and RII are not calculated"
                + (" (try sii_by: quintile)" if kind == "decile" else ""))
        return {"sii": nan, "sii_lower": nan, "sii_upper": nan, "rii": nan, "rii_lower": nan, "rii_upper": nan,
                "note": note, "seed": int(seed), "repetitions": int(repetitions), "skipped": True}
    ci95 = ind.proportion(by_quintile[["group", "numerator", "denominator"]], "numerator", "denominator",
                          multiplier=1, by="group", confidence=0.95).set_index("group")
    frame = by_quintile.assign(p=by_quintile["numerator"] / by_quintile["denominator"],
                               lo=by_quintile["group"].map(ci95["lower_ci"]),
                               hi=by_quintile["group"].map(ci95["upper_ci"]))
    res = ind.sii(frame, "group", "denominator", "p", lower_ci="lo", upper_ci="hi", value_type="proportion",
                  multiplier=100, repetitions=repetitions, seed=seed, confidence=level)
    row = res.iloc[0]
    return {k: (float(row[k]) if k != "note" else row[k]) for k in
            ("sii", "sii_lower", "sii_upper", "rii", "rii_lower", "rii_upper", "note")} | {
        "seed": int(res.attrs["seed"]), "repetitions": int(res.attrs["repetitions"]), "skipped": False}


def trend(cells: pd.DataFrame, *, level: float = 0.95, improvement: str = "increase",
          target: float | None = None, columns: dict | None = None) -> pd.DataFrame:
    """The indicator by period as an XmR chart, with Core20 and the rest alongside.

    Returns
    -------
    pandas.DataFrame
        One row per period: ``period``, ``numerator``, ``denominator``, ``value``,
        ``lower_ci``, ``upper_ci``, the :func:`toolkit.indicators.spc` columns
        (``centre``, ``lower_limit``, ``upper_limit``, rule flags,
        ``variation``, ``special_cause``), ``core20_value``, ``rest_value`` and
        ``gap`` (Core20 minus the rest, percentage points).  ``attrs["short"]``
        is True when there are fewer than 12 periods (limits unreliable);
        ``attrs["gap_spc"]`` holds an XmR chart of the gap (improvement
        "neutral": whether a narrower gap is a rise or a fall depends on its sign).
        With a single period there is no chart: ``attrs["caution"]`` says so,
        naming the analyst's period column (``columns``), and the SPC columns
        are absent.
    """
    if "period" not in cells.columns:
        raise DataError("no column for role 'period'", column="period", fix="map `period:` to see the trend")
    res = _pct(cells, "period", level).sort_values("period").reset_index(drop=True)
    if len(res) < 2:
        col = _user_column(columns, "period") or "the period column"
        out = res.copy()
        out.attrs["short"] = True
        out.attrs["caution"] = (f"The data hold a single period ({res['period'].iloc[0] if len(res) else 'none'} in "
                                f"{col}), so there is no trend and no SPC chart: an SPC chart needs at least two "
                                "periods (twelve for reliable limits).")
        out.attrs["caution_code"] = "baseline.single_period"
        return out
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ToolkitWarning)
        chart = ind.spc(res, "value", "period", improvement=improvement, target=target)
    keep = ["period", "centre", "lower_limit", "upper_limit", "beyond_limits", "shift", "trend", "two_in_three",
            "special_cause", "variation", "assurance"]
    out = res.merge(chart[keep], on="period", how="left")
    matched = cells[cells["imd_decile"].notna()]
    if not matched.empty:
        side = _pct(matched.assign(core=matched["core20"].astype(bool)), ["period", "core"], level)
        wide = side.pivot(index="period", columns="core", values="value")
        out["core20_value"] = out["period"].map(wide.get(True, pd.Series(dtype=float)))
        out["rest_value"] = out["period"].map(wide.get(False, pd.Series(dtype=float)))
        out["gap"] = out["core20_value"] - out["rest_value"]
        if out["gap"].notna().sum() >= 2:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", ToolkitWarning)  # the main chart's shortness is reported once
                gap_chart = ind.spc(out.loc[out["gap"].notna(), ["period", "gap"]], "gap", "period")
            out.attrs["gap_spc"] = gap_chart
    out.attrs["short"] = any(code_of(w.message) == "spc.short_series" for w in caught)
    return out
