"""The baseline's analyst-grade measures: age-standardised gaps, funnel of units, SII trend,
concentration index, attributable fraction, and the life-expectancy gap decomposed.

Glue between the stage's cells (:func:`toolkit.baseline.aggregate`) and
:mod:`toolkit.indicators`; every number is computed there.  The indicator is a percentage.
"""

from __future__ import annotations

import re
import warnings

import numpy as np
import pandas as pd

from toolkit import indicators as ind
from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators.standardised import ESP2013, normalise_age_band

__all__ = ["standardised_comparison", "age_scope", "funnel_units", "unit_funnel", "gap_trend", "summary_measures",
           "financial_year", "read_deaths", "le_gap"]

_CORE = "Core20 (IMD deciles 1-2)"
_REST = "Rest (deciles 3-10)"


def _esp_cells(cells: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """Cells whose age band is an ESP2013 band (normalised), and the people left out."""
    if "age_band" not in cells.columns:
        raise DataError("no column for role 'age_band', so rates cannot be age-standardised", column="age_band",
                        fix="map `age_band:` under data.sources.<name>.columns")
    codes, uniques = pd.factorize(cells["age_band"])
    mapped = np.array([normalise_age_band(u) for u in uniques] + [None], dtype=object)  # code -1 -> None
    key = pd.Series(mapped[codes], index=cells.index)
    keep = key.isin(list(ESP2013)).to_numpy()
    return cells.loc[keep].assign(esp_band=key[keep].to_numpy()), float(cells.loc[~keep, "denominator"].sum())


def _dsr(frame: pd.DataFrame, by: str, level: float) -> pd.DataFrame:
    cube = frame.groupby([by, "esp_band"], as_index=False, observed=True)[["numerator", "denominator"]].sum()
    cube = cube[cube["denominator"] > 0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitWarning)  # bands absent everywhere (under-18s): same weights for all
        return ind.dsr(cube, "numerator", "denominator", "esp_band", multiplier=100, by=by, confidence=level)


def standardised_comparison(cells: pd.DataFrame, *, level: float = 0.95) -> dict:
    """Crude and age-standardised values by IMD quintile and for Core20 against the rest.

    Returns
    -------
    dict
        ``table``: one row per group (quintiles 1-5, Core20, rest) with ``crude``,
        ``crude_lower``, ``crude_upper``, ``standardised``, ``std_lower``,
        ``std_upper`` (%); ``core20_gap`` and ``quintile_gap``: dicts with
        ``crude``, ``standardised`` (percentage points) and ``explained_by_age``
        (% of the crude gap that age structure accounts for); ``excluded``
        (people whose age band is not an ESP2013 band, e.g. not known);
        ``method``.

    Notes
    -----
    Directly standardised percentages on the 2013 European Standard Population
    (:func:`toolkit.indicators.dsr`, multiplier 100, Dobson limits), over the
    ESP bands present in the data (the same weights for every group).  Share of
    the crude gap explained by age = (crude gap − standardised gap)/crude gap × 100.
    """
    esp, excluded = _esp_cells(cells[cells["imd_decile"].notna()])
    frame = esp.assign(quintile=esp["imd_quintile"].astype("int64"),
                       side=np.where(esp["core20"].astype(bool), _CORE, _REST))
    rows = []
    for by, labels in (("quintile", None), ("side", None)):
        crude = ind.proportion(frame.groupby(by, as_index=False)[["numerator", "denominator"]].sum(),
                               "numerator", "denominator", multiplier=100, by=by, confidence=level)
        std = _dsr(frame, by, level).set_index(by)
        for _, r in crude.iterrows():
            s = std.loc[r[by]] if r[by] in std.index else None
            label = f"IMD quintile {int(r[by])}" if by == "quintile" else r[by]
            rows.append({"group": label, "numerator": r["numerator"], "denominator": r["denominator"],
                         "crude": r["value"], "crude_lower": r["lower_ci"], "crude_upper": r["upper_ci"],
                         "standardised": np.nan if s is None else s["value"],
                         "std_lower": np.nan if s is None else s["lower_ci"],
                         "std_upper": np.nan if s is None else s["upper_ci"]})
    table = pd.DataFrame(rows)
    idx = table.set_index("group")

    def gap(a: str, b: str) -> dict:
        if a not in idx.index or b not in idx.index:
            return {"crude": np.nan, "standardised": np.nan, "explained_by_age": np.nan}
        c = float(idx.loc[a, "crude"] - idx.loc[b, "crude"])
        s = float(idx.loc[a, "standardised"] - idx.loc[b, "standardised"])
        return {"crude": c, "standardised": s, "explained_by_age": (c - s) / c * 100 if c else np.nan}

    return {"table": table, "core20_gap": gap(_CORE, _REST), "quintile_gap": gap("IMD quintile 1", "IMD quintile 5"),
            "excluded": excluded,
            "method": "directly standardised percentage, 2013 European Standard Population, Dobson interval"}


_AGE_RANGE = re.compile(r"aged\s+(\d+)\s*(?:to|-|–)\s*(\d+)", re.I)
_AGE_MIN = re.compile(r"(?:aged\s+(\d+)\s*(?:\+|and over|or over|and above|or older))|(?:(\d+)\s*\+)", re.I)


def _scope_ages(charter) -> tuple[float, float] | None:
    """Youngest and oldest age in scope from the charter's scope text ("Adults aged 18 and over")."""
    texts = []
    if charter is not None:
        scope = getattr(charter, "scope", None)
        texts += list(getattr(scope, "in_scope", None) or [])
        tg = getattr(charter, "target_group", None)
        texts.append(getattr(tg, "description", "") or "")
    for t in texts:
        m = _AGE_RANGE.search(t)
        if m:
            return float(m.group(1)), float(m.group(2)) + 0.999
    for t in texts:
        m = _AGE_MIN.search(t)
        if m:
            return float(m.group(1) or m.group(2)), np.inf
    return None


def age_scope(cells: pd.DataFrame, charter) -> pd.DataFrame:
    """Each age band in the data against the charter's age scope.

    Returns
    -------
    pandas.DataFrame
        ``age_band``, ``people``, ``status`` ("in scope", "partly outside",
        "outside", "not known") and ``note``; ``attrs["scope"]`` holds the
        (youngest, oldest) ages read from the charter or None when it names none.
    """
    if "age_band" not in cells.columns:
        return pd.DataFrame(columns=["age_band", "people", "status", "note"])
    people = cells.groupby(cells["age_band"].astype("string"), observed=True)["denominator"].sum()
    ages = _scope_ages(charter)
    rows = []
    for band, n in people.items():
        key = normalise_age_band(band)
        m = re.fullmatch(r"(\d+)(?:-(\d+)|\+)?", key or "")
        if not m:
            rows.append((band, n, "not known", "age not recorded"))
            continue
        lo = float(m.group(1))
        hi = float(m.group(2)) + 0.999 if m.group(2) else (np.inf if key.endswith("+") else lo + 0.999)
        if ages is None:
            rows.append((band, n, "in scope", "the charter names no age range"))
        elif hi < ages[0] or lo > ages[1]:
            rows.append((band, n, "outside", "the whole band is outside the charter's ages"))
        elif lo < ages[0] or hi > ages[1]:
            part = f"ages {lo:.0f}-{ages[0] - 1:.0f}" if lo < ages[0] else f"ages above {ages[1]:.0f}"
            rows.append((band, n, "partly outside", f"{part} are outside the charter's scope"))
        else:
            rows.append((band, n, "in scope", ""))
    out = pd.DataFrame(rows, columns=["age_band", "people", "status", "note"])
    out.attrs["scope"] = ages
    return out


_UNIT_ROLES = (("practice", "practices"), ("area", "areas"), ("lsoa", "neighbourhoods"))


def funnel_units(ctx) -> tuple[pd.DataFrame, str, float] | None:
    """The stage's source summed per practice (or area, or neighbourhood) in DuckDB, for the funnel plot.

    Returns
    -------
    (units, label, left_out) or None
        ``units`` has ``unit``, ``numerator`` and ``denominator`` (rows when no
        denominator is mapped); ``label`` names the units in words; ``left_out``
        counts the people whose unit code is blank (or, for neighbourhoods,
        matched no IMD decile of the evaluation's vintage).  None when no unit role
        (``practice``, ``area`` or ``lsoa``) is mapped.
    """
    roles = dict(ctx.evaluation.config.data.sources[ctx.stage.source].columns)
    for role, label in _UNIT_ROLES:
        if role in roles:
            break
    else:
        return None
    has_den = "denominator" in roles
    sums = ["numerator", "denominator"] if has_den else ["numerator"]
    exclude = [r for r in ("numerator", "denominator", "period") if r in roles]
    vintage = ctx.evaluation.config.imd_vintage
    cells = ctx.cells(by=[role], sums=sums, exclude_missing=exclude).cells  # one GROUP BY over the records
    key = cells[role].astype("string").str.strip()
    blank = key.isna() | (key == "")
    if role == "lsoa" and vintage is not None:
        # a neighbourhood funnel shows real LSOAs only: codes not in the IMD lookup are left out
        from toolkit.data.imd import load_imd

        lookup = load_imd(vintage)
        known = set(lookup["lsoa_code"].astype(str).str.upper())
        blank |= ~key.fillna("").str.upper().isin(known)
    den = cells["denominator"] if has_den else cells["rows"]
    units = pd.DataFrame({"unit": key[~blank].to_numpy(), "numerator": cells.loc[~blank, "numerator"].to_numpy(float),
                          "denominator": den[~blank].to_numpy(float)})
    return units, label, float(den[blank].sum())


def unit_funnel(units: pd.DataFrame, *, unit: str, overdispersion: bool = True) -> pd.DataFrame:
    """Funnel-plot limits and significance for practices, PCNs or neighbourhoods against the ICB.

    Parameters
    ----------
    units : pandas.DataFrame
        One row per unit: ``unit`` column, ``numerator``, ``denominator``.
    unit : str
        The unit column.
    overdispersion : bool
        Use Spiegelhalter's adjustment when the units vary more than chance allows.

    Returns
    -------
    pandas.DataFrame
        :func:`toolkit.indicators.funnel` output (percentages), sorted by denominator.
    """
    frame = units[units["denominator"] > 0].sort_values("denominator").reset_index(drop=True)
    return ind.funnel(frame, "numerator", "denominator", kind="proportion", multiplier=100,
                      overdispersion=overdispersion)


def financial_year(period: pd.Series) -> pd.Series:
    """NHS financial year ("2023/24") of periods written as YYYY-MM (or dates); others unchanged."""
    text = period.astype("string")
    m = text.str.extract(r"^(\d{4})-(\d{2})")
    year = pd.to_numeric(m[0], errors="coerce")
    month = pd.to_numeric(m[1], errors="coerce")
    start = year - (month < 4).astype("Int64")
    fy = start.astype("Int64").astype("string") + "/" + ((start + 1) % 100).astype("Int64").astype("string").str.zfill(2)
    return fy.where(year.notna(), text)


def gap_trend(cells: pd.DataFrame, *, level: float = 0.95, seed: int = 20250401,
              repetitions: int = 100_000) -> pd.DataFrame:
    """SII and RII across IMD quintiles per financial year, with a test of trend.

    Returns
    -------
    pandas.DataFrame
        :func:`toolkit.indicators.sii_trend` output (percentage points), plus
        ``attrs["by_quintile"]``; the mix-shift warning text is in
        ``attrs["warning"]`` (not raised).
    """
    if "period" not in cells.columns:
        raise DataError("no column for role 'period'", column="period", fix="map `period:` to see the trend")
    matched = cells[cells["imd_decile"].notna()]
    frame = matched.assign(year=financial_year(matched["period"]), q=matched["imd_quintile"].astype("int64"))
    by_q = frame.groupby(["year", "q"], as_index=False)[["numerator", "denominator"]].sum()
    props = ind.proportion(by_q, "numerator", "denominator", by=["year", "q"], confidence=0.95)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ToolkitWarning)
        res = ind.sii_trend(props, "year", "q", "denominator", "value", lower_ci="lower_ci", upper_ci="upper_ci",
                            value_type="proportion", multiplier=100, repetitions=repetitions, seed=seed,
                            confidence=level)
    res.attrs["by_quintile"] = props
    return res


def summary_measures(cells: pd.DataFrame, *, level: float = 0.95) -> dict:
    """Concentration index across IMD deciles (Erreygers-corrected) and the attributable fraction.

    Returns
    -------
    dict
        ``concentration`` (:func:`toolkit.indicators.concentration_index`,
        Erreygers correction for the bounded 0-1 outcome) and ``paf``
        (:func:`toolkit.indicators.attributable_fraction` against the least
        deprived IMD quintile); either is None, with the reason in
        ``concentration_note`` / ``paf_note``, when the data cannot give it.
    """
    matched = cells[cells["imd_decile"].notna()]
    dec = matched.groupby(matched["imd_decile"].astype("int64"), as_index=False)[["numerator", "denominator"]].sum()
    quin = matched.groupby(matched["imd_quintile"].astype("int64"), as_index=False)[["numerator", "denominator"]].sum()
    out = {}
    for key, fn in (("concentration", lambda: ind.concentration_index(
            dec, "numerator", "denominator", "imd_decile", correction="erreygers", confidence=level)),
                    ("paf", lambda: ind.attributable_fraction(quin, "numerator", "denominator", "imd_quintile",
                                                              confidence=level))):
        try:
            out[key] = fn()
        except DataError as exc:  # e.g. one decile only, or no events in the least deprived quintile
            out[key] = None
            out[f"{key}_note"] = "; ".join(p.message for p in getattr(exc, "problems", [])) or exc.message
    return out


def read_deaths(ctx, name: str) -> pd.DataFrame:
    """Read a deaths-by-cause source (roles ``deaths``, ``population``, ``age_band``, ``cause``, ``imd_quintile``).

    Returns
    -------
    pandas.DataFrame
        Columns under their role names; ``attrs["sha256"]`` per file read.
    """
    from toolkit.data.sources import read_source, resolve_source, source_fingerprints
    from toolkit.errors import ConfigError, Problem

    sources = ctx.evaluation.config.data.sources
    if name not in sources:
        raise ConfigError(f"The deaths source '{name}' is not a data source.", [Problem(
            "no such source", where=f"stages.{ctx.stage.name}.parameters.deaths_source",
            fix=f"name one of data.sources ({', '.join(sources) or 'none defined'}) or leave deaths_source empty")])
    source = sources[name]
    roles = ("deaths", "population", "age_band", "cause", "imd_quintile")
    missing = [r for r in roles if r not in source.columns]
    if missing:
        raise ConfigError(f"The deaths source '{name}' does not map {', '.join(missing)}.", [Problem(
            f"role '{r}' not mapped", where=f"data.sources.{name}.columns", fix=f"add `{r}: <your column name>`")
            for r in missing])
    files = resolve_source(name, source, ctx.evaluation.folder)
    out = read_source(files, {r: source.columns[r] for r in roles})
    out.attrs.update(file=source.label, sha256=source_fingerprints(files))
    return out


def le_gap(deaths: pd.DataFrame, *, most: int = 1, least: int | None = None):
    """Arriaga decomposition of the life-expectancy gap between the most and least deprived quintiles.

    Returns
    -------
    toolkit.indicators.LEGapDecomposition
        Population A is quintile ``most``, B quintile ``least`` (default the
        largest): the gap is the years by which the least deprived outlive the most.
    """
    q = pd.to_numeric(deaths["imd_quintile"], errors="coerce")
    least = int(q.max()) if least is None else least
    return ind.le_gap_decomposition(deaths[q == most], deaths[q == least])
