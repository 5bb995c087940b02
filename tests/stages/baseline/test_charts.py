"""Charts: whiskers, benchmark line, special causes by shape and named in the legend."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import numpy as np
import pandas as pd

from toolkit.stages.baseline.charts import bar_chart, completeness_chart, spc_chart
from toolkit.stages.baseline.charts import SPC_MARKERS
from toolkit.indicators import spc
from toolkit.plotting import NHS


def test_bar_chart_has_benchmark_and_whiskers():
    frame = pd.DataFrame({"label": ["a", "b", "c"], "value": [40.0, 50.0, np.nan], "lower_ci": [35.0, 45.0, np.nan],
                          "upper_ci": [45.0, 55.0, np.nan]})
    for horizontal in (False, True):
        fig = bar_chart(frame, benchmark=47.0, horizontal=horizontal, xlabel="Group")
        ax = fig.axes[0]
        labels = [t.get_text() for t in ax.get_legend().get_texts()]
        assert "The ICB overall: 47.0" in labels and "95% confidence interval" in labels
        lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == "--"]
        assert lines and matplotlib.colors.to_hex(lines[0].get_color()).upper() == NHS["text"]  # red means "worse"


def test_spc_chart_marks_special_causes_by_shape_and_words():
    x = np.r_[np.full(10, 50.0) + np.tile([0.3, -0.3], 5), [60.0], np.full(9, 50.0) + np.tile([0.2, -0.2, 0.1], 3)]
    frame = spc(pd.DataFrame({"t": [f"p{i:02d}" for i in range(20)], "value": x}), "value", "t",
                improvement="increase").rename(columns={"t": "period"})
    assert (frame["variation"] == "special cause improvement").sum() >= 1
    fig = spc_chart(frame)
    ax = fig.axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    names = {"special cause improvement": "Special cause: improvement", "special cause concern": "Special cause: concern",
             "common cause": "Common cause (no signal)", "special cause neutral": "Special cause (neither better nor worse)"}
    kinds = set(frame["variation"])
    assert {names[k] for k in kinds} <= set(labels)  # every kind present is named in words
    assert len(ax.collections) == len(kinds)          # one marker series per kind ...
    assert len({SPC_MARKERS[k] for k in kinds}) == len(kinds)  # ... each with its own shape


def test_completeness_chart_lines_differ_in_style():
    table = pd.DataFrame({"period": ["a", "b", "All periods"], "no_imd_pct": [1.0, 2.0, 1.5],
                          "not_stated_pct": [10.0, 12.0, 11.0]})
    ax = completeness_chart(table).axes[0]
    lines = ax.get_lines()
    assert len(lines) == 2 and lines[0].get_linestyle() != lines[1].get_linestyle()
    assert lines[0].get_marker() != lines[1].get_marker() and len(lines[0].get_xdata()) == 2


def test_spc_runs_are_labelled_in_text():
    from toolkit.stages.baseline.charts import _segments

    kinds = np.array(["common cause", "special cause concern", "special cause concern", "common cause",
                      "special cause improvement"])
    assert _segments(kinds) == [(1, 2, "special cause concern"), (4, 4, "special cause improvement")]
    frame = pd.DataFrame({"period": list("abcde"), "value": [1.0, 2, 3, 4, 5], "centre": 3.0, "lower_limit": 0.0,
                          "upper_limit": 6.0, "variation": kinds})
    texts = [t.get_text() for t in spc_chart(frame).axes[0].texts]
    assert texts == ["Concern (2 points)", "Improvement"]


def test_inequality_bars_show_the_comparison_by_colour_hatch_and_word():
    from toolkit.stages.baseline.charts import COMPARISON_STYLE, comparison_kind, sii_line

    frame = pd.DataFrame({"group": [1, 2, 3], "label": ["Q1", "Q2", "Q3"], "value": [40.0, 50.0, 60.0],
                          "lower_ci": [38.0, 47.0, 58.0], "upper_ci": [42.0, 53.0, 62.0],
                          "denominator": [100.0, 100.0, 200.0], "compared": ["lower", "similar", "higher"]})
    ix = {"sii": 20.0, "rii": 1.5, "skipped": False}
    line = sii_line(frame, ix)
    # v0 = 20 / 0.5 = 40 at rank 0; rank midpoints 0.125, 0.375, 0.75
    assert np.allclose(line, [42.5, 47.5, 55.0])
    assert sii_line(frame, {"sii": float("nan"), "rii": 1.0, "skipped": True}) is None
    assert comparison_kind("higher", "increase") == "better" and comparison_kind("higher", "decrease") == "worse"
    assert comparison_kind("lower", "neutral") == "lower"
    fig = bar_chart(frame, benchmark=50.0, improvement="increase", line=line)
    ax = fig.axes[0]
    bars = [p for p in ax.patches if p.get_height() > 0]
    assert [b.get_hatch() for b in bars[:3]] == [COMPARISON_STYLE["worse"][1], "", COMPARISON_STYLE["better"][1]]
    assert {"Lower", "Similar", "Higher"} <= {t.get_text() for t in ax.texts}  # not colour alone
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Higher than the ICB overall: better" in labels and "Lower than the ICB overall: worse" in labels
    assert "Slope index of inequality (fitted line)" in labels
    styles = {ln.get_label(): ln.get_linestyle() for ln in ax.get_lines()}
    assert styles["Slope index of inequality (fitted line)"] == "-." and styles["The ICB overall: 50.0"] == "--"
    import matplotlib.pyplot as plt

    plt.close(fig)
