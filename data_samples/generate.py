"""Generate the toolkit's sample data: a fictional ICB on real LSOAs, synthetic outcomes.

Run from the repository root::

    python data_samples/generate.py --out data_samples

Every file is produced from fixed seeds, so rerunning gives byte-identical CSVs
(and identical Parquet tables).  The areas are real: the fictional ICB is a
contiguous block of 480 real 2021 LSOA codes with their real IMD 2025 deciles,
ranks and scores, and the regression-discontinuity file uses real LSOAs from the
national IMD 2025 file.  Everything else (populations, practices, people,
outcomes, effects) is simulated; the true effects are documented in
``data_samples/README.md``.

Deprivation data: contains public sector information licensed under the Open
Government Licence v3.0 (MHCLG, English Indices of Deprivation 2025).
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # run as a script from a checkout
    sys.path.insert(0, str(ROOT))

from toolkit.data.imd import load_imd  # noqa: E402

SEED = 20250401
ICB_FIRST_LSOA = "E01006744"  # first code of the block (sorted 2021 codes)
N_LSOA = 480
N_PRACTICES = 40
PRACTICES_PER_PCN = 5

ESP_BANDS = ["0-4", "5-9", "10-14", "15-19", "20-24", "25-29", "30-34", "35-39", "40-44", "45-49",
             "50-54", "55-59", "60-64", "65-69", "70-74", "75-79", "80-84", "85-89", "90+"]
# Adults due a blood-pressure check, by band (15-19 holds the 18-19 year olds).
ADULT_BANDS = ESP_BANDS[3:]
ADULT_WEIGHTS = np.array([1.5, 5, 6, 7, 7, 8, 9, 10, 10, 9, 8, 7.5, 6, 4, 2, 1])
AGE_LOGIT = np.linspace(-0.9, 0.9, len(ADULT_BANDS))
ETHNIC_GROUPS = [
    "Asian, Asian British or Asian Welsh",
    "Black, Black British, Black Welsh, Caribbean or African",
    "Mixed or Multiple ethnic groups",
    "White",
    "Other ethnic group",
]
NOT_STATED = "Not stated"
ETHNIC_LOGIT = {ETHNIC_GROUPS[0]: -0.10, ETHNIC_GROUPS[1]: -0.15, ETHNIC_GROUPS[2]: -0.05,
                ETHNIC_GROUPS[3]: 0.0, ETHNIC_GROUPS[4]: -0.10, NOT_STATED: -0.35}
QUINTILE_LOGIT = {1: -0.45, 2: -0.30, 3: -0.15, 4: -0.05, 5: 0.0}

# --- true effects (documented in README.md) ------------------------------------------------
DID_EFFECT_CORE20 = 3.0   # per 1,000 registered patients per year, practices in IMD quintile 1
DID_EFFECT_OTHER = 1.0    # per 1,000 per year, all other practices
DID_COHORTS = {"2023-04": [1, 4, 7], "2023-10": [2, 6], "2024-04": [8]}  # PCN numbers; 3, 5 never
ITS_START = "2023-04"
ITS_LEVEL_RR = 0.94       # rate ratio at the start month
ITS_SLOPE_RR = 0.995      # further rate ratio per month after the start
SYNTH_ADOPTION = "2022Q1"
SYNTH_EFFECT = -1.5       # admissions per 1,000 per quarter
RD_JUMP = 3.0             # percentage points, on the outreach (most deprived) side
RD_THRESHOLD_RANK = 6751  # last IMD 2025 rank in decile 2


def _rng(stream: int) -> np.random.Generator:
    """An independent, fixed random stream per file."""
    return np.random.default_rng(np.random.SeedSequence([SEED, stream]))


def _months(first: str, n: int) -> list[str]:
    return [p.strftime("%Y-%m") for p in pd.period_range(first, periods=n, freq="M")]


# --------------------------------------------------------------------------- geography

def icb_lsoas() -> pd.DataFrame:
    """The fictional ICB's 480 real LSOAs with real IMD 2025 and synthetic populations."""
    imd = load_imd(2025).sort_values("lsoa_code").reset_index(drop=True)
    start = int(np.flatnonzero(imd["lsoa_code"] == ICB_FIRST_LSOA)[0])
    lsoas = imd.iloc[start:start + N_LSOA].reset_index(drop=True)
    rng = _rng(0)
    lsoas["population"] = np.round(rng.normal(1650, 280, N_LSOA)).clip(1000, 3000).astype(int)
    lsoas["home_practice"] = np.arange(N_LSOA) * N_PRACTICES // N_LSOA
    deprived = (lsoas["imd_decile"] <= 3).to_numpy()
    lsoas["minority_share"] = rng.beta(2, 8, N_LSOA) + np.where(deprived, 0.15, 0.0)
    return lsoas.rename(columns={"lsoa_code": "lsoa21_code"})


def practices(lsoas: pd.DataFrame) -> tuple[pd.DataFrame, np.ndarray]:
    """Practices and the share of each LSOA's population registered with each practice."""
    share = np.zeros((len(lsoas), N_PRACTICES))
    for i, home in enumerate(lsoas["home_practice"]):
        for offset, w in ((0, 0.8), (-1, 0.06), (1, 0.06), (-2, 0.04), (2, 0.04)):
            share[i, min(max(home + offset, 0), N_PRACTICES - 1)] += w
    pop = lsoas["population"].to_numpy()
    registered = share * pop[:, None]
    list_size = registered.sum(axis=0)
    score = (registered * lsoas["imd_score"].to_numpy()[:, None]).sum(axis=0) / list_size
    # national quintile cut-offs on the IMD 2025 score (quintile 1 = most deprived)
    national = load_imd(2025)
    cuts = national.groupby("imd_quintile")["imd_score"].min().sort_index().to_numpy()[:4]
    quintile = 1 + (score[:, None] < cuts[None, :]).sum(axis=1)
    table = pd.DataFrame({
        "practice_code": [f"Z{10001 + p}" for p in range(N_PRACTICES)],
        "pcn_number": np.arange(N_PRACTICES) // PRACTICES_PER_PCN + 1,
        "list_size": np.round(list_size).astype(int),
        "imd_score": score,
        "imd_quintile": quintile,
    })
    table["pcn_code"] = [f"ZN{n:03d}" for n in table["pcn_number"]]
    return table, share


# --------------------------------------------------------------------------- a, b: baseline

def _corrupt_codes(codes: np.ndarray, rng: np.random.Generator, rate: float = 0.01) -> np.ndarray:
    """Blank, Welsh or mistyped codes for about ``rate`` of the entries."""
    out = codes.astype(object).copy()
    idx = rng.choice(len(out), size=int(round(rate * len(out))), replace=False)
    kinds = rng.choice(["blank", "welsh", "short", "letter_o", "unknown"], size=len(idx),
                       p=[0.35, 0.25, 0.15, 0.15, 0.10])
    for i, kind in zip(idx, kinds):
        code = out[i]
        if kind == "blank":
            out[i] = ""
        elif kind == "welsh":
            out[i] = f"W01{rng.integers(1, 1900):06d}"
        elif kind == "short":
            out[i] = code[:-1]
        elif kind == "letter_o":
            out[i] = code.replace("0", "O", 2)
        else:
            out[i] = f"E0109{rng.integers(0, 9999):04d}"
    return out


def baseline_records(lsoas: pd.DataFrame, prac: pd.DataFrame, share: np.ndarray) -> pd.DataFrame:
    """Person-level records: adults due an annual blood-pressure check, 36 months."""
    rng = _rng(1)
    n_people = 62_000
    months = _months("2021-04", 36)
    pop = lsoas["population"].to_numpy()
    lsoa_i = rng.choice(len(lsoas), size=n_people, p=pop / pop.sum())
    cum = share.cumsum(axis=1)[lsoa_i]
    prac_i = np.minimum((rng.random(n_people)[:, None] > cum).sum(axis=1), N_PRACTICES - 1)
    age_i = rng.choice(len(ADULT_BANDS), size=n_people, p=ADULT_WEIGHTS / ADULT_WEIGHTS.sum())
    male = rng.random(n_people) < 0.49
    # ethnicity: LSOA minority share, split across groups; "Not stated" more common in deprived
    # areas and at three practices with poor recording
    minority = lsoas["minority_share"].to_numpy()[lsoa_i]
    split = np.array([0.5, 0.25, 0.13, 0.0, 0.12])
    eth = np.where(rng.random(n_people) < minority,
                   rng.choice(len(ETHNIC_GROUPS), size=n_people, p=split), 3)
    quint = lsoas["imd_quintile"].to_numpy()[lsoa_i]
    poor_recording = np.isin(prac_i, [6, 21, 33])
    p_not_stated = 0.07 + 0.025 * (5 - quint) + np.where(poor_recording, 0.15, 0.0)
    ethnicity = np.where(rng.random(n_people) < p_not_stated, NOT_STATED,
                         np.array(ETHNIC_GROUPS, dtype=object)[eth])
    codes = _corrupt_codes(lsoas["lsoa21_code"].to_numpy()[lsoa_i], rng)
    practice_effect = rng.normal(0, 0.25, N_PRACTICES)

    # each person is due a check once a year, in the same calendar month, while registered
    first = rng.integers(0, 12, n_people)
    rows = []
    for year in range(3):
        present = rng.random(n_people) < 0.9
        rows.append(np.flatnonzero(present) * 3 + year)
    keys = np.sort(np.concatenate(rows))
    person, year = keys // 3, keys % 3
    month_i = first[person] + 12 * year
    logit = (0.70 + AGE_LOGIT[age_i[person]] - 0.25 * male[person]
             + np.vectorize(QUINTILE_LOGIT.get)(quint[person])
             + np.vectorize(ETHNIC_LOGIT.get)(ethnicity[person])
             + practice_effect[prac_i[person]] + 0.008 * month_i)
    recorded = (rng.random(len(person)) < 1 / (1 + np.exp(-logit))).astype("int8")
    out = pd.DataFrame({
        "person_id": (person + 100001).astype("int32"),
        "lsoa21_code": codes[person],
        "practice_code": prac["practice_code"].to_numpy()[prac_i[person]],
        "month": np.array(months, dtype=object)[month_i],
        "age_band": np.array(ADULT_BANDS, dtype=object)[age_i[person]],
        "sex": np.where(male[person], "Male", "Female"),
        "ethnicity": ethnicity[person],
        "bp_recorded": recorded,
    })
    for col in ("lsoa21_code", "practice_code", "month", "age_band", "sex", "ethnicity"):
        out[col] = out[col].astype("str")
    return out.sort_values(["month", "person_id"], kind="stable").reset_index(drop=True)


def baseline_aggregated(records: pd.DataFrame) -> pd.DataFrame:
    """The records counted by LSOA x month x age band x sex (blank codes kept as blank)."""
    band_order = {b: i for i, b in enumerate(ESP_BANDS)}
    agg = (records.groupby(["lsoa21_code", "month", "age_band", "sex"], dropna=False, sort=False)
           ["bp_recorded"].agg(numerator="sum", denominator="size").reset_index())
    agg["_band"] = agg["age_band"].map(band_order)
    agg = agg.sort_values(["lsoa21_code", "month", "_band", "sex"], kind="stable")
    return agg.drop(columns="_band").reset_index(drop=True)


# --------------------------------------------------------------------------- c: DiD panel

def did_practice_panel(prac: pd.DataFrame) -> pd.DataFrame:
    """Practices x 48 months, staggered adoption by PCN, effect larger in Core20 practices."""
    rng = _rng(2)
    months = _months("2021-04", 48)
    first_treated = {pcn: m for m, pcns in DID_COHORTS.items() for pcn in pcns}
    base = 10.0 + 0.8 * (5 - prac["imd_quintile"].to_numpy()) + rng.normal(0, 1.5, N_PRACTICES)
    rows = []
    for t, month in enumerate(months):
        season = 1.0 * np.cos(2 * np.pi * (t - 9) / 12)  # more diagnoses in winter
        common = 0.03 * t + season
        for p in range(N_PRACTICES):
            pcn = int(prac["pcn_number"].iat[p])
            adopt = first_treated.get(pcn, "")
            treated = int(bool(adopt) and month >= adopt)
            effect = (DID_EFFECT_CORE20 if prac["imd_quintile"].iat[p] == 1 else DID_EFFECT_OTHER)
            list_size = int(round(prac["list_size"].iat[p] * (1 + 0.004 * t / 12)))
            expected = base[p] + common + treated * effect  # per 1,000 per year
            events = rng.poisson(expected * list_size / 1000 / 12)
            rows.append((prac["practice_code"].iat[p], prac["pcn_code"].iat[p], month,
                         int(prac["imd_quintile"].iat[p]), list_size, int(events),
                         round(events / list_size * 1000 * 12, 3), treated, adopt))
    return pd.DataFrame(rows, columns=["practice_code", "pcn_code", "month", "imd_quintile",
                                       "list_size", "new_diagnoses", "outcome", "treated",
                                       "first_treated"])


# --------------------------------------------------------------------------- d: ITS

def its_emergency_admissions(icb_population: int) -> pd.DataFrame:
    """72 months of emergency admissions, scheme from ITS_START, plus a comparison series."""
    rng = _rng(3)
    months = _months("2019-04", 72)
    t = np.arange(72)
    t0 = months.index(ITS_START)
    post = (t >= t0).astype(int)
    season = 0.08 * np.cos(2 * np.pi * (t - 9) / 12)  # peak in January
    pop = np.round(icb_population * (1 + 0.004 / 12) ** t).astype(int)
    cpop = np.round(1_240_000 * (1 + 0.003 / 12) ** t).astype(int)
    log_rate = np.log(9.5 / 1000) + season + 0.0012 * t
    log_rate_c = np.log(9.1 / 1000) + season + 0.0012 * t
    effect = post * (np.log(ITS_LEVEL_RR) + np.log(ITS_SLOPE_RR) * (t - t0))
    noise = rng.gamma(2500, 1 / 2500, size=(2, 72))  # mild over-dispersion (CV 2%)
    adm = rng.poisson(pop * np.exp(log_rate + effect) * noise[0])
    cadm = rng.poisson(cpop * np.exp(log_rate_c) * noise[1])
    return pd.DataFrame({"month": months, "time": t + 1, "admissions": adm, "population": pop,
                         "scheme": post, "comparison_admissions": cadm,
                         "comparison_population": cpop})


# --------------------------------------------------------------------------- e: synthetic control

def synth_areas() -> pd.DataFrame:
    """20 ICB-like areas x 40 quarters; area A01 adopts in SYNTH_ADOPTION."""
    rng = _rng(4)
    n_area, n_q = 20, 40
    quarters = [str(q) for q in pd.period_range("2015Q1", periods=n_q, freq="Q")]
    t = np.arange(n_q)
    factors = np.vstack([0.04 * t, np.sin(2 * np.pi * t / 4), np.cumsum(rng.normal(0, 0.25, n_q))])
    alpha = rng.normal(28, 3, n_area)
    load = rng.normal(1, 0.35, (n_area, 3))
    weights = {3: 0.5, 8: 0.3, 14: 0.2}  # the treated area is a mix of three donors
    alpha[0] = sum(w * alpha[d] for d, w in weights.items())
    load[0] = sum(w * load[d] for d, w in weights.items())
    rate = alpha[:, None] + load @ factors + rng.normal(0, 0.3, (n_area, n_q))
    adopt = quarters.index(SYNTH_ADOPTION)
    rate[0, adopt:] += SYNTH_EFFECT
    pop = np.round(rng.uniform(0.5e6, 2.5e6, n_area), -3).astype(int)
    rows = []
    for a in range(n_area):
        for q in range(n_q):
            adm = int(round(rate[a, q] * pop[a] / 1000))
            rows.append((f"A{a + 1:02d}", "Our ICB" if a == 0 else f"Comparison area {a:02d}",
                         quarters[q], q + 1, int(pop[a]), adm, round(adm / pop[a] * 1000, 4),
                         int(a == 0), int(a == 0 and q >= adopt)))
    return pd.DataFrame(rows, columns=["area_code", "area_name", "quarter", "period", "population",
                                       "admissions", "rate_per_1000", "treated_area", "treated"])


# --------------------------------------------------------------------------- f: RD

def rd_neighbourhoods() -> pd.DataFrame:
    """2,500 real LSOAs from IMD 2025 deciles 1-4; outreach in deciles 1-2 lifts BP checks."""
    rng = _rng(5)
    imd = load_imd(2025)
    pool = imd[imd["imd_decile"] <= 4].sort_values("lsoa_code")
    s = pool.iloc[np.sort(rng.choice(len(pool), size=2500, replace=False))].reset_index(drop=True)
    rank = s["imd_rank"].to_numpy()
    outreach = (rank <= RD_THRESHOLD_RANK).astype(int)
    adults = rng.integers(1000, 1900, len(s))
    x = rank / 33755
    pct = 62 + 14 * x - 6 * x ** 2 + RD_JUMP * outreach + rng.normal(0, 2.0, len(s))
    checked = rng.binomial(adults, np.clip(pct, 1, 99) / 100)
    return pd.DataFrame({
        "lsoa21_code": s["lsoa_code"], "imd_rank": rank, "imd_score": s["imd_score"],
        "imd_decile": s["imd_decile"], "core20": s["core20"].astype(int), "outreach": outreach,
        "distance_to_threshold": rank - (RD_THRESHOLD_RANK + 0.5), "adults": adults,
        "bp_checked": checked, "outcome_pct": np.round(checked / adults * 100, 3),
    })


# --------------------------------------------------------------------------- g: pharmacy checks (reach fails)

PHARMACY_START = "2023-04"
PHARMACY_MONTHLY_CHECKS = 2200   # checks a month once running (after a six-month ramp-up)
PHARMACY_CORE20_SHARE = 0.10     # share of checks in Core20 LSOAs (they hold about a third of eligible adults)
PHARMACY_FOLLOW_UP = 0.85        # same-week GP follow-up after a high reading (fidelity)
PHARMACY_HIGH_READING = 0.25     # share of checks with a high reading
PHARMACY_RECORDED_LIFT = 0.20    # extra chance that a checked adult (not otherwise recorded) is recorded


def pharmacy_checks(lsoas: pd.DataFrame) -> pd.DataFrame:
    """LSOA x month: eligible adults, pharmacy BP checks, high readings, same-week follow-ups, BP recorded.

    The scheme delivers its checks (output on track) and follows up high readings as designed (fidelity on
    track), but the pharmacies sit in less deprived neighbourhoods: only 10% of checks reach Core20 residents,
    so Core20 recording does not move while the rest of the ICB's improves (reach failed; the gap widens).
    """
    rng = _rng(6)
    months = _months("2021-04", 48)
    start = months.index(PHARMACY_START)
    eligible = np.round(lsoas["population"].to_numpy() * 0.75).astype(int)
    core20 = (lsoas["imd_decile"] <= 2).to_numpy()
    weight = np.where(core20, PHARMACY_CORE20_SHARE / eligible[core20].sum(),
                      (1 - PHARMACY_CORE20_SHARE) / eligible[~core20].sum()) * eligible
    base = np.where(core20, 0.47, 0.56) + rng.normal(0, 0.02, len(lsoas))
    rows = []
    for m, month in enumerate(months):
        k = m - start
        total = 0 if k < 0 else min(PHARMACY_MONTHLY_CHECKS, 400 + 300 * k)
        checks = rng.poisson(total * weight) if total else np.zeros(len(lsoas), dtype=int)
        checks = np.minimum(checks, eligible)
        high = rng.binomial(checks, PHARMACY_HIGH_READING)
        follow = rng.binomial(high, PHARMACY_FOLLOW_UP)
        # share recorded in the last 12 months: baseline, a little seasonal noise, plus checked adults
        reach12 = np.zeros(len(lsoas)) if k < 0 else checks * min(k + 1, 12) / eligible
        p = np.clip(base + PHARMACY_RECORDED_LIFT * reach12 * (1 - base), 0, 1)
        recorded = rng.binomial(eligible, p)
        rows.append(pd.DataFrame({"month": month, "lsoa21_code": lsoas["lsoa21_code"], "eligible_adults": eligible,
                                  "bp_checks": checks, "high_readings": high, "same_week_follow_up": follow,
                                  "bp_recorded_12m": recorded}))
    return pd.concat(rows, ignore_index=True)


# --------------------------------------------------------------------------- writing

def generate(out: Path) -> dict[str, Path]:
    """Write every sample file into ``out`` and return their paths by name."""
    out.mkdir(parents=True, exist_ok=True)
    lsoas = icb_lsoas()
    prac, share = practices(lsoas)
    records = baseline_records(lsoas, prac, share)
    files = {
        "icb_lsoas.csv": lsoas[["lsoa21_code", "imd_decile", "imd_quintile", "imd_rank", "imd_score",
                                "population"]].assign(
            practice_code=prac["practice_code"].to_numpy()[lsoas["home_practice"]]),
        "practices.csv": prac[["practice_code", "pcn_code", "list_size", "imd_score", "imd_quintile"]]
        .assign(imd_score=lambda d: d["imd_score"].round(3)),
        "baseline_aggregated.csv": baseline_aggregated(records),
        "did_practice_panel.csv": did_practice_panel(prac),
        "its_emergency_admissions.csv": its_emergency_admissions(int(lsoas["population"].sum())),
        "synth_areas.csv": synth_areas(),
        "rd_neighbourhoods.csv": rd_neighbourhoods(),
        "pharmacy_checks.csv": pharmacy_checks(lsoas),
    }
    written = {}
    path = out / "baseline_records.parquet"
    records.to_parquet(path, index=False, compression="zstd")
    written[path.name] = path
    for name, df in files.items():
        path = out / name
        df.to_csv(path, index=False, lineterminator="\n")
        written[name] = path
    return written


def main(argv: list[str] | None = None) -> None:
    """Command-line entry point."""
    parser = argparse.ArgumentParser(description="Generate the toolkit's synthetic sample data.")
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    args = parser.parse_args(argv)
    for name, path in generate(args.out).items():
        print(f"{name}: {path.stat().st_size:,} bytes")


if __name__ == "__main__":
    main()
