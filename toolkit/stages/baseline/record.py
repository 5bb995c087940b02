"""The baseline's named results (``results.json``), in the order the report shows them.

:func:`record` writes every figure and table the baseline stage publishes; the names are
the ones the board, the charter's forecasts and later stages read (``baseline.core20_gap``,
``baseline.quintile_3``, ``baseline.sii`` ...).
"""

from __future__ import annotations

from toolkit.reporting.formatting import fmt_number
from toolkit.reporting.language import upper_first
from toolkit.stages.baseline import measure_text as mwords
from toolkit.stages.baseline import text as words
from toolkit.stages.baseline.measure_sections import FUNNEL_COLUMNS, funnel_counts
from toolkit.stages.baseline.sections import NAMES

__all__ = ["record"]

_WILSON = "proportion × 100, Wilson score interval"


def _files(frame) -> list[dict]:
    """The files a source was read from, with their SHA-256."""
    return [{"file": f, "sha256": h} for f, h in frame.attrs["sha256"].items()]


def record(f, results) -> None:
    """Write every named result of the baseline (``f`` is its :class:`~toolkit.stages.baseline.fit.BaselineFit`)."""
    if f.lookup is not None:
        results.record_table("imd_lookup_files", _files(f.lookup))
    _core20(f, results)
    _deprivation(f, results)
    _sii(f, results)
    _groups(f, results)
    _trend(f, results)
    _completeness(f, results)
    _methods(f, results)
    if f.deaths is not None:
        results.record_table("deaths_source_files", _files(f.deaths))
    _standardised(f, results)
    _funnel(f, results)
    _sii_trend(f, results)
    _summary_measures(f, results)
    _le_gap(f, results)
    _statutory(f, results)


def _core20(f, results) -> None:
    level, ind = f.level, f.indicator
    c, r, gap, ratio, total = f.core20["core20"], f.core20["rest"], f.core20["gap"], f.core20["ratio"], f.total
    results.record("core20_value", c["value"], ci_low=c["lower_ci"], ci_high=c["upper_ci"], level=level, se=c["se"],
                   n=int(c["denominator"]), unit="%", method=_WILSON,
                   sentence=f"{upper_first(ind)} in Core20 neighbourhoods: {words.pct(c['value'])}.")
    results.record("rest_value", r["value"], se=r["se"], ci_low=r["lower_ci"], ci_high=r["upper_ci"], level=level,
                   n=int(r["denominator"]), unit="%", method=_WILSON,
                   sentence=f"{upper_first(ind)} outside Core20: {words.pct(r['value'])}.")
    results.record("core20_gap", gap["value"], se=gap["se"], ci_low=gap["lower_ci"], ci_high=gap["upper_ci"],
                   level=level, n=int(c["denominator"] + r["denominator"]), unit="percentage points",
                   method="Core20 minus the rest, pooled counts, Wald interval for a difference of proportions",
                   sentence=words.core20_sentence(f.core20, level=level, indicator=ind))
    results.record("core20_ratio", ratio["value"], ci_low=ratio["lower_ci"], ci_high=ratio["upper_ci"], level=level,
                   unit="ratio", method="Core20 / rest, Katz log interval",
                   sentence=f"Core20's value is {fmt_number(ratio['value'])} times the rest's.")
    results.record("overall_value", f.benchmark, ci_low=total["lower_ci"], ci_high=total["upper_ci"], level=level,
                   n=int(total["denominator"]), unit="%", method=_WILSON,
                   sentence=f"{upper_first(ind)} across the ICB: {words.pct(f.benchmark)}.")


def _deprivation(f, results) -> None:
    for frame, name in ((f.quintiles, "quintile"), (f.deciles, "decile")):
        for _, row in frame.iterrows():
            results.record(f"{name}_{int(row['group'])}", row["value"], se=row["se"], ci_low=row["lower_ci"],
                           ci_high=row["upper_ci"], level=f.level, n=int(row["denominator"]), unit="%", method=_WILSON,
                           sentence=f"{upper_first(f.indicator)} in IMD {name} {int(row['group'])}: "
                                    f"{words.pct(row['value'])}.")
        results.record_table(f"by_{name}", frame)
    q = f.q_gap
    results.record("quintile_gap", q["value"], se=q["se"], ci_low=q["lower_ci"], ci_high=q["upper_ci"],
                   level=f.level, unit="percentage points",
                   method="most minus least deprived IMD quintile, SEs from the Wilson 95% limits",
                   sentence=words.quintile_gap_sentence(q, level=f.level),
                   extra={"ratio": q["ratio"], "ratio_lower": q["ratio_lower"], "ratio_upper": q["ratio_upper"]})


def _sii(f, results) -> None:
    ix, by = f.indices, f.sii_by
    sentence = words.sii_sentence(ix, level=f.level, quantile=by)
    results.record("sii", ix["sii"], ci_low=ix["sii_lower"], ci_high=ix["sii_upper"], level=f.level,
                   unit="percentage points",
                   method=f"slope index of inequality across IMD {by}s (PHE method, simulated interval)",
                   sentence=sentence, extra={"seed": ix["seed"], "repetitions": ix["repetitions"], "quantiles": by})
    results.record("rii", ix["rii"], ci_low=ix["rii_lower"], ci_high=ix["rii_upper"], level=f.level, unit="ratio",
                   method=f"relative index of inequality across IMD {by}s (PHE method, simulated interval)",
                   sentence=(sentence if ix["skipped"] else
                             f"The least deprived end's value is {fmt_number(ix['rii'])} times the most deprived end's."),
                   extra={"seed": ix["seed"], "repetitions": ix["repetitions"]})


def _groups(f, results) -> None:
    for dim in ("ethnicity", "age_band", "sex"):
        if dim not in f.groups:
            continue
        frame = f.groups[dim]
        for _, row in frame.iterrows():
            results.record(words.result_name(dim, row["label"]), row["value"], se=row["se"], ci_low=row["lower_ci"],
                           ci_high=row["upper_ci"], level=f.level, n=int(row["denominator"]), unit="%", method=_WILSON,
                           sentence=f"{upper_first(f.indicator)} ({NAMES[dim]} {row['label']}): "
                                    f"{words.pct(row['value'])}.",
                           extra={"group": str(row["label"])})
        results.record_table(f"by_{dim}", frame)


def _trend(f, results) -> None:
    series = f.series
    if series is None:
        return
    results.record("special_cause_points", int(series["special_cause"].sum()), unit="periods", kind="count",
                   method="Making Data Count XmR rules", sentence=words.spc_sentence(series, improvement=f.improvement))
    results.record("latest_value", series["value"].iloc[-1], ci_low=series["lower_ci"].iloc[-1],
                   ci_high=series["upper_ci"].iloc[-1], level=f.level, n=int(series["denominator"].iloc[-1]), unit="%",
                   method=_WILSON,
                   sentence=f"{upper_first(f.indicator)} in {series['period'].iloc[-1]}: "
                            f"{words.pct(series['value'].iloc[-1])}.",
                   extra={"period": str(series["period"].iloc[-1])})
    results.record_table("trend", series[["period", "numerator", "denominator", "value", "lower_ci", "upper_ci",
                                          "centre", "lower_limit", "upper_limit", "variation"]])


def _completeness(f, results) -> None:
    table, bounds = f.completeness, f.bounds
    sentence = words.bounds_sentence(bounds)
    results.record("imd_unmatched_share", table["no_imd_pct"].iloc[-1], n=int(table["people"].iloc[-1]),
                   unit="%", kind="quality", method="people with no IMD decile / all people", sentence=sentence)
    for end in ("low", "high"):
        results.record(f"core20_gap_bound_{end}", bounds[end], unit="percentage points", kind="bound",
                       method=bounds["method"], sentence=sentence, extra={"unknown_people": bounds["unknown"]})
    results.record_table("completeness", table)
    if f.not_stated is not None:
        results.record("ethnicity_not_stated_share", table["not_stated_pct"].iloc[-1],
                       n=int(table["people"].iloc[-1]), unit="%", kind="quality",
                       method="people with ethnicity not stated / all people",
                       sentence=words.not_stated_sentence(f.not_stated, table))


def _methods(f, results) -> None:
    agg, scope = f.agg, f.scope
    results.record("rows_excluded", agg.n_excluded, n=agg.n_rows, unit="rows",
                   kind="quality" if agg.n_excluded else "count",
                   method="rows with a missing numerator, denominator or period",
                   sentence=f"{agg.n_excluded:,} of {agg.n_rows:,} rows could not be counted.")
    results.record("periods_used", len(scope.periods), unit="periods", kind="count",
                   method=f"period_use: {scope.use}", sentence=scope.sentence,
                   extra={"period_use": scope.use, "periods": list(scope.periods)})
    results.record_table("cautions", [c.as_dict() for c in f.raised])


def _standardised(f, results) -> None:
    if f.std is not None:
        g, q = f.std["core20_gap"], f.std["quintile_gap"]
        text = mwords.standardised_sentence(f.std, indicator=f.indicator)
        results.record("core20_gap_standardised", g["standardised"], unit="percentage points", method=f.std["method"],
                       sentence=text, extra={"crude": g["crude"], "explained_by_age_pct": g["explained_by_age"]})
        results.record("gap_explained_by_age", g["explained_by_age"], unit="%", kind="share",
                       method="(crude gap - standardised gap) / crude gap, Core20 against the rest", sentence=text)
        results.record("quintile_gap_standardised", q["standardised"], unit="percentage points", method=f.std["method"],
                       sentence=(f"Most minus least deprived quintile after standardising for age: "
                                 f"{fmt_number(q['standardised'])} percentage points (crude {fmt_number(q['crude'])})."),
                       extra={"crude": q["crude"], "explained_by_age_pct": q["explained_by_age"]})
        results.record_table("standardised", f.std["table"])
    results.record_table("age_scope", f.ages)


def _funnel(f, results) -> None:
    res = f.funnel
    if res is None:
        return
    unit_label = f.funnel_in[1]
    text = mwords.funnel_sentence(res, units=unit_label)
    n_hi, n_lo = funnel_counts(res)
    method = res.attrs["method"] + ", 95% limits"
    results.record("funnel_units_below", n_lo, n=len(res), unit=unit_label, kind="count", method=method, sentence=text,
                   extra={"phi": res.attrs["phi"], "tau2": res.attrs["tau2"]})
    results.record("funnel_units_above", n_hi, n=len(res), unit=unit_label, kind="count", method=method, sentence=text)
    results.record_table("funnel", res[list(FUNNEL_COLUMNS)])


def _sii_trend(f, results) -> None:
    series = f.gap_series
    if series is None:
        return
    tr = series.attrs["trend"]
    results.record("sii_trend", tr["slope"], se=tr["se"], ci_low=tr["lower_ci"], ci_high=tr["upper_ci"],
                   level=tr["level"], p_value=tr["p"], n=tr["periods"], unit="percentage points a year",
                   method="inverse-variance weighted regression of the yearly SII on time",
                   sentence=mwords.sii_trend_sentence(series),
                   extra={"mix_shift": series.attrs["mix_shift"], "seed": int(series.attrs["seed"])})
    results.record_table("sii_by_year", series)


def _summary_measures(f, results) -> None:
    ci_, paf = f.summary["concentration"], f.summary["paf"]
    if ci_ is not None:
        results.record("concentration_index", ci_["value"], se=ci_["se"], ci_low=ci_["lower_ci"],
                       ci_high=ci_["upper_ci"], level=ci_["level"], p_value=ci_["p"], n=int(ci_["n"]),
                       unit="index (-1 to 1)", method=ci_["method"],
                       sentence=mwords.concentration_sentence(ci_, indicator=f.indicator),
                       extra={"uncorrected": ci_["ci"], "mean": ci_["mean"]})
    if paf is not None:
        results.record("attributable_fraction", paf["value"] * 100,
                       ci_low=min(paf["lower_ci"], paf["upper_ci"]) * 100,
                       ci_high=max(paf["lower_ci"], paf["upper_ci"]) * 100, level=paf["level"], n=int(paf["n"]),
                       unit="%", method=paf["method"],
                       sentence=mwords.paf_sentence(paf, indicator=f.indicator, improvement=f.improvement),
                       extra={"excess": paf["excess"], "reference_rate": paf["reference_rate"],
                              "overall_rate": paf["overall_rate"]})


def _le_gap(f, results) -> None:
    le = f.le
    if le is None:
        return
    results.record("le_gap", le.gap, unit="years", method=le.method, sentence=mwords.le_gap_sentence(le),
                   extra={"e0_most_deprived": le.e0_a, "e0_least_deprived": le.e0_b})
    for row in le.by_cause.itertuples():
        results.record(words.result_name("le_gap", row.cause), row.contribution, unit="years", method=le.method,
                       sentence=f"{row.cause} accounts for {fmt_number(row.contribution)} of the {fmt_number(le.gap)} years.",
                       extra={"cause": row.cause, "share_pct": row.share})
    results.record_table("le_gap_by_age", le.by_age)
    results.record_table("le_gap_by_cause", le.by_cause)


def _statutory(f, results) -> None:
    st = f.statutory
    results.record_table("statutory_breakdowns", st["table"])
    results.record_table("statutory_quality", st["quality"])
    n_check = int((st["quality"]["flag"] != "ok").sum())
    results.record("statutory_dimensions_flagged", n_check, n=len(st["quality"]), unit="dimensions", kind="quality",
                   method="section 13SA breakdowns with data-quality flags",
                   sentence=f"{n_check} of {len(st['quality'])} statutory breakdowns need checking or are not mapped.")
