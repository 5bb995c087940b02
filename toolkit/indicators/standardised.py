"""Directly and indirectly standardised rates (age bands and standard populations: toolkit.indicators.age_bands).

:func:`dsr` (Dobson limits, ESP2013 by default) and :func:`isr` (indirectly
standardised ratio or rate) follow the Fingertips / PHEindicatormethods methods in
docs/methods.md.  Age-band labels are joined by their normalised text, never by row position.  The
normaliser accepts the spellings found in ONS and Fingertips extracts:
``"0-4"``, ``"0–4"`` (en dash), ``"00-04"``, ``"0 to 4"``, ``"Aged 0-4 years"``,
``"90+"``, ``"90 and over"``, ``"90 plus"``, ``"<1"``/``"under 1"`` (= ``"0"``).
"""

from __future__ import annotations

import warnings
from typing import Sequence

import numpy as np
import pandas as pd

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators.confidence import assemble, byar_lower, byar_upper, levels_of, poisson_limits
from toolkit.indicators._validate import (
    as_by,
    check_frame,
    check_nonnegative,
    check_positive,
    group_codes,
    numeric_column,
    require_columns,
    sheet_rows,
)

__all__ = ["ESP2013", "normalise_age_band", "standard_weights", "band_labels", "dsr", "isr"]

from toolkit.indicators.age_bands import ESP2013, band_labels, duplicate_bands, normalise_age_band, standard_weights  # noqa: F401,E501


def dsr(
    data: pd.DataFrame,
    numerator: str,
    denominator: str,
    age_band: str,
    *,
    standard="esp2013",
    multiplier: float = 100_000,
    frequency: str | None = None,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Directly standardised rate with Dobson confidence limits.

    Parameters
    ----------
    data : pandas.DataFrame
        One row per group and age band (one row per group, age band and event
        frequency when ``frequency`` is given).
    numerator, denominator, age_band : str
        Columns with the event count, the population and the age-band label.
        Missing counts are read as 0 (docs/methods.md); populations must be > 0.
    standard : {"esp2013"} or mapping or DataFrame, default "esp2013"
        Standard population, joined to ``age_band`` by normalised label.
    multiplier : float, default 100000
        Rate per this many people.
    frequency : str, optional
        For non-independent events: the column giving the number of events per
        person; ``numerator`` then holds the number of *people* with that many
        events.
    by : str or list of str, optional
        Grouping columns.
    confidence : float or pair, default 0.95
        A level or several, e.g. ``(0.95, 0.998)``.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``total_count`` (events), ``total_pop``, ``value``, interval
        columns and ``note``.  Groups with fewer than 10 events get no value and
        no interval, and a note.

    Notes
    -----
    With wᵢ the standard weight of band i (Σw over the bands present in the
    group, as PHEindicatormethods ``calculate_dsr`` does)::

        DSR  = Σ(Oᵢ·wᵢ/nᵢ) / Σwᵢ × multiplier
        var  = Σ(Oᵢ·wᵢ²/nᵢ²) / (Σwᵢ)²
        L, U = DSR + √(var/O)·(O_L − O)·multiplier,  DSR + √(var/O)·(O_U − O)·multiplier

    where O = ΣOᵢ and O_L, O_U are Byar's limits of O (Dobson et al. 1991, *Stat
    Med* 10:457-462).  For non-independent events with xᵢ,f people having f
    events: Oᵢ = Σ_f f·xᵢ,f, var = Σ_f f²·var_f with var_f the variance above
    computed from xᵢ,f (Σw over the rows given for that frequency), and
    O = Σ_f f·x_f; the DSR itself is unchanged.
    A group whose bands do not cover the whole standard gets a ToolkitWarning.
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    require_columns(data, [numerator, denominator, age_band, frequency, *by])
    weights = standard_weights(standard)
    known = list(weights)
    band = band_labels(data, age_band, known, what="standard population")
    w = np.array([weights[k] for k in known])[band]
    x = numeric_column(data, numerator, allow_missing=True)
    x = np.where(np.isnan(x), 0.0, x)
    check_nonnegative(x, numerator)
    n = numeric_column(data, denominator, what="population")
    check_positive(n, denominator)
    codes, keys = group_codes(data, by)
    k = len(keys)
    if frequency is None:
        f = np.ones(len(data))
        duplicate_bands(data, [codes, band], age_band, "an age band")
        first = np.ones(len(data), dtype=bool)
    else:
        f = numeric_column(data, frequency, what="event frequency")
        bad = ~(f > 0)
        if bad.any():
            raise DataError("event frequencies must be greater than zero", column=frequency,
                            rows=sheet_rows(bad), count=int(bad.sum()),
                            fix="give the number of events per person (1, 2, 3, ...)")
        duplicate_bands(data, [codes, band, f], age_band, "an age band and event frequency")
        pairs = pd.DataFrame({"g": codes, "b": band, "n": n})
        first = ~pairs.duplicated(["g", "b"]).to_numpy()
        if pairs.drop_duplicates(["g", "b", "n"]).shape[0] != first.sum():
            incons = pairs.duplicated(["g", "b"], keep=False).to_numpy() & ~pairs.duplicated(
                ["g", "b", "n"], keep=False).to_numpy()
            raise DataError("the population differs between event frequencies of one age band",
                            column=denominator, rows=sheet_rows(incons), count=int(incons.sum()),
                            fix="repeat the same age-band population on every frequency row")
    sum_w = np.bincount(codes, weights=np.where(first, w, 0.0), minlength=k)
    n_bands = np.bincount(codes, weights=first.astype(float), minlength=k)
    events = np.bincount(codes, weights=f * x, minlength=k)
    rate = np.bincount(codes, weights=f * x * w / n, minlength=k) / sum_w
    if frequency is None:
        var = np.bincount(codes, weights=x * w * w / (n * n), minlength=k) / (sum_w * sum_w)
    else:
        # var_f uses the standard weights of the rows present for that frequency, as
        # PHEindicatormethods computes one DSR variance per (group, frequency)
        gf, gf_codes = np.unique(np.column_stack([codes, f]), axis=0, return_inverse=True)
        gf_codes = gf_codes.ravel()
        m = len(gf)
        sw_f = np.bincount(gf_codes, weights=w, minlength=m)
        var_f = np.bincount(gf_codes, weights=x * w * w / (n * n), minlength=m) / (sw_f * sw_f)
        var = np.bincount(gf[:, 0].astype(np.int64), weights=gf[:, 1] ** 2 * var_f, minlength=k)
    pop = np.bincount(codes, weights=np.where(first, n, 0.0), minlength=k)
    value = rate * multiplier
    few = events < 10
    note = [
        f"fewer than 10 events ({e:g}): DSR not calculated" if s else None for e, s in zip(events, few)
    ]
    limits = {}
    with np.errstate(divide="ignore", invalid="ignore"):
        spread = np.sqrt(var / events)
        for lv in levels:
            lo = value + spread * (byar_lower(events, lv) - events) * multiplier
            hi = value + spread * (byar_upper(events, lv) - events) * multiplier
            limits[lv] = (np.where(few, np.nan, lo), np.where(few, np.nan, hi))
    value = np.where(few, np.nan, value)
    short = n_bands < len(known)
    if short.any():
        warnings.warn(ToolkitWarning(
            f"{int(short.sum())} group(s) lack some of the {len(known)} standard age bands; their DSR "
            "uses the standard weights of the bands present only (PHEindicatormethods convention). "
            "Add rows with 0 events for bands with no deaths.", code="standardised.missing_bands"),
            stacklevel=2,
        )
    return assemble(keys, by, {"total_count": events, "total_pop": pop}, value, limits, levels, note)


def isr(
    data: pd.DataFrame,
    numerator: str | None,
    denominator: str,
    age_band: str,
    *,
    reference: pd.DataFrame,
    ref_numerator: str | None = None,
    ref_denominator: str | None = None,
    ref_age_band: str | None = None,
    observed_totals: pd.DataFrame | None = None,
    statistic: str = "ratio",
    multiplier: float | None = None,
    by: str | Sequence[str] | None = None,
    confidence: float | Sequence[float] = 0.95,
) -> pd.DataFrame:
    """Indirectly standardised ratio (e.g. SMR) or rate.

    Parameters
    ----------
    data : pandas.DataFrame
        Local populations (and, unless ``observed_totals`` is given, observed
        events) by group and age band.
    numerator : str or None
        Column of local observed events by age band; None when
        ``observed_totals`` is given.
    denominator, age_band : str
        Local population and age-band columns.
    reference : pandas.DataFrame
        Reference events and population by age band, joined by normalised label.
    ref_numerator, ref_denominator, ref_age_band : str, optional
        Columns of ``reference``; default to the names used for ``data``.
    observed_totals : pandas.DataFrame, optional
        Observed events per group without an age breakdown: the ``by`` columns
        and a column named ``numerator`` (or ``"observed"`` when ``numerator`` is
        None).
    statistic : {"ratio", "rate"}
        ``ratio`` = O/E × multiplier (default multiplier 1; use 100 for an SMR
        on the 100 scale); ``rate`` = O/E × reference crude rate × multiplier
        (default 100000).
    by, confidence
        As for the other indicator functions.

    Returns
    -------
    pandas.DataFrame
        ``by``, ``observed``, ``expected``, ``value``, interval columns, ``note``.

    Notes
    -----
    E = Σᵢ (x_refᵢ/n_refᵢ)·nᵢ; ratio = O/E; limits O_L/E and O_U/E with exact
    Poisson limits below 10 events and Byar's otherwise (docs/methods.md;
    PHEindicatormethods ``calculate_ISRatio`` / ``calculate_ISRate``).  The rate
    multiplies the ratio and its limits by the reference rate Σx_ref/Σn_ref.
    """
    data = check_frame(data)
    by = as_by(by)
    levels = levels_of(confidence)
    if statistic not in ("ratio", "rate"):
        raise DataError(f"statistic must be 'ratio' or 'rate', not {statistic!r}", column="statistic",
                        fix="use statistic='ratio' or statistic='rate'")
    if multiplier is None:
        multiplier = 1.0 if statistic == "ratio" else 100_000.0
    require_columns(data, [numerator if observed_totals is None else None, denominator, age_band, *by])
    reference = check_frame(reference, "reference")
    ref_numerator = ref_numerator or numerator
    ref_denominator = ref_denominator or denominator
    ref_age_band = ref_age_band or age_band
    if ref_numerator is None:
        raise DataError("name the reference events column", column="ref_numerator",
                        fix="pass ref_numerator='...'")
    require_columns(reference, [ref_numerator, ref_denominator, ref_age_band], "reference")
    rx = numeric_column(reference, ref_numerator)
    rn = numeric_column(reference, ref_denominator, what="population")
    check_nonnegative(rx, ref_numerator)
    check_positive(rn, ref_denominator)
    ref_labels = [normalise_age_band(v) for v in reference[ref_age_band]]
    if len(set(ref_labels)) != len(ref_labels) or None in ref_labels:
        raise DataError("reference age bands are blank or repeated", column=ref_age_band,
                        fix="give one reference row per age band")
    ref_rate_band = rx / rn
    ref_rate = rx.sum() / rn.sum()
    band = band_labels(data, age_band, ref_labels, what="reference")
    n = numeric_column(data, denominator, what="population")
    check_positive(n, denominator)
    codes, keys = group_codes(data, by)
    duplicate_bands(data, [codes, band], age_band, "an age band")
    k = len(keys)
    expected = np.bincount(codes, weights=ref_rate_band[band] * n, minlength=k)
    if observed_totals is None:
        x = numeric_column(data, numerator)
        check_nonnegative(x, numerator)
        observed = np.bincount(codes, weights=x, minlength=k)
    else:
        ocol = numerator or "observed"
        totals = check_frame(observed_totals, "observed_totals")
        require_columns(totals, [ocol, *by], "observed_totals")
        ox = numeric_column(totals, ocol)
        check_nonnegative(ox, ocol)
        if by:
            t = totals[by].copy()
            t["__o"] = ox
            if t.duplicated(by).any():
                dup = t.duplicated(by, keep=False).to_numpy()
                raise DataError("observed_totals has more than one row per group", column=ocol,
                                rows=sheet_rows(dup), count=int(dup.sum()), fix="give one total per group")
            merged = keys.merge(t, on=by, how="left")
            if merged["__o"].isna().any():
                miss = merged["__o"].isna().to_numpy()
                raise DataError(f"observed_totals lacks {int(miss.sum())} group(s) present in the data",
                                column=ocol, count=int(miss.sum()),
                                fix="add a total for every group (0 if none)")
            extra = t.merge(keys, on=by, how="left", indicator=True)["_merge"].eq("left_only").to_numpy()
            if extra.any():
                raise DataError("observed_totals has groups that are not in the data", column=ocol,
                                rows=sheet_rows(extra), count=int(extra.sum()),
                                fix="remove those totals or add their populations")
            observed = merged["__o"].to_numpy(dtype=float)
        else:
            if len(ox) != 1:
                raise DataError("observed_totals must have one row when by= is not given", column=ocol,
                                count=len(ox), fix="pass by= or a single total")
            observed = ox
    scale = multiplier * (ref_rate if statistic == "rate" else 1.0)
    note = [None if e > 0 else "expected count is 0: ratio not calculated" for e in expected]
    with np.errstate(divide="ignore", invalid="ignore"):
        value = np.where(expected > 0, observed / expected * scale, np.nan)
        limits = {}
        for lv in levels:
            lo, hi = poisson_limits(observed, lv)
            limits[lv] = (np.where(expected > 0, lo / expected * scale, np.nan),
                          np.where(expected > 0, hi / expected * scale, np.nan))
    return assemble(keys, by, {"observed": observed, "expected": expected}, value, limits, levels, note)
