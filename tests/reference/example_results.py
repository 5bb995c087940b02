"""Write tests/reference/example_results.json from the latest run of every shipped example.

The file fixes what each example's results.json says (every estimate and every recorded table), so a refactor
that changes a number fails ``tests/e2e/test_results_unchanged.py``.  Regenerate it only for an intended change of
numbers, say why in the commit message, and review the diff::

    hitk run --all && python tests/reference/example_results.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE / "example_results.json"
FIELDS = ("estimate", "se", "se_scale", "ci_low", "ci_high", "level", "p_value", "n", "unit", "kind")


def digest(results: dict) -> dict:
    """The parts of a results.json the reference fixes: estimates by key, and tables by stage and name."""
    estimates = {e["key"]: {f: e.get(f) for f in FIELDS} for e in results["estimates"]}
    tables = {f"{stage}.{name}": rows for stage, body in results["stages"].items()
              for name, rows in (body.get("tables") or {}).items()}
    return {"estimates": estimates, "tables": tables}


def main(evaluations: Path) -> None:
    out = {}
    for folder in sorted(p for p in evaluations.iterdir() if (p / "evaluation.yaml").exists()):
        latest = (folder / "runs" / "LATEST")
        run = folder / "runs" / latest.read_text().strip() if latest.exists() else sorted((folder / "runs").iterdir())[-1]
        out[folder.name] = digest(json.loads((run / "results.json").read_text(encoding="utf-8")))
    OUT.write_text(json.dumps(out, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {OUT} ({sum(len(v['estimates']) for v in out.values())} estimates)")


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE.parents[1] / "evaluations")
