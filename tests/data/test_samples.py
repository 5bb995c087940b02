"""The sample data: deterministic, documented, and built on real LSOA deprivation."""

from __future__ import annotations

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from toolkit.data.imd import attach_imd, load_imd

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data_samples"
FILES = ["icb_lsoas.csv", "practices.csv", "baseline_records.parquet", "baseline_aggregated.csv",
         "did_practice_panel.csv", "its_emergency_admissions.csv", "synth_areas.csv",
         "rd_neighbourhoods.csv", "pharmacy_checks.csv"]


def _read(name: str) -> pd.DataFrame:
    path = SAMPLES / name
    if name.endswith(".parquet"):
        return pd.read_parquet(path)
    return pd.read_csv(path, dtype={"first_treated": str, "lsoa21_code": str})


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _dictionary() -> dict[str, list[str]]:
    """Columns per file, parsed from the data dictionary in README.md."""
    text = (SAMPLES / "README.md").read_text()
    out: dict[str, list[str]] = {}
    for block in re.split(r"^### ", text, flags=re.M)[1:]:
        name = re.match(r"`([^`]+)`", block).group(1)
        out[name] = re.findall(r"^\| `([a-z0-9_]+)` \|", block, flags=re.M)
    return out


@pytest.fixture(scope="module")
def regenerated(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("samples")
    subprocess.run([sys.executable, str(SAMPLES / "generate.py"), "--out", str(out)],
                   check=True, capture_output=True, cwd=ROOT)
    return out


def test_generator_is_deterministic(regenerated):
    for name in FILES:
        if name.endswith(".csv"):
            assert _sha256(regenerated / name) == _sha256(SAMPLES / name), name
        else:
            pd.testing.assert_frame_equal(pd.read_parquet(regenerated / name), _read(name))


def test_files_match_the_data_dictionary():
    dictionary = _dictionary()
    assert sorted(dictionary) == sorted(FILES)
    for name in FILES:
        assert list(_read(name).columns) == dictionary[name], name
    total = sum((SAMPLES / n).stat().st_size for n in FILES)
    assert total < 15e6


def test_icb_block_uses_real_codes_and_real_deciles():
    lsoas = _read("icb_lsoas.csv")
    national = load_imd(2025).sort_values("lsoa_code").reset_index(drop=True)
    start = int(np.flatnonzero(national["lsoa_code"] == lsoas["lsoa21_code"].iloc[0])[0])
    block = national.iloc[start:start + len(lsoas)].reset_index(drop=True)
    assert lsoas["lsoa21_code"].tolist() == block["lsoa_code"].tolist()  # contiguous real codes
    for col in ("imd_decile", "imd_quintile", "imd_rank"):
        assert lsoas[col].tolist() == block[col].tolist()
    assert np.allclose(lsoas["imd_score"], block["imd_score"])
    assert 300 <= len(lsoas) <= 600
    assert set(lsoas["imd_decile"]) == set(range(1, 11))
    assert (lsoas["imd_decile"] <= 2).mean() > 0.25  # plenty of Core20


def test_rd_neighbourhoods_are_real_and_sharp():
    rd = _read("rd_neighbourhoods.csv")
    real = attach_imd(rd[["lsoa21_code"]], "lsoa21_code", vintage=2025).data
    assert real["imd_match"].eq("matched").all()
    assert rd["imd_rank"].tolist() == real["imd_rank"].tolist()
    assert rd["imd_decile"].tolist() == real["imd_decile"].tolist()
    assert np.allclose(rd["imd_score"], real["imd_score"])
    assert (rd["outreach"] == (rd["imd_rank"] <= 6751)).all()
    assert (rd["outreach"] == rd["core20"]).all() and 1500 <= len(rd) <= 3000


def test_baseline_records_audit_and_aggregation():
    records = _read("baseline_records.parquet")
    res = attach_imd(records, "lsoa21_code", vintage=2025)
    audit = res.audit.set_index("category")["rows"]
    unmatched = res.n_unmatched / len(records)
    assert 0.005 < unmatched < 0.02
    assert audit["blank"] > 0 and audit["non_english"] > 0 and audit["invalid_format"] > 0
    assert audit["other_vintage"] == 0
    icb = set(_read("icb_lsoas.csv")["lsoa21_code"])
    assert set(records.loc[res.data["imd_match"] == "matched", "lsoa21_code"]) <= icb
    assert records["month"].nunique() == 36
    not_stated = (records["ethnicity"] == "Not stated").mean()
    assert 0.10 <= not_stated <= 0.15

    agg = _read("baseline_aggregated.csv")
    assert agg["denominator"].sum() == len(records)
    assert agg["numerator"].sum() == records["bp_recorded"].sum()
    key = ["lsoa21_code", "month", "age_band", "sex"]
    assert not agg.duplicated(key).any()


def test_did_panel_staggered_and_consistent():
    panel = _read("did_practice_panel.csv")
    practices = _read("practices.csv")
    assert len(panel) == practices["practice_code"].nunique() * panel["month"].nunique()
    merged = panel.merge(practices, on=["practice_code", "pcn_code"], suffixes=("", "_p"))
    assert (merged["imd_quintile"] == merged["imd_quintile_p"]).all()
    first = panel["first_treated"].fillna("")
    cohorts = set(first) - {""}
    assert len(cohorts) >= 2 and (first == "").any()
    assert (panel["treated"] == ((first != "") & (panel["month"] >= first)).astype(int)).all()
    assert panel.groupby("pcn_code")["first_treated"].nunique(dropna=False).eq(1).all()


def test_its_and_synth_shapes():
    its = _read("its_emergency_admissions.csv")
    assert len(its) == 72 and its["scheme"].diff().fillna(0).between(0, 1).all()
    assert its.loc[its["scheme"] == 1, "month"].min() == "2023-04"
    synth = _read("synth_areas.csv")
    assert not synth.duplicated(["area_code", "period"]).any()
    assert synth.groupby("area_code").size().eq(40).all()
    assert synth.loc[synth["treated"] == 1, "area_code"].unique().tolist() == ["A01"]


def _generator():
    import importlib.util

    spec = importlib.util.spec_from_file_location("sample_generator", SAMPLES / "generate.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_readme_states_the_generators_true_effects():
    gen, text = _generator(), (SAMPLES / "README.md").read_text()
    assert f"+{gen.DID_EFFECT_CORE20:.1f} in quintile 1" in text
    assert f"+{gen.DID_EFFECT_OTHER:.1f} in all others" in text
    assert f"level change **{gen.ITS_LEVEL_RR}**" in text and f"**{gen.ITS_SLOPE_RR}\nper month**" in text
    assert f"**{gen.SYNTH_EFFECT} admissions per 1,000" in text.replace("−", "-")
    assert f"**+{gen.RD_JUMP:.1f} percentage points**" in text
    assert f"in **{gen.SYNTH_ADOPTION}**" in text and f"from `{gen.ITS_START}`" in text


def test_known_effects_are_in_the_data():
    """Simple fits recover the documented effects (loose: one seeded realisation)."""
    import statsmodels.api as sm

    its = _read("its_emergency_admissions.csv")
    t = its["time"].to_numpy() - 1
    post = its["scheme"].to_numpy()
    t0 = int(np.argmax(post))
    month = pd.get_dummies(its["month"].str[5:], drop_first=True, dtype=float).to_numpy()
    X = np.column_stack([np.ones(len(t)), t, post, (t - t0) * post, month])
    fit = sm.GLM(its["admissions"], X, family=sm.families.Poisson(),
                 offset=np.log(its["population"])).fit().params.to_numpy()
    assert np.exp(fit[2]) == pytest.approx(0.94, abs=0.03)
    assert np.exp(fit[3]) == pytest.approx(0.995, abs=0.002)

    synth = _read("synth_areas.csv").pivot(index="period", columns="area_code", values="rate_per_1000")
    mix = 0.5 * synth["A04"] + 0.3 * synth["A09"] + 0.2 * synth["A15"]
    gap = synth["A01"] - mix
    assert gap.loc[29:].mean() - gap.loc[:28].mean() == pytest.approx(-1.5, abs=0.3)

    rd = _read("rd_neighbourhoods.csv")
    near = rd[rd["distance_to_threshold"].abs() < 2000]
    w = 1 - near["distance_to_threshold"].abs() / 2000
    x = near["distance_to_threshold"]
    X = np.column_stack([np.ones(len(near)), near["outreach"], x, x * near["outreach"]])
    jump = sm.WLS(near["outcome_pct"], X, weights=w).fit().params.to_numpy()[1]
    assert jump == pytest.approx(3.0, abs=1.0)


def test_did_effects_are_in_the_data():
    """Two-way fixed effects with a Core20 interaction lands near +1.0 and +2.0 (loose)."""
    panel = _read("did_practice_panel.csv")
    core20 = (panel["imd_quintile"] == 1).to_numpy()
    d = panel["treated"].to_numpy().astype(float)
    fe = pd.get_dummies(panel[["practice_code", "month"]], drop_first=True, dtype=float).to_numpy()
    X = np.column_stack([np.ones(len(panel)), d, d * core20, fe])
    beta = np.linalg.lstsq(X, panel["outcome"].to_numpy(), rcond=None)[0]
    assert beta[1] == pytest.approx(1.0, abs=0.75)   # effect outside Core20
    assert beta[2] == pytest.approx(2.0, abs=0.75)   # extra effect in Core20 practices
