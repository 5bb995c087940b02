"""The synthetic-control stage: template parameters → estimator call → tables, verdicts, records.

The ``synth`` template hands its role-named panel and parameters to
:func:`run_synth` and shows what comes back; the estimation is
:func:`toolkit.designs.synth.fit`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, Sequence

import numpy as np
import pandas as pd

from toolkit.dates import to_iso_text
from toolkit.designs import synth
from toolkit.errors import DataError, DesignError, Problem, ToolkitError
from toolkit.stages.common import (collecting_cautions,
                                   fmt_p, fmt_time, reraise_with_parameter, require_roles, slug)
from toolkit.stages.synth.compare import compare_methods
from toolkit.stages.verdicts import (Verdict, p_text, leave_one_out_verdict, periods_verdict, placebo_verdict,
                                      synth_fit_verdict)
from toolkit.reporting.language import fmt_number, upper_first

__all__ = ["SynthAnalysis", "run_synth", "parse_periods", "MIN_PRE_PERIODS"]

MIN_PRE_PERIODS = synth.MIN_PRE_PERIODS
_QUARTER = re.compile(r"^\d{4}\s*-?\s*Q[1-4]$", re.I)
_MONTH = re.compile(r"^\d{4}-\d{2}(-\d{2})?$")


def parse_periods(values: pd.Series) -> tuple[pd.Series, str | None]:
    """Text periods such as ``2022Q1`` or ``2023-04`` → timestamps (others unchanged).

    Returns the converted series and the unit found ("quarter", "month") or None.
    Numbers and dates pass through untouched.
    """
    if pd.api.types.is_numeric_dtype(values) or pd.api.types.is_datetime64_any_dtype(values):
        return values, None
    values = to_iso_text(values, column="time")[0]  # one date reader for the toolkit (toolkit.dates)
    text = values.astype(str).str.strip()
    if text.map(lambda v: bool(_QUARTER.match(v))).all():
        return pd.PeriodIndex(text.str.replace(r"[\s-]", "", regex=True), freq="Q").to_timestamp().to_series(
            index=values.index), "quarter"
    if text.map(lambda v: bool(_MONTH.match(v))).all():
        return pd.to_datetime(text), "month"
    return values, None


def _start_value(start: Any, unit: str | None, numeric: bool) -> Any:
    if unit == "quarter":
        return pd.Period(str(start).replace(" ", "").replace("-", ""), freq="Q").to_timestamp()
    if unit == "month":
        return pd.Timestamp(str(start))
    if numeric:
        try:
            return float(start)
        except (TypeError, ValueError):
            return start
    return start


@dataclass(frozen=True)
class SynthAnalysis:
    """Everything the ``synth`` template shows.

    Attributes
    ----------
    result : SynthResult
    verdicts : list of Verdict
    notes : list of str
        Information about how the data were used, shown as notes (not warnings).
    sd_pre : float
        Standard deviation of the treated unit's pre-period outcome (for the fit verdict).
    by_group : DataFrame or None
        Per-group average gaps and placebo p-values when a ``group`` role is mapped.
    """

    result: Any
    verdicts: list[Verdict]
    notes: list[str]
    sd_pre: float
    outcome_label: str
    period_label: str
    treated_label: str
    time_unit: str | None
    by_group: pd.DataFrame | None = None
    group_label: str = "deprivation quintile"
    panel: pd.DataFrame | None = field(default=None, repr=False)
    settings: dict = field(default_factory=dict)
    raised: tuple = ()  # cautions raised while fitting (coded; see toolkit.cautions)
    comparison: Any = None  # synth_compare.MethodComparison (SDID and DiD beside SC) or None

    @property
    def warnings(self) -> list[str]:
        seen: list[str] = []
        for w in list(self.result.warnings) + list(self.raised):
            if w not in seen:
                seen.append(w)
        return seen

    def _t(self, value: Any) -> str:
        return fmt_time(value, unit=self.time_unit or self.period_label)

    # -------------------------------------------------------------- words
    def headline(self) -> tuple[str, list[str]]:
        r = self.result
        n = len(r.placebos) if r.placebos is not None else 0
        verb = "lower" if r.estimate < 0 else "higher"
        answer = (f"After the scheme started, {self.outcome_label} in {self.treated_label} were on average "
                  f"{fmt_number(abs(r.estimate))} {verb} than in a synthetic comparison built from "
                  f"{int(r.extra['n_donors'])} similar areas without the scheme.")
        if n > 1:
            rank = int(r.placebos["rank"].iloc[0])
            answer += (f" Ranked against placebo runs for every comparison area, it comes {rank} of {n} "
                       f"(placebo {p_text(r.p_value)}): "
                       + ("a gap this large is unlikely to be chance." if r.p_value <= 0.1
                          else "a gap this large could be chance."))
        points = [
            "A synthetic control has no confidence interval. How sure we are comes from the placebo test above, "
            "from how closely the synthetic control matched before the scheme, and from whether the answer "
            "survives dropping each comparison area in turn.",
        ]
        for v in self.verdicts:
            if v.check.startswith("Is the pre-period fit") or v.check.startswith("Does the answer rest"):
                points.append(v.finding)
        if self.by_group is not None and self.by_group["estimate"].notna().sum() >= 2:
            b = self.by_group.dropna(subset=["estimate"])
            lo, hi = b.loc[b["estimate"].idxmin()], b.loc[b["estimate"].idxmax()]
            points.append(f"By {self.group_label}, the average gap ranges from {fmt_number(lo['estimate'])} "
                          f"({lo['group']}) to {fmt_number(hi['estimate'])} ({hi['group']}); a synthetic control "
                          "has no standard error, so this is not a formal test of a difference.")
        bad = [v for v in self.verdicts if v.status != "good"]
        points.append("Read with care: " + "; ".join(v.check.rstrip("?").lower() for v in bad) + "."
                      if bad else "The diagnostics below raise no concerns.")
        return answer, points

    def design_facts(self, charter=None) -> list[tuple[str, str]]:
        r = self.result
        g = r.gaps
        facts = [("Scheme", charter.title)] if charter is not None else []
        facts += [
            ("Area with the scheme", self.treated_label),
            ("Outcome", self.outcome_label),
            ("Scheme started", self._t(g.loc[g["post"], "time"].iloc[0])),
            ("Data", f"{self._t(g['time'].iloc[0])} to {self._t(g['time'].iloc[-1])}"),
            (f"{upper_first(self.period_label)}s before the start", f"{int(r.extra['n_pre'])}"),
            (f"{upper_first(self.period_label)}s since the start", f"{int(r.extra['n_post'])}"),
            ("Comparison areas used (donors)", f"{int(r.extra['n_donors'])}"),
        ]
        return facts

    def method_facts(self) -> list[tuple[str, str]]:
        return [
            ("Method", self.result.method),
            ("Effect", "the average gap between the area and its synthetic control after the start"),
            ("Pre-period fit", "root mean squared prediction error (RMSPE) before the start"),
            ("Minimum data", f"refused with fewer than {MIN_PRE_PERIODS} {self.period_label}s before the start; "
                             "10 or more recommended"),
            ("References", "Abadie, Diamond and Hainmueller (2010, 2015)"),
        ]

    def no_groups_text(self) -> str:
        return (f"These data hold one series per area, with no breakdown by {self.group_label}, so they cannot say "
                "whether the effect differed across the deprivation gradient. To answer it, supply each area's "
                f"series by {self.group_label} (one row per area, group and {self.period_label}) and map that column "
                "to the 'group' role: each group then gets its own synthetic control and placebo test.")

    # -------------------------------------------------------------- tables
    def trajectory_table(self) -> pd.DataFrame:
        g = self.result.gaps
        return pd.DataFrame({upper_first(self.period_label): [self._t(t) for t in g["time"]],
                             self.treated_label: g["treated"].to_numpy(), "Synthetic control": g["synthetic"].to_numpy(),
                             "Gap": g["gap"].to_numpy(), "Scheme running": g["post"].to_numpy()})

    def weights_table(self) -> pd.DataFrame:
        w = self.result.weights
        w = w[w["weight"] > 0]
        return pd.DataFrame({"Comparison area": w["unit"].astype(str).to_numpy(), "Weight": w["weight"].to_numpy()})

    def areas_table(self) -> pd.DataFrame | None:
        """The data: every area's mean outcome before and after the start, its role and weight."""
        if self.panel is None:
            return None
        r = self.result
        start = r.gaps.loc[r.gaps["post"], "time"].iloc[0]
        p = self.panel.assign(post=self.panel["time"] >= start)
        means = p.groupby(["unit", "post"])["outcome"].mean().unstack()
        periods = p.groupby("unit")["outcome"].count()
        weights = dict(zip(r.weights["unit"].astype(str), r.weights["weight"]))
        treated = str(r.extra["treated_unit"])

        def role(u):
            return "has the scheme" if u == treated else "comparison" if u in weights else "not used"

        out = pd.DataFrame({"Area": means.index.astype(str),
                            "Role": [role(str(u)) for u in means.index],
                            "Periods with data": periods.reindex(means.index).to_numpy(),
                            "Mean before the start": means.get(False, pd.Series(np.nan, index=means.index)).to_numpy(),
                            "Mean since the start": means.get(True, pd.Series(np.nan, index=means.index)).to_numpy(),
                            "Weight": [weights.get(str(u), np.nan) for u in means.index]})
        order = out["Role"].map({"has the scheme": 0, "comparison": 1, "not used": 2})
        return out.assign(_o=order).sort_values(["_o", "Area"], kind="stable").drop(columns="_o").reset_index(drop=True)

    def weights_alt(self) -> str:
        w = self.weights_table()
        top = ", ".join(f"{u} {fmt_number(v)}" for u, v in zip(w["Comparison area"].head(3), w["Weight"].head(3)))
        return (f"Bar chart of the weights of the {len(w)} comparison areas that make up the synthetic control for "
                f"{self.treated_label}; the largest are {top}. The weights sum to 1.")

    def placebo_table(self) -> pd.DataFrame:
        p = self.result.placebos
        return pd.DataFrame({
            "Area": p["unit"].astype(str).to_numpy(), "Has the scheme": p["treated"].to_numpy(),
            "Fit error before (RMSPE)": p["pre_rmspe"].to_numpy(), "Error after (RMSPE)": p["post_rmspe"].to_numpy(),
            "Ratio after/before": p["ratio"].to_numpy(), "Rank": p["rank"].astype(int).to_numpy(),
            "Average gap after": p["average_post_gap"].to_numpy()}).sort_values("Rank", kind="stable")

    def leave_one_out_table(self) -> pd.DataFrame | None:
        loo = self.result.leave_one_out
        if loo is None or loo.empty:
            return None
        return pd.DataFrame({"Comparison area left out": loo["excluded_donor"].astype(str).to_numpy(),
                             "Average gap": loo["estimate"].to_numpy(), "Fit error before (RMSPE)":
                             loo["pre_rmspe"].to_numpy()})

    def group_table(self) -> pd.DataFrame | None:
        if self.by_group is None:
            return None
        b = self.by_group
        return pd.DataFrame({upper_first(self.group_label): b["group"].astype(str).to_numpy(),
                             "Average gap": b["estimate"].to_numpy(), "Placebo p-value": [fmt_p(v) for v in b["p_value"]],
                             "Fit error before (RMSPE)": b["pre_rmspe"].to_numpy(), "Note": b["note"].to_numpy()})

    # -------------------------------------------------------------- results.json
    def record(self, results) -> None:
        r = self.result
        unit = self.outcome_label
        results.record_design("att", r, unit=unit, extra={"treated_unit": str(r.extra["treated_unit"])})
        if self.comparison is not None:
            results.record_design("att_sdid", self.comparison.sdid, unit=unit)
        n = len(r.placebos) if r.placebos is not None else None
        results.record("rmspe_pre", r.pre_rmspe, n=int(r.extra["n_pre"]), method=r.method, kind="diagnostic",
                       unit=unit, sentence=next((v.finding for v in self.verdicts
                                                 if v.check.startswith("Is the pre-period fit")), ""),
                       extra={"sd_pre": self.sd_pre})
        if not np.isnan(r.p_value):
            results.record("placebo_p", r.p_value, n=n, method="in-space placebo permutation (post/pre RMSPE ratio)",
                           kind="test", sentence=next((v.finding for v in self.verdicts
                                                       if v.check.startswith("Could the gap")), ""))
        if r.leave_one_out is not None and not r.leave_one_out.empty:
            loo = r.leave_one_out["estimate"]
            results.record("att_leave_one_out_min", float(loo.min()), kind="diagnostic", unit=unit,
                           sentence="Smallest average gap when one weighted comparison area is left out.")
            results.record("att_leave_one_out_max", float(loo.max()), kind="diagnostic", unit=unit,
                           sentence="Largest average gap when one weighted comparison area is left out.")
        if self.by_group is not None:
            for _, row in self.by_group.iterrows():
                if pd.notna(row["estimate"]):
                    results.record(f"att_{slug(row['group'])}", row["estimate"], p_value=row["p_value"],
                                   method=r.method, kind="effect", unit=unit,
                                   sentence=f"Average gap in {self.group_label} {row['group']}.")


# ------------------------------------------------------------------ the stage
def _labels(data: pd.DataFrame) -> dict[str, str]:
    """unit code → display name (from the optional ``unit_name`` role), when one-to-one."""
    if "unit_name" not in data:
        return {}
    pairs = data[["unit", "unit_name"]].drop_duplicates()
    if pairs["unit"].duplicated().any() or pairs["unit_name"].duplicated().any():
        return {}
    return dict(zip(pairs["unit"], pairs["unit_name"].astype(str)))


def _fit(panel: pd.DataFrame, treated: str, start: Any, donors: Sequence[str] | None, label: str):
    return synth.fit(panel, "outcome", "unit", "time", treated, start, donors=donors or None, outcome_label=label)


@collecting_cautions
def run_synth(
    data: pd.DataFrame,
    *,
    stage: str,
    treated_unit: Any,
    treatment_start: Any,
    donors: Sequence[Any] = (),
    outcome_label: str = "the outcome",
    period_label: str = "period",
    group_label: str = "deprivation quintile",
    column_names: dict[str, str] | None = None,
    compare: bool = True,
) -> SynthAnalysis:
    """Run the synthetic-control stage on a role-named panel.

    Parameters
    ----------
    data : pandas.DataFrame
        Columns under role names: ``unit``, ``time``, ``outcome``; optionally ``unit_name``
        (display names) and ``group`` (one row per unit, group and period).
    stage : str
        Stage name, for error messages that point into evaluation.yaml.
    treated_unit
        The unit with the scheme, as written in the unit column (compared as text).
    treatment_start
        First period of the scheme, as written in the time column (``2022Q1``, ``2023-04`` or ``29``).
    donors : sequence, optional
        Units allowed as comparisons (default: every other unit).
    outcome_label, period_label, group_label : str
        Words for the report.
    column_names : dict, optional
        The source's ``{role: user column}`` mapping, so errors name the user's columns
        (:func:`toolkit.stages.common.role_columns`).
    compare : bool
        Also fit synthetic DiD and DiD (:mod:`toolkit.stages.synth.compare`).

    Returns
    -------
    SynthAnalysis

    Notes
    -----
    Text periods such as ``2022Q1`` are read as calendar quarters (and ``2023-04`` as
    months) so charts have a time axis.  The estimate is
    :func:`toolkit.designs.synth.fit`'s average post-period gap
    Ȳ₁,post − Σⱼ wⱼ Ȳⱼ,post; the fit verdict compares the pre-period RMSPE with the
    standard deviation of the treated unit's own pre-period outcome.  With ``group``,
    each group's series of the treated unit is matched to the same group's series of
    the donors.
    """
    require_roles(data, {"unit": "the area identifier", "time": "the period", "outcome": "the outcome"},
                  stage=stage)
    df = data.copy()
    df["unit"] = df["unit"].astype(str).str.strip()
    labels = _labels(df)
    treated = str(treated_unit).strip()
    if treated not in set(df["unit"]):
        names = {v: k for k, v in labels.items()}
        if treated in names:
            treated = names[treated]
        else:
            codes = list(pd.unique(df["unit"]))
            shown = ", ".join(f"{c} ({labels[c]})" if c in labels else c for c in codes[:6])
            column = (column_names or {}).get("unit", "unit")
            raise DataError(f"Stage '{stage}': the treated unit is not in the panel.", [Problem(
                f"'{treated}' is neither a code in column '{column}' nor a name of one",
                where=f"stages.{stage}.parameters.treated_unit", column=column,
                fix=f"use one of the {len(codes)} units, e.g. {shown}")])
    df["time"], unit = parse_periods(df["time"])
    numeric = pd.api.types.is_numeric_dtype(df["time"])
    start = _start_value(treatment_start, unit, numeric)
    donor_codes = [str(d).strip() for d in donors] if donors else None
    if labels:
        df["unit"] = df["unit"].map(labels)
        treated = labels.get(treated, treated)
        donor_codes = [labels.get(d, d) for d in donor_codes] if donor_codes else None
    notes: list[str] = []
    panel = df.drop(columns=[c for c in ("unit_name", "group") if c in df])
    if "group" in df:
        panel = df.groupby(["unit", "time"], as_index=False)["outcome"].mean()
        notes.append("The headline uses each area's average over the groups in each period.")
    try:
        result = _fit(panel, treated, start, donor_codes, outcome_label)
    except DesignError as exc:
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter="treatment_start",
                                     fix=f"set treatment_start to the scheme's first period, inside the data, with at "
                                         f"least {MIN_PRE_PERIODS} periods before it") from None
    except DataError as exc:
        param = "treated_unit" if "treated unit" in str(exc) else "donors" if "donor" in str(exc) else None
        raise reraise_with_parameter(exc, stage=stage, column_names=column_names, parameter=param,
                                     fix="check treated_unit and donors against the unit column, and the data "
                                         "file named in data.sources") from None
    g = result.gaps
    pre_vals = g.loc[~g["post"], "treated"].to_numpy(float)
    sd_pre = float(np.std(pre_vals, ddof=1)) if len(pre_vals) > 1 else float("nan")
    verdicts = [
        periods_verdict(int(result.extra["n_pre"]), side="pre", unit=period_label, minimum=MIN_PRE_PERIODS,
                        recommended=synth.WARN_PRE_PERIODS),
        synth_fit_verdict(result.pre_rmspe, sd_pre),
        placebo_verdict(result.p_value, len(result.placebos) if result.placebos is not None else 0),
        leave_one_out_verdict(result.estimate, result.leave_one_out),
    ]
    by_group = None
    if "group" in df:
        rows = []
        for key in sorted(df["group"].dropna().unique()):
            sub = df[df["group"] == key].drop(columns=[c for c in ("unit_name", "group") if c in df])
            try:
                rg = _fit(sub, treated, start, donor_codes, outcome_label)
                rows.append({"group": key, "estimate": rg.estimate, "p_value": rg.p_value,
                             "pre_rmspe": rg.pre_rmspe, "note": "; ".join(rg.warnings)})
            except ToolkitError as exc:
                rows.append({"group": key, "estimate": np.nan, "p_value": np.nan, "pre_rmspe": np.nan,
                             "note": str(exc)})
        by_group = pd.DataFrame(rows)
    return SynthAnalysis(result=result, verdicts=verdicts, notes=notes, sd_pre=sd_pre, outcome_label=outcome_label,
                         period_label=period_label, treated_label=str(treated), time_unit=unit, by_group=by_group,
                         group_label=group_label, panel=panel,
                         comparison=compare_methods(
                             panel[panel["unit"].isin(set(result.weights["unit"]) | {treated})], treated, start,
                             result.estimate, outcome_label=outcome_label) if compare else None,
                         settings={"treated_unit": treated_unit, "treatment_start": treatment_start})
