"""Who is treated when: three ways of saying it, one validated answer.

An analyst can describe treatment in ``evaluation.yaml`` as

1. a 0/1 **treatment column** (1 = the scheme applied to this unit in this period);
2. a list of **treated units and a start date** (stage parameters);
3. a **first-treated column** (the period each unit started; blank or 0 = never).

:func:`resolve_treatment` turns any of them into one first-treated period per
unit and a 0/1 treatment column on a common period scale, and checks the panel
the designs need.  Problems that make estimation impossible raise a
:class:`~toolkit.errors.DataError` / :class:`~toolkit.errors.DesignError`
naming the analyst's column, example rows (spreadsheet numbering, header =
row 1) and the fix; conditions under which estimation stays valid become
plain-English warnings shown in the report.

Notes
-----
Treatment is taken to be *absorbing* (once started, it stays on), as the
staggered-adoption and event-study designs require (Callaway & Sant'Anna
2021, assumption 1).  With first-treated period :math:`G_i` (0 = never),
:math:`D_{it} = 1\\{G_i > 0,\\ t \\ge G_i\\}`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import pandas as pd

from toolkit.cautions import Caution
from toolkit.stages.did.periods import PeriodScale, parse_on_scale, parse_periods
from toolkit.errors import ConfigError, DataError, DesignError, Problem

__all__ = ["DidData", "resolve_treatment", "UNIT", "PERIOD", "FIRST", "TREATED"]

UNIT, PERIOD, FIRST, TREATED = "unit", "period", "first_treated_period", "treated_now"
_OPTIONAL = ("quintile", "weight", "cluster")


@dataclass(frozen=True)
class DidData:
    """A validated panel with treatment on one scale.

    Attributes
    ----------
    data : DataFrame
        One row per unit and period: ``unit``, ``period`` (1, 2, ...),
        ``outcome``, ``first_treated_period`` (0 = never), ``treated_now``
        (0/1), and ``quintile``/``weight``/``cluster`` when mapped.
    scale : PeriodScale
        Maps period numbers to labels ("Apr 2023").
    specification : str
        How treatment was given, in words.
    columns : mapping
        Role -> the analyst's column name (for messages and method notes).
    warnings : tuple of str
        Conditions the board should know about (estimation still valid).
    """

    data: pd.DataFrame
    scale: PeriodScale
    specification: str
    columns: Mapping[str, str]
    warnings: tuple[str, ...] = field(default_factory=tuple)

    @property
    def first_treated(self) -> pd.Series:
        """First-treated period per unit (0 = never), indexed by unit."""
        return self.data.groupby(UNIT, sort=True)[FIRST].first()

    @property
    def cohorts(self) -> np.ndarray:
        """Distinct adoption periods of units with a pre-period, ascending."""
        g = self.first_treated
        return np.unique(g[g > 1].to_numpy())

    @property
    def has_never_treated(self) -> bool:
        return bool((self.first_treated == 0).any())

    def has(self, role: str) -> bool:
        return role in self.data.columns


def _rows(mask: np.ndarray, limit: int = 5) -> tuple[int, ...]:
    return tuple(int(i) + 2 for i in np.flatnonzero(mask)[:limit])


def _label(columns: Mapping[str, str], role: str) -> str:
    return columns.get(role, role)


def resolve_treatment(
    data: pd.DataFrame,
    *,
    columns: Mapping[str, str] | None = None,
    treated_units: Sequence | None = None,
    start: str | None = None,
    file: str | None = None,
) -> DidData:
    """Validate a panel and derive each unit's first-treated period.

    Parameters
    ----------
    data : DataFrame
        The stage's data with columns under their *role* names: ``unit``,
        ``time``, ``outcome`` and, as mapped, ``treatment``,
        ``first_treated``, ``quintile``, ``weight``, ``cluster``.
    columns : mapping, optional
        Role -> the analyst's column name, so that messages name *their* columns.
    treated_units : sequence, optional
        Treated unit identifiers (with ``start``): the second way of giving treatment.
    start : str, optional
        When the listed units started (``YYYY-MM``, ``YYYY-Qn``, a date or a period number).
    file : str, optional
        The data file as written in evaluation.yaml (for messages).

    Returns
    -------
    DidData

    Raises
    ------
    ConfigError
        No treatment specification, or two different ones.
    DataError
        Missing unit or time, unreadable periods, a unit twice in a period,
        treatment not 0/1, treatment switching off, a first-treated period
        that varies within a unit, listed units not in the data, a cluster
        column with missing values, a treatment column that contradicts the
        first-treated column.
    DesignError
        No treated unit, no untreated comparison, no pre-period, a single cluster.
    """
    cols = dict(columns or {})
    for role in ("unit", "time", "outcome"):
        cols.setdefault(role, role)
    missing_roles = [r for r in ("unit", "time", "outcome") if r not in data.columns]
    if missing_roles:
        raise ConfigError("The difference-in-differences stage needs more column mappings.", [
            Problem(f"role '{r}' is not mapped", where="data.sources.<source>.columns",
                    fix=f"add `{r}: <your column name>`") for r in missing_roles])
    has_units = treated_units is not None and len(treated_units) > 0
    given = [n for n, ok in (("a treatment column", "treatment" in data.columns),
                             ("a first-treated column", "first_treated" in data.columns),
                             ("treated units and a start date", has_units or bool(start))) if ok]
    if not given:
        raise ConfigError("The stage does not say which units were treated, or when.", [Problem(
            "no treatment given", where="data.sources.<source>.columns",
            fix="map `treatment:` (a 0/1 column) or `first_treated:` (the period each unit started), "
                "or set the stage parameters treated_units and treatment_start")])
    if has_units + bool(start) == 1:
        raise ConfigError("Treated units and a start date go together.", [Problem(
            "only one of treated_units and treatment_start is set", where="stages.<stage>.parameters",
            fix="give both: the list of treated units and the date the scheme started for them")])
    if "treated units and a start date" in given and len(given) > 1:
        raise ConfigError("Treatment is given twice, in different ways.", [Problem(
            "treated_units/treatment_start are set and a treatment or first-treated column is mapped too",
            where="stages.<stage>.parameters",
            fix="keep one: remove the parameters or the column mapping")])

    df = data.reset_index(drop=True)
    ucol = _label(cols, "unit")
    bad = df["unit"].isna().to_numpy() | (df["unit"].astype(str).str.strip() == "").to_numpy()
    if bad.any():
        raise DataError("the unit identifier is missing", file=file, column=ucol, rows=_rows(bad),
                        count=int(bad.sum()), fix="give every row its unit (e.g. the practice code) or remove those rows")
    periods, scale = parse_periods(df["time"], column=_label(cols, "time"))
    out = pd.DataFrame({UNIT: df["unit"].to_numpy(), PERIOD: periods, "outcome": df["outcome"].to_numpy()})
    dup = out.duplicated([UNIT, PERIOD], keep=False).to_numpy()
    if dup.any():
        first_u = out.loc[dup, UNIT].iloc[0]
        raise DataError(
            f"a unit appears more than once in the same period (e.g. {first_u} in "
            f"{scale.label(out.loc[dup, PERIOD].iloc[0])})",
            file=file, column=f"{ucol} + {_label(cols, 'time')}", rows=_rows(dup), count=int(dup.sum()),
            fix="keep one row per unit and period (add the rows up, or remove the duplicates)")
    for role in _OPTIONAL:
        if role in df.columns:
            out[role] = df[role].to_numpy()
    warns: list[str] = []
    if "cluster" in df.columns:
        _check_cluster(df["cluster"], _label(cols, "cluster"), file)

    if "first_treated" in df.columns:
        g_row, spec = _from_first_treated(df, out, scale, cols, file), f"first-treated column '{_label(cols, 'first_treated')}'"
        if "treatment" in df.columns:
            _check_agrees(df, out, g_row, cols, file)
            spec += f" (checked against treatment column '{_label(cols, 'treatment')}')"
    elif "treatment" in df.columns:
        g_row, spec = _from_treatment(df, out, cols, file), f"0/1 treatment column '{_label(cols, 'treatment')}'"
    else:
        g_row = _from_units(out, treated_units, start, scale, ucol, file)
        spec = f"{len(set(treated_units)):,} treated unit(s) listed in the stage parameters, from {start}"
    out[FIRST] = g_row.astype(np.int64)
    out, miss_warn = _drop_missing_outcomes(out, _label(cols, "outcome"), file)
    warns += miss_warn
    warns += _check_design(out, scale, cols)
    out[TREATED] = ((out[FIRST] > 0) & (out[PERIOD] >= out[FIRST])).astype(np.int64)
    out = out.sort_values([UNIT, PERIOD], kind="stable").reset_index(drop=True)
    return DidData(out, scale, spec, cols, tuple(warns))


def _drop_missing_outcomes(out: pd.DataFrame, name: str, file: str | None) -> tuple[pd.DataFrame, list[str]]:
    """Leave out rows whose outcome is blank, saying how many and which (file rows, header = row 1).

    Done here, before the rows are sorted, so that the row numbers are the file's (a
    unit-period left out is then simply not observed; see the unbalanced-panel note of
    :func:`toolkit.designs.did.staggered`).  Text in the outcome column is not blank and
    is left to the estimators, which refuse it naming the rows.
    """
    miss = out["outcome"].isna().to_numpy()
    if not miss.any():
        return out, []
    if miss.all():
        raise DataError("the outcome is blank on every row", file=file, column=name, rows=_rows(miss),
                        count=int(miss.sum()), fix="check the column mapping of `outcome:`")
    rows = ", ".join(map(str, _rows(miss)))
    where = f" of {file}" if file else ""
    return out.loc[~miss].copy(), [Caution(
        f"{int(miss.sum()):,} of {len(out):,} rows{where} have no value in '{name}' and were left out "
        f"(e.g. rows {rows}; row 1 is the header).", code="did.missing_rows")]


def _check_cluster(cluster: pd.Series, name: str, file: str | None) -> None:
    miss = cluster.isna().to_numpy()
    if miss.any():
        raise DataError("the cluster is missing", file=file, column=name, rows=_rows(miss), count=int(miss.sum()),
                        fix="give every row its cluster, or remove the cluster mapping to cluster by unit")
    if cluster.nunique() < 2:
        raise DesignError("Standard errors cannot be clustered on a single cluster.", [Problem(
            f"every row has the same value ({cluster.iloc[0]})", column=name, count=len(cluster),
            fix="map `cluster:` to a column with many groups (e.g. the PCN), or remove it to cluster by unit")])


def _from_first_treated(df, out, scale: PeriodScale, cols, file) -> np.ndarray:
    name = _label(cols, "first_treated")
    g = parse_on_scale(df["first_treated"], scale, column=name)
    g = np.where(np.isnan(g), 0, np.maximum(g, 1))  # a start before the data counts as the first period
    per_unit = pd.Series(g).groupby(out[UNIT].to_numpy()).nunique()
    varying = per_unit[per_unit > 1].index
    if len(varying):
        mask = out[UNIT].isin(varying).to_numpy()
        raise DataError(
            f"the first-treated period differs between rows of the same unit (e.g. {varying[0]})",
            file=file, column=name, rows=_rows(mask), count=int(mask.sum()),
            fix="give each unit one first-treated period on every row (blank for never treated)")
    return g


def _binary(df, cols, file) -> np.ndarray:
    name = _label(cols, "treatment")
    raw = pd.to_numeric(df["treatment"], errors="coerce")
    bad = ~raw.isin([0, 1]).to_numpy()
    if bad.any():
        raise DataError("treatment must be 0 (not treated) or 1 (treated) on every row", file=file, column=name,
                        rows=_rows(bad), count=int(bad.sum()),
                        fix="code the column 1 for a unit in a period when the scheme applied, otherwise 0")
    return raw.to_numpy(dtype=np.int64)


def _from_treatment(df, out, cols, file) -> np.ndarray:
    d = _binary(df, cols, file)
    tmp = pd.DataFrame({"u": out[UNIT].to_numpy(), "t": out[PERIOD].to_numpy(), "d": d}).sort_values(["u", "t"])
    prev = tmp.groupby("u")["d"].shift(fill_value=0)
    off = ((prev == 1) & (tmp["d"] == 0)).to_numpy()
    if off.any():
        offs_so_far = pd.Series(off.astype(int), index=tmp.index).groupby(tmp["u"]).cumsum().to_numpy()
        again = (offs_so_far > 0) & (tmp["d"].to_numpy() == 1)
        units = pd.unique(tmp["u"].to_numpy()[off])
        kind = "switches off and then on again" if again.any() else "switches off after it started"
        mask = np.zeros(len(out), dtype=bool)
        mask[tmp.index.to_numpy()[off]] = True
        raise DataError(
            f"treatment {kind} for {len(units):,} unit(s) (e.g. {units[0]}); the designs here assume that "
            "once a unit starts the scheme it stays treated", file=file, column=_label(cols, "treatment"),
            rows=_rows(mask), count=int(mask.sum()),
            fix="code treatment 1 from the start period onwards (intention to treat), or remove units that left "
                "the scheme and say so in the report")
    first = tmp[tmp["d"] == 1].groupby("u")["t"].min()
    return out[UNIT].map(first).fillna(0).to_numpy(dtype=float)


def _check_agrees(df, out, g_row, cols, file) -> None:
    d = _binary(df, cols, file)
    implied = ((g_row > 0) & (out[PERIOD].to_numpy() >= g_row)).astype(np.int64)
    bad = implied != d
    if bad.any():
        raise DataError(
            f"the treatment column disagrees with the first-treated column '{_label(cols, 'first_treated')}'",
            file=file, column=_label(cols, "treatment"), rows=_rows(bad), count=int(bad.sum()),
            fix="correct one of them, or map only one (the first-treated column is enough)")


def _from_units(out, treated_units, start, scale: PeriodScale, ucol, file) -> np.ndarray:
    listed = pd.Index(pd.unique(pd.Series(list(treated_units), dtype=object).astype(str)))
    present = pd.Index(out[UNIT].astype(str).unique())
    unknown = listed.difference(present)
    if len(unknown):
        import difflib

        hint = difflib.get_close_matches(unknown[0], list(present), n=1)
        raise DataError(
            f"{len(unknown):,} treated unit(s) listed in treated_units are not in the data: "
            + ", ".join(map(str, unknown[:5])) + (" …" if len(unknown) > 5 else ""),
            file=file, column=ucol,
            fix=(f"did you mean '{hint[0]}'? " if hint else "") + "list units exactly as they appear in the unit column")
    g0 = scale.parse_value(start, where="treatment_start")
    g0 = max(1.0, float(np.floor(g0 + 1e-9)))
    return np.where(out[UNIT].astype(str).isin(listed).to_numpy(), g0, 0.0)


def _check_design(out: pd.DataFrame, scale: PeriodScale, cols) -> list[str]:
    warns: list[str] = []
    n_t = scale.n_periods
    g = out.groupby(UNIT, sort=True)[FIRST].first()
    late = g > n_t
    if late.any():
        warns.append(Caution(f"{int(late.sum()):,} unit(s) start after the last period in the data "
                             f"({scale.label(n_t)}); they count as not treated.", code="did.late_adopters"))
        out.loc[out[UNIT].isin(g[late].index), FIRST] = 0
        g = g.where(~late, 0)
    treated = g > 0
    if not treated.any():
        raise DesignError("No unit is treated in the data, so there is nothing to evaluate.", [Problem(
            "every unit is untreated in every period", column=_label(cols, "first_treated" if "first_treated" in cols else "treatment"),
            fix="check the treatment mapping: which units took part, and from when")])
    if int(treated.sum()) == 1:
        raise DesignError("A difference-in-differences cannot estimate a clustered effect from one treated unit.", [
            Problem(f"only one unit ({treated[treated].index[0]}) is treated, so there is no spread between treated "
                    "units to give a standard error", column=_label(cols, "unit"), count=1,
                    fix="for one treated area use a synthetic control stage (template: synth) or an interrupted "
                        "time series (template: its); or include more treated units")])
    no_pre = treated & (g <= 1)
    if no_pre[treated].all():
        raise DesignError("No treated unit is observed before it started, so there is no pre-period.", [Problem(
            f"every treated unit is treated from the first period in the data ({scale.label(1)})",
            column=_label(cols, "time"), count=int(treated.sum()),
            fix="include periods before the scheme started (at least one, ideally a year or more)")])
    if no_pre.any():
        warns.append(Caution(f"{int(no_pre.sum()):,} unit(s) are treated from the first period in the data and have no "
                             "period before the scheme; they are left out of the staggered-adoption estimate.",
                             code="did.always_treated"))
    cohorts = np.unique(g[treated & ~no_pre])
    if not (g == 0).any():
        if cohorts.size < 2:
            raise DesignError("There is no untreated comparison group.", [Problem(
                "every unit starts the scheme at the same time and none is left untreated",
                column=_label(cols, "unit"), count=int(g.size),
                fix="include units that did not take part (or took part later) as a comparison")])
        warns.append(Caution("No unit is never treated: the comparison is only with units that had not yet started, "
                             f"and the last group to start ({scale.label(cohorts.max())}) serves only as a comparison.",
                             code="did.no_never_treated"))
    counts = out.groupby(UNIT).size()
    if (counts < n_t).any():
        short = int((counts < n_t).sum())
        warns.append(Caution(f"{short:,} unit(s) are not observed in every period ({int(len(counts) * n_t - counts.sum()):,} "
                             "unit-periods missing). No unit is left out for this: each estimate uses the periods in "
                             "which a unit is observed.", code="did.unbalanced_panel"))
    return warns
