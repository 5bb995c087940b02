"""Built-in deprivation data: official totals, known LSOAs, the vintage guard, the audit."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.data import imd
from toolkit.data.imd import (
    ATTRIBUTION,
    DOMAINS,
    attach_imd,
    detect_lsoa_vintage,
    load_icb_summary,
    load_imd,
)
from toolkit.errors import DataError, InputError

# The official CSVs sit beside the repository in CI (../shared/reference-data); set
# HITK_REFERENCE_DATA to point elsewhere (e.g. from a git worktree).
SHARED = Path(os.environ.get("HITK_REFERENCE_DATA")
              or Path(__file__).resolve().parents[2].parent / "shared" / "reference-data")

# Official totals: England has 32,844 LSOAs (2011) and 33,755 (2021); deciles split them in tenths.
OFFICIAL = {2019: 32_844, 2025: 33_755}


def _codes(vintage: int) -> set[str]:
    return set(load_imd(vintage)["lsoa_code"])


@pytest.fixture(scope="module")
def only_2011() -> list[str]:
    return sorted(_codes(2019) - _codes(2025))


@pytest.fixture(scope="module")
def only_2021() -> list[str]:
    return sorted(_codes(2025) - _codes(2019))


@pytest.fixture(scope="module")
def common() -> list[str]:
    return sorted(_codes(2019) & _codes(2025))


# --------------------------------------------------------------------------- loading

@pytest.mark.parametrize("vintage", [2019, 2025])
def test_decile_and_core20_counts_match_official_totals(vintage):
    d = load_imd(vintage)
    n = OFFICIAL[vintage]
    assert len(d) == n and d["lsoa_code"].is_unique
    counts = d["imd_decile"].value_counts().sort_index()
    assert list(counts.index) == list(range(1, 11))
    assert counts.min() == n // 10 and counts.max() == n // 10 + 1  # each decile holds a tenth
    assert d["core20"].sum() == counts.loc[[1, 2]].sum() == {2019: 6_568, 2025: 6_751}[vintage]
    assert (d["imd_quintile"] == np.ceil(d["imd_decile"] / 2)).all()
    assert (d["core20"] == (d["imd_decile"] <= 2)).all()
    # rank 1 = most deprived: deciles follow ranks
    assert d.groupby("imd_decile")["imd_rank"].max().is_monotonic_increasing
    assert d.attrs["imd_vintage"] == vintage and d.attrs["attribution"] == ATTRIBUTION


@pytest.mark.parametrize(
    "vintage, code, decile, rank",
    [
        (2019, "E01000001", 9, 29_199),  # City of London 001A, published IMD 2019
        (2019, "E01021988", 1, 1),       # Tendring 018A (Jaywick), most deprived in 2019
        (2025, "E01000001", 8, 26_525),
        (2025, "E01021988", 1, 1),       # Jaywick, most deprived again in 2025
    ],
)
def test_known_lsoa_decile_per_vintage(vintage, code, decile, rank):
    row = load_imd(vintage).set_index("lsoa_code").loc[code]
    assert (row["imd_decile"], row["imd_rank"]) == (decile, rank)


def test_scores_only_in_2025_and_domains_on_request():
    assert load_imd(2019)["imd_score"].isna().all()
    d25 = load_imd(2025, domains=True)
    assert d25["imd_score"].notna().all()
    assert d25.loc[d25["imd_rank"] == 1, "imd_score"].iloc[0] == d25["imd_score"].max()
    for key in DOMAINS:
        assert d25[f"{key}_decile"].between(1, 10).all()
    assert "income_decile" not in load_imd(2025).columns


@pytest.mark.parametrize("bad", [None, 2021, "2011", True, "latest"])
def test_no_default_and_no_unknown_vintage(bad):
    with pytest.raises(InputError, match="imd_vintage"):
        load_imd(bad)


def test_vintage_is_keyword_only_and_required():
    with pytest.raises(TypeError):
        attach_imd(pd.DataFrame({"lsoa": ["E01000001"]}), "lsoa")  # type: ignore[call-arg]


def test_icb_summary_and_attribution_shipped():
    icb = load_icb_summary()
    assert len(icb) == 42 and icb["icb24_code"].str.match(r"^E54\d{6}$").all()
    assert icb["icb24_name"].str.contains("Integrated Care Board").all()
    assert "Open Government Licence v3.0" in ATTRIBUTION
    text = (imd.REFERENCE_DIR / "ATTRIBUTION.txt").read_text()
    assert ATTRIBUTION.split(". Source")[0] in text.replace("\n", " ")


def _committed_digests() -> dict:
    import json

    from toolkit.data.reference import build

    return json.loads((imd.REFERENCE_DIR / build.DIGESTS).read_text(encoding="utf-8"))


@pytest.mark.parametrize("csv_name", ["imd2019_lsoa11.csv", "imd2025_lsoa21.csv", "imd2025_icb24.csv"])
def test_shipped_parquet_matches_the_committed_digest_of_the_official_file(csv_name):
    # Runs everywhere, also in a fresh clone without ../shared: the canonical CSV of each
    # shipped Parquet table must hash to the digest computed from the official MHCLG file
    # (toolkit/data/reference/official_digests.json, written by build.py from the CSVs;
    # the next test ties those digests to the official files wherever they are present).
    from toolkit.data.reference import build

    entry = _committed_digests()[csv_name]
    pq_name, code_col, n_rows = build.FILES[csv_name]
    shipped = pd.read_parquet(imd.REFERENCE_DIR / pq_name)
    assert entry["parquet"] == pq_name and entry["rows"] == n_rows == len(shipped)
    assert list(shipped.columns) == entry["columns"]
    assert build.canonical_sha256(shipped, code_col) == entry["canonical_sha256"]


def test_canonical_digest_sees_a_single_changed_value():
    # the check can fail: one decile moved by one in one LSOA changes the digest, and so
    # does a dropped row; narrowing storage types does not
    from toolkit.data.reference import build

    d = pd.read_parquet(imd.REFERENCE_DIR / "imd2025_icb24.parquet")
    base = build.canonical_sha256(d, "icb24_code")
    assert build.canonical_sha256(d.astype({c: "int64" for c in d.select_dtypes("integer")}), "icb24_code") == base
    assert build.canonical_sha256(d.sample(frac=1, random_state=1), "icb24_code") == base
    changed = d.copy()
    col = d.select_dtypes("integer").columns[0]
    changed.loc[5, col] = changed.loc[5, col] + 1
    assert build.canonical_sha256(changed, "icb24_code") != base
    assert build.canonical_sha256(d.iloc[1:], "icb24_code") != base
    floats = d.copy()
    fcol = d.select_dtypes("float").columns[0]
    floats.loc[0, fcol] = floats.loc[0, fcol] + 1e-9
    assert build.canonical_sha256(floats, "icb24_code") != base


@pytest.mark.skipif(not SHARED.exists(), reason="official CSVs not available here (the digest test above still runs)")
def test_parquet_holds_the_official_values(tmp_path):
    import hashlib

    from toolkit.data.reference import build

    build.build(SHARED, tmp_path)
    digests = _committed_digests()
    for csv_name, (pq_name, code_col, _) in build.FILES.items():
        shipped = pd.read_parquet(imd.REFERENCE_DIR / pq_name)
        pd.testing.assert_frame_equal(shipped, pd.read_parquet(tmp_path / pq_name))  # rebuildable
        official = pd.read_csv(SHARED / csv_name, dtype={code_col: str})
        pd.testing.assert_frame_equal(shipped, official, check_dtype=False)  # values unchanged
        # the committed digests are those of the official files
        assert hashlib.sha256((SHARED / csv_name).read_bytes()).hexdigest() == digests[csv_name]["source_file_sha256"]
        assert build.canonical_sha256(official, code_col) == digests[csv_name]["canonical_sha256"]
    assert (tmp_path / build.DIGESTS).read_text() == (imd.REFERENCE_DIR / build.DIGESTS).read_text()


# --------------------------------------------------------------------------- detection

def test_detect_categories_and_examples(only_2011, only_2021, common):
    codes = [common[0], only_2011[0], only_2021[0], "", None, "W01000001", "E0100001",
             "E01099999", f" {common[1].lower()} "]
    r = detect_lsoa_vintage(codes)
    assert r.counts == {"blank": 2, "invalid_format": 1, "non_english": 1, "both": 2,
                        "2011_only": 1, "2021_only": 1, "neither": 1}
    assert r.detected == "mixed" and r.english_rows == 5
    assert r.examples["2011_only"] == (only_2011[0],)
    assert r.example_rows["blank"] == (5, 6)  # spreadsheet rows: header is row 1
    assert r.examples["blank"] == ("<blank>",)
    table = r.table()
    assert table["rows"].sum() == len(codes)


def test_detect_vintage_from_codes_in_one_set_only(only_2011, only_2021, common):
    assert detect_lsoa_vintage(common[:50] + only_2011[:3]).detected == "2011"
    assert detect_lsoa_vintage(common[:50] + only_2021[:3]).detected == "2021"
    assert detect_lsoa_vintage(common[:50]).detected == "either"


# --------------------------------------------------------------------------- guard

def test_refuses_2011_data_joined_to_imd_2025(only_2011, common):
    data = pd.DataFrame({"area": common[:90] + only_2011[:10]})
    with pytest.raises(DataError) as err:
        attach_imd(data, "area", vintage=2025, file="gp_extract.csv")
    msg = str(err.value)
    assert "IMD 2025" in msg and "2011 LSOAs" in msg
    assert "column 'area'" in msg and "file gp_extract.csv" in msg
    assert "10 rows" in msg and "rows 92, 93" in msg and only_2011[0] in msg
    assert "imd_vintage: 2019" in msg and "allow_vintage_mismatch=True" in msg
    problem = err.value.problems[0]
    assert problem.count == 10 and problem.column == "area" and problem.rows[0] == 92


def test_refuses_2021_data_joined_to_imd_2019(only_2021, common):
    data = pd.DataFrame({"lsoa": only_2021[:5] + common[:95]})
    with pytest.raises(DataError, match="imd_vintage: 2025"):
        attach_imd(data, "lsoa", vintage=2019)


def test_opt_in_joins_and_reports_other_vintage_rows(only_2011, common):
    data = pd.DataFrame({"lsoa": common[:90] + only_2011[:10]})
    res = attach_imd(data, "lsoa", vintage=2025, allow_vintage_mismatch=True)
    audit = res.audit.set_index("category")
    assert audit.loc["other_vintage", "rows"] == 10 and audit.loc["matched", "rows"] == 90
    assert len(res.data) == 100 and res.data["imd_decile"].isna().sum() == 10
    assert (res.data["imd_match"].iloc[90:] == "other_vintage").all()
    assert res.mismatch_allowed
    assert "allow_vintage_mismatch" in res.describe()
    assert "10 from the other LSOA boundary set" in res.describe()


def test_stray_code_below_tolerance_is_reported_not_refused(only_2011, common):
    n = 1000
    data = pd.DataFrame({"lsoa": common[: n - 1] + [only_2011[0]]})
    assert 1 <= imd.MISMATCH_TOLERANCE * n
    res = attach_imd(data, "lsoa", vintage=2025)
    assert res.n_unmatched == 1
    assert res.audit.set_index("category").loc["other_vintage", "example_rows"] == str(n + 1)


# --------------------------------------------------------------------------- attaching

def test_attach_keeps_every_row_and_counts_unmatched():
    data = pd.DataFrame({
        "lsoa": ["E01021988", "", "W01000010", "E0102198", "E01099999", None, "e01000001 "],
        "value": range(7),
    }, index=[10, 11, 12, 13, 14, 15, 16])
    res = attach_imd(data, "lsoa", vintage=2025)
    out = res.data
    assert list(out.index) == list(data.index) and list(out["value"]) == list(range(7))
    assert out["imd_decile"].tolist()[0] == 1 and out["imd_decile"].tolist()[-1] == 8
    assert out["imd_decile"].isna().sum() == 5
    assert out["core20"].tolist()[0] is True and pd.isna(out["core20"].iloc[1])
    assert out["imd_quintile"].iloc[-1] == 4 and out["imd_rank"].iloc[0] == 1
    assert out["imd_score"].iloc[0] == pytest.approx(94.223)
    audit = res.audit.set_index("category")
    assert audit["rows"].to_dict() == {"matched": 2, "blank": 2, "invalid_format": 1,
                                       "non_english": 1, "other_vintage": 0, "unknown_code": 1}
    assert audit.loc["blank", "example_rows"] == "3, 7"
    assert audit.loc["non_english", "example_codes"] == "W01000010"
    assert res.n_matched == 2 and res.n_unmatched == 5
    assert res.attribution == ATTRIBUTION and res.vintage == 2025 and not res.mismatch_allowed
    assert res.describe() == (
        "2 of 7 rows (28.6%) were matched to an IMD 2025 decile; 5 were kept without one "
        "(2 blank, 1 not an LSOA code, 1 Welsh or Scottish, 1 unknown LSOA code).")
    assert "imd_decile" not in data.columns  # input untouched


def test_attach_2019_has_no_score_and_domains_on_request():
    data = pd.DataFrame({"lsoa": ["E01000001", "E01021988"]})
    res = attach_imd(data, "lsoa", vintage=2019, domains=["income", "health"])
    assert res.data["imd_score"].isna().all()
    assert res.data["imd_decile"].tolist() == [9, 1]
    assert {"imd_income_decile", "imd_health_decile"} <= set(res.data.columns)
    assert "imd_crime_decile" not in res.data.columns
    all_domains = attach_imd(data, "lsoa", vintage=2025, domains=True).data
    assert all(f"imd_{k}_decile" in all_domains.columns for k in DOMAINS)


def test_attach_input_errors():
    data = pd.DataFrame({"lsoa": ["E01000001"], "imd_decile": [3]})
    with pytest.raises(DataError, match="no LSOA code column 'lsoa_code'"):
        attach_imd(data, "lsoa_code", vintage=2025)
    with pytest.raises(DataError, match="already have column"):
        attach_imd(data, "lsoa", vintage=2025)
    with pytest.raises(InputError, match="not an IMD domain"):
        attach_imd(data[["lsoa"]], "lsoa", vintage=2025, domains=["wealth"])
    with pytest.raises(InputError, match="imd_vintage"):
        attach_imd(data[["lsoa"]], "lsoa", vintage=None)
