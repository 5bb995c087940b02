"""The qualitative evidence log kept beside evaluation.yaml, read strictly and set against the goals.

One row per finding: ``date`` (YYYY-MM-DD), ``method`` (source or method),
``who`` (who was heard), ``n`` (how many), ``theme``, ``finding``, ``link`` (a
goal id or a logic-model step) and ``stance`` (supports or challenges the
linked goal or step).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from toolkit.errors import DataError, Problem
from toolkit.evaluations.schema import GOAL_STEPS, Charter

__all__ = ["COLUMNS", "read_log", "log_problems", "against_goals"]

COLUMNS = ("date", "method", "who", "n", "theme", "finding", "link", "stance")
_STANCES = ("supports", "challenges")


def log_problems(path: Path, charter: Charter) -> tuple[pd.DataFrame | None, list[Problem]]:
    """Read the log and list every problem (file, row, column, fix)."""
    name = path.name
    if not path.exists():
        return None, [Problem(f"the qualitative log {name} does not exist", where="charter.qualitative.log",
                              fix="create it beside evaluation.yaml with columns " + ", ".join(COLUMNS))]
    try:
        log = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (ValueError, OSError) as exc:
        return None, [Problem(f"cannot read {name}: {exc}", file=name, fix="save it as a UTF-8 CSV")]
    problems: list[Problem] = []
    missing = [c for c in COLUMNS if c not in log.columns]
    if missing:
        return None, [Problem(f"columns missing: {', '.join(missing)}", file=name,
                              fix="the log needs columns " + ", ".join(COLUMNS))]
    links = {g.id for g in charter.goals} | set(GOAL_STEPS)
    for i, row in log.iterrows():
        r = int(i) + 2  # spreadsheet row (header is row 1)
        text = row["date"].strip()
        try:
            if len(text) != 10:
                raise ValueError
            dt.date.fromisoformat(text)
        except ValueError:
            problems.append(Problem(f"'{text}' is not a date" if text else "the date is missing", file=name,
                                    column="date", rows=(r,), fix="write the date as YYYY-MM-DD, e.g. 2024-05-14"))
        if row["link"].strip() not in links:
            problems.append(Problem(f"'{row['link']}' is not a goal id or logic-model step", file=name, column="link",
                                    rows=(r,), fix="use one of: " + ", ".join(sorted(links))))
        if row["stance"].strip().lower() not in _STANCES:
            problems.append(Problem(f"'{row['stance']}' is not supports or challenges", file=name, column="stance",
                                    rows=(r,), fix="write supports or challenges"))
        n = row["n"].strip()
        if n and not n.isdigit():
            problems.append(Problem(f"'{n}' is not a whole number", file=name, column="n", rows=(r,),
                                    fix="give how many people were heard, or leave it blank"))
        if not row["finding"].strip():
            problems.append(Problem("the finding is empty", file=name, column="finding", rows=(r,),
                                    fix="write what was found"))
    return log, problems


def read_log(folder: Path, charter: Charter) -> pd.DataFrame | None:
    """The log as a DataFrame (None when the charter names none); DataError listing every bad cell."""
    if not charter.qualitative.log:
        return None
    log, problems = log_problems(Path(folder) / charter.qualitative.log, charter)
    if problems:
        raise DataError("The qualitative evidence log has problems:", problems)
    return log


def against_goals(log: pd.DataFrame, statuses) -> pd.DataFrame:
    """Each finding beside the quantitative status of its linked goal: agreement or tension."""
    by_id = {s.goal.id: s for s in statuses}
    rows = []
    for _, row in log.iterrows():
        link, stance = row["link"].strip(), row["stance"].strip().lower()
        linked = [by_id[link]] if link in by_id else [s for s in statuses if s.goal.step == link]
        status = ", ".join(sorted({s.status for s in linked})) or "no goal at this step"
        if len(linked) == 1 and linked[0].status in ("on track", "not on track"):
            good = linked[0].status == "on track"
            reading = "agreement" if good == (stance == "supports") else "tension"
        else:
            reading = "no quantitative verdict to compare"
        who = row["who"].strip() + (f" ({row['n'].strip()})" if row["n"].strip() else "")
        rows.append({"Date": row["date"].strip(), "Method": row["method"], "Who (how many)": who,
                     "Theme": row["theme"], "Finding": row["finding"], "Linked to": link,
                     "Stance": stance, "Goal status": status, "Reading": reading})
    return pd.DataFrame(rows, columns=["Date", "Method", "Who (how many)", "Theme", "Finding", "Linked to", "Stance",
                                       "Goal status", "Reading"])
