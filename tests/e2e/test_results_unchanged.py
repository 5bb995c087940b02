"""Every shipped example's results.json says what it said before the issue-14 refactor.

Reference: tests/reference/example_results.json, written from runs of commit 832f991 (before the stage
refactor) by tests/reference/example_results.py.  Counts and labels must match exactly; floats to a relative
1e-9 (absolute 1e-12 near zero) — tight enough that any change of method shows, loose enough for summation order.
"""

from __future__ import annotations

import json
import math
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "reference"))
from example_results import OUT, digest  # noqa: E402

pytestmark = pytest.mark.e2e
REFERENCE = json.loads(OUT.read_text(encoding="utf-8"))


def _same(a, b) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return a is None and b is None
        return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b))
    return a == b


@pytest.mark.parametrize("example", sorted(REFERENCE))
def test_example_results_unchanged(demo_runs, example):
    _, outcomes = demo_runs
    got = digest(json.loads((outcomes[example].run_dir / "results.json").read_text(encoding="utf-8")))
    want = REFERENCE[example]
    assert sorted(got["estimates"]) == sorted(want["estimates"]), "the set of recorded estimates changed"
    changed = [k for k in want["estimates"] if not _same(got["estimates"][k], want["estimates"][k])]
    assert not changed, "estimates changed: " + "; ".join(
        f"{k}: {want['estimates'][k]} -> {got['estimates'][k]}" for k in changed[:5])
    assert sorted(got["tables"]) == sorted(want["tables"]), "the set of recorded tables changed"
    changed = [k for k in want["tables"] if not _same(got["tables"][k], want["tables"][k])]
    assert not changed, f"tables changed: {changed}"
