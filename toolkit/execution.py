"""Execute a template notebook with papermill, in the running interpreter's kernel.

The kernel is described by a private kernelspec written to a temporary
``JUPYTER_PATH`` entry, so execution works inside ``.venv`` with no globally
registered kernel and is never redirected to some other Python that happens to
own the name ``python3``.  Figures are drawn off-screen (``MPLBACKEND=Agg``) and
shown only through :mod:`toolkit.reporting.display`, which adds alt text.

Once the last cell has finished (or failed) the kernel is stopped at once
(nbclient's ``shutdown_kernel="immediate"``: its process group is killed) rather
than asked to exit: a graceful exit tears down every module the stage imported and
cost 1-2 s per stage here (0.8-1.2 s for an empty kernel), for nothing, since a
stage writes its results as it records them and its outputs have all arrived when
a cell's execution ends.  Killing the process group also ends any child process a
stage started (a local Spark JVM).
"""

from __future__ import annotations

import atexit
import json
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import nbformat
import papermill
from papermill.engines import NBClientEngine, NotebookExecutionManager, papermill_engines
from papermill.exceptions import PapermillExecutionError

__all__ = ["KERNEL_NAME", "ensure_kernel", "use_kernel_root", "execute", "CellFailure"]

KERNEL_NAME = "hitk-python"
_KERNEL_ROOT: Path | None = None


def ensure_kernel() -> Path:
    """Write (once per process) a kernelspec for this interpreter and put it on JUPYTER_PATH."""
    global _KERNEL_ROOT
    if _KERNEL_ROOT is None:
        root = Path(tempfile.mkdtemp(prefix="hitk-jupyter-"))
        spec_dir = root / "kernels" / KERNEL_NAME
        spec_dir.mkdir(parents=True)
        spec = {
            "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}",
                     "--IPKernelApp.log_level=CRITICAL",
                     # no IPython history database: nothing to open at start, and kernels of parallel
                     # runs (`hitk run --all --jobs N`) never contend for one SQLite file
                     "--HistoryManager.enabled=False"],
            "display_name": "HI Evaluation Toolkit (Python)",
            "language": "python",
            "env": {"MPLBACKEND": "Agg", "PYDEVD_DISABLE_FILE_VALIDATION": "1"},
        }
        (spec_dir / "kernel.json").write_text(json.dumps(spec), encoding="utf-8")
        _KERNEL_ROOT = root
        atexit.register(shutil.rmtree, root, ignore_errors=True)  # worker processes never run this
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(_KERNEL_ROOT) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(_KERNEL_ROOT), paths) if p)
    return _KERNEL_ROOT


def use_kernel_root(root: Path) -> None:
    """Use a kernelspec another process wrote with :func:`ensure_kernel` (``hitk run --all`` workers)."""
    global _KERNEL_ROOT
    _KERNEL_ROOT = Path(root)
    ensure_kernel()


ENGINE_NAME = "hitk"


class _QuietManager(NotebookExecutionManager):
    """Papermill's execution manager without its save at every cell start and end.

    Papermill rewrites (and re-validates) the whole output notebook twice per cell,
    images included; a stage's report is read only once the run ends.  The notebook
    is still written when execution starts, when it ends (also on a timeout or a dead
    kernel, with the outputs so far) and every ``autosave_cell_every`` seconds of a
    long cell, so a failed stage can always be inspected.
    """

    def _unsaved(self, method, *args, **kwargs):
        path, self.output_path = self.output_path, None
        try:
            return method(*args, **kwargs)
        finally:
            self.output_path = path

    def cell_start(self, cell, cell_index=None, **kwargs):
        return self._unsaved(super().cell_start, cell, cell_index, **kwargs)

    def cell_complete(self, cell, cell_index=None, **kwargs):
        return self._unsaved(super().cell_complete, cell, cell_index, **kwargs)


class _Engine(NBClientEngine):
    """Papermill's nbclient engine with :class:`_QuietManager` (same steps as ``Engine.execute_notebook``)."""

    @classmethod
    def execute_notebook(cls, nb, kernel_name, output_path=None, progress_bar=True, log_output=False,
                         autosave_cell_every=30, **kwargs):
        nb_man = _QuietManager(nb, output_path=output_path, progress_bar=progress_bar, log_output=log_output,
                               autosave_cell_every=autosave_cell_every)
        nb_man.notebook_start()
        try:
            cls.execute_managed_notebook(nb_man, kernel_name, log_output=log_output, **kwargs)
        finally:
            nb_man.cleanup_pbar()
            nb_man.notebook_complete()
        return nb_man.nb


papermill_engines.register(ENGINE_NAME, _Engine)


@dataclass(frozen=True)
class CellFailure:
    """Where and why a notebook failed."""

    cell_index: int | None
    cell_source: str
    error_name: str
    error_value: str


def _failure_from_notebook(path: Path, exc: Exception) -> CellFailure:
    cell_index = None
    source = ""
    try:
        nb = nbformat.read(path, as_version=4)
        # number cells as the template shows them: papermill's injected cell does not count
        code_cells = [c for c in nb.cells if c.cell_type == "code"
                      and "injected-parameters" not in c.get("metadata", {}).get("tags", [])]
        for i, cell in enumerate(code_cells, start=1):
            if any(o.get("output_type") == "error" for o in cell.get("outputs", [])):
                cell_index, source = i, cell.source
                break
    except Exception:  # noqa: BLE001 - diagnostics only
        pass
    if isinstance(exc, PapermillExecutionError):
        return CellFailure(cell_index, source, exc.ename, str(exc.evalue))
    return CellFailure(cell_index, source, type(exc).__name__, str(exc))


def execute(template: Path, output: Path, *, parameters: dict[str, Any], cwd: Path,
            timeout: int = 600, progress: bool = False) -> CellFailure | None:
    """Execute ``template`` into ``output``; return None on success, else the failure.

    The executed notebook is always written, so a failed stage can be inspected.
    """
    ensure_kernel()
    try:
        papermill.execute_notebook(
            str(template),
            str(output),
            parameters=parameters,
            kernel_name=KERNEL_NAME,
            engine_name=ENGINE_NAME,
            cwd=str(cwd),
            progress_bar=progress,
            log_output=False,
            execution_timeout=timeout,
            start_timeout=120,
            shutdown_kernel="immediate",  # see the module's notes
        )
    except Exception as exc:  # noqa: BLE001 - any failure of the notebook is reported, not raised
        return _failure_from_notebook(output, exc)
    return None
