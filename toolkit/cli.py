"""``hitk``: translates command-line options into toolkit calls, nothing else.

Exit codes: 0 ok, 1 a run failed, 2 invalid input or usage (or a file that cannot be read or
written), 130 interrupted by Ctrl-C, 143 stopped by SIGTERM.  Every error is one readable
paragraph on stderr, never a traceback.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from toolkit import __version__
from toolkit.errors import ToolkitError

__all__ = ["main"]


def _project(args):
    from toolkit.project import find_project

    return find_project(args.project) if args.project else find_project()


def cmd_templates(args) -> int:
    from toolkit.evaluations.catalogue import list_templates

    from toolkit.evaluations.guide import guide_for
    from toolkit.evaluations.role_rules import describe_alternatives

    for t in list_templates(_project(args).templates_dir):
        print(f"{t.name:<22} {t.description}")
        guide = guide_for(t.name)
        if guide:
            print(f"    answers: {guide.question}")
            for situation in guide.situations:
                print(f"    use it when: {situation}")
        for p in t.user_parameters:
            default = repr(p.default)
            print(f"    {p.name} ({p.type}, default {default}){': ' + p.help if p.help else ''}")
        if t.required_roles or t.optional_roles:
            print(f"    data roles: required {', '.join(t.required_roles) or '-'}; "
                  f"optional {', '.join(t.optional_roles) or '-'}")
            either = describe_alternatives(t.name)
            if either:
                print(f"    needs one of: {either}")
    return 0


def cmd_new(args) -> int:
    from toolkit.evaluations.scaffold import new_evaluation

    path = new_evaluation(_project(args), args.template, args.name)
    print(f"Created {path}")
    print(f"Next: edit it, then `hitk validate {args.name}` and `hitk run {args.name}`.")
    return 0


def cmd_validate(args) -> int:
    from toolkit.evaluations.checks import check_evaluation

    project = _project(args)
    checked = check_evaluation(project.evaluation_dir(args.evaluation), project.templates_dir)
    stages = ", ".join(s.name for s in checked.evaluation.config.stages)
    print(f"{checked.evaluation.yaml_path}: valid. Stages: {stages}. "
          f"Data sources checked: {len(checked.sources)}.")
    for source, n in checked.rows.items():
        print(f"  {source}: {n:,} rows")
    for source, columns in checked.date_formats.items():
        for column, description in columns.items():
            print(f"  {source}: column '{column}' read as {description}")
    for e in checked.exclusions:
        print(f"  {e.source}: {e.rows:,} row(s) of {Path(e.file).name} will be left out: {e.reason} "
              f"(column '{e.column}')")
    return 0


def _print_outcome(outcome) -> None:
    for stage, path in outcome.reports.items():
        print(f"  {stage}: {path}")
    if outcome.summary:
        print(f"  summary: {outcome.summary}")


def cmd_run(args) -> int:
    from toolkit.runner import run_evaluation

    project = _project(args)
    progress = lambda m: print(m, flush=True)  # noqa: E731
    if args.all == bool(args.evaluation):
        print("hitk run: give one EVALUATION, or --all", file=sys.stderr)
        return 2
    if args.evaluation:
        outcome = run_evaluation(project, args.evaluation, stages=args.stage or None, progress=progress)
        _print_outcome(outcome)
        if getattr(args, "pack", False):
            _print_pack(outcome.run_dir)
        return 0
    return _run_all(project, args, progress)


def _run_all(project, args, progress) -> int:
    """``run --all``: one line per evaluation as it finishes (several at a time with --jobs), then a summary."""
    import time

    from toolkit.run_all import run_all

    jobs = args.jobs
    if jobs is not None and jobs < 1:
        print("hitk run: --jobs must be 1 or more", file=sys.stderr)
        return 2
    sequential = jobs == 1

    def done(result, i, n) -> None:
        if result.error is not None:
            print(f"hitk: {result.name}: {result.error}", file=sys.stderr, flush=True)
        if sequential:  # as before: the run's own lines, then its reports
            if result.error is None:
                _print_outcome(result)
        else:
            what = (f"ok in {result.seconds:.0f} s: {result.summary or result.run_dir}" if result.error is None
                    else f"FAILED after {result.seconds:.0f} s (exit {result.exit_code}; reason above)")
            print(f"[{i}/{n}] {result.name}: {what}", flush=True)
        if result.pack is not None:
            print(f"  board pack: {result.pack}", flush=True)

    t0 = time.perf_counter()
    results = run_all(project, jobs=jobs, pack=getattr(args, "pack", False), on_done=done, progress=progress)
    failed = [r.name for r in results if r.exit_code]
    if not sequential:
        print(f"{len(results)} evaluation(s) in {time.perf_counter() - t0:.0f} s: {len(results) - len(failed)} "
              f"succeeded, {len(failed)} failed" + (f" ({', '.join(failed)})" if failed else "") + ".", flush=True)
    return max((r.exit_code for r in results), default=0)


def _print_pack(run_dir) -> None:
    from toolkit.rendering.pack import build_pack

    print(f"  board pack: {build_pack(run_dir)}", flush=True)


def cmd_pack(args) -> int:
    from toolkit.rendering.pack import latest_run

    _print_pack(latest_run(_project(args).evaluation_dir(args.evaluation)))
    return 0


def cmd_signoff(args) -> int:
    from toolkit.board.signoff import sign_off
    from toolkit.evaluations.checks import check_evaluation

    project = _project(args)
    checked = check_evaluation(project.evaluation_dir(args.evaluation), project.templates_dir)
    record = sign_off(checked.evaluation, by=args.by)
    print(f"Charter of '{checked.evaluation.name}' signed off by {record.by} on {record.date} "
          f"(SHA-256 {record.charter_sha256[:12]}…). Later reports show any change to it.")
    return 0


def cmd_index(args) -> int:
    from toolkit.runner import publish_index

    project = _project(args)
    try:
        path = publish_index(project)
    except OSError as exc:
        print(f"hitk: the portfolio index {project.evaluations_dir / 'index.html'} could not be written: "
              f"{exc.strerror or exc}. Check the folder's permissions and free disk space; the runs are untouched.",
              file=sys.stderr)
        return 1
    print(f"Portfolio index: {path}")
    return 0


def cmd_list(args) -> int:
    from toolkit.evaluations.loader import load_evaluation
    from toolkit.runs import list_runs

    project = _project(args)
    evaluations = project.evaluations()
    if not evaluations:
        print("No evaluations yet. Start one with `hitk new TEMPLATE NAME`.")
        return 0
    print(f"{'evaluation':<28} {'stages':<36} {'last run':<22} status")
    for folder in evaluations:
        try:
            stages = ", ".join(s.name for s in load_evaluation(folder).config.stages)
        except ToolkitError:
            stages = "(evaluation.yaml invalid: run hitk validate)"
        runs = list_runs(folder / "runs")
        last, status = ("never", "-") if not runs else (runs[-1][1].get("started_at", "?"), runs[-1][1].get("status", "?"))
        if runs and runs[-1][1].get("partial"):
            status += f" (partial: {', '.join(runs[-1][1].get('stages', []))}; LATEST is the last full run)"
        print(f"{folder.name:<28} {stages:<36} {last:<22} {status}")
    return 0


def cmd_lab(args) -> int:
    project = _project(args)
    target = project.evaluation_dir(args.evaluation) if args.evaluation else project.root
    if args.evaluation and not (target / "evaluation.yaml").exists():
        from toolkit.evaluations.loader import load_evaluation

        load_evaluation(target)  # raises the readable missing-file error
    command = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={target}"]
    if args.dry_run:
        print(" ".join(command))
        return 0
    env = dict(os.environ, MPLBACKEND=os.environ.get("MPLBACKEND", "module://matplotlib_inline.backend_inline"))
    return subprocess.call(command, env=env)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="hitk", description="HI Evaluation Toolkit: evaluate health-inequalities schemes.")
    parser.add_argument("--version", action="version", version=f"hitk {__version__}")
    parser.add_argument("--project", help="project folder (default: found from the current directory)")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("templates", help="list templates, what they do and their parameters")
    p.set_defaults(func=cmd_templates)
    p = sub.add_parser("new", help="start an evaluation from a template")
    p.add_argument("template")
    p.add_argument("name", help="lowercase letters, digits and hyphens")
    p.set_defaults(func=cmd_new)
    p = sub.add_parser("validate", help="check evaluation.yaml and its data without running anything")
    p.add_argument("evaluation")
    p.set_defaults(func=cmd_validate)
    p = sub.add_parser("run", help="run an evaluation and render its reports")
    p.add_argument("evaluation", nargs="?")
    p.add_argument("--all", action="store_true", help="run every evaluation in evaluations/")
    p.add_argument("--stage", action="append", help="run only this stage (repeatable)")
    p.add_argument("--pack", action="store_true", help="also print the board pack (PDF) of the run")
    p.add_argument("--jobs", "-j", type=int, default=None, metavar="N",
                   help="with --all: run N evaluations at a time, each in its own process "
                        "(default: the number of CPU cores; 1 runs them one after another)")
    p.set_defaults(func=cmd_run)
    p = sub.add_parser("pack", help="print the board pack (one PDF) of an evaluation's latest successful run")
    p.add_argument("evaluation")
    p.set_defaults(func=cmd_pack)
    p = sub.add_parser("signoff", help="record who signed off the charter (locks it: later changes are shown)")
    p.add_argument("evaluation")
    p.add_argument("--by", required=True, help='name and role of the person signing off, e.g. "A. Smith, SRO"')
    p.set_defaults(func=cmd_signoff)
    p = sub.add_parser("index", help="render evaluations/index.html, the portfolio of every evaluation")
    p.set_defaults(func=cmd_index)
    p = sub.add_parser("list", help="every evaluation with its stages and last run")
    p.set_defaults(func=cmd_list)
    p = sub.add_parser("lab", help="open JupyterLab on an evaluation's folder")
    p.add_argument("evaluation", nargs="?")
    p.add_argument("--dry-run", action="store_true", help="print the command instead of starting JupyterLab")
    p.set_defaults(func=cmd_lab)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse exits 2 on usage errors, 0 on --help
        return int(exc.code or 0)
    try:
        return args.func(args)
    except ToolkitError as exc:
        print(f"hitk: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("hitk: interrupted (Ctrl-C). Nothing was changed by the interrupted step.", file=sys.stderr)
        return 130
    except BrokenPipeError:  # output piped into `head`: not an error
        try:
            sys.stdout = open(os.devnull, "w")  # noqa: SIM115 - silence the flush at exit
        except OSError:
            pass
        return 0
    except OSError as exc:
        where = f" ({exc.filename})" if exc.filename else ""
        print(f"hitk: {args.command} could not read or write a file{where}: {exc.strerror or exc}. "
              "Check the folder's permissions and free disk space, then try again. "
              "Earlier runs and reports are untouched.", file=sys.stderr)
        return 2
    except Exception as exc:  # noqa: BLE001 - the last line of defence: one paragraph, never a traceback
        print(f"hitk: {args.command} stopped on an unexpected error: {type(exc).__name__}: {exc}. "
              "Earlier runs and reports are untouched. Please report this with the command you ran.",
              file=sys.stderr)
        return 1


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
