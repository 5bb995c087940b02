"""The synthetic-control stage's fitting: a role-named panel and parameters → estimator calls.

:func:`run_synth` reads text periods, finds the treated unit (by code or name), calls
:func:`toolkit.designs.synth.fit` (per group too) and the synthetic-DiD comparison
(:mod:`toolkit.stages.synth.compare`), and returns a
:class:`~toolkit.stages.synth.analysis.SynthAnalysis`.
"""

from __future__ import annotations

import re
from typing import Any, Sequence

import numpy as np
import pandas as pd

from toolkit.dates import to_iso_text
from toolkit.designs import synth
from toolkit.errors import DataError, DesignError, Problem, ToolkitError
from toolkit.stages.common import collecting_cautions, reraise_with_parameter, require_roles
from toolkit.stages.synth.analysis import SynthAnalysis
from toolkit.stages.synth.compare import compare_methods
from toolkit.stages.verdicts import leave_one_out_verdict, periods_verdict, placebo_verdict, synth_fit_verdict

__all__ = ["run_synth", "parse_periods", "MIN_PRE_PERIODS"]

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
