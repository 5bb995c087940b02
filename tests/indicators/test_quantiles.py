"""Deprivation quantiles against the docs/methods.md / PHEindicatormethods phe_quantile formula."""

import math

import numpy as np
import pandas as pd
import pytest

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators import deprivation_quantile


def _hand(scores, n_q):
    # Direct transcription of docs/methods.md: rank from most deprived (highest score = 1),
    # ties take the lowest rank; q = floor((N+1) - ceiling((n+1-rank)/(n/N))).
    n = len(scores)
    out = []
    for s in scores:
        rank = 1 + sum(t > s for t in scores)
        out.append(math.floor((n_q + 1) - math.ceil((n + 1 - rank) / (n / n_q))))
    return out


def test_equal_sized_deciles_most_deprived_first():
    df = pd.DataFrame({"imd": np.arange(100, 0, -1) / 2})  # highest score first
    q = deprivation_quantile(df, "imd")["quantile"]
    assert q.tolist() == [d for d in range(1, 11) for _ in range(10)]


@pytest.mark.parametrize("n_areas,n_q", [(23, 5), (37, 10), (11, 10), (10, 10)])
def test_matches_hand_formula_with_ties(n_areas, n_q):
    rng = np.random.default_rng(n_areas)
    scores = rng.integers(0, 15, n_areas).astype(float).tolist()  # many ties
    q = deprivation_quantile(pd.DataFrame({"s": scores}), "s", n=n_q)["quantile"].tolist()
    assert q == _hand(scores, n_q)
    assert min(q) >= 1 and max(q) <= n_q


def test_by_group_ranks_separately_and_small_groups_get_none():
    df = pd.DataFrame({"icb": ["a"] * 20 + ["b"] * 3, "s": list(range(20)) + [5, 6, 7]})
    with pytest.warns(ToolkitWarning, match="fewer than 10"):
        out = deprivation_quantile(df, "s", by="icb")
    assert out.loc[out.icb == "a", "quantile"].tolist() == _hand(list(range(20)), 10)
    assert out.loc[out.icb == "b", "quantile"].isna().all()
    assert len(out) == len(df)


def test_missing_scores_counted_not_dropped():
    df = pd.DataFrame({"s": [1.0, np.nan] + list(range(2, 12))})
    with pytest.warns(ToolkitWarning, match="1 row"):
        out = deprivation_quantile(df, "s", n=5)
    assert len(out) == 12 and pd.isna(out.loc[1, "quantile"])


def test_rank_input_with_low_is_more_deprived():
    df = pd.DataFrame({"imd_rank": range(1, 33845, 100)})
    out = deprivation_quantile(df, "imd_rank", n=5, higher_is_more_deprived=False)
    assert out["quantile"].iloc[0] == 1 and out["quantile"].iloc[-1] == 5


def test_bad_n():
    with pytest.raises(DataError, match="quantiles"):
        deprivation_quantile(pd.DataFrame({"s": [1, 2]}), "s", n=1)
