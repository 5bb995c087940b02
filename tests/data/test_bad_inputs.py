"""The bad-input catalogue: every way an analyst's evaluation.yaml or data can be wrong.

Each case breaks one thing in an evaluation that has already run successfully,
then asserts that ``hitk validate`` and ``hitk run`` both exit 2 with a readable
message (the file, the column, example rows as a spreadsheet numbers them, how
many rows and the fix), that no run folder was created and that the earlier
run's files are byte-identical.  The checks come from the template's data
contract (``hitk.contract`` in the test template's metadata, parsed into a
:class:`toolkit.data.contracts.Contract`), as for the shipped templates.
"""

from __future__ import annotations

import json
import shutil

import pandas as pd
import pytest
import yaml

from tests.conftest import copy_project
from tests.helpers import make_evaluation, make_template
from toolkit.cli import main
from toolkit.errors import RunError
from toolkit.evaluations.checks import check_evaluation
from toolkit.project import Project
from toolkit.runner import run_evaluation
from toolkit.runs import list_runs

EV = "bad-inputs"

CONTRACT = {
    "roles": {
        "unit": {"kind": "text", "missing": "error", "label": "unit codes"},
        "period": {"kind": "period", "missing": "exclude"},
        "numerator": {"kind": "count", "missing": "exclude", "label": "numerators"},
        "denominator": {"kind": "count", "missing": "exclude", "min": 0, "min_exclusive": True,
                        "label": "denominators (populations)"},
        "imd_decile": {"kind": "imd_decile", "label": "IMD deciles"},
        "lsoa": {"kind": "lsoa"},
        "seen_on": {"kind": "date", "label": "dates seen"},
        "flag": {"kind": "binary", "label": "flags"},
    },
    "compare": [{"left": "numerator", "op": "<=", "right": "denominator",
                 "message": "the numerator is larger than the denominator",
                 "fix": "check the two columns are not swapped"}],
    "unique": [{"keys": ["unit", "period"], "fix": "keep one row per unit and period"}],
}

BODY = """
from toolkit.evaluations.context import open_stage
from toolkit.reporting import display as show
ctx = open_stage(evaluation_dir, stage, results_path)
df = ctx.data()
ctx.results.record("rows", len(df), n=len(df), method="count", sentence=f"{len(df)} rows")
show.paragraph(f"Rows: {len(df)}")
"""

GOOD = pd.DataFrame({
    "Practice": ["P01", "P01", "P02", "P02", "P03", "P03"],
    "Month": ["2024-01", "2024-02", "2024-01", "2024-02", "2024-01", "2024-02"],
    "Checked": [5, 6, 7, 8, 9, 10],
    "Registered": [100, 100, 120, 120, 90, 90],
    "IMD decile": [1, 1, 5, 5, 10, 10],
    "LSOA": ["E01006744", "E01006744", "E01006745", "E01006745", "E01006746", "E01006746"],
    "Seen": ["2024-01-15", "2024-02-15", "2024-01-20", "2024-02-20", "2024-01-03", "2024-02-03"],
    "Flag": [0, 1, 0, 1, 0, 1],
    "Notes": ["a", "b", "c", "d", "e", "f"],  # an extra, unmapped column: fine
})
MAPPING = {"unit": "Practice", "period": "Month", "numerator": "Checked", "denominator": "Registered",
           "imd_decile": "IMD decile", "lsoa": "LSOA", "seen_on": "Seen", "flag": "Flag"}


def _write_template(project: Project) -> None:
    path = make_template(project.templates_dir / "checked.ipynb", BODY,
                         roles={"required": ["unit", "numerator"], "optional": sorted(set(MAPPING) - {"unit", "numerator"})})
    nb = json.loads(path.read_text())
    nb["metadata"]["hitk"]["contract"] = CONTRACT
    path.write_text(json.dumps(nb))


def _config(source: dict | None = None) -> dict:
    src = {"path": "extract.csv", "columns": dict(MAPPING)}
    src.update(source or {})
    return src


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """A project with the evaluation run once successfully; returns (project, run dir, snapshot)."""
    root = copy_project(tmp_path_factory.mktemp("bad") / "project")
    project = Project(root)
    _write_template(project)
    folder = make_evaluation(project, EV, stages=[{"name": "rows", "template": "checked", "source": "extract"}],
                             sources={"extract": _config()})
    GOOD.to_csv(folder / "extract.csv", index=False)
    run = run_evaluation(project, EV).run_dir
    snapshot = {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()}
    pristine = root / "pristine"
    shutil.copytree(folder, pristine, ignore=shutil.ignore_patterns("runs"))
    return project, run, snapshot, pristine


@pytest.fixture
def ev(base, monkeypatch):
    """The evaluation folder, restored to its good state after the test."""
    project, run, snapshot, pristine = base
    monkeypatch.setenv("HITK_PROJECT", str(project.root))
    folder = project.evaluations_dir / EV
    yield folder
    for p in folder.iterdir():
        if p.name != "runs":
            shutil.rmtree(p) if p.is_dir() else p.unlink()
    for p in pristine.iterdir():
        (shutil.copytree if p.is_dir() else shutil.copy2)(p, folder / p.name)


def _set_source(folder, **changes):
    path = folder / "evaluation.yaml"
    data = yaml.safe_load(path.read_text())
    src = data["data"]["sources"]["extract"]
    for key, value in changes.items():
        if value is None:
            src.pop(key, None)
        else:
            src[key] = value
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _edit_yaml(folder, fn):
    path = folder / "evaluation.yaml"
    data = yaml.safe_load(path.read_text())
    fn(data)
    path.write_text(yaml.safe_dump(data, sort_keys=False))


def _csv(folder, df=None, name="extract.csv", **kw):
    (df if df is not None else GOOD).to_csv(folder / name, index=False, **kw)


def _with(col, values):
    df = GOOD.copy()
    df[col] = df[col].astype(object)
    for i, v in values.items():
        df.loc[i, col] = v  # i is the 0-based data row: spreadsheet row i + 2
    return df


# --------------------------------------------------------------------------- the cases
# each: (id, mutate(folder), [expected substrings of stderr])

def missing_file(f):
    (f / "extract.csv").unlink()


def empty_file(f):
    (f / "extract.csv").write_bytes(b"")


def header_only(f):
    _csv(f, GOOD.iloc[:0])


def glob_nothing(f):
    _set_source(f, path="extracts/*.csv")


def empty_folder(f):
    (f / "extracts").mkdir()
    _set_source(f, path="extracts")


def mixed_extensions(f):
    (f / "extracts").mkdir()
    _csv(f, name="extracts/a.csv")
    GOOD.to_parquet(f / "extracts" / "b.parquet")
    _set_source(f, path="extracts")


def wrong_delimiter(f):
    # DuckDB sniffs the delimiter itself; a wrong one written in evaluation.yaml must still be explained
    _csv(f, sep=";")
    _set_source(f, delimiter=",")


def wrong_encoding(f):
    df = GOOD.copy()
    df["Notes"] = ["café", "b", "c", "d", "e", "f"]
    df.to_csv(f / "extract.csv", index=False, encoding="latin-1")


def missing_column(f):
    _set_source(f, columns={**MAPPING, "denominator": "Registerd"})


def glob_file_lacks_column(f):
    (f / "extracts").mkdir()
    _csv(f, GOOD.iloc[:2], name="extracts/2024-01.csv")
    _csv(f, GOOD.iloc[2:].drop(columns=["Registered"]), name="extracts/2024-02.csv")
    _set_source(f, path="extracts/*.csv")


def required_role_unmapped(f):
    _set_source(f, columns={k: v for k, v in MAPPING.items() if k != "unit"})


def unknown_role(f):
    _set_source(f, columns={**MAPPING, "colour": "Notes"})


def unknown_source_key(f):
    _set_source(f, colums={"unit": "Practice"})


def bad_encoding_value(f):
    _set_source(f, encoding="utf-16")


def undefined_source(f):
    _edit_yaml(f, lambda d: d["stages"][0].__setitem__("source", "extrakt"))


def text_in_counts(f):
    _csv(f, _with("Checked", {1: "<5", 4: "*"}))


def negative_counts(f):
    _csv(f, _with("Checked", {2: -3}))


def zero_denominator(f):
    _csv(f, _with("Registered", {0: 0, 1: 0}))


def numerator_over_denominator(f):
    _csv(f, _with("Checked", {3: 500}))


def imd_out_of_range(f):
    _csv(f, _with("IMD decile", {0: 11, 5: 0}))


def imd_not_whole(f):
    _csv(f, _with("IMD decile", {2: 2.5}))


def unparseable_dates(f):
    _csv(f, _with("Seen", {1: "2024-02-30", 3: "yesterday"}))


def impossible_month(f):
    _csv(f, _with("Month", {5: "2024-13"}))


def mixed_granularity(f):
    _csv(f, _with("Month", {5: "2024-02-01"}))


def text_period(f):
    _csv(f, _with("Month", {4: "January"}))


def duplicate_keys(f):
    _csv(f, _with("Month", {1: "2024-01"}))


def missing_required_values(f):
    _csv(f, _with("Practice", {3: None}))


def not_binary(f):
    _csv(f, _with("Flag", {2: 2}))


def infinite_values(f):
    _csv(f, _with("Registered", {4: "inf"}))


def vintage_mismatch(f):
    df = GOOD.copy()
    df["LSOA"] = ["E01033769", "E01033769", "E01033770", "E01033770", "E01033771", "E01033771"]
    _csv(f, df)
    _edit_yaml(f, lambda d: d.__setitem__("imd_vintage", 2019))


def parquet_negative(f):
    _with("Checked", {4: -1}).astype({"Checked": "int64"}).to_parquet(f / "extract.parquet")
    _set_source(f, path="extract.parquet")


def xlsx_zero_denominator(f):
    _with("Registered", {5: 0}).to_excel(f / "extract.xlsx", index=False)
    _set_source(f, path="extract.xlsx")


def many_problems_at_once(f):
    df = _with("Checked", {0: "n/a"})
    df.loc[1, "Registered"] = 0
    df.loc[2, "IMD decile"] = 12
    df.loc[5, "Month"] = "2024-01"
    _csv(f, df)


def wrong_parameter_type(f):
    _edit_yaml(f, lambda d: d["stages"][0].__setitem__("parameters", {"level": "high"}))


def ambiguous_dates(f):
    _csv(f, _with("Seen", {0: "03/04/2024", 1: "05/06/2024", 2: "07/08/2024", 3: "09/10/2024", 4: "11/12/2024",
                           5: "01/02/2024"}))


def truncated_last_line(f):
    text = (f / "extract.csv").read_text()
    (f / "extract.csv").write_text(text.rstrip("\n") + "\nP04,2024-0")


def xlsx_data_on_another_sheet(f):
    with pd.ExcelWriter(f / "extract.xlsx") as xl:
        pd.DataFrame({"Read me": ["This workbook holds the extract on the next sheet"]}).to_excel(
            xl, sheet_name="Notes", index=False)
        GOOD.to_excel(xl, sheet_name="Extract", index=False)
    _set_source(f, path="extract.xlsx")


def path_outside_project(f):
    outside = f.parents[2] / "outside-secret.csv"
    outside.write_text("name,secret\nA,do-not-echo-this-line\n")
    _set_source(f, path="../../../outside-secret.csv")


def impossible_goal_date(f):
    path = f / "evaluation.yaml"
    text = path.read_text()
    import re

    path.write_text(re.sub(r"by: '?\d{4}-\d{2}-\d{2}'?", "by: 2026-02-30", text, count=1))


def impossible_design_date(f):
    path = f / "evaluation.yaml"
    import re

    path.write_text(re.sub(r"chosen_on: '?\d{4}-\d{2}-\d{2}'?", "chosen_on: 2024-13-01", path.read_text(), count=1))


CASES = [
    ("missing file", missing_file, ["file not found", "extract.csv", "Fix: check the path"]),
    ("empty file", empty_file, ["the file has no bytes", "Fix: re-export the extract"]),
    ("header only", header_only, ["file extract.csv: the file has a header but no data rows (0 rows)",
                                  "Fix: re-export the extract"]),
    ("glob matching nothing", glob_nothing, ["the glob matched nothing", "file extracts/*.csv",
                                              "Fix: check the pattern"]),
    ("empty folder", empty_folder, ["empty folder", "Fix: put the extract files in the folder"]),
    ("mixed extensions", mixed_extensions, ["mixed or unknown extensions", "Fix: set format: csv, parquet or xlsx"]),
    ("wrong delimiter", wrong_delimiter, ["column 'Practice' (mapped to role 'unit') is not in extract.csv",
                                          'set `delimiter: ";"` on this source']),
    ("wrong encoding", wrong_encoding, ["the file is not UTF-8 encoded", "(row 2)",
                                        "Fix: save the file as UTF-8, or set encoding: latin-1"]),
    ("missing column", missing_column, ["data.sources.extract.columns.denominator: column 'Registerd' (mapped to "
                                        "role 'denominator') is not in extract.csv", "did you mean 'Registered'?"]),
    ("glob file lacks a column", glob_file_lacks_column, [
        "column 'Registered' (mapped to role 'denominator') is not in 2024-02.csv, although it is in 2024-01.csv",
        "Fix: every file of a source needs the same columns"]),
    ("required role not mapped", required_role_unmapped, [
        "role 'unit' is needed by template 'checked' but not mapped", "Fix: add `unit: <your column name>`"]),
    ("unknown role", unknown_role, ["data.sources.extract.columns.colour: 'colour' is not a role template 'checked' uses"]),
    ("unknown key in source", unknown_source_key, ["data.sources.extract.colums: unknown key"]),
    ("encoding not offered", bad_encoding_value, ["data.sources.extract.encoding: expected one of", '"utf-16"']),
    # bp_records: the source the example charter's measured goals read (kept by tests.helpers.make_evaluation)
    ("stage names undefined source", undefined_source, ["stages[0].source: no data source called 'extrakt'",
                                                        "Fix: sources defined under data.sources: bp_records, extract"]),
    ("wrong type", text_in_counts, [
        "file extract.csv, column 'Checked': numerators must be numbers, but some are text (e.g. '<5') "
        "(2 rows, e.g. rows 3, 6). Fix: clean 'Checked' so it holds only numbers"]),
    ("negative counts", negative_counts, [
        "file extract.csv, column 'Checked': numerators cannot be negative (e.g. '-3') (1 row, e.g. row 4). "
        "Fix: correct the negative counts in 'Checked'"]),
    ("zero denominators", zero_denominator, [
        "file extract.csv, column 'Registered': denominators (populations) must be above 0 (e.g. '0') "
        "(2 rows, e.g. rows 2, 3). Fix: correct the zero or negative populations"]),
    ("numerator above denominator", numerator_over_denominator, [
        "file extract.csv, column 'Checked': the numerator is larger than the denominator (e.g. '500 > 120') "
        "(1 row, e.g. row 5). Fix: check the two columns are not swapped"]),
    ("IMD out of range", imd_out_of_range, [
        "file extract.csv, column 'IMD decile': IMD deciles must be whole numbers 1 to 10 (e.g. '11') "
        "(2 rows, e.g. rows 2, 7). Fix: use national IMD deciles with 1 = most deprived"]),
    ("IMD not whole", imd_not_whole, ["IMD deciles must be whole numbers 1 to 10 (e.g. '2.5') (1 row, e.g. row 4)"]),
    ("unparseable dates", unparseable_dates, [
        "file extract.csv, column 'Seen': dates seen cannot be read as dates (e.g. '2024-02-30') "
        "(2 rows, e.g. rows 3, 5). Fix: write dates as YYYY-MM-DD"]),
    ("impossible month", impossible_month, [
        "column 'Month': 'period' values look like dates but are not real ones (e.g. '2024-13') (1 row, e.g. row 7)",
        "Fix: write every period the same way"]),
    ("mixed period granularity", mixed_granularity, [
        "column 'Month': 'period' mixes period granularities (5 months (YYYY-MM), 1 dates (days)); these rows are "
        "the odd ones out (e.g. '2024-02-01') (1 row, e.g. row 7)"]),
    ("text among periods", text_period, [
        "column 'Month': 'period' values cannot be read as periods (e.g. 'January') (1 row, e.g. row 6)"]),
    ("duplicate keys", duplicate_keys, [
        "file extract.csv, column 'Practice, Month': the same unit × period appears on more than one row: "
        "1 key(s) repeated (e.g. unit 'P01', period '2024-01') (2 rows, e.g. rows 2, 3). "
        "Fix: keep one row per unit and period"]),
    ("missing values in a required role", missing_required_values, [
        "column 'Practice': unit codes are missing (1 row, e.g. row 5). Fix: fill in 'Practice' on every row"]),
    ("not binary", not_binary, ["column 'Flag': flags must be 0 or 1 (e.g. '2') (1 row, e.g. row 4)"]),
    ("infinite values", infinite_values, ["column 'Registered': denominators (populations) are infinite "
                                          "(e.g. 'inf') (1 row, e.g. row 6)"]),
    ("LSOA vintage mismatch", vintage_mismatch, [
        "column 'LSOA': LSOA codes are from the 2021 boundaries", "but imd_vintage is 2019",
        "(6 rows, e.g. rows 2, 3, 4, 5, 6)", "Fix: set imd_vintage: 2025"]),
    ("parquet rows numbered", parquet_negative, [
        "file extract.parquet, column 'Checked': numerators cannot be negative (e.g. '-1') (1 row, e.g. row 6)"]),
    ("xlsx rows numbered", xlsx_zero_denominator, [
        "file extract.xlsx, column 'Registered': denominators (populations) must be above 0 (e.g. '0') (1 row, e.g. row 7)"]),
    ("every problem at once", many_problems_at_once, [
        "has 4 problem(s)", "numerators must be numbers, but some are text (e.g. 'n/a') (1 row, e.g. row 2)",
        "denominators (populations) must be above 0", "IMD deciles must be whole numbers 1 to 10 (e.g. '12')",
        "the same unit × period appears on more than one row"]),
    ("wrong parameter", wrong_parameter_type, ["stages[0].parameters.level: template 'checked' has no parameter 'level'"]),
    ("ambiguous day/month dates", ambiguous_dates, [
        "data.sources.extract.columns.seen_on, file extract.csv, column 'Seen': the dates cannot be read safely",
        "could be 1 February 2024 (day first) or 2 January 2024 (month first)", "Fix: re-export the column with ISO dates"]),
    ("truncated last line", truncated_last_line, [
        "the last line is truncated: it has 2 of the header's 9 fields", "(row 8)", "Fix: export or copy the file again"]),
    ("xlsx columns on another sheet", xlsx_data_on_another_sheet, [
        "column 'Practice' (mapped to role 'unit') is not in extract.xlsx (first sheet)",
        "the mapped columns are on sheet(s) 'Extract': set `sheet: \"Extract\"` on this source"]),
    ("data path outside the project", path_outside_project, [
        "data.sources.extract.path: the path resolves to", "outside the project folder",
        "or add `allow_outside_project: true` to this source"]),
    ("impossible goal date", impossible_goal_date, [
        'charter.goals[0].by: "2026-02-30" is not a real calendar date']),
    ("impossible design date", impossible_design_date, [
        'charter.design.chosen_on: "2024-13-01" is not a real calendar date']),
]


@pytest.mark.parametrize("mutate, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_bad_input_is_named_and_damages_nothing(base, ev, capsys, mutate, expected):
    project, run, snapshot, _ = base
    mutate(ev)
    runs_before = sorted(p.name for p in (ev / "runs").iterdir())
    assert main(["validate", EV]) == 2
    err = capsys.readouterr().err
    for text in expected:
        assert text in err, f"{text!r} not in:\n{err}"
    assert "Traceback" not in err and "do-not-echo-this-line" not in err
    assert main(["run", EV]) == 2
    err_run = capsys.readouterr().err
    for text in expected:
        assert text in err_run
    assert "Traceback" not in err_run and "do-not-echo-this-line" not in err_run
    assert sorted(p.name for p in (ev / "runs").iterdir()) == runs_before, "a run folder was created"
    assert {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()} == snapshot
    assert (ev / "runs" / "LATEST").read_text().strip() == run.name


def test_catalogue_has_at_least_25_cases():
    assert len(CASES) + 2 >= 25  # + the two run-level tests below


def test_extra_unmapped_column_is_fine_and_exclusions_are_counted(base, ev):
    project, run, snapshot, _ = base
    df = _with("Checked", {2: None})
    df.loc[4, "Registered"] = None
    df["Another extra"] = 1
    _csv(ev, df)
    checked = check_evaluation(ev, project.templates_dir)
    reasons = {(e.column, e.reason, e.rows, e.example_rows) for e in checked.exclusions}
    assert reasons == {("Checked", "a missing numerator", 1, (4,)), ("Registered", "a missing denominator", 1, (6,))}
    outcome = run_evaluation(project, EV)
    assert outcome.run_dir != run and (outcome.run_dir / "rows.html").is_file()
    assert {p.relative_to(run): p.read_bytes() for p in run.rglob("*") if p.is_file()} == snapshot
    shutil.rmtree(outcome.run_dir)
    (ev / "runs" / "LATEST").write_text(run.name + "\n")


CHANGING_BODY = """
from toolkit.evaluations.context import open_stage
from toolkit.reporting import display as show
ctx = open_stage(evaluation_dir, stage, results_path)
df = ctx.data()
path = ctx.evaluation.source_path(ctx.stage.source)
with open(path, "a", encoding="utf-8") as fh:
    fh.write("P09,2024-03,1,10,3,E01006744,2024-03-01,0,late row\\n")
show.paragraph(f"Rows: {len(df)}")
"""


def test_file_changing_between_validate_and_run_fails_the_run(project, capsys):
    make_template(project.templates_dir / "changer.ipynb", CHANGING_BODY,
                  roles={"required": ["unit"], "optional": sorted(set(MAPPING) - {"unit"})})
    folder = make_evaluation(project, "changing", stages=[{"name": "rows", "template": "changer", "source": "extract"}],
                             sources={"extract": _config()})
    GOOD.to_csv(folder / "extract.csv", index=False)
    assert main(["validate", "changing"]) == 0
    assert main(["run", "changing"]) == 1
    err = capsys.readouterr().err
    assert "changed while the run was executing" in err and "No report was rendered" in err
    (run_dir, manifest), = list_runs(folder / "runs")
    assert manifest["status"] == "failed" and manifest["failure"]["error"] == "InputChanged"
    assert not list(run_dir.glob("*.html"))
    assert not (folder / "runs" / "LATEST").exists()
    with pytest.raises(RunError):
        run_evaluation(project, "changing")


def test_us_dates_that_say_their_order_are_read_and_the_format_is_stated(base, ev, capsys):
    _csv(ev, _with("Seen", {0: "01/15/2024", 1: "02/15/2024", 2: "01/20/2024", 3: "02/20/2024", 4: "01/03/2024",
                            5: "02/03/2024"}))
    assert main(["validate", EV]) == 0
    out = capsys.readouterr().out
    assert "column 'Seen' read as month-first US dates (MM/DD/YYYY): some second parts are above 12" in out
    assert "column 'Month' read as months written YYYY-MM" in out


def test_one_column_may_serve_two_roles(tmp_path):
    """Issue 12: `denominator` and `weight` both mapped to `list_size` read as two role columns (CSV and xlsx)."""
    from toolkit.data.sources import SourceFiles, read_source

    df = pd.DataFrame({"practice": ["A", "B"], "list_size": [1200, 3400], "events": [3, 5]})
    df.to_csv(tmp_path / "x.csv", index=False)
    df.to_excel(tmp_path / "x.xlsx", index=False)
    mapping = {"unit": "practice", "denominator": "list_size", "weight": "list_size", "numerator": "events"}
    for fmt in ("csv", "xlsx"):
        files = SourceFiles("s", f"x.{fmt}", (tmp_path / f"x.{fmt}",), fmt)
        out = read_source(files, mapping)
        assert list(out.columns) == ["unit", "denominator", "weight", "numerator"], fmt
        assert out["denominator"].tolist() == [1200, 3400] and out["weight"].tolist() == [1200, 3400], fmt
