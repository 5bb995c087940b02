"""Deprivation routes: given deciles, LSOA join, IMD score against national cut-offs."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from toolkit.baseline import attach_deprivation
from toolkit.baseline.deprivation import decile_from_score, national_score_cutoffs
from toolkit.data.imd import attach_imd, load_imd
from toolkit.errors import DataError


def test_scores_reproduce_the_official_deciles():
    """Every LSOA's IMD 2025 score, placed against the cut-offs, gives its published decile.

    The exceptions are scores that, rounded to 3 decimals as published, sit in two deciles at once
    (4 of 33,755 LSOAs: 26.605, 11.135 twice, 8.379); they take the more deprived decile.
    """
    imd = load_imd(2025)
    got = decile_from_score(imd["imd_score"].to_numpy(), national_score_cutoffs(2025))
    span = imd.groupby("imd_score")["imd_decile"].nunique()
    tied = imd["imd_score"].map(span).to_numpy() > 1
    assert tied.sum() == 9  # LSOAs sharing a tied boundary score, on either side of it
    assert (got[~tied] == imd["imd_decile"].to_numpy()[~tied]).all()
    assert (got[tied] <= imd["imd_decile"].to_numpy()[tied]).all() and (got != imd["imd_decile"].to_numpy()).sum() == 4


def test_score_route_and_missing_scores():
    data = pd.DataFrame({"imd_score": [80.0, None, 1.0], "numerator": [1, 0, 1]})
    dep = attach_deprivation(data, vintage=2025)
    assert dep.route == "imd_score"
    assert dep.data["imd_decile"].iloc[0] == 1 and dep.data["imd_decile"].iloc[2] == 10
    assert np.isnan(dep.data["imd_decile"].iloc[1]) and dep.n_unmatched == 1


def test_score_route_needs_scores_in_the_vintage():
    with pytest.raises(DataError, match="no scores"):
        attach_deprivation(pd.DataFrame({"imd_score": [10.0], "numerator": [1]}), vintage=2019)


def test_lsoa_route_uses_the_stage_lookup():
    data = pd.DataFrame({"lsoa": ["E01006744", "W01000001", ""], "numerator": [1, 0, 1]})
    dep = attach_deprivation(data, attach_imd=lambda d, c: attach_imd(d, c, vintage=2025))
    assert dep.route == "lsoa" and dep.n_unmatched == 2
    assert dep.data["imd_decile"].iloc[0] == load_imd(2025).set_index("lsoa_code").loc["E01006744", "imd_decile"]
    assert dep.audit.loc[dep.audit["category"] == "matched", "share"].iloc[0] == pytest.approx(100 / 3)
    assert "1 of 3 rows" in dep.sentence


def test_given_deciles_preferred_and_text_refused():
    data = pd.DataFrame({"imd_decile": [1, None, 4], "lsoa": ["x", "y", "z"], "numerator": [1, 0, 1]})
    dep = attach_deprivation(data)
    assert dep.route == "imd_decile" and dep.n_unmatched == 1
    data["imd_decile"] = ["1", "two", "4"]
    with pytest.raises(DataError) as e:
        attach_deprivation(data, file="f.csv")
    p = e.value.problems[0]
    assert p.column == "imd_decile" and p.rows == (3,) and p.file == "f.csv"


def test_no_deprivation_column_is_an_error():
    with pytest.raises(DataError) as e:
        attach_deprivation(pd.DataFrame({"numerator": [1]}), file="f.csv")
    assert "lsoa" in e.value.problems[0].fix


def test_area_lookup_route():
    from toolkit.baseline.deprivation import join_lookup

    lookup = pd.DataFrame({"area": ["P1", "p2 ", "P3", "P3"], "imd_decile": [1, 4, 9, 9]})
    lookup.attrs["file"] = "lookup.csv"
    data = pd.DataFrame({"area": ["P1", " P2", "P9", None, "P3"], "numerator": [1, 0, 1, 1, 0]})
    dep = attach_deprivation(data, lookup=lookup)
    assert dep.route == "area"
    assert dep.data["imd_decile"].tolist()[:2] == [1, 4] and dep.data["imd_decile"].iloc[4] == 9
    assert dep.n_unmatched == 2
    audit = dep.audit.set_index("category")["rows"]
    assert (audit["matched"], audit["blank"], audit["not_in_lookup"]) == (3, 1, 1)
    assert "P9" in dep.sentence and "lookup.csv" in dep.sentence
    clash = pd.DataFrame({"area": ["P1", "P1"], "imd_decile": [1, 2]})
    with pytest.raises(DataError) as e:
        join_lookup(data, clash)
    assert e.value.problems[0].column == "area" and e.value.problems[0].rows == (2, 3)
    with pytest.raises(DataError) as e:
        join_lookup(data, pd.DataFrame({"area": ["P1"], "imd_decile": [12]}))
    assert e.value.problems[0].column == "imd_decile"
    with pytest.raises(DataError, match="no area column"):
        attach_deprivation(data.rename(columns={"area": "x"}), lookup=lookup)
