"""The DuckDB route of the baseline data step gives the same cells, audit and headline as the pandas route."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from tests.conftest import REPO
from toolkit.baseline import aggregate_source, core20_summary
from toolkit.errors import DataError
from toolkit.evaluations.context import open_stage

SAMPLES = REPO / "data_samples"
RECORD_COLUMNS = {"numerator": "bp_recorded", "person_id": "person_id", "lsoa": "lsoa21_code", "period": "month",
                  "age_band": "age_band", "sex": "sex", "ethnicity": "ethnicity"}


def _evaluation(tmp_path, path, columns, **source) -> str:
    """The example evaluation with its baseline source replaced (absolute paths)."""
    data = yaml.safe_load((REPO / "evaluations/example-hypertension/evaluation.yaml").read_text())
    for s in data["data"]["sources"].values():
        s["path"] = str((REPO / "evaluations/example-hypertension" / s["path"]).resolve())
    data["data"]["sources"]["bp_records"] = {"path": str(path), "columns": columns, **source}
    folder = tmp_path / "ev"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "evaluation.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return str(folder)


def _both(folder, monkeypatch=None, **kw):
    ref = aggregate_source(open_stage(folder, "baseline"), engine="pandas", **kw)
    ctx = open_stage(folder, "baseline")
    if monkeypatch is not None:  # the DuckDB route must not read the source whole
        monkeypatch.setattr(type(ctx), "data", lambda self: pytest.fail("the records were read into pandas"))
    duck = aggregate_source(ctx, **kw)
    if monkeypatch is not None:
        monkeypatch.undo()
    return ref, duck


def _assert_same(ref, duck):
    (d1, a1), (d2, a2) = ref, duck
    pd.testing.assert_frame_equal(a1.cells, a2.cells, check_exact=True)  # counts and labels exactly, dtypes too
    pd.testing.assert_frame_equal(a1.excluded, a2.excluded, check_exact=True)
    assert (a1.n_rows, a1.record_level, a1.dimensions, a1.has_period) == \
           (a2.n_rows, a2.record_level, a2.dimensions, a2.has_period)
    assert a1.describe() == a2.describe()
    pd.testing.assert_frame_equal(d1.audit.reset_index(drop=True), d2.audit.reset_index(drop=True), check_exact=True)
    assert d1.sentence == d2.sentence and d1.route == d2.route and d1.n_unmatched == d2.n_unmatched
    c1, c2 = core20_summary(a1.cells), core20_summary(a2.cells)
    for part in ("core20", "rest", "gap"):
        for key in ("value", "lower_ci", "upper_ci", "se"):
            assert c2[part][key] == pytest.approx(c1[part][key], abs=1e-12, rel=0)
    return c2


def test_sample_records_same_cells_audit_and_headline(tmp_path, monkeypatch):
    folder = _evaluation(tmp_path, SAMPLES / "baseline_records.parquet", RECORD_COLUMNS)
    ref, duck = _both(folder, monkeypatch)
    core = _assert_same(ref, duck)
    assert round(core["core20"]["value"], 1) == 53.3 and round(core["gap"]["value"], 2) == -6.74
    # the LSOA audit that feeds the completeness section: blanks, typos, Welsh, unknown codes
    audit = duck[0].audit.set_index("category")["rows"]
    assert audit["matched"] == 165_933 and audit.sum() == 167_623
    assert audit["blank"] and audit["non_english"] and audit["invalid_format"] and audit["unknown_code"]


def test_aggregated_sample_gives_the_records_cells(tmp_path, monkeypatch):
    """baseline_aggregated.csv (numerator + denominator: pandas route) = the records summed in DuckDB."""
    rec = _evaluation(tmp_path / "r", SAMPLES / "baseline_records.parquet",
                      {k: v for k, v in RECORD_COLUMNS.items() if k not in ("ethnicity",)})
    agg = _evaluation(tmp_path / "a", SAMPLES / "baseline_aggregated.csv",
                      {"numerator": "numerator", "denominator": "denominator", "lsoa": "lsoa21_code",
                       "period": "month", "age_band": "age_band", "sex": "sex"})
    ref, duck = _both(agg)  # aggregated data: both engines take the pandas route
    _assert_same(ref, duck)
    _, records = aggregate_source(open_stage(rec, "baseline"))
    keys = ["period", "imd_decile", "age_band", "sex"]
    left = records.cells.set_index(keys)[["rows", "numerator", "denominator"]]
    right = duck[1].cells.set_index(keys)[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(left[["numerator", "denominator"]], right, check_exact=True)
    assert records.cells["numerator"].sum() == 96_822 and records.cells["denominator"].sum() == 167_623
    assert (left["rows"] == left["denominator"]).all()
    a, b = core20_summary(records.cells), core20_summary(duck[1].cells)
    assert a["core20"]["value"] == pytest.approx(b["core20"]["value"], abs=1e-12)
    assert a["gap"]["value"] == pytest.approx(b["gap"]["value"], abs=1e-12)


@pytest.fixture
def messy(tmp_path) -> pd.DataFrame:
    """20,000 sample records with blanks: numerators, months, codes (some lower-case or padded)."""
    rec = pd.read_parquet(SAMPLES / "baseline_records.parquet").iloc[:20_000].reset_index(drop=True)
    rng = np.random.default_rng(7)
    rec["bp_recorded"] = rec["bp_recorded"].astype("Int64")
    rec.loc[rng.choice(len(rec), 40, replace=False), "bp_recorded"] = pd.NA
    rec.loc[rng.choice(len(rec), 30, replace=False), "month"] = None
    codes = rec["lsoa21_code"].astype(object)
    idx = rng.choice(len(rec), 50, replace=False)
    codes[idx[:25]] = [f" {str(c).lower()} " if isinstance(c, str) else c for c in codes[idx[:25]]]
    codes[idx[25:]] = ""
    rec["lsoa21_code"] = codes
    from toolkit.data.imd import load_imd

    imd = load_imd(2025).set_index("lsoa_code")
    norm = rec["lsoa21_code"].astype("string").str.strip().str.upper()
    rec["decile"] = norm.map(imd["imd_decile"]).astype("Float64")
    rec["score"] = norm.map(imd["imd_score"]).astype("float64")
    return rec


@pytest.mark.parametrize("route", ["lsoa", "imd_decile", "imd_score"])
def test_two_csv_files_with_exclusions(tmp_path, monkeypatch, messy, route):
    folder = tmp_path / "extract"
    folder.mkdir()
    messy.iloc[:12_000].to_csv(folder / "part1.csv", index=False)
    messy.iloc[12_000:].to_csv(folder / "part2.csv", index=False)
    columns = {**RECORD_COLUMNS}
    columns.pop("lsoa")
    columns[route] = {"lsoa": "lsoa21_code", "imd_decile": "decile", "imd_score": "score"}[route]
    ev = _evaluation(tmp_path, folder, columns)
    ref, duck = _both(ev, monkeypatch)
    _assert_same(ref, duck)
    excluded = duck[1].excluded.set_index("reason")
    assert excluded.loc["a missing numerator", "rows"] == 40
    assert 0 < excluded.loc["a missing period", "rows"] <= 30
    assert excluded["example_rows"].str.len().gt(0).all()  # spreadsheet rows across both files


def test_area_lookup_route(tmp_path, monkeypatch, messy):
    """Area codes joined through the analyst's own lookup (one of data.sources), some codes missing from it."""
    from toolkit.baseline import read_lookup
    from toolkit.data.imd import load_imd

    imd = load_imd(2025)
    lk = imd.loc[imd["lsoa_code"].isin(messy["lsoa21_code"].dropna().str.strip().str.upper()), ["lsoa_code", "imd_decile"]]
    lk = lk.iloc[::2].rename(columns={"lsoa_code": "code", "imd_decile": "decile"})  # half the areas: not in lookup
    lk.to_csv(tmp_path / "lookup.csv", index=False)
    path = tmp_path / "records.parquet"
    messy.to_parquet(path, index=False)
    columns = {**RECORD_COLUMNS, "area": "lsoa21_code"}
    columns.pop("lsoa")
    ev = _evaluation(tmp_path, path, columns)
    data = yaml.safe_load((tmp_path / "ev" / "evaluation.yaml").read_text())
    data["data"]["sources"]["lookup"] = {"path": str(tmp_path / "lookup.csv"),
                                         "columns": {"area": "code", "imd_decile": "decile"}}
    (tmp_path / "ev" / "evaluation.yaml").write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    lookup = read_lookup(open_stage(ev, "baseline"), "lookup")
    ref, duck = _both(ev, monkeypatch, lookup=lookup)
    _assert_same(ref, duck)
    audit = duck[0].audit.set_index("category")["rows"]
    assert duck[0].route == "area" and audit["not_in_lookup"] > 0 and audit["blank"] > 0
    assert "e.g." in duck[0].sentence


def test_parquet_exclusions_and_example_rows(tmp_path, monkeypatch, messy):
    path = tmp_path / "records.parquet"
    messy.to_parquet(path, index=False)
    ref, duck = _both(_evaluation(tmp_path, path, RECORD_COLUMNS), monkeypatch)
    _assert_same(ref, duck)
    assert duck[1].n_excluded == ref[1].n_excluded > 0


@pytest.mark.parametrize("change", ["duplicate_person", "text_numerator", "numerator_above_1", "bad_age_band"])
def test_errors_are_the_pandas_routes(tmp_path, messy, change):
    """A failed check falls back to the pandas route, so the message names the same rows."""
    rec = messy.iloc[:2_000].copy()
    if change == "duplicate_person":
        rec.loc[10, "person_id"] = rec.loc[3, "person_id"]
        rec.loc[10, "month"] = rec.loc[3, "month"]
    elif change == "text_numerator":
        rec["bp_recorded"] = rec["bp_recorded"].astype(object)
        rec.loc[5, "bp_recorded"] = "yes*"
    elif change == "numerator_above_1":
        rec.loc[7, "bp_recorded"] = 3
    else:
        rec.loc[9, "age_band"] = "adult"
    path = tmp_path / "records.csv"
    rec.to_csv(path, index=False)
    ev = _evaluation(tmp_path, path, RECORD_COLUMNS)
    with pytest.raises(DataError) as pandas_err:
        aggregate_source(open_stage(ev, "baseline"), engine="pandas")
    with pytest.raises(DataError) as duck_err:
        aggregate_source(open_stage(ev, "baseline"))
    assert str(pandas_err.value) == str(duck_err.value)
    assert pandas_err.value.problems == duck_err.value.problems


def test_unknown_engine(tmp_path):
    ev = _evaluation(tmp_path, SAMPLES / "baseline_records.parquet", RECORD_COLUMNS)
    with pytest.raises(ValueError):
        aggregate_source(open_stage(ev, "baseline"), engine="spark")


def test_unexpected_duckdb_errors_are_reported_not_hidden(tmp_path, monkeypatch):
    """Issue 11: every duckdb.Error used to fall back to pandas silently; only data errors may now."""
    import duckdb

    from toolkit.baseline import records
    from toolkit.errors import RunError

    folder = _evaluation(tmp_path, SAMPLES / "baseline_records.parquet", RECORD_COLUMNS)

    def broken(*args, **kwargs):
        raise duckdb.BinderException('Referenced column "x" not found')

    monkeypatch.setattr(records, "_duck", broken)
    with pytest.raises(RunError, match="DuckDB aggregation .* failed unexpectedly.*BinderException"):
        aggregate_source(open_stage(folder, "baseline"))

    def unreadable(*args, **kwargs):
        raise duckdb.ConversionException("Could not convert string 'x' to INT64")

    monkeypatch.setattr(records, "_duck", unreadable)  # a data problem: the pandas route answers
    _, agg = aggregate_source(open_stage(folder, "baseline"))
    assert agg.n_rows > 0 and agg.columns["numerator"] == "bp_recorded"
