"""toolkit.execution: a stage's kernel is stopped at once when its last cell ends, with nothing lost."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import nbformat

from toolkit.execution import execute


def _notebook(path: Path, *cells: str) -> Path:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nb.cells = [nbformat.v4.new_code_cell('out = ""', metadata={"tags": ["parameters"]})]
    nb.cells += [nbformat.v4.new_code_cell(c) for c in cells]
    nbformat.write(nb, path)
    return path


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # a killed child of this process may linger as a zombie until reaped: count that as gone
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
    except (OSError, IndexError):
        return True


def test_the_kernel_is_gone_when_execute_returns_and_its_writes_and_outputs_are_kept(tmp_path):
    template = _notebook(
        tmp_path / "t.ipynb",
        "import json, os, subprocess, sys\n"
        "child = subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)'])\n"
        "with open(out, 'w') as fh:\n"
        "    json.dump({'kernel': os.getpid(), 'child': child.pid}, fh)",
        "print('last output')",
    )
    record = tmp_path / "pids.json"
    failure = execute(template, tmp_path / "t.out.ipynb", parameters={"out": str(record)}, cwd=tmp_path,
                      timeout=120)
    assert failure is None
    pids = json.loads(record.read_text())
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and (_alive(pids["kernel"]) or _alive(pids["child"])):
        time.sleep(0.05)
    assert not _alive(pids["kernel"]), "the kernel outlived its notebook"
    assert not _alive(pids["child"]), "a process the stage started outlived its kernel"
    nb = nbformat.read(tmp_path / "t.out.ipynb", as_version=4)
    assert nb.cells[-1].outputs[0]["text"] == "last output\n"


def test_a_failing_cell_is_still_reported(tmp_path):
    template = _notebook(tmp_path / "t.ipynb", "x = 1", "raise ValueError('no such column: age')")
    failure = execute(template, tmp_path / "t.out.ipynb", parameters={}, cwd=tmp_path, timeout=120)
    assert failure is not None
    # the parameters cell counts: the failing cell is the third
    assert (failure.cell_index, failure.error_name, failure.error_value) == (3, "ValueError", "no such column: age")
