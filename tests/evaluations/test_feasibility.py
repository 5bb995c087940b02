"""hitk validate refuses what the design stages would refuse at run time, naming where and the fix."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from tests.helpers import make_evaluation
from toolkit.errors import ConfigError
from toolkit.evaluations.checks import check_evaluation

MONTHS = [f"2023-{m:02d}" for m in range(1, 13)]


def _panel(first_treated=None, months=MONTHS, n_units=6):
    """Units U1..Un over ``months``; U1-U3 start in 2023-07 unless ``first_treated`` says otherwise."""
    rng = np.random.default_rng(1)
    first_treated = first_treated or {"U1": "2023-07", "U2": "2023-07", "U3": "2023-07"}
    rows = []
    for u in range(1, n_units + 1):
        unit = f"U{u}"
        for m in months:
            rows.append({"unit": unit, "month": m, "y": round(float(rng.normal(10, 1)), 3),
                         "q": 1 + (u % 5), "start": first_treated.get(unit, "")})
    return pd.DataFrame(rows)


def _did(project, df, *, parameters=None, columns=None, name="did-check"):
    folder = make_evaluation(
        project, name,
        stages=[{"name": "impact", "template": "did", "source": "panel", "parameters": parameters or {}}],
        sources={"panel": {"path": "panel.csv", "columns": columns or {
            "unit": "unit", "time": "month", "outcome": "y", "first_treated": "start", "quintile": "q"}}})
    df.to_csv(folder / "panel.csv", index=False)
    return folder


def _problems(project, folder):
    with pytest.raises(ConfigError) as err:
        check_evaluation(folder, project.templates_dir)
    return str(err.value)


def test_a_good_panel_passes_and_its_dates_are_described(project):
    checked = check_evaluation(_did(project, _panel()), project.templates_dir)
    assert checked.date_formats["panel"] == {"month": "months written YYYY-MM", "start": "months written YYYY-MM"}


def test_parameter_values_are_refused_before_anything_runs(project):
    text = _problems(project, _did(project, _panel(), parameters={"level": 95, "comparison": "never-ever"}))
    assert "stages[0].parameters.level: a confidence level is a proportion between 0 and 1, got 95" in text
    assert "stages[0].parameters.comparison: comparison 'never-ever' is not one of the choices" in text
    assert text.count("comparison") == 2  # once in the message, once in the fix: the stage code does not repeat it


def test_one_treated_unit(project):
    text = _problems(project, _did(project, _panel({"U1": "2023-07"})))
    assert "only one unit (U1) is treated" in text and "synthetic control" in text


def test_every_unit_treated_on_one_date_has_no_comparison(project):
    text = _problems(project, _did(project, _panel({f"U{i}": "2023-07" for i in range(1, 7)})))
    assert "There is no untreated comparison group" in text and "Fix: include units that did not take part" in text


def test_treated_units_not_in_the_data_and_start_outside_the_data(project):
    columns = {"unit": "unit", "time": "month", "outcome": "y"}
    text = _problems(project, _did(project, _panel(), columns=columns,
                                   parameters={"treated_units": ["U1", "U9"], "treatment_start": "2023-07"}))
    assert "treated unit(s) listed in treated_units are not in the data: U9" in text
    text = _problems(project, _did(project, _panel(), columns=columns, name="late",
                                   parameters={"treated_units": ["U1", "U2"], "treatment_start": "2025-01"}))
    assert "stages[0].parameters.treatment_start" in text
    assert "the start '2025-01' is not one of the periods in column 'month' (they run 2023-01 to 2023-12)" in text


def test_treatment_switching_off_and_on(project):
    df = _panel()
    df["d"] = ((df["unit"].isin(["U1", "U2"])) & (df["month"] >= "2023-05")).astype(int)
    df.loc[(df["unit"] == "U1") & (df["month"] == "2023-08"), "d"] = 0
    text = _problems(project, _did(project, df, columns={"unit": "unit", "time": "month", "outcome": "y",
                                                         "treatment": "d"}))
    assert "treatment switches off and then on again for 1 unit(s) (e.g. U1)" in text
    assert "file panel.csv, column 'd'" in text and "(1 row, e.g. row 9)" in text  # U1's 2023-08 row


def test_quintile_changing_within_a_unit(project):
    df = _panel()
    df.loc[(df["unit"] == "U4") & (df["month"] == "2023-12"), "q"] = 3 if df.loc[df["unit"] == "U4", "q"].iloc[0] != 3 else 4
    text = _problems(project, _did(project, df))
    assert "the deprivation quintile changes between rows of the same unit (e.g. U4)" in text
    assert "column 'q'" in text and "Fix: give each unit one quintile on every row" in text


def test_first_treated_on_another_time_scale(project):
    df = _panel()
    df["start"] = df["start"].map({"2023-07": "2023-Q3", "": ""})
    df["month"] = df["month"].astype(str)
    years = _panel(months=["2019", "2020", "2021", "2022"])
    years["start"] = years["start"].map({"2023-07": "2021-Q1", "": ""})
    text = _problems(project, _did(project, years))
    assert "column 'start'" in text and "values are quarters but the time column holds periods" in text


def test_us_dates_are_read_month_first_and_ambiguous_ones_refused(project):
    us = _panel(months=[f"{m:02d}/01/2023" for m in range(1, 13)], first_treated={
        "U1": "07/01/2023", "U2": "07/01/2023", "U3": "09/01/2023"})
    checked = check_evaluation(_did(project, us), project.templates_dir)
    assert checked.date_formats["panel"]["month"].startswith("month-first US dates (MM/DD/YYYY)")
    ambiguous = _panel(months=["03/04/2023", "05/06/2023", "07/08/2023", "09/10/2023"], first_treated={
        "U1": "07/08/2023", "U2": "07/08/2023"})
    text = _problems(project, _did(project, ambiguous, name="ambiguous"))
    assert "data.sources.panel.columns.time, file panel.csv, column 'month': the dates cannot be read safely" in text
    assert "has 2 problem(s)" in text  # time and first-treated columns, not repeated by the design checks
    assert "could be 3 April 2023 (day first) or 4 March 2023 (month first)" in text


def test_its_start_and_synth_unit_must_be_in_the_data(project):
    folder = make_evaluation(
        project, "its-check",
        stages=[{"name": "its", "template": "its", "source": "s", "parameters": {"intervention_start": "2031-04"}}],
        sources={"s": {"path": "../../data_samples/its_emergency_admissions.csv",
                       "columns": {"time": "month", "outcome": "admissions", "denominator": "population"}}})
    text = _problems(project, folder)
    assert "stages[0].parameters.intervention_start" in text and "the start '2031-04' is not one of the periods" in text
    folder = make_evaluation(
        project, "synth-check",
        stages=[{"name": "synth", "template": "synth", "source": "s",
                 "parameters": {"treated_unit": "Z99", "treatment_start": "2022Q1"}}],
        sources={"s": {"path": "../../data_samples/synth_areas.csv",
                       "columns": {"unit": "area_code", "time": "quarter", "outcome": "rate_per_1000"}}})
    text = _problems(project, folder)
    assert "stages[0].parameters.treated_unit" in text and "the treated unit 'Z99' is not in column 'area_code'" in text


def test_rd_cutoff_outside_the_running_variable(project):
    folder = make_evaluation(
        project, "rd-check",
        stages=[{"name": "rd", "template": "rd", "source": "s", "parameters": {"cutoff": 999999}}],
        sources={"s": {"path": "../../data_samples/rd_neighbourhoods.csv",
                       "columns": {"running": "imd_rank", "outcome": "outcome_pct"}}})
    text = _problems(project, folder)
    assert "stages[0].parameters.cutoff" in text and "outside the running variable's range" in text


def test_schema_and_parameter_problems_are_reported_together(project):
    def mutate(d):
        d["charter"]["goals"][0]["by"] = "2026-02-30"
        d["charter"]["design"]["chosen_on"] = "2024-13-01"

    folder = make_evaluation(project, "both-wrong", mutate=mutate,
                             stages=[{"name": "impact", "template": "did", "source": "panel",
                                      "parameters": {"level": 95, "comparison": "never-ever"}}],
                             sources={"panel": {"path": "panel.csv", "columns": {"unit": "u", "time": "t", "outcome": "y"}}})
    text = _problems(project, folder)
    assert "has 4 problem(s)" in text
    assert 'charter.goals[0].by: "2026-02-30" is not a real calendar date' in text
    assert 'charter.design.chosen_on: "2024-13-01" is not a real calendar date' in text
    assert "stages[0].parameters.level" in text and "stages[0].parameters.comparison" in text
