"""Data contracts: the shipped sample data keep every template's contract; violations are found in DuckDB."""

from __future__ import annotations

import pandas as pd
import pytest

from tests.conftest import REPO
from toolkit.data.checking import check_contract
from toolkit.data.contracts import REGISTRY, Contract, RoleSpec, contract_for
from toolkit.data.sources import resolve_files
from toolkit.errors import TemplateError
from toolkit.evaluations.schema import Source

SAMPLES = REPO / "data_samples"

# the mappings the scaffolds and example evaluations use (and every optional role the sample holds)
SHIPPED = [
    ("baseline", "baseline_records.parquet",
     {"person_id": "person_id", "lsoa": "lsoa21_code", "period": "month", "age_band": "age_band", "sex": "sex",
      "ethnicity": "ethnicity", "numerator": "bp_recorded", "practice": "practice_code"}),
    ("baseline", "baseline_aggregated.csv",
     {"lsoa": "lsoa21_code", "period": "month", "age_band": "age_band", "sex": "sex", "numerator": "numerator",
      "denominator": "denominator"}),
    ("baseline", "icb_lsoas.csv",
     {"lsoa": "lsoa21_code", "imd_decile": "imd_decile", "imd_score": "imd_score", "numerator": "population",
      "denominator": "population", "practice": "practice_code"}),
    ("did", "did_practice_panel.csv",
     {"unit": "practice_code", "time": "month", "outcome": "outcome", "treatment": "treated",
      "first_treated": "first_treated", "quintile": "imd_quintile", "weight": "list_size", "cluster": "pcn_code"}),
    ("its", "its_emergency_admissions.csv",
     {"time": "month", "outcome": "admissions", "denominator": "population",
      "comparison_outcome": "comparison_admissions", "comparison_denominator": "comparison_population"}),
    ("its", "its_emergency_admissions.csv", {"time": "time", "outcome": "admissions"}),
    ("synth", "synth_areas.csv", {"unit": "area_code", "time": "period", "outcome": "rate_per_1000",
                                  "unit_name": "area_name"}),
    ("synth", "synth_areas.csv", {"unit": "area_code", "time": "quarter", "outcome": "admissions"}),
    ("rd", "rd_neighbourhoods.csv", {"running": "imd_rank", "outcome": "outcome_pct", "unit": "lsoa21_code"}),
    ("rd", "rd_neighbourhoods.csv", {"running": "distance_to_threshold", "outcome": "bp_checked"}),
]


def _check(template_or_contract, path, mapping, **kw):
    contract = REGISTRY[template_or_contract] if isinstance(template_or_contract, str) else template_or_contract
    files = resolve_files("s", Source(path=str(path), columns=mapping), path.parent)
    return check_contract(files, mapping, contract, folder=path.parent, **kw)


@pytest.mark.parametrize("template, name, mapping", SHIPPED, ids=[f"{t}-{n}" for t, n, _ in SHIPPED])
def test_shipped_samples_keep_the_contract(template, name, mapping):
    report = _check(template, SAMPLES / name, mapping, imd_vintage=2025)
    assert report.problems == (), [str(p) for p in report.problems]
    assert report.n_rows > 0 and report.exclusions == ()


def test_every_template_with_data_has_a_contract_for_its_roles():
    import nbformat

    for path in sorted((REPO / "templates").glob("*.ipynb")):
        meta = nbformat.read(path, as_version=4).metadata.get("hitk", {})
        roles = meta.get("roles", {})
        if not roles.get("required"):
            continue
        contract = contract_for(path.stem, meta)
        assert contract is not None, path.stem
        declared = set(roles.get("required", [])) | set(roles.get("optional", []))
        assert set(roles["required"]) <= set(contract.roles), path.stem
        assert declared, path.stem


def test_metadata_contract_overrides_registry_and_is_validated():
    c = contract_for("baseline", {"contract": {"roles": {"n": {"kind": "count"}}}})
    assert set(c.roles) == {"n"}
    assert contract_for("baseline", {}) is REGISTRY["baseline"]
    assert contract_for("no-such-template", {}) is None
    with pytest.raises(TemplateError, match="invalid data contract"):
        contract_for("x", {"contract": {"roles": {"n": {"kind": "counts"}}}})
    with pytest.raises(TemplateError, match="unknown key"):
        contract_for("x", {"contract": {"rolez": {}}})


def test_record_level_numerator_must_be_0_or_1(tmp_path):
    pd.DataFrame({"id": [1, 2, 3], "n": [0, 1, 2]}).to_csv(tmp_path / "r.csv", index=False)
    report = _check("baseline", tmp_path / "r.csv", {"person_id": "id", "numerator": "n"})
    assert [str(p) for p in report.problems] == [
        "file r.csv, column 'n': in person-level records the numerator must be 0 or 1 (each row is one person) "
        "(e.g. '2') (1 row, e.g. row 4). Fix: map a 0/1 column, or map `denominator:` if the rows hold counts"]


def test_violations_in_a_large_parquet_are_counted_without_loading_it(tmp_path):
    n = 2_000_000
    df = pd.DataFrame({"unit": pd.RangeIndex(n) % 1000, "t": pd.RangeIndex(n) // 1000, "y": 1.0})
    df.loc[[10, 1_500_000], "y"] = float("inf")
    df.to_parquet(tmp_path / "big.parquet")
    report = _check("did", tmp_path / "big.parquet", {"unit": "unit", "time": "t", "outcome": "y"})
    (problem,) = report.problems
    assert problem.count == 2 and problem.rows == (12, 1_500_002) and report.n_rows == n


def test_role_spec_rejects_unknown_kind():
    with pytest.raises(ValueError, match="unknown kind"):
        RoleSpec("counts")
    assert Contract("t").roles == {}


def test_repeated_keys_are_found_when_only_whitespace_or_the_file_differs(tmp_path):
    """The uniqueness check's hash shortcut must never hide a repeat: keys equal once trimmed, or across files."""
    pd.DataFrame({"unit": ["A", "B", "C"], "t": ["2024-01", " 2024-01", "2024-02"], "y": [1.0, 2.0, 3.0]}).assign(
        unit=["A", "A", "C"]).to_parquet(tmp_path / "a.parquet")
    report = _check("did", tmp_path / "a.parquet", {"unit": "unit", "time": "t", "outcome": "y"})
    (problem,) = [p for p in report.problems if "appears on more than one row" in p.message]
    assert problem.count == 2 and problem.rows == (2, 3)
    folder = tmp_path / "parts"
    folder.mkdir()
    pd.DataFrame({"unit": [1, 2], "t": [1, 2], "y": 1.0}).to_parquet(folder / "p1.parquet")
    pd.DataFrame({"unit": [3, 2], "t": [1, 2], "y": 1.0}).to_parquet(folder / "p2.parquet")
    files = resolve_files("s", Source(path=str(folder), columns={}), tmp_path)
    report = check_contract(files, {"unit": "unit", "time": "t", "outcome": "y"}, REGISTRY["did"], folder=tmp_path)
    (problem,) = report.problems
    assert "(across files of this source)" in problem.message and problem.count == 2
