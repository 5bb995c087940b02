"""toolkit.data.aggregate: DuckDB GROUP BY over the files equals pandas on the loaded records."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.data.aggregate import aggregate
from toolkit.data.imd import attach_imd
from toolkit.errors import DataError

RECORDS = REPO / "data_samples" / "baseline_records.parquet"
ROLES = {"person_id": "person_id", "lsoa": "lsoa21_code", "period": "month", "age_band": "age_band",
         "sex": "sex", "ethnicity": "ethnicity", "numerator": "bp_recorded"}


def test_cells_match_pandas_with_imd_join():
    cells = aggregate(RECORDS, roles=ROLES, by=["period", "imd_decile", "sex"], sums=["numerator"], imd_vintage=2025)
    df = pd.read_parquet(RECORDS).rename(columns={v: k for k, v in ROLES.items()})
    joined = attach_imd(df, "lsoa", vintage=2025).data
    expected = (joined.groupby(["period", "imd_decile", "sex"], dropna=False)
                .agg(rows=("numerator", "size"), numerator=("numerator", "sum")).reset_index())
    got = cells.cells
    assert cells.n_rows == 167_623 and got["numerator"].sum() == 96_822
    merged = got.merge(expected.astype({"imd_decile": "float"}).assign(imd_decile=lambda d: d["imd_decile"]),
                       on=["period", "imd_decile", "sex"], how="outer", suffixes=("", "_pd"), indicator=True)
    assert (merged["_merge"] == "both").all()
    assert np.array_equal(merged["rows"], merged["rows_pd"])
    assert np.array_equal(merged["numerator"], merged["numerator_pd"])
    audit = cells.imd_audit.set_index("category")["rows"]
    assert audit["matched"] == 165_933 and audit.drop("matched").sum() == 1_690


def test_quintile_core20_and_excluded_rows_are_counted(tmp_path):
    df = pd.DataFrame({"lsoa": ["E01006744", "E01006745", "", "E01006746", "W01000001"],
                       "month": ["2024-01", "2024-01", "2024-02", None, "2024-02"],
                       "n": [1, 0, 1, 1, None]})
    path = tmp_path / "records.csv"
    df.to_csv(path, index=False)
    cells = aggregate(path, roles={"lsoa": "lsoa", "period": "month", "numerator": "n"},
                      by=["period", "imd_quintile", "core20"], sums=["numerator"],
                      exclude_missing=["numerator", "period"], imd_vintage=2025)
    assert cells.n_rows == 5 and cells.n_excluded == 2
    assert cells.excluded.to_dict("records") == [
        {"reason": "a missing numerator", "column": "n", "rows": 1, "example_rows": "6"},
        {"reason": "a missing period", "column": "month", "rows": 1, "example_rows": "5"}]
    assert cells.cells["rows"].sum() == 3 and cells.cells["numerator"].sum() == 2


def test_glob_of_csv_files_equals_one_parquet(tmp_path):
    df = pd.read_parquet(RECORDS).head(20_000)
    for i, part in enumerate((df.iloc[:7000], df.iloc[7000:14000], df.iloc[14000:])):
        part.to_csv(tmp_path / f"part{i}.csv", index=False)
    from toolkit.data.sources import resolve_files
    from toolkit.evaluations.schema import Source

    files = resolve_files("s", Source(path="part*.csv"), tmp_path)
    a = aggregate(files, roles=ROLES, by=["age_band", "sex"], sums=["numerator"]).cells
    b = df.groupby(["age_band", "sex"]).agg(rows=("bp_recorded", "size"), numerator=("bp_recorded", "sum")).reset_index()
    pd.testing.assert_frame_equal(a, b, check_dtype=False)


def test_ethnicity_code_list_is_joined_in_the_same_query(tmp_path):
    pd.DataFrame({"eth": ["A", "B", "", "Q", "A"], "n": [1, 1, 0, 1, 0]}).to_parquet(tmp_path / "r.parquet")
    cells = aggregate(tmp_path / "r.parquet", roles={"ethnicity": "eth", "numerator": "n"}, by=["ethnicity"],
                      sums=["numerator"], ethnicity_codes={"A": "White", "B": "Asian"}).cells
    assert dict(zip(cells["ethnicity"], cells["rows"])) == {"Asian": 1, "Code not in list": 1, "Not stated": 1, "White": 2}


def test_vintage_guard_refuses_other_boundaries(tmp_path):
    pd.DataFrame({"lsoa": ["E01033769", "E01033770"], "n": [1, 0]}).to_csv(tmp_path / "r.csv", index=False)
    with pytest.raises(DataError, match="look like 2021 LSOAs, but IMD 2019 uses 2011"):
        aggregate(tmp_path / "r.csv", roles={"lsoa": "lsoa", "numerator": "n"}, by=["imd_decile"],
                  sums=["numerator"], imd_vintage=2019)
    ok = aggregate(tmp_path / "r.csv", roles={"lsoa": "lsoa", "numerator": "n"}, by=["imd_decile"],
                   sums=["numerator"], imd_vintage=2019, allow_vintage_mismatch=True)
    assert ok.cells["imd_decile"].isna().all() and ok.cells["rows"].sum() == 2


def test_unmapped_role_is_named():
    with pytest.raises(DataError, match="no column for role 'denominator'"):
        aggregate(RECORDS, roles=ROLES, by=["period"], sums=["denominator"])


def test_stage_context_cells_and_exclusions(project, tmp_path):
    from tests.helpers import make_evaluation
    from toolkit.evaluations.context import open_stage

    df = pd.read_parquet(RECORDS).head(1000)
    df.loc[[3, 7], "bp_recorded"] = None
    folder = make_evaluation(project, "ctx", stages=[{"name": "baseline", "template": "baseline", "source": "r"}],
                             sources={"r": {"path": "r.parquet", "columns": ROLES}})
    df.to_parquet(folder / "r.parquet")
    ctx = open_stage(folder, "baseline")
    cells = ctx.cells(by=["imd_quintile"], sums=["numerator"], exclude_missing=["numerator"], imd=True)
    assert cells.cells["rows"].sum() == 998 and cells.n_excluded == 2
    assert cells.excluded["example_rows"].tolist() == ["5, 9"]
    excl = ctx.exclusions()
    assert excl[["column", "reason", "rows", "example_rows"]].values.tolist() == [
        ["bp_recorded", "a missing numerator", 2, "5, 9"]]
