"""Run every benchmark and print one table: case, rows, median wall time, peak memory, notes.

``make bench`` calls this (after installing the ``bench`` extra, which brings
pyfixest).  Each case runs in its own subprocess so that its peak memory is its
own: the peak resident set size comes from ``os.wait4`` (``ru_maxrss`` of that
child, including the kernels and processes it waited for), which counts numpy,
DuckDB and Arrow memory that ``tracemalloc`` cannot see.  The parent imports
nothing heavy (a forked child's peak starts at its parent's size).

Cases
-----
- TWFE DiD (``y ~ d | unit + time``, CRV1 by unit) at 390,000 and ~4M rows with
  ``toolkit.designs.did.twfe`` and, when installed, pyfixest on the same seeded
  panels (``benchmarks/bench_did.py``'s generator), with the time ratio.
- Callaway & Sant'Anna (no covariates, never-treated comparisons) on 6,500 units x
  60 months and 33,755 units x 120 months with 7 adoption cohorts, with
  ``toolkit.designs.did.staggered`` and, when installed, moderndid on the same
  seeded panels (``benchmarks/bench_cs.py``), with the time ratio (target <= 1/4)
  and the largest difference of any ATT(g,t) and SE.
- 10M person-month records: DuckDB aggregates them to practice × month cells
  (:func:`toolkit.data.aggregate.aggregate`) and the toolkit fits the weighted
  TWFE on the cells, vs the same model fitted on the 10M rows by pyfixest (when
  installed; the toolkit's ``twfe`` takes panels, one row per unit and period);
  the estimates must agree.
- Baseline on 5M person records: DuckDB aggregation with the IMD 2025 join, then
  ``toolkit.indicators`` (Wilson proportions by quintile, SII); and the same plus every
  measure of issue 17 (age-standardised gaps, the neighbourhood funnel from a second
  DuckDB GROUP BY, the SII trend, concentration index, PAF, the section 13SA table), with
  the time ratio against the plain case (target <= 1.5x).
- The baseline data contract (``hitk validate``'s data check) on the 5M records,
  as Parquet (target <= 1.5 s), as CSV and as a table in a DuckDB database (the
  table path PostgreSQL and Spark take), with the counts compared with the file's.
- One aggregation (IMD join, exclusions, cells) of 1M baseline records on DuckDB, Spark in local mode and
  PostgreSQL (a throwaway server), with the equality of their results (``tests/data/engines.py``).
- ``toolkit.indicators`` SII and DSR (``benchmarks/bench_indicators.py``'s data).
- The whole example portfolio end to end (``hitk run --all`` in a temporary copy).
- The fixed overhead of one papermill + nbconvert stage (the charter template).

Data come from ``benchmarks/_generate.py`` (seeded) into ``benchmarks/_data/``,
which git ignores.  Usage::

    .venv/bin/python benchmarks/run.py [--quick] [--only NAME ...]

``--quick`` runs each case once.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

TARGET_RATIO_10M = 1 / 3
TARGET_MB_10M = 2048


# --------------------------------------------------------------------------- workers (run in a subprocess)

def _timed(fn, repeats: int):
    times, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
    return times, out


def w_twfe(engine: str, size: str, repeats: int) -> dict:
    from bench_did import make_panel, run_pyfixest, run_toolkit

    fn = run_toolkit if engine == "toolkit" else run_pyfixest
    fn(make_panel(200, 12, seed=0))  # warm-up: imports, numba compilation
    n_units, n_periods = {"390k": (6_500, 60), "4m": (33_755, 120)}[size]
    df = make_panel(n_units, n_periods, seed=2024)
    times, (est, se) = _timed(lambda: fn(df), repeats)
    return {"times": times, "rows": len(df), "estimate": est, "se": se}


def w_cs(engine: str, size: str, repeats: int) -> dict:
    import numpy as np
    from bench_cs import SIZES, make_cs_panel, run_moderndid, run_toolkit

    fn = run_toolkit if engine == "toolkit" else run_moderndid
    fn(make_cs_panel(300, 12, seed=0))  # warm-up: imports
    df = make_cs_panel(*SIZES[size], seed=2024)
    times, (est, se, cells) = _timed(lambda: fn(df), repeats)
    cells = np.asarray(cells, dtype=float)
    return {"times": times, "rows": len(df), "estimate": est, "se": se, "cells": cells.tolist()}


def _cells_10m():
    from toolkit.data.aggregate import aggregate

    cells = aggregate(HERE / "_data" / "records_10m.parquet",
                      roles={"unit": "practice", "time": "month", "treatment": "treated", "outcome": "event"},
                      by=["unit", "time", "treatment"], sums=["outcome"]).cells
    cells["y"] = cells["outcome"] / cells["rows"]
    return cells


def w_did10m(engine: str, repeats: int) -> dict:
    import pandas as pd

    path = HERE / "_data" / "records_10m.parquet"
    if engine == "duckdb":
        from toolkit.designs.did import twfe

        def fit():
            cells = _cells_10m()
            r = twfe(cells, "y", "unit", "time", "treatment", weights="rows")
            return r.estimate, r.se, len(cells)
    elif engine == "pyfixest":
        import pyfixest as pf

        pf.feols("y ~ d | unit + time", pd.DataFrame({"y": [0., 1, 0, 1, 1, 0], "d": [0, 0, 0, 1, 0, 1],
                                                      "unit": [0, 0, 1, 1, 2, 2], "time": [0, 1, 0, 1, 0, 1]}))

        def fit():
            df = pd.read_parquet(path)
            m = pf.feols("event ~ treated | practice + month", df, vcov={"CRV1": "practice"})
            return float(m.coef().iloc[0]), float(m.se().iloc[0]), len(df)
    times, (est, se, n) = _timed(fit, repeats)
    return {"times": times, "rows": 10_000_000, "estimate": est, "se": se, "fitted_rows": n}


def w_baseline5m(repeats: int) -> dict:
    from toolkit.data.aggregate import aggregate
    from toolkit.indicators import proportion, sii

    roles = {"person_id": "person_id", "lsoa": "lsoa21_code", "period": "month", "age_band": "age_band",
             "sex": "sex", "ethnicity": "ethnicity", "numerator": "bp_recorded"}

    def run():
        agg = aggregate(HERE / "_data" / "baseline_5m.parquet", roles=roles,
                        by=["period", "imd_decile", "imd_quintile", "age_band", "sex", "ethnicity"],
                        sums=["numerator"], exclude_missing=["numerator", "period"], imd_vintage=2025)
        cells = agg.cells
        by_q = cells.dropna(subset=["imd_quintile"]).groupby("imd_quintile", as_index=False)[["numerator", "rows"]].sum()
        props = proportion(by_q, "numerator", "rows", by="imd_quintile")
        props["pop"] = by_q["rows"].to_numpy()
        s = sii(props, "imd_quintile", "pop", "value", lower_ci="lower_ci", upper_ci="upper_ci",
                value_type="proportion", repetitions=100_000, seed=1)
        by_eth = proportion(cells.groupby("ethnicity", as_index=False)[["numerator", "rows"]].sum(),
                            "numerator", "rows", by="ethnicity")
        return len(cells), float(s.iloc[0]["sii"]) if "sii" in s else None, len(by_eth), agg.n_rows
    times, (n_cells, value, _, n_rows) = _timed(run, repeats)
    return {"times": times, "rows": n_rows, "cells": n_cells, "sii": value}


def w_baseline5m_measures(repeats: int) -> dict:
    """The baseline case plus every issue-17 measure: age-standardised gaps, the neighbourhood funnel
    (a second DuckDB GROUP BY per LSOA), the SII trend by financial year, concentration index, PAF and
    the section 13SA table."""
    from toolkit.baseline import measures as ms
    from toolkit.baseline.statutory import statutory_breakdowns
    from toolkit.data.aggregate import aggregate
    from toolkit.data.imd import load_imd
    from toolkit.indicators import proportion, sii

    roles = {"person_id": "person_id", "lsoa": "lsoa21_code", "period": "month", "age_band": "age_band",
             "sex": "sex", "ethnicity": "ethnicity", "numerator": "bp_recorded"}
    path = HERE / "_data" / "baseline_5m.parquet"

    def run():
        agg = aggregate(path, roles=roles, by=["period", "imd_decile", "imd_quintile", "age_band", "sex", "ethnicity"],
                        sums=["numerator"], exclude_missing=["numerator", "period"], imd_vintage=2025)
        cells = agg.cells.rename(columns={"rows": "denominator"})
        dec = cells["imd_decile"].astype("Float64")
        cells["core20"] = (dec <= 2).astype("boolean").where(dec.notna())
        by_q = cells.dropna(subset=["imd_quintile"]).groupby("imd_quintile", as_index=False)[
            ["numerator", "denominator"]].sum()
        props = proportion(by_q, "numerator", "denominator", by="imd_quintile")
        s = sii(props.assign(pop=by_q["denominator"].to_numpy()), "imd_quintile", "pop", "value", lower_ci="lower_ci",
                upper_ci="upper_ci", value_type="proportion", repetitions=100_000, seed=1)
        proportion(cells.groupby("ethnicity", as_index=False)[["numerator", "denominator"]].sum(),
                   "numerator", "denominator", by="ethnicity")
        # issue 17 measures
        std = ms.standardised_comparison(cells)
        # as ms.funnel_units: one GROUP BY per LSOA, kept where the code is in the IMD 2025 lookup
        units = aggregate(path, roles=roles, by=["lsoa"], sums=["numerator"],
                          exclude_missing=["numerator", "period"]).cells
        units = units[units["lsoa"].isin(set(load_imd(2025)["lsoa_code"]))]
        units = units.rename(columns={"lsoa": "unit", "rows": "denominator"})
        fun = ms.unit_funnel(units, unit="unit")
        trend = ms.gap_trend(cells, repetitions=100_000, seed=1)
        summ = ms.summary_measures(cells)
        stat = statutory_breakdowns(cells)
        return (len(cells), float(s.iloc[0]["sii"]), agg.n_rows, std["core20_gap"]["explained_by_age"], len(fun),
                float(trend.attrs["trend"]["slope"]), summ["concentration"]["value"], summ["paf"]["value"],
                len(stat["table"]))
    times, out = _timed(run, repeats)
    return {"times": times, "rows": out[2], "cells": out[0], "sii": out[1], "explained_by_age": out[3],
            "funnel_units": out[4], "sii_trend": out[5], "concentration": out[6], "paf": out[7]}


def w_validate(fmt: str, repeats: int) -> dict:
    """The baseline contract over the 5M records: as Parquet or CSV (DuckDB over the file), or as a table in a
    DuckDB database (``table``: the path a warehouse table takes; loading not timed), with the counts compared."""
    from toolkit.data.checking import check_contract
    from toolkit.data.contracts import REGISTRY
    from toolkit.data.engine import TableSource, duckdb_engine
    from toolkit.data.sources import SourceFiles

    path = HERE / "_data" / f"baseline_5m.{'parquet' if fmt == 'table' else fmt}"
    files = SourceFiles("records", path.name, (path,), path.suffix[1:])
    roles = {"person_id": "person_id", "lsoa": "lsoa21_code", "period": "month", "age_band": "age_band",
             "sex": "sex", "ethnicity": "ethnicity", "numerator": "bp_recorded"}
    contract = REGISTRY["baseline"]
    if fmt != "table":
        times, report = _timed(lambda: check_contract(files, roles, contract, imd_vintage=2025), repeats)
        return {"times": times, "rows": report.n_rows, "problems": len(report.problems)}
    eng = duckdb_engine()
    eng.raw.execute(f"CREATE TABLE records AS SELECT * FROM read_parquet('{path}')")
    source = TableSource("records", table="records")
    times, report = _timed(lambda: check_contract(source, roles, contract, imd_vintage=2025, engine=eng), repeats)
    ref = check_contract(files, roles, contract, imd_vintage=2025)
    same = ([(p.column, p.count) for p in report.problems] == [(p.column, p.count) for p in ref.problems]
            and report.n_rows == ref.n_rows
            and [e.rows for e in report.exclusions] == [e.rows for e in ref.exclusions])
    return {"times": times, "rows": report.n_rows, "problems": len(report.problems), "same": same}


ENGINE_ROWS = 1_000_000


def w_engines(kind: str, repeats: int) -> dict:
    """The same aggregation (IMD join, exclusions, cells) of 1M baseline records on DuckDB (the Parquet file),
    Spark in local mode (a table over the same file) and PostgreSQL (a table loaded first, not timed)."""
    import contextlib
    import hashlib

    import pandas as pd

    from tests.data.engines import load_postgres, postgres_cluster, spark_session
    from toolkit.data.aggregate import aggregate
    from toolkit.data.engine import TableSource, spark_engine

    path = HERE / "_data" / "baseline_1m.parquet"
    if not path.exists():
        pd.read_parquet(HERE / "_data" / "baseline_5m.parquet").head(ENGINE_ROWS).to_parquet(path, index=False)
    roles = {"lsoa": "lsoa21_code", "period": "month", "age_band": "age_band", "sex": "sex",
             "ethnicity": "ethnicity", "numerator": "bp_recorded"}
    kw = dict(roles=roles, by=["period", "imd_decile", "imd_quintile", "age_band", "sex", "ethnicity"],
              sums=["numerator"], exclude_missing=["numerator", "period"], imd_vintage=2025)
    with contextlib.ExitStack() as stack:
        if kind == "duckdb":
            source, extra = path, {}
        elif kind == "spark":
            session = spark_session()
            if session is None:
                raise SystemExit("PySpark or Java missing")
            session.read.parquet(str(path)).createOrReplaceTempView("records")
            source, extra = TableSource("records", table="records"), {"engine": spark_engine(session)}
        else:
            url = stack.enter_context(postgres_cluster())
            load_postgres(url, "records", pd.read_parquet(path))
            os.environ["HITK_BENCH_PG"] = url
            source, extra = TableSource("records", table="records", connection={"env": "HITK_BENCH_PG"}), {}
        aggregate(source, **kw, **extra)  # warm-up (Spark's JIT, caches)
        times, out = _timed(lambda: aggregate(source, **kw, **extra), repeats)
    digest = hashlib.sha256((out.cells.to_csv(index=False) + out.excluded[["reason", "rows"]].to_csv()
                             + out.imd_audit.to_csv()).encode()).hexdigest()[:12]
    return {"times": times, "rows": out.n_rows, "cells": len(out.cells), "digest": digest}


def w_indicators(which: str, repeats: int) -> dict:
    from bench_indicators import _dsr_data, _sii_data

    from toolkit.indicators import dsr, sii

    if which == "sii":
        data = _sii_data()
        fn = lambda: sii(data, "quantile", "pop", "value", se="se", by="area", repetitions=100_000, seed=1)  # noqa: E731
    else:
        data = _dsr_data()
        fn = lambda: dsr(data, "deaths", "pop", "age_band", by="area", confidence=(0.95, 0.998))  # noqa: E731
    times, _ = _timed(fn, repeats)
    return {"times": times, "rows": len(data)}


def _project_copy(dest: Path) -> Path:
    ignore = shutil.ignore_patterns("runs", "index.html", "__pycache__", ".ipynb_checkpoints")
    for name in ("templates", "evaluations", "data_samples"):
        shutil.copytree(ROOT / name, dest / name, ignore=ignore)
    return dest


def w_portfolio(repeats: int) -> dict:
    from toolkit.cli import main

    times, statuses = [], []
    for _ in range(repeats):
        with tempfile.TemporaryDirectory() as tmp:
            root = _project_copy(Path(tmp) / "project")
            os.environ["HITK_PROJECT"] = str(root)
            n_ev = sum(1 for p in (root / "evaluations").iterdir() if (p / "evaluation.yaml").exists())
            t0 = time.perf_counter()
            statuses.append(main(["run", "--all"]))
            times.append(time.perf_counter() - t0)
    return {"times": times, "rows": 0, "evaluations": n_ev, "status": max(statuses)}


def w_stage(repeats: int) -> dict:
    from toolkit.project import Project
    from toolkit.runner import run_evaluation

    with tempfile.TemporaryDirectory() as tmp:
        root = _project_copy(Path(tmp) / "project")
        project = Project(root)
        run_evaluation(project, "example-hypertension", stages=["charter"])  # warm-up (kernel, caches)
        times, _ = _timed(lambda: run_evaluation(project, "example-hypertension", stages=["charter"]), repeats)
    return {"times": times, "rows": 0}


def _worker(case: str, repeats: int) -> dict:
    warnings.simplefilter("ignore")
    kind, *args = case.split(":")
    if kind == "twfe":
        return w_twfe(args[0], args[1], repeats)
    if kind == "did10m":
        return w_did10m(args[0], repeats)
    if kind == "cs":
        return w_cs(args[0], args[1], repeats)
    if kind == "baseline5m":
        return w_baseline5m(repeats)
    if kind == "baseline5m_measures":
        return w_baseline5m_measures(repeats)
    if kind == "indicators":
        return w_indicators(args[0], repeats)
    if kind == "engines":
        return w_engines(args[0], repeats)
    if kind == "validate":
        return w_validate(args[0], repeats)
    if kind == "portfolio":
        return w_portfolio(repeats)
    if kind == "stage":
        return w_stage(repeats)
    raise SystemExit(f"unknown case {case}")


# --------------------------------------------------------------------------- the parent

def measure(case: str, repeats: int) -> dict:
    """Run one case in a subprocess; return its JSON result plus peak RSS (MB) from wait4."""
    with tempfile.TemporaryFile(mode="w+") as out, tempfile.TemporaryFile(mode="w+") as err:
        proc = subprocess.Popen([sys.executable, __file__, "--worker", case, "--repeats", str(repeats)],
                                stdout=out, stderr=err, cwd=ROOT)
        _, status, usage = os.wait4(proc.pid, 0)
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        lines = [ln for ln in out.read().splitlines() if ln.startswith("{")]
        if proc.returncode != 0 or not lines:
            tail = err.read().strip().splitlines()[-3:]
            return {"error": " | ".join(tail) or f"exit {proc.returncode}", "peak_mb": usage.ru_maxrss / 1024}
        result = json.loads(lines[-1])
    result["peak_mb"] = usage.ru_maxrss / 1024  # Linux reports KiB
    result["median"] = statistics.median(result["times"])
    return result


def _has_pyfixest() -> bool:
    import importlib.util

    return importlib.util.find_spec("pyfixest") is not None  # not imported: the parent must stay small


def _has_moderndid() -> bool:
    import importlib.util

    return importlib.util.find_spec("moderndid") is not None


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--worker")
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--quick", action="store_true", help="run each case once")
    ap.add_argument("--only", nargs="*", help="run only cases whose name starts with one of these")
    args = ap.parse_args()
    if args.worker:
        print(json.dumps(_worker(args.worker, args.repeats)))
        return

    t_start = time.perf_counter()
    print("Generating seeded data in benchmarks/_data/ (kept between runs) ...", flush=True)
    # in a subprocess: a child's peak RSS starts from its parent's size at fork, so the parent stays small
    subprocess.run([sys.executable, str(HERE / "_generate.py")], check=True, stdout=subprocess.DEVNULL)
    pf = _has_pyfixest()
    r = 1 if args.quick else 3
    plan = [("twfe:toolkit:390k", r), ("twfe:pyfixest:390k", r), ("twfe:toolkit:4m", r),
            ("twfe:pyfixest:4m", 1 if args.quick else r),
            ("cs:toolkit:390k", r), ("cs:moderndid:390k", r), ("cs:toolkit:4m", r),
            ("cs:moderndid:4m", 1 if args.quick else r),
            ("did10m:duckdb", r), ("did10m:pyfixest", 1 if args.quick else 2),
            ("baseline5m", r), ("baseline5m_measures", r), ("validate:parquet", r), ("validate:csv", r),
            ("validate:table", r),
            ("engines:duckdb", r), ("engines:spark", r), ("engines:postgres", r), ("indicators:sii", r), ("indicators:dsr", r),
            ("stage", r), ("portfolio", 1)]
    if not pf:
        plan = [p for p in plan if "pyfixest" not in p[0]]
    if not _has_moderndid():
        plan = [p for p in plan if "moderndid" not in p[0]]
    if args.only:
        plan = [p for p in plan if any(p[0].startswith(o) for o in args.only)]
    results = {}
    for case, repeats in plan:
        print(f"  {case} x{repeats} ...", flush=True)
        results[case] = measure(case, repeats)
    print_table(results, pyfixest=pf)
    if not args.only or "stage_overhead" in args.only: subprocess.run([sys.executable, str(HERE / "stage_overhead.py"), "--repeats", str(r)], cwd=ROOT, check=False)  # noqa: E501,E701
    print(f"\nTotal benchmark time {time.perf_counter() - t_start:.0f} s on {os.cpu_count()} CPU(s); "
          f"Python {sys.version.split()[0]}.")


LABELS = {
    "twfe:toolkit:390k": "TWFE DiD, toolkit (6,500 units x 60)",
    "twfe:pyfixest:390k": "TWFE DiD, pyfixest (same data)",
    "twfe:toolkit:4m": "TWFE DiD, toolkit (33,755 units x 120)",
    "twfe:pyfixest:4m": "TWFE DiD, pyfixest (same data)",
    "cs:toolkit:390k": "Callaway-Sant'Anna, toolkit (6,500 x 60, 7 cohorts)",
    "cs:moderndid:390k": "Callaway-Sant'Anna, moderndid (same data)",
    "cs:toolkit:4m": "Callaway-Sant'Anna, toolkit (33,755 x 120)",
    "cs:moderndid:4m": "Callaway-Sant'Anna, moderndid (same data)",
    "did10m:duckdb": "10M records: DuckDB cells + toolkit TWFE",
    "did10m:pyfixest": "10M records: pyfixest row-level",
    "baseline5m": "Baseline, 5M records (DuckDB + IMD + indicators)",
    "baseline5m_measures": "Baseline 5M + issue-17 measures (DSR, funnel, trend...)",
    "validate:parquet": "Contract check, 5M records (Parquet)",
    "validate:csv": "Contract check, 5M records (CSV)",
    "validate:table": "Contract check, 5M records (DuckDB database table)",
    "engines:duckdb": "1M records to cells + IMD: DuckDB (file)",
    "engines:spark": "1M records to cells + IMD: Spark local[1] (table)",
    "engines:postgres": "1M records to cells + IMD: PostgreSQL (table)",
    "indicators:sii": "SII, 300 groups x 10, 100k sims",
    "indicators:dsr": "DSR, 1M rows, 95% + 99.8%",
    "stage": "One papermill + nbconvert stage (charter)",
    "portfolio": "Example portfolio end to end (hitk run --all)",
}


def _notes(case: str, res: dict, results: dict) -> str:
    if "error" in res:
        return f"FAILED: {res['error'][:120]}"
    notes = []
    if case.startswith("twfe:pyfixest"):
        tk = results.get(case.replace("pyfixest", "toolkit"), {})
        if "median" in tk:
            notes.append(f"toolkit/pyfixest time {tk['median'] / res['median']:.2f} (target <= 1)")
            notes.append(f"|d est| {abs(tk['estimate'] - res['estimate']):.1e}, |d se| {abs(tk['se'] - res['se']):.1e}")
    if case.startswith("cs:moderndid"):
        tk = results.get(case.replace("moderndid", "toolkit"), {})
        if "median" in tk:
            from bench_cs import max_cell_difference
            import numpy as np

            d_att, d_se = max_cell_difference(np.asarray(tk["cells"]), np.asarray(res["cells"]))
            notes.append(f"toolkit/moderndid time {tk['median'] / res['median']:.2f} (target <= 0.25)")
            notes.append(f"max |d ATT(g,t)| {d_att:.1e}, |d se| {d_se:.1e}; |d simple ATT| "
                         f"{abs(tk['estimate'] - res['estimate']):.1e}")
    if case == "did10m:duckdb":
        notes.append(f"{res['fitted_rows']:,} cells; est {res['estimate']:.6f} (se {res['se']:.6f})")
        notes.append(f"peak {'<' if res['peak_mb'] < TARGET_MB_10M else '>='} 2 GB target")
    if case == "did10m:pyfixest":
        agg = results.get("did10m:duckdb", {})
        if "median" in agg:
            d = abs(agg["estimate"] - res["estimate"])
            ok = "estimates match" if d < 1e-9 else "ESTIMATES DIFFER"
            notes.append(f"{ok} (|d| {d:.1e}); |d se| {abs(agg['se'] - res['se']):.1e} (N in the df correction)")
            ratio = agg["median"] / res["median"]
            notes.append(f"DuckDB path / this = {ratio:.2f} (target < {TARGET_RATIO_10M:.2f})")
    if case == "baseline5m":
        notes.append(f"{res['cells']:,} cells; SII {res['sii']:.4f}" if res.get("sii") is not None else f"{res['cells']:,} cells")
    if case == "baseline5m_measures":
        base = results.get("baseline5m", {})
        if "median" in base:
            ratio = res["median"] / base["median"]
            notes.append(f"{ratio:.2f}x the plain baseline (target <= 1.5x)")
        notes.append(f"{res['funnel_units']:,} neighbourhoods in the funnel; age explains "
                     f"{res['explained_by_age']:.0f}% of the Core20 gap; C {res['concentration']:+.3f}")
    if case.startswith("validate"):
        notes.append(f"baseline contract incl. uniqueness (person x period) and LSOA vintage; "
                     f"{res['problems']} problem(s)")
        if case == "validate:parquet":
            notes.append(f"target <= 1.5 s ({'met' if res['median'] <= 1.5 else 'NOT met'})")
        if "same" in res:
            notes.append("counts identical to the Parquet file" if res["same"] else "COUNTS DIFFER FROM THE FILE")
    if case.startswith("engines:"):
        ref = results.get("engines:duckdb", {})
        notes.append(f"{res['cells']:,} cells")
        if case != "engines:duckdb" and "digest" in ref:
            same = "identical to DuckDB" if res["digest"] == ref["digest"] else "DIFFERS FROM DuckDB"
            notes.append(f"cells, exclusions and audit {same}; {res['median'] / ref['median']:.1f}x DuckDB's time")
    if case == "portfolio":
        notes.append(f"{res['evaluations']} evaluations; exit status {res['status']}")
    if case == "stage":
        notes.append("charter stage of example-hypertension, incl. validation and summary page")
    return "; ".join(notes)


def print_table(results: dict, *, pyfixest: bool) -> None:
    print()
    head = f"{'case':<50}{'rows':>12}{'median s':>10}{'peak MB':>9}  notes"
    print(head)
    print("-" * len(head) + "-" * 60)
    for case, res in results.items():
        rows = f"{res['rows']:,}" if res.get("rows") else "-"
        med = f"{res['median']:.2f}" if "median" in res else "-"
        print(f"{LABELS.get(case, case):<50}{rows:>12}{med:>10}{res['peak_mb']:>9.0f}  {_notes(case, res, results)}")
    if not pyfixest:
        print("\npyfixest is not installed: comparison rows skipped (`make bench` installs it).")
    if not _has_moderndid():
        print("moderndid is not installed: Callaway-Sant'Anna comparison rows skipped (`make bench` installs it).")


if __name__ == "__main__":
    main()
