"""Run folders: one new folder per run, never overwritten, with its manifest.

Layout of ``evaluations/NAME/runs/``::

    2026-11-23T09-30-00Z/       one run (UTC start time)
        manifest.json           versions, parameters, input hashes, times, status
        results.json            merged named results (successful runs)
        charter.ipynb           executed notebook of each stage
        charter.html            rendered report of each stage (successful runs only)
        summary.html            evaluation summary (successful runs only)
        stages/                 per-stage result files
    LATEST                      the id of the latest successful *full* run

A run of only some stages (``hitk run NAME --stage S``) is marked ``partial`` in
its manifest and never becomes LATEST: LATEST, the evaluation summary and the
portfolio index always describe one run of every stage, so a one-stage rerun
cannot turn the board's picture into "too early to tell" or "source removed".
A run stopped by Ctrl-C or SIGTERM is marked ``interrupted``.
"""

from __future__ import annotations

import datetime as dt
import json
import platform
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

from toolkit import __version__
from toolkit.results import write_json

__all__ = ["RunFolder", "new_run_folder", "list_runs", "latest_successful", "package_versions", "utc_now"]

KEY_PACKAGES = ("numpy", "pandas", "scipy", "statsmodels", "linearmodels", "matplotlib", "duckdb",
                "pyarrow", "pydantic", "papermill", "nbconvert", "nbclient", "ipykernel", "rdrobust")


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.timezone.utc)


def iso(t: dt.datetime) -> str:
    return t.isoformat(timespec="seconds").replace("+00:00", "Z")


def package_versions() -> dict[str, str]:
    out = {}
    for name in KEY_PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


@dataclass
class RunFolder:
    """A run folder and its manifest (updated as the run goes)."""

    path: Path
    manifest: dict[str, Any]

    @property
    def run_id(self) -> str:
        return self.path.name

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def save(self) -> None:
        write_json(self.manifest_path, self.manifest)

    @property
    def partial(self) -> bool:
        return bool(self.manifest.get("partial"))

    def finish(self, status: str, **fields: Any) -> None:
        """Record the final status; a successful *full* run becomes LATEST (written atomically)."""
        self.manifest.update(fields)
        self.manifest["status"] = status
        self.manifest["finished_at"] = iso(utc_now())
        self.save()
        if status == "succeeded" and not self.partial:
            latest = self.path.parent / "LATEST"
            tmp = self.path.parent / f".LATEST.{self.run_id}.tmp"
            tmp.write_text(self.run_id + "\n", encoding="utf-8")
            tmp.replace(latest)


def new_run_folder(runs_dir: Path, *, evaluation: str, stages: list[str], parameters: dict[str, Any],
                   inputs: list[dict[str, Any]], charter_sha256: str, partial: bool = False,
                   date_formats: dict[str, dict[str, str]] | None = None) -> RunFolder:
    """Create a new, uniquely named run folder and write its initial manifest."""
    runs_dir.mkdir(parents=True, exist_ok=True)
    started = utc_now()
    stamp = started.strftime("%Y-%m-%dT%H-%M-%SZ")
    for attempt in range(1000):
        name = stamp if attempt == 0 else f"{stamp}-{attempt + 1}"
        path = runs_dir / name
        try:
            path.mkdir()
            break
        except FileExistsError:
            continue
    else:  # pragma: no cover - a thousand runs in one second
        raise RuntimeError("could not create a unique run folder")
    manifest = {
        "manifest_version": 1,
        "evaluation": evaluation,
        "run_id": path.name,
        "status": "running",
        "started_at": iso(started),
        "finished_at": None,
        "toolkit_version": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "packages": package_versions(),
        "stages": stages,
        "partial": partial,
        "parameters": parameters,
        "date_formats": date_formats or {},
        "inputs": inputs,
        "charter_sha256": charter_sha256,
    }
    folder = RunFolder(path, manifest)
    folder.save()
    return folder


def _read_manifest(path: Path) -> dict[str, Any] | None:
    try:
        return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def list_runs(runs_dir: Path) -> list[tuple[Path, dict[str, Any]]]:
    """Every run with a readable manifest, oldest first."""
    if not runs_dir.is_dir():
        return []
    out = []
    for p in sorted(runs_dir.iterdir()):
        if p.is_dir():
            m = _read_manifest(p)
            if m is not None:
                out.append((p, m))
    return out


def latest_successful(runs_dir: Path, *, before: str | None = None,
                      include_partial: bool = False) -> tuple[Path, dict[str, Any]] | None:
    """The newest successful full run (optionally the newest before run id ``before``).

    Partial runs (``--stage``) are left out unless ``include_partial``.
    """
    runs = [(p, m) for p, m in list_runs(runs_dir) if m.get("status") == "succeeded"
            and (include_partial or not m.get("partial"))]
    if before is not None:
        runs = [(p, m) for p, m in runs if p.name < before]
    return runs[-1] if runs else None
