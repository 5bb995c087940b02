"""What changed since the previous successful run: data, estimates, statuses."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from toolkit.designs.result import se_distance

__all__ = ["Changes", "compare_runs"]


@dataclass(frozen=True)
class Changes:
    previous_run: str
    data: pd.DataFrame
    estimates: pd.DataFrame
    flips: pd.DataFrame
    notes: tuple[str, ...] = field(default_factory=tuple)

    @property
    def anything(self) -> bool:
        return bool(len(self.data) or len(self.flips) or (len(self.estimates) and self.estimates["changed"].any()))


def _load(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _num(x):
    try:
        v = float(x)
        return v if math.isfinite(v) else None
    except (TypeError, ValueError):
        return None


def se_scale_of(estimate: dict) -> str:
    """On which scale a recorded estimate's SE is: its ``se_scale``, or for results written before it
    was recorded, ``"log"`` for ratios (their SE has always been that of the log ratio)."""
    scale = estimate.get("se_scale")
    if scale in ("estimate", "log"):
        return scale
    extra = estimate.get("extra") or {}
    return "log" if extra.get("scale") == "ratio" or "ratio" in str(estimate.get("unit", "")).lower() else "estimate"


def _by_source(inputs: list[dict]) -> dict[str, list[dict]]:
    out: dict[str, list[dict]] = {}
    for item in inputs:
        out.setdefault(item["source"], []).append(item)
    return out


def _identity(item: dict) -> str:
    """What says an input is unchanged: a file's SHA-256; a table's rows and periods (a table has no file hash)."""
    if item.get("sha256") != "table":
        return str(item["sha256"])
    what = item.get("table") or f"query {item.get('query_sha256')}"
    return f"table {what} rows {item.get('rows')} periods {','.join(map(str, item.get('periods') or []))}"


def _shown(item: dict) -> str:
    """An input as the change table names it: the file's name, the table, or "query"."""
    if "path" in item:
        return Path(item["path"]).name
    return item.get("table") or "query"


def _data_changes(old: list[dict], new: list[dict]) -> pd.DataFrame:
    rows = []
    old_s, new_s = _by_source(old), _by_source(new)
    for source in sorted(set(old_s) | set(new_s)):
        o, n = old_s.get(source, []), new_s.get(source, [])
        o_hash = sorted(map(_identity, o))
        n_hash = sorted(map(_identity, n))
        if o_hash == n_hash:
            continue
        o_rows, n_rows = sum(i.get("rows", 0) for i in o), sum(i.get("rows", 0) for i in n)
        o_per = {p for i in o for p in i.get("periods", [])}
        n_per = {p for i in n for p in i.get("periods", [])}
        new_periods = sorted(n_per - o_per)
        what = "new source" if not o else "source removed" if not n else "data changed"
        rows.append({
            "Source": source, "Change": what, "Rows before": o_rows if o else None, "Rows now": n_rows if n else None,
            "New periods": ", ".join(new_periods[:6]) + (" …" if len(new_periods) > 6 else "") if new_periods else "none",
            "Files": ", ".join(_shown(i) for i in n) or "–",
        })
    return pd.DataFrame(rows, columns=["Source", "Change", "Rows before", "Rows now", "New periods", "Files"])


def _estimate_changes(old: dict, new: dict) -> pd.DataFrame:
    old_e = {e["key"]: e for e in old.get("estimates", []) if "key" in e}
    rows = []
    for e in new.get("estimates", []):
        if e.get("kind") == "forecast" or "key" not in e:
            continue
        before = old_e.get(e["key"])
        now_v, se = _num(e.get("estimate")), _num(e.get("se"))
        was_v = _num(before.get("estimate")) if before else None
        if now_v is None and was_v is None:
            continue
        diff = None if (now_v is None or was_v is None) else now_v - was_v
        beyond = None
        if diff is not None and se is not None and se > 0:
            moved = se_distance(was_v, now_v, se, se_scale_of(e))  # a ratio's SE is on the log scale
            beyond = None if math.isnan(moved) else moved > 1
        rows.append({
            "Result": e["key"], "Before": was_v, "Now": now_v, "Change": diff,
            "Moved more than one SE": "new" if before is None else ("yes" if beyond else "no" if beyond is not None else "no SE"),
            "changed": before is None or (diff is not None and abs(diff) > 1e-12),
        })
    return pd.DataFrame(rows, columns=["Result", "Before", "Now", "Change", "Moved more than one SE", "changed"])


def _flips(old: dict, new: dict) -> pd.DataFrame:
    rows = []
    if old.get("gap_verdict") and old.get("gap_verdict") != new.get("gap_verdict"):
        rows.append({"Item": "Verdict on the gap", "Before": old["gap_verdict"], "Now": new.get("gap_verdict")})
    for goal_id, status in new.get("goal_statuses", {}).items():
        before = old.get("goal_statuses", {}).get(goal_id)
        if before and before != status:
            was, now = old.get("goal_targets", {}).get(goal_id), new.get("goal_targets", {}).get(goal_id)
            why = f" (the target changed from {was:g} to {now:g})" if None not in (was, now) and was != now else ""
            rows.append({"Item": f"Goal {goal_id}{why}", "Before": before, "Now": status})
    return pd.DataFrame(rows, columns=["Item", "Before", "Now"])


def compare_runs(previous_dir: Path, current_manifest: dict, current_results: dict,
                 current_summary: dict) -> Changes:
    """Compare this run with ``previous_dir`` (the previous successful run)."""
    old_manifest = _load(previous_dir / "manifest.json")
    old_results = _load(previous_dir / "results.json")
    old_summary = _load(previous_dir / "summary.json")
    notes = []
    if old_results.get("schema_version") not in (None, current_results.get("schema_version")):
        notes.append(f"The previous run was written by toolkit {old_results.get('toolkit_version')}, whose results "
                     "use a different layout; its estimates are not compared.")
        old_results = {}
    return Changes(
        previous_run=previous_dir.name,
        data=_data_changes(old_manifest.get("inputs", []), current_manifest.get("inputs", [])),
        estimates=_estimate_changes(old_results, current_results),
        flips=_flips(old_summary, current_summary),
        notes=tuple(notes),
    )
