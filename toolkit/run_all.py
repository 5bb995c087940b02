"""``hitk run --all``: every evaluation of the project, several at a time.

Each evaluation runs in its own worker process (its stages in order, each stage in
its own papermill kernel, as for ``hitk run NAME``).  What makes that safe:

- run folders, manifests and LATEST belong to one evaluation each, so no two
  workers write the same file;
- the private kernelspec (see :mod:`toolkit.execution`) is written once, by the
  parent, and only read by the workers;
- the portfolio index reads every evaluation, so it is written once, by the
  parent, after every worker has finished;
- a failure (or a crash of a worker process) is reported for its evaluation
  only: the others carry on, and the exit status is the worst of them.

With one job the evaluations run one after another in this process, exactly as
before (the index is then refreshed after each one).
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import time
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from toolkit.errors import RunError, ToolkitError
from toolkit.project import Project

__all__ = ["EvaluationResult", "default_jobs", "run_all"]


def default_jobs() -> int:
    """The number of CPU cores (at least 1): the default of ``hitk run --all --jobs``."""
    return max(1, os.cpu_count() or 1)


@dataclass
class EvaluationResult:
    """How one evaluation of ``run --all`` ended (picklable: it comes back from a worker)."""

    name: str
    exit_code: int
    seconds: float
    error: str | None = None
    run_dir: Path | None = None
    reports: dict[str, Path] = field(default_factory=dict)
    summary: Path | None = None
    pack: Path | None = None


def _run_one(root: Path, folder: Path, pack: bool, kernel_root: Path | None, publish: bool = False,
             progress: Callable[[str], None] = lambda _m: None) -> EvaluationResult:
    """Run one evaluation; never raises (the result says how it ended)."""
    from toolkit.runner import run_evaluation

    if kernel_root is not None:  # in a worker: reuse the parent's kernelspec instead of writing another
        from toolkit import execution

        execution.use_kernel_root(kernel_root)
    t0 = time.perf_counter()
    # Ctrl-C reaches the whole process group: a worker stops its evaluation (marked interrupted) ...
    if kernel_root is not None:
        signal.signal(signal.SIGINT, signal.default_int_handler)
    try:
        outcome = run_evaluation(Project(root), str(folder), progress=progress, publish=publish)
        result = EvaluationResult(folder.name, 0, 0.0, run_dir=outcome.run_dir, reports=dict(outcome.reports),
                                  summary=outcome.summary)
        if pack:
            from toolkit.rendering.pack import build_pack

            result.pack = build_pack(outcome.run_dir)
    except ToolkitError as exc:
        result = EvaluationResult(folder.name, exc.exit_code, 0.0, error=str(exc))
    except KeyboardInterrupt:
        if kernel_root is None:  # one job, in the command's own process: Ctrl-C stops everything, as before
            raise
        result = EvaluationResult(folder.name, 130, 0.0, error="interrupted (Ctrl-C)")
    except Exception as exc:  # noqa: BLE001 - one evaluation's surprise must not stop the others
        result = EvaluationResult(folder.name, 1, 0.0,
                                  error=f"stopped on an unexpected error: {type(exc).__name__}: {exc}")
    finally:
        if kernel_root is not None:  # ... and an idle worker ignores it (no stray tracebacks)
            signal.signal(signal.SIGINT, signal.SIG_IGN)
    result.seconds = time.perf_counter() - t0
    return result


class _Stopped(BaseException):
    """SIGTERM reached ``run --all`` while workers were running."""


def _worker_init() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


def run_all(project: Project, *, jobs: int | None = None, pack: bool = False,
            on_done: Callable[[EvaluationResult, int, int], None] = lambda _r, _i, _n: None,
            progress: Callable[[str], None] = lambda _m: None) -> list[EvaluationResult]:
    """Run every evaluation of ``project``, ``jobs`` at a time (default: :func:`default_jobs`).

    ``on_done(result, i, n)`` is called in this process as each evaluation finishes
    (the ``i``-th of ``n``).  With ``jobs == 1`` they run here, one after another,
    and ``progress`` receives each run's stage lines as before.  With more jobs the
    portfolio index is written once at the end (its path goes to ``progress``).

    Returns
    -------
    list of EvaluationResult
        In the order the evaluations finished.
    """
    folders = project.evaluations()
    jobs = min(jobs or default_jobs(), max(1, len(folders)))
    results: list[EvaluationResult] = []
    if jobs == 1:
        for folder in folders:
            results.append(_run_one(project.root, folder, pack, None, publish=True, progress=progress))
            on_done(results[-1], len(results), len(folders))
        return results

    from toolkit.execution import ensure_kernel

    kernel_root = ensure_kernel()
    # spawn, not fork: the parent may hold threads (a test session, an earlier kernel's ZeroMQ context)
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_worker_init)
    previous = signal.getsignal(signal.SIGTERM)

    def _terminate(signum, frame):  # pragma: no cover - exercised by hand
        for proc in list(getattr(pool, "_processes", {}).values()):
            try:
                proc.terminate()  # each worker's run marks itself interrupted
            except OSError:
                pass
        raise _Stopped

    try:
        signal.signal(signal.SIGTERM, _terminate)
    except ValueError:  # not the main thread
        previous = None
    try:
        pending = {pool.submit(_run_one, project.root, folder, pack, kernel_root): folder for folder in folders}
        while pending:
            done, _ = wait(pending, return_when=FIRST_COMPLETED)
            for future in done:
                folder = pending.pop(future)
                try:
                    result = future.result()
                except Exception as exc:  # noqa: BLE001 - a worker process died (killed, out of memory)
                    result = EvaluationResult(folder.name, 1, 0.0, error=(
                        f"its worker process stopped unexpectedly ({type(exc).__name__}); the run folder may say "
                        "'running'. Run it again on its own with `hitk run " + folder.name + "`."))
                results.append(result)
                on_done(result, len(results), len(folders))
    except KeyboardInterrupt:
        pool.shutdown(wait=True, cancel_futures=True)  # running workers got the same Ctrl-C and stop cleanly
        raise
    except _Stopped:  # pragma: no cover - exercised by hand
        pool.shutdown(wait=True, cancel_futures=True)
        error = RunError("hitk run --all was stopped by SIGTERM. Each evaluation that was running is marked "
                         "'interrupted'; LATEST still names each one's last good run.")
        error.exit_code = 143
        raise error from None
    finally:
        pool.shutdown(wait=True)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    from toolkit.runner import publish_index

    try:
        progress(f"Portfolio index: {publish_index(project)}")
    except (OSError, ToolkitError) as exc:
        progress(f"Warning: the runs are recorded, but the portfolio index could not be written ({exc}). "
                 "Fix the problem and run `hitk index`.")
    return results
