"""A stage's fixed overhead against a bare floor, measured side by side.

Floor: papermill executes an empty notebook (one empty code cell) in a stock
kernelspec for this interpreter (none of the toolkit's options), then nbconvert's
stock ``HTMLExporter`` renders it, as any notebook pipeline must.  Stage: the toolkit's own ``execute`` + ``render_notebook`` of a
trivial stage (the charter stage of example-hypertension: kernel start, toolkit
imports, the stage's code, cleaning and rendering the report).  Floor and stage
alternate, after one warm-up of each, and the medians are printed with their
ratio (target: a stage costs at most 1.5x the floor).  The machine may be shared,
so the spread (min-max) is printed too.

``--portfolio`` then runs every stage of every example evaluation once, each next to
a floor run, and splits its time: kernel start and stop and papermill (execution minus its
cells), the template's imports (the first cell's import lines, run as a cell of
their own), the analysis (the rest of that cell: reading the data and computing),
the sections (the ``show.section`` cells: building tables and drawing charts) and
the HTML rendering.  A stage's fixed overhead is everything but analysis and
sections; its ratio to the floor is printed per stage.

Run: ``PYTHONPATH=$PWD python benchmarks/stage_overhead.py [--repeats N] [--portfolio]``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET = 1.5
EVALUATION, STAGE = "example-hypertension", "charter"
BARE_KERNEL = "bench-bare-python"


def _floor_once(work: Path) -> tuple[float, float]:
    import nbformat
    import papermill
    from nbconvert import HTMLExporter

    src, out = work / "empty.ipynb", work / "empty.out.ipynb"
    if not src.exists():
        # a stock kernelspec for this interpreter (what `python -m ipykernel install` writes), quietened
        spec_dir = work / "jupyter" / "kernels" / BARE_KERNEL
        spec_dir.mkdir(parents=True)
        (spec_dir / "kernel.json").write_text(json.dumps({
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=CRITICAL"],  # quiet, as ours: no TCP warning on every start
            "display_name": "Python 3", "language": "python"}), encoding="utf-8")
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(work / "jupyter"),
                                                                 os.environ.get("JUPYTER_PATH", "")) if p)
        nb = nbformat.v4.new_notebook()
        nb.metadata["kernelspec"] = {"name": BARE_KERNEL, "display_name": "Python 3", "language": "python"}
        nb.cells = [nbformat.v4.new_code_cell("")]
        nbformat.write(nb, src)
    t0 = time.perf_counter()
    papermill.execute_notebook(str(src), str(out), kernel_name=BARE_KERNEL, cwd=str(work),
                               progress_bar=False, log_output=False)
    t1 = time.perf_counter()
    body, _ = HTMLExporter().from_notebook_node(nbformat.read(out, as_version=4))
    (work / "empty.html").write_text(body, encoding="utf-8")
    return t1 - t0, time.perf_counter() - t1


def _stage_once(project, checked, work: Path, name: str = STAGE) -> tuple[float, float]:
    from toolkit.execution import execute
    from toolkit.rendering import render_notebook

    ev = checked.evaluation
    stage = ev.config.stage(name)
    notebook = work / f"{ev.name}.{name}.ipynb"
    t0 = time.perf_counter()
    failure = execute(checked.templates[name].path, notebook,
                      parameters={"evaluation_dir": str(ev.folder), "stage": name,
                                  "results_path": str(work / f"{ev.name}.{name}.results.json"), **stage.parameters},
                      cwd=ev.folder, timeout=stage.timeout_seconds)
    t1 = time.perf_counter()
    if failure is not None:
        raise SystemExit(f"the {name} stage of {ev.name} failed: {failure}")
    render_notebook(notebook, work / f"{ev.name}.{name}.html", title=ev.config.charter.title, evaluation=ev.name,
                    stage_title=checked.templates[name].title, template=stage.template, run_id="bench",
                    run_date="2026-01-01T00:00:00Z", toolkit_version="bench", parameters=[("stage", name)])
    return t1 - t0, time.perf_counter() - t1


def _split_imports(template: Path) -> None:
    """Move the import lines of the template's first code cell (after the parameters) into a cell of their own."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    code = [i for i, c in enumerate(nb.cells)
            if c.cell_type == "code" and "parameters" not in c.metadata.get("tags", [])]
    first = nb.cells[code[0]]
    lines = first.source.splitlines()
    imports = [ln for ln in lines if ln.startswith(("import ", "from "))]
    first.source = "\n".join(ln for ln in lines if ln not in imports).strip()
    nb.cells.insert(code[0], nbformat.v4.new_code_cell("\n".join(imports)))
    nbformat.write(nb, template)


def _cells(notebook: Path) -> list[float]:
    """Papermill's duration of each code cell, the injected parameters left out."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    return [float(c.metadata.get("papermill", {}).get("duration") or 0.0) for c in nb.cells
            if c.cell_type == "code" and "injected-parameters" not in c.metadata.get("tags", [])
            and "parameters" not in c.metadata.get("tags", [])]


def portfolio() -> list[dict]:
    """Every stage of every example once, next to a floor run: where its time goes (see the module's notes)."""
    from toolkit.evaluations.checks import check_evaluation
    from toolkit.project import Project

    warnings.simplefilter("ignore")
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ignore = shutil.ignore_patterns("runs", "index.html", "__pycache__", ".ipynb_checkpoints")
        for name in ("templates", "evaluations", "data_samples"):
            shutil.copytree(ROOT / name, tmp / "project" / name, ignore=ignore)
        for template in (tmp / "project" / "templates").glob("*.ipynb"):
            _split_imports(template)
        project = Project(tmp / "project")
        work = tmp / "work"
        work.mkdir()
        _floor_once(work)  # warm-up
        for folder in project.evaluations():
            checked = check_evaluation(folder, project.templates_dir)
            for stage in checked.evaluation.config.stages:
                floor = sum(_floor_once(work))
                execute_s, render_s = _stage_once(project, checked, work, stage.name)
                cells = _cells(work / f"{checked.evaluation.name}.{stage.name}.ipynb")
                kernel = execute_s - sum(cells)
                fixed = kernel + cells[0] + render_s
                rows.append({"stage": f"{checked.evaluation.name} {stage.name} ({stage.template})", "floor": floor,
                             "kernel": kernel, "imports": cells[0], "analysis": cells[1],
                             "sections": sum(cells[2:]), "render": render_s, "fixed": fixed,
                             "ratio": fixed / floor})
    return rows


def portfolio_report(rows: list[dict]) -> str:
    head = (f"{'stage':<46} {'floor':>6} | {'kernel':>6} {'imports':>7} {'render':>6} = {'fixed':>6} "
            f"{'ratio':>6} | {'analysis':>8} {'sections':>8}")
    lines = ["Each stage of the portfolio, once, next to a floor run (seconds; fixed = kernel start/stop and "
             "papermill + imports + HTML rendering; ratio = fixed / floor):", head, "-" * len(head)]
    for r in rows:
        lines.append(f"{r['stage']:<46} {r['floor']:6.2f} | {r['kernel']:6.2f} {r['imports']:7.2f} "
                     f"{r['render']:6.2f} = {r['fixed']:6.2f} {r['ratio']:5.2f}x | {r['analysis']:8.2f} "
                     f"{r['sections']:8.2f}")
    return "\n".join(lines)


def measure(repeats: int) -> dict:
    """Medians (s) of floor and stage, split into execution and rendering, and their ratio."""
    from toolkit.evaluations.checks import check_evaluation
    from toolkit.project import Project

    warnings.simplefilter("ignore")
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        ignore = shutil.ignore_patterns("runs", "index.html", "__pycache__", ".ipynb_checkpoints")
        for name in ("templates", "evaluations", "data_samples"):
            shutil.copytree(ROOT / name, tmp / "project" / name, ignore=ignore)
        project = Project(tmp / "project")
        checked = check_evaluation(project.evaluation_dir(EVALUATION), project.templates_dir)
        work = tmp / "work"
        work.mkdir()
        _floor_once(work), _stage_once(project, checked, work)  # warm-up: disk cache, first imports
        floor, stage = [], []
        for _ in range(repeats):
            floor.append(_floor_once(work))
            stage.append(_stage_once(project, checked, work))

    def summary(pairs):
        totals = [a + b for a, b in pairs]
        return {"median": statistics.median(totals), "min": min(totals), "max": max(totals),
                "execute": statistics.median(a for a, _ in pairs), "render": statistics.median(b for _, b in pairs)}

    f, s = summary(floor), summary(stage)
    return {"floor": f, "stage": s, "ratio": s["median"] / f["median"], "repeats": repeats}


def report(res: dict) -> str:
    f, s = res["floor"], res["stage"]
    lines = [
        f"Stage overhead vs a bare floor (median of {res['repeats']}, min-max in brackets):",
        f"  floor: papermill empty notebook + nbconvert HTML  {f['median']:6.2f} s  "
        f"[{f['min']:.2f}-{f['max']:.2f}]  (execute {f['execute']:.2f}, render {f['render']:.2f})",
        f"  stage: {EVALUATION} {STAGE} (execute + render)  {s['median']:6.2f} s  "
        f"[{s['min']:.2f}-{s['max']:.2f}]  (execute {s['execute']:.2f}, render {s['render']:.2f})",
        f"  overhead per stage {s['median'] - f['median']:+.2f} s; ratio {res['ratio']:.2f}x the floor "
        f"(target <= {TARGET:.1f}x: {'met' if res['ratio'] <= TARGET else 'NOT met'})",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--repeats", type=int, default=5)
    ap.add_argument("--portfolio", action="store_true", help="also split the time of every stage of every example")
    args = ap.parse_args(argv)
    print(report(measure(args.repeats)), flush=True)
    if args.portfolio:
        print(portfolio_report(portfolio()), flush=True)


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main()
