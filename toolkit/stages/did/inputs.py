"""The inputs an analyst actually has: a rate from numerator and denominator, and PLUS groups.

Two alternatives to a ready-made, one-row-per-unit-and-period ``outcome``:

- **numerator and denominator** (e.g. new diagnoses and list size): the outcome is
  :math:`y_{it} = \\text{per} \\times n_{it} / d_{it}` (a proportion when ``per = 1``,
  a percentage with 100, a rate per 1,000 with 1000), and, unless a ``weight`` is
  mapped, each unit-period is weighted by its denominator (the estimators then
  average rates as the pooled rate of the units would);
- a **group** column (a PLUS group such as ethnicity, or any grouping of units):
  the effect is estimated within each group as well as overall.  When the file
  has one row per unit, period *and group* (e.g. practice x month x ethnic group),
  the overall panel sums numerators and denominators over the groups; a
  ready-made outcome cannot be summed, so that layout needs numerator and
  denominator.  No gradient is computed across groups: PLUS groups are not ordered.

Nothing is estimated here: :func:`prepare_inputs` reshapes the data for
:func:`~toolkit.stages.did.treatment.resolve_treatment`; :func:`group_effects`
calls the same estimator as the headline on each group's rows.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.errors import ConfigError, DataError, DesignError, Problem

__all__ = ["DidInputs", "prepare_inputs", "group_effects", "group_record_name"]


@dataclass(frozen=True)
class DidInputs:
    """Data ready for :func:`~toolkit.stages.did.treatment.resolve_treatment`, and the groups.

    Attributes
    ----------
    data : DataFrame
        One row per unit and period, columns under role names, with ``outcome``.
    columns : mapping
        Role -> the analyst's column (``outcome`` describes the rate when derived).
    outcome_note : str
        How the outcome was made, in words ("" for a ready-made outcome column).
    groups : dict
        Group value -> its rows (one per unit and period), when a ``group`` is mapped.
    group_note : str
        How the groups were used, in words.
    warnings : tuple of str
        Rows left out while preparing the data (file rows, header = row 1).
    """

    data: pd.DataFrame
    columns: Mapping[str, str]
    outcome_note: str = ""
    groups: dict = field(default_factory=dict)
    group_note: str = ""
    warnings: tuple[str, ...] = ()


def _rows(mask: np.ndarray, limit: int = 5) -> tuple[int, ...]:
    return tuple(int(i) + 2 for i in np.flatnonzero(mask)[:limit])


def _rate(data: pd.DataFrame, cols: dict, per: float, file: str | None) -> tuple[pd.DataFrame, str]:
    num_name, den_name = cols.get("numerator", "numerator"), cols.get("denominator", "denominator")
    num = pd.to_numeric(data["numerator"], errors="coerce")
    den = pd.to_numeric(data["denominator"], errors="coerce")
    for s, raw, name in ((num, data["numerator"], num_name), (den, data["denominator"], den_name)):
        text = (s.isna() & raw.notna()).to_numpy()
        if text.any():
            raise DataError(f"'{name}' must hold numbers", file=file, column=name, rows=_rows(text),
                            count=int(text.sum()), fix="remove text such as '*' or 'n/a' (leave suppressed cells blank)")
    bad = (den <= 0).to_numpy()
    if bad.any():
        raise DataError("denominators must be greater than zero", file=file, column=den_name, rows=_rows(bad),
                        count=int(bad.sum()), fix="remove unit-periods with no population, or correct the denominator")
    neg = (num < 0).to_numpy()
    if neg.any():
        raise DataError("numerators cannot be negative", file=file, column=num_name, rows=_rows(neg),
                        count=int(neg.sum()), fix="correct the counts")
    out = data.drop(columns=["numerator", "denominator"]).copy()
    out["outcome"] = per * num / den
    out["_num"], out["_den"] = num, den
    what = f"{num_name} per {per:,g} {den_name}" if per != 1 else f"{num_name} / {den_name}"
    note = f"Outcome: {what} in each unit and period"
    if "weight" not in data.columns:
        out["weight"] = den
        note += f", each unit-period weighted by its {den_name}"
    cols["outcome"] = what
    if "weight" not in data.columns:
        cols["weight"] = den_name
    return out, note + "."


def prepare_inputs(data: pd.DataFrame, columns: Mapping[str, str] | None = None, *, outcome_per: float = 1.0,
                   file: str | None = None) -> DidInputs:
    """Make the outcome from numerator/denominator when given, and split the data by group when mapped.

    Parameters
    ----------
    data : DataFrame
        The stage's data under role names (``unit``, ``time``, and ``outcome`` or
        ``numerator`` + ``denominator``; optionally ``group`` and the treatment roles).
    columns : mapping, optional
        Role -> the analyst's column name.
    outcome_per : float
        Multiplier of numerator / denominator (1 proportion, 100 per cent, 1000 per 1,000).
    file : str, optional
        The data file, for messages.

    Returns
    -------
    DidInputs

    Raises
    ------
    ConfigError
        Both an outcome and a numerator/denominator, only one of numerator and
        denominator, or neither an outcome nor both.
    DataError
        Non-numeric or impossible numerators/denominators (rows named), or rows
        split by group with a ready-made outcome (it cannot be summed over groups).
    """
    cols = dict(columns or {})
    has = {r: r in data.columns for r in ("outcome", "numerator", "denominator", "group")}
    where = "data.sources.<source>.columns"
    if has["outcome"] and (has["numerator"] or has["denominator"]):
        raise ConfigError("The outcome is given twice.", [Problem(
            "both `outcome:` and `numerator:`/`denominator:` are mapped", where=where,
            fix="map either a ready-made outcome column, or a numerator and a denominator (the rate is computed)")])
    if has["numerator"] != has["denominator"]:
        missing = "denominator" if has["numerator"] else "numerator"
        raise ConfigError("A rate needs both a numerator and a denominator.", [Problem(
            f"`{missing}:` is not mapped", where=where, fix=f"add `{missing}: <your column name>`")])
    if not has["outcome"] and not has["numerator"]:
        raise ConfigError("The difference-in-differences stage needs an outcome.", [Problem(
            "neither `outcome:` nor `numerator:` and `denominator:` is mapped", where=where,
            fix="map `outcome:` (a value per unit and period) or `numerator:` and `denominator:` (e.g. events and "
                "list size; the stage parameter outcome_per scales the rate)")])
    if not (isinstance(outcome_per, (int, float)) and math.isfinite(outcome_per) and outcome_per > 0):
        raise ConfigError("outcome_per must be a positive number.", [Problem(
            f"outcome_per is {outcome_per!r}", where="stages.<stage>.parameters.outcome_per",
            fix="use 1 (a proportion), 100 (per cent) or 1000 (per 1,000)")])
    df = data.reset_index(drop=True)
    note = ""
    if has["numerator"]:
        df, note = _rate(df, cols, float(outcome_per), file)
    if not has["group"]:
        return DidInputs(df.drop(columns=["_num", "_den"], errors="ignore"), cols, note)
    gname = cols.get("group", "group")
    gmiss = df["group"].isna().to_numpy()
    if gmiss.any():
        raise DataError("the group is missing", file=file, column=gname, rows=_rows(gmiss), count=int(gmiss.sum()),
                        fix="give every row its group (e.g. 'Not stated'), or remove the group mapping")
    split = df.duplicated(["unit", "time"], keep=False).any()
    groups = {g: sub.drop(columns=["group", "_num", "_den", "_gap"], errors="ignore").reset_index(drop=True)
              for g, sub in df.groupby("group", sort=True)}
    if not split:
        return DidInputs(df.drop(columns=["group", "_num", "_den"], errors="ignore"), cols, note, groups,
                         f"Effects by '{gname}': each group's units analysed on their own.")
    if not has["numerator"]:
        rows = df.duplicated(["unit", "time"], keep=False).to_numpy()
        raise DataError(f"the data have one row per unit, period and '{gname}', and a ready-made outcome cannot "
                        "be added up over the groups for the overall effect", file=file,
                        column=cols.get("outcome", "outcome"), rows=_rows(rows), count=int(rows.sum()),
                        fix="map `numerator:` and `denominator:` instead of `outcome:` (the overall rate then sums "
                            "them over the groups)")
    df["_gap"] = (df["_num"].isna() | df["_den"].isna()).astype(np.int64)
    agg = {"_num": "sum", "_den": "sum", "_gap": "max"}
    keep = [c for c in df.columns if c not in ("unit", "time", "group", "outcome", "_num", "_den", "_gap", "weight")]
    agg.update({c: "first" for c in keep})
    total = df.groupby(["unit", "time"], sort=False, as_index=False).agg(agg)
    # a unit-period with a blank numerator or denominator in any group has no overall rate (left out, counted)
    total["outcome"] = float(outcome_per) * total["_num"] / total["_den"]
    w = total["_den"] if cols.get("weight") == cols.get("denominator") or "weight" not in df.columns else None
    total["weight"] = w if w is not None else df.groupby(["unit", "time"], sort=False)["weight"].sum().to_numpy()
    warns = []
    if (total["_gap"] > 0).any():
        gap_rows = df["_gap"].to_numpy() > 0
        warns.append(
            Caution(f"{int((total['_gap'] > 0).sum()):,} unit-period(s) have a blank numerator or denominator in some "
                    f"'{gname}' group (e.g. rows {', '.join(map(str, _rows(gap_rows)))}; row 1 is the header) and were left "
                    "out of the overall effect (a partial sum would understate the rate).",
                    code="did.blank_rate_parts"))
        total = total.loc[total["_gap"] == 0]
    total = total.drop(columns=["_gap", "_num", "_den"]).reset_index(drop=True)
    return DidInputs(total, cols, note, groups,
                     f"Effects by '{gname}': each group's rows analysed on their own; the overall effect uses "
                     "numerators and denominators summed over the groups.", tuple(warns))


def group_record_name(value) -> str:
    """``effect_group_<value>`` in the characters result names allow."""
    slug = re.sub(r"[^a-z0-9]+", "_", str(value).lower()).strip("_") or "blank"
    return f"effect_group_{slug}"


def group_effects(inputs: DidInputs, *, staggered: bool, control: str = "not_yet", treated_units: Sequence | None = None,
                  start: str | None = None, outcome_label: str = "", level: float = 0.95,
                  file: str | None = None) -> tuple[pd.DataFrame, list[tuple[str, object]]]:
    """The headline estimator within each group.

    Returns a display table (group, units, effect, interval, p-value, or why
    there is none) and ``(record name, result)`` pairs for the groups with an
    estimate.  Staggered adoption: Callaway & Sant'Anna's simple aggregate with
    the headline's comparison group (``control``); otherwise two-way fixed
    effects.  A group in which the design cannot be estimated (no treated unit,
    one treated unit, no comparison) gets a row saying why, not an error.
    """
    from toolkit.designs import did
    from toolkit.stages.did.estimate import estimation_frame
    from toolkit.stages.did.treatment import resolve_treatment

    rows, records = [], []
    for g, sub in inputs.groups.items():
        row = {"Group": str(g), "Units": int(sub["unit"].nunique())}
        try:
            dd = resolve_treatment(sub, columns=inputs.columns, treated_units=treated_units, start=start, file=file)
            ef = estimation_frame(dd, outcome_label=outcome_label)
            common = dict(weights=ef.weights, level=level)
            if staggered and len(dd.cohorts) > 1:
                ctrl = control if (control == "not_yet" or dd.has_never_treated) else "not_yet"
                r = did.staggered(ef.data, ef.outcome, ef.unit, ef.time, ef.first_treated, control=ctrl,
                                  **common).aggregate("simple")
            else:
                r = did.twfe(ef.data, ef.outcome, ef.unit, ef.time, ef.treatment, cluster=ef.cluster, **common)
            if not (math.isfinite(r.se) and r.se > 1e-10 * max(1.0, abs(r.estimate))):
                raise DesignError("too few units in this group for a standard error (no variation between "
                                  "treated or comparison units)")
        except (DesignError, DataError) as exc:
            row.update({"Effect": np.nan, "Lower limit": np.nan, "Upper limit": np.nan, "p-value": np.nan,
                        "Note": "not estimated: " + "; ".join(
                            [exc.message.rstrip(".")] * (not exc.message.endswith(":"))
                            + [pr.message for pr in exc.problems])})
            rows.append(row)
            continue
        row.update({"Effect": r.estimate, "Lower limit": r.ci_low, "Upper limit": r.ci_high, "p-value": r.p_value,
                    "Note": ""})
        rows.append(row)
        records.append((group_record_name(g), r))
    return pd.DataFrame(rows), records
