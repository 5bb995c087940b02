"""DSR (Dobson) and ISR against hand calculations from the docs/methods.md formulas and simulation."""

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from toolkit.errors import DataError, ToolkitWarning
from toolkit.indicators import ESP2013, crude_rate, dsr, isr, normalise_age_band

BANDS = list(ESP2013)
W = np.array(list(ESP2013.values()), dtype=float)


def _area(seed, scale=1.0):
    rng = np.random.default_rng(seed)
    pop = rng.integers(2_000, 9_000, size=19).astype(float)
    rate = 0.0004 * np.exp(0.085 * np.arange(0, 95, 5)[:19])
    deaths = rng.poisson(rate * pop * scale).astype(float)
    return pd.DataFrame({"age": BANDS, "deaths": deaths, "pop": pop})


def _byar(o, z):
    lo = o * (1 - 1 / (9 * o) - z / (3 * np.sqrt(o))) ** 3
    hi = (o + 1) * (1 - 1 / (9 * (o + 1)) + z / (3 * np.sqrt(o + 1))) ** 3
    return lo, hi


def _hand_dsr(d, p, w, z):
    # Dobson et al. (1991) as written in docs/methods.md, computed with plain Python loops.
    sw = sum(w)
    val = sum(di * wi / pi for di, pi, wi in zip(d, p, w)) / sw
    var = sum(di * wi**2 / pi**2 for di, pi, wi in zip(d, p, w)) / sw**2
    o = sum(d)
    lo, hi = _byar(o, z)
    return val * 1e5, (val + np.sqrt(var / o) * (lo - o)) * 1e5, (val + np.sqrt(var / o) * (hi - o)) * 1e5


def test_esp2013_weights_sum_to_100000():
    # Eurostat (2013) revised European Standard Population: 19 bands summing to 100,000.
    assert len(ESP2013) == 19 and sum(ESP2013.values()) == 100_000
    assert ESP2013["0-4"] == 5000 and ESP2013["90+"] == 1000 and ESP2013["45-49"] == 7000


def test_dsr_matches_hand_calculation_two_levels():
    df = pd.concat([_area(1).assign(area="A"), _area(2).assign(area="B")])
    res = dsr(df, "deaths", "pop", "age", by="area", confidence=(0.95, 0.998)).set_index("area")
    for area, seed in (("A", 1), ("B", 2)):
        a = _area(seed)
        for lv, suf in ((0.95, "95"), (0.998, "99_8")):
            val, lo, hi = _hand_dsr(a.deaths, a["pop"], W, stats.norm.ppf(0.5 + lv / 2))
            assert res.loc[area, "value"] == pytest.approx(val, rel=1e-12)
            assert res.loc[area, f"lower_ci_{suf}"] == pytest.approx(lo, rel=1e-12)
            assert res.loc[area, f"upper_ci_{suf}"] == pytest.approx(hi, rel=1e-12)
        assert res.loc[area, "total_count"] == a.deaths.sum()


def test_single_band_dsr_reduces_to_crude_rate_with_byar():
    # With one band the Dobson interval is exactly Byar's interval on the crude rate.
    df = pd.DataFrame({"age": ["40-44"], "d": [57], "n": [12_345]})
    with pytest.warns(ToolkitWarning):
        a = dsr(df, "d", "n", "age")
    b = crude_rate(df, "d", "n")
    for col in ("value", "lower_ci", "upper_ci"):
        assert a.loc[0, col] == pytest.approx(b.loc[0, col], rel=1e-12)


def test_constant_rates_give_that_rate():
    pop = np.linspace(1000, 5000, 19)
    df = pd.DataFrame({"age": BANDS, "d": pop * 0.002, "n": pop})
    assert dsr(df, "d", "n", "age").loc[0, "value"] == pytest.approx(200.0, rel=1e-12)


def test_join_is_by_label_not_position_and_spellings_normalise():
    a = _area(3)
    shuffled = a.sample(frac=1, random_state=4).copy()
    spell = {"0-4": "00-04", "5-9": "05–09", "90+": "90 and over", "10-14": "10 to 14"}
    shuffled["age"] = shuffled["age"].map(lambda s: spell.get(s, s))
    r1 = dsr(a, "deaths", "pop", "age")
    r2 = dsr(shuffled, "deaths", "pop", "age")
    pd.testing.assert_frame_equal(r1, r2)


@pytest.mark.parametrize("raw,canon", [("0-4", "0-4"), ("0–4", "0-4"), ("00-04", "0-4"), ("90+", "90+"),
                                      ("90 and over", "90+"), ("Aged 85-89 years", "85-89"), ("<1", "0"),
                                      (5, "5"), ("90 +", "90+"), ("10 – 14", "10-14")])
def test_normaliser(raw, canon):
    assert normalise_age_band(raw) == canon


def test_missing_counts_are_zero_and_fewer_than_ten_events_withheld():
    df = pd.DataFrame({"age": BANDS, "d": [np.nan] * 17 + [4, 5], "n": [1000.0] * 19})
    res = dsr(df, "d", "n", "age")
    assert res.loc[0, "total_count"] == 9
    assert np.isnan(res.loc[0, "value"]) and np.isnan(res.loc[0, "lower_ci"]) and np.isnan(res.loc[0, "upper_ci"])
    assert "fewer than 10" in res.loc[0, "note"]
    df.loc[0, "d"] = 1  # 10 events: now calculated
    res = dsr(df, "d", "n", "age")
    # hand value: (1·5000 + 4·1500 + 5·1000)/1000 / 100,000 × 100,000 = 16
    assert res.loc[0, "note"] is None and res.loc[0, "value"] == pytest.approx(16.0, abs=1e-9)


def test_zero_events_withheld():
    df = pd.DataFrame({"age": BANDS, "d": 0, "n": 500})
    res = dsr(df, "d", "n", "age")
    assert np.isnan(res.loc[0, "value"]) and "fewer than 10" in res.loc[0, "note"]


def test_missing_band_warns_and_uses_weights_present():
    a = _area(5).iloc[1:]  # no 0-4 row
    with pytest.warns(ToolkitWarning, match="lack some"):
        res = dsr(a, "deaths", "pop", "age")
    val, lo, hi = _hand_dsr(a.deaths, a["pop"], W[1:], stats.norm.ppf(0.975))
    assert res.loc[0, "value"] == pytest.approx(val, rel=1e-12)


def test_non_independent_events_variance():
    # People by number of events (frequency 1, 2, 3) per band; hand calculation of
    # docs/methods.md: DSR from all events, var = sum_f f^2 var_f, O = sum_f f x_f.
    rng = np.random.default_rng(7)
    pop = rng.integers(3000, 8000, 19).astype(float)
    rows = []
    for f in (1, 2, 3):
        x = rng.poisson(20 / f, 19).astype(float)
        rows.append(pd.DataFrame({"age": BANDS, "freq": f, "people": x, "pop": pop}))
    df = pd.concat(rows, ignore_index=True)
    res = dsr(df, "people", "pop", "age", frequency="freq")
    sw = W.sum()
    events = sum(f * df.loc[df.freq == f, "people"].to_numpy() for f in (1, 2, 3))
    val = (events * W / pop).sum() / sw
    var = sum(f**2 * (df.loc[df.freq == f, "people"].to_numpy() * W**2 / pop**2).sum() / sw**2 for f in (1, 2, 3))
    o = events.sum()
    lo, hi = _byar(o, stats.norm.ppf(0.975))
    assert res.loc[0, "value"] == pytest.approx(val * 1e5, rel=1e-12)
    assert res.loc[0, "lower_ci"] == pytest.approx((val + np.sqrt(var / o) * (lo - o)) * 1e5, rel=1e-12)
    assert res.loc[0, "upper_ci"] == pytest.approx((val + np.sqrt(var / o) * (hi - o)) * 1e5, rel=1e-12)
    assert res.loc[0, "total_count"] == o
    # all frequencies 1 -> identical to the independent-events DSR
    single = df[df.freq == 1]
    pd.testing.assert_frame_equal(dsr(single, "people", "pop", "age", frequency="freq"),
                                  dsr(single, "people", "pop", "age"))


def test_dsr_coverage_by_simulation():
    # Simulation with a known true DSR: Dobson 95% limits cover close to 95%.
    rng = np.random.default_rng(11)
    pop = np.full(19, 4000.0)
    rate = 0.0003 * np.exp(0.08 * np.arange(19) * 5 / 5)
    true = (rate * W).sum() / W.sum() * 1e5
    sims = rng.poisson(rate * pop, size=(600, 19))
    df = pd.DataFrame({"sim": np.repeat(np.arange(600), 19), "age": BANDS * 600,
                       "d": sims.ravel(), "n": np.tile(pop, 600)})
    res = dsr(df, "d", "n", "age", by="sim")
    cover = ((res.lower_ci <= true) & (res.upper_ci >= true)).mean()
    assert 0.92 <= cover <= 0.98


def test_isr_hand_calculation_and_rate():
    ref = pd.DataFrame({"age": BANDS, "d": np.linspace(5, 400, 19), "n": np.linspace(50_000, 20_000, 19)})
    loc = _area(8)
    kw = dict(reference=ref, ref_numerator="d", ref_denominator="n")
    res = isr(loc, "deaths", "pop", "age", confidence=(0.95, 0.998), **kw)
    e = (ref.d / ref.n * loc["pop"]).sum()
    o = loc.deaths.sum()
    assert res.loc[0, "expected"] == pytest.approx(e, rel=1e-12)
    assert res.loc[0, "value"] == pytest.approx(o / e, rel=1e-12)
    lo, hi = _byar(o, stats.norm.ppf(0.999))
    assert res.loc[0, "lower_ci_99_8"] == pytest.approx(lo / e, rel=1e-12)
    assert res.loc[0, "upper_ci_99_8"] == pytest.approx(hi / e, rel=1e-12)
    rate = isr(loc, "deaths", "pop", "age", statistic="rate", **kw)
    assert rate.loc[0, "value"] == pytest.approx(o / e * ref.d.sum() / ref.n.sum() * 1e5, rel=1e-12)


def test_isr_small_counts_exact_and_observed_totals():
    ref = pd.DataFrame({"age": BANDS, "d": 100.0, "n": 1e6})
    loc = pd.DataFrame({"area": ["A"] * 19 + ["B"] * 19, "age": BANDS * 2, "pop": 1000.0})
    totals = pd.DataFrame({"area": ["A", "B"], "obs": [3, 40]})
    res = isr(loc, "obs", "pop", "age", reference=ref, ref_numerator="d", ref_denominator="n",
              observed_totals=totals, by="area", multiplier=100).set_index("area")
    e = 19 * 1000 * 1e-4
    assert res.loc["A", "value"] == pytest.approx(3 / e * 100, rel=1e-12)
    assert res.loc["A", "lower_ci"] == pytest.approx(stats.chi2.ppf(0.025, 6) / 2 / e * 100, rel=1e-10)
    assert res.loc["A", "upper_ci"] == pytest.approx(stats.chi2.ppf(0.975, 8) / 2 / e * 100, rel=1e-10)
    # same answer from per-band observed counts summing to the totals
    loc2 = loc.assign(obs=0.0)
    loc2.loc[loc2.area.eq("A").idxmax(), "obs"] = 3
    loc2.loc[loc2.area.eq("B").idxmax(), "obs"] = 40
    res2 = isr(loc2, "obs", "pop", "age", reference=ref, ref_numerator="d", ref_denominator="n",
               by="area", multiplier=100).set_index("area")
    pd.testing.assert_frame_equal(res, res2)


def test_isr_unknown_band_in_data():
    ref = pd.DataFrame({"age": BANDS[:-1], "d": 1.0, "n": 100.0})
    with pytest.raises(DataError, match="90"):
        isr(_area(1), "deaths", "pop", "age", reference=ref, ref_numerator="d", ref_denominator="n")


def test_non_independent_frequency_missing_rows_uses_its_own_weights():
    # PHEindicatormethods R/DSR.R computes each frequency's variance with the standard weights
    # of that frequency's rows; here frequency 3 has rows for the 10 oldest bands only.
    pop = np.full(19, 5000.0)
    f1 = pd.DataFrame({"age": BANDS, "freq": 1, "people": 30.0, "pop": pop})
    f3 = pd.DataFrame({"age": BANDS[9:], "freq": 3, "people": 4.0, "pop": pop[9:]})
    res = dsr(pd.concat([f1, f3]), "people", "pop", "age", frequency="freq")
    var1 = (30.0 * W**2 / pop**2).sum() / W.sum() ** 2
    var3 = (4.0 * W[9:] ** 2 / pop[9:] ** 2).sum() / W[9:].sum() ** 2
    o = 30 * 19 + 3 * 4 * 10
    lo, _ = _byar(o, stats.norm.ppf(0.975))
    val = ((30 + np.r_[np.zeros(9), np.full(10, 12.0)]) * W / pop).sum() / W.sum()
    assert res.loc[0, "value"] == pytest.approx(val * 1e5, rel=1e-12)
    assert res.loc[0, "lower_ci"] == pytest.approx((val + np.sqrt((var1 + 9 * var3) / o) * (lo - o)) * 1e5,
                                                   rel=1e-12)
