"""Aggregation to analysis cells: totals, exclusions counted, labels normalised, bad input named."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.baseline import aggregate
from toolkit.errors import DataError


def test_record_totals_and_labels(records):
    agg = aggregate(records, file="x.parquet")
    cells = agg.cells
    assert agg.record_level and agg.has_period and agg.dimensions == ("ethnicity", "age_band", "sex")
    assert cells["denominator"].sum() == 12 and cells["numerator"].sum() == 8 and cells["rows"].sum() == 12
    assert set(cells["age_band"].astype(str)) == {"40-44", "45-49", "90+", "Not known"}
    assert list(cells["age_band"].cat.categories) == ["40-44", "45-49", "90+", "Not known"]
    assert set(cells["sex"]) == {"Female", "Male", "Not known"}
    # "Not stated", "" and "unknown" are all not stated: rows 2, 5, 8, 11
    assert cells.loc[cells["ethnicity"] == "Not stated", "denominator"].sum() == 4
    # unmatched deciles are kept in cells with a missing decile
    assert cells.loc[cells["imd_decile"].isna(), "denominator"].sum() == 2
    assert cells["core20"].sum() == 4
    assert agg.n_excluded == 0 and "no row had to be left out" in agg.describe()


def test_missing_counts_are_excluded_and_counted(counts):
    counts = counts.astype({"numerator": "float", "denominator": "float"})
    counts.loc[1, "numerator"] = np.nan
    counts.loc[3, ["numerator", "denominator"]] = np.nan   # counted once, as a missing numerator
    counts.loc[5, "denominator"] = np.nan
    counts.loc[6, "period"] = None
    agg = aggregate(counts)
    ex = agg.excluded.set_index("reason")
    assert ex.loc["a missing numerator", "rows"] == 2 and ex.loc["a missing numerator", "example_rows"] == "3, 5"
    assert ex.loc["a missing denominator", "rows"] == 1 and ex.loc["a missing period", "rows"] == 1
    assert agg.n_excluded == 4 and agg.n_used == 4
    assert agg.cells["denominator"].sum() == 100 + 50 + 100 + 10
    assert "4 rows could not be counted" in agg.describe()


def test_sample_records_and_aggregated_file_give_the_same_cells():
    """The data dictionary's sums (numerator 96,822, denominator 167,623) and record = aggregated."""
    rec = pd.read_parquet(REPO / "data_samples" / "baseline_records.parquet")
    agg_csv = pd.read_csv(REPO / "data_samples" / "baseline_aggregated.csv", dtype={"lsoa21_code": str},
                          keep_default_na=False)
    # a stand-in decile (the join is tested elsewhere): the last digit of the code, 0 -> 10, blank -> missing
    def decile(codes):
        last = codes.str[-1:]
        return pd.to_numeric(last, errors="coerce").replace(0, 10)

    a = aggregate(pd.DataFrame({"lsoa": rec["lsoa21_code"], "imd_decile": decile(rec["lsoa21_code"]),
                                "period": rec["month"], "age_band": rec["age_band"], "sex": rec["sex"],
                                "numerator": rec["bp_recorded"], "person_id": rec["person_id"]}))
    b = aggregate(pd.DataFrame({"lsoa": agg_csv["lsoa21_code"], "imd_decile": decile(agg_csv["lsoa21_code"]),
                                "period": agg_csv["month"], "age_band": agg_csv["age_band"], "sex": agg_csv["sex"],
                                "numerator": agg_csv["numerator"], "denominator": agg_csv["denominator"]}))
    assert a.cells["numerator"].sum() == 96_822 and a.cells["denominator"].sum() == 167_623
    assert b.cells["numerator"].sum() == 96_822 and b.cells["denominator"].sum() == 167_623
    keys = ["period", "imd_decile", "age_band", "sex"]
    left = a.cells.assign(age_band=a.cells["age_band"].astype(str)).set_index(keys)[["numerator", "denominator"]]
    right = b.cells.assign(age_band=b.cells["age_band"].astype(str)).set_index(keys)[["numerator", "denominator"]]
    pd.testing.assert_frame_equal(left.sort_index(), right.sort_index())
    assert a.n_rows == 167_623 and b.n_rows == 140_334 and not a.excluded.size and not b.excluded.size


# ------------------------------------------------------------------ bad input
def _problem(exc_info):
    err = exc_info.value
    assert err.problems, "a DataError must carry a Problem"
    p = err.problems[0]
    assert p.file == "extract.csv" and p.fix
    return p


@pytest.mark.parametrize("drop", ["numerator", "imd_decile"])
def test_missing_columns(counts, drop):
    with pytest.raises(DataError) as e:
        aggregate(counts.drop(columns=drop), file="extract.csv")
    p = _problem(e)
    assert p.column == drop and "map" in p.fix


def test_text_counts(counts):
    counts = counts.astype({"numerator": object})
    counts.loc[[2, 4], "numerator"] = "<5"
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv")
    p = _problem(e)
    assert p.column == "numerator" and p.rows == (4, 6) and p.count == 2 and "'<5'" in p.message


def test_negative_counts(counts):
    counts.loc[3, "numerator"] = -1
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv")
    p = _problem(e)
    assert p.column == "numerator" and p.rows == (5,) and p.count == 1 and "negative" in p.message


def test_numerator_above_denominator(counts):
    counts.loc[0, "numerator"] = 101
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv")
    p = _problem(e)
    assert p.column == "numerator" and p.rows == (2,) and "larger than the denominator" in p.message


def test_record_numerator_must_be_0_or_1(records):
    records.loc[4, "numerator"] = 2
    with pytest.raises(DataError) as e:
        aggregate(records, file="extract.csv")
    p = _problem(e)
    assert p.rows == (6,) and "0 or 1" in p.message and "denominator" in p.fix


@pytest.mark.parametrize("value", [0, -10])
def test_zero_or_negative_populations(counts, value):
    counts.loc[[1, 6], "denominator"] = value
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv")
    p = _problem(e)
    assert p.column == "denominator" and p.rows == (3, 8) and p.count == 2 and "above 0" in p.message


@pytest.mark.parametrize("value", [0, 11, 2.5])
def test_decile_outside_1_to_10(counts, value):
    counts["imd_decile"] = counts["imd_decile"].astype(float)
    counts.loc[2, "imd_decile"] = value
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv")
    p = _problem(e)
    assert p.column == "imd_decile" and p.rows == (4,) and "1 to 10" in p.message


def test_unknown_age_band_labels(records):
    records.loc[[3, 7], "age_band"] = "adults"
    records.loc[5, "age_band"] = "50-40"
    with pytest.raises(DataError) as e:
        aggregate(records, file="extract.csv")
    p = _problem(e)
    assert p.column == "age_band" and p.rows == (5, 7, 9) and p.count == 3 and "'adults'" in p.message


def test_duplicated_area_periods(counts):
    counts = pd.concat([counts, counts.iloc[[2]]], ignore_index=True)
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv")
    p = _problem(e)
    assert p.column == "lsoa" and p.rows == (4, 10) and p.count == 2 and "more than one row" in p.message


def test_duplicated_person_periods(records):
    records.loc[1, "person_id"] = 1
    with pytest.raises(DataError) as e:
        aggregate(records, file="extract.csv")
    p = _problem(e)
    assert p.column == "person_id" and p.rows == (2, 3)


def test_same_person_in_different_periods_is_fine(records):
    records.loc[7, "person_id"] = 1   # 2024-02, person 1 was in 2024-01
    assert aggregate(records).cells["denominator"].sum() == 12


def test_error_message_reads_well(counts):
    counts.loc[3, "numerator"] = -1
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv")
    text = str(e.value)
    assert "file extract.csv" in text and "column 'numerator'" in text and "row 5" in text and "Fix:" in text


def test_messages_name_the_analysts_own_columns(counts):
    counts.loc[3, "numerator"] = -1
    with pytest.raises(DataError) as e:
        aggregate(counts, file="extract.csv", columns={"numerator": "bp_checked", "denominator": "adults"})
    p = e.value.problems[0]
    assert p.column == "bp_checked" and "(role 'numerator')" in p.message and p.rows == (5,)


@pytest.mark.parametrize("periods,order", [
    ([1, 2, 10, 9], [1, 2, 9, 10]),
    (["1", "2", "10", "9"], [1, 2, 9, 10]),
    (["01/04/2024", "15/03/2024", "01/12/2023", "01/04/2024"], ["2023-12-01", "2024-03-15", "2024-04-01"]),
    (["2024Q2", "2023Q4", "2024Q1", "2024Q2"], ["2023Q4", "2024Q1", "2024Q2"]),
])
def test_periods_sort_in_time_order(counts, periods, order):
    from toolkit.baseline import trend

    data = counts.iloc[:4].assign(period=periods, imd_decile=[1, 2, 3, 4])
    t = trend(aggregate(data).cells)
    assert [p for p in t["period"]] == order


def test_period_numbers_label_as_whole_numbers(counts):
    from toolkit.baseline import completeness_by_period

    data = counts.assign(period=[1, 2, 10, 9, 1, 2, 10, 9])
    t = completeness_by_period(aggregate(data).cells)
    assert list(t["period"]) == ["1", "2", "9", "10", "All periods"]
