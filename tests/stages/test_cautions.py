"""Structured cautions (issue 11): a code per warning, collected into the report, never matched by text."""

from __future__ import annotations

import pickle
import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from toolkit import cautions
from toolkit.cautions import CODES, Caution, ToolkitWarning, code_of
from toolkit.stages.common import collecting_cautions

ROOT = Path(__file__).resolve().parents[2]


def test_caution_is_text_with_a_code():
    c = Caution("Only 6 periods before the intervention", code="its.short_pre")
    assert c == "Only 6 periods before the intervention" and c.code == "its.short_pre"
    assert code_of(c) == "its.short_pre" and code_of("plain text") == "general"
    assert pickle.loads(pickle.dumps(c)).code == "its.short_pre"
    assert Caution(c).code == "its.short_pre"  # re-wrapping keeps the code
    assert c.as_dict() == {"code": "its.short_pre", "message": "Only 6 periods before the intervention"}


def test_collect_codes_toolkit_and_runtime_warnings_once_each():
    with cautions.collect() as found:
        cautions.warn("3 chart(s) have fewer than 12 points", "spc.short_series")
        cautions.warn("3 chart(s) have fewer than 12 points", "spc.short_series")
        warnings.warn("an uncoded caution", ToolkitWarning)
        _ = np.float64(1.0) / np.float64(0.0)
    assert [c.code for c in found] == ["spc.short_series", "general", "estimator.runtime"]
    assert "divide by zero" in found[2]


def test_every_code_raised_in_the_toolkit_is_listed():
    """Codes are a contract: each one given in toolkit/ is in cautions.CODES with its meaning."""
    used = set()
    for path in (ROOT / "toolkit").rglob("*.py"):
        used |= set(re.findall(r"code=\"([a-z_]+\.[a-z_]+)\"", path.read_text(encoding="utf-8")))
        used |= set(re.findall(r"cautions\.warn\([^)]*?\"([a-z_]+\.[a-z_]+)\"\)", path.read_text(encoding="utf-8")))
    assert used, "no coded caution found"
    assert used <= set(CODES), sorted(used - set(CODES))


def test_stage_functions_carry_what_the_estimators_raised():
    @dataclass(frozen=True)
    class Analysis:
        value: float
        raised: tuple = ()

    @collecting_cautions
    def run(x):
        return Analysis(np.log(np.float64(x)))

    assert run(1.0).raised == ()
    out = run(0.0)
    assert out.value == -np.inf and [c.code for c in out.raised] == ["estimator.runtime"]


def test_rd_stage_hides_the_density_warning_by_code_not_text():
    import inspect

    from toolkit.stages.rd import analysis as rd_stage

    src = inspect.getsource(rd_stage.RDAnalysis.warnings.fget)
    assert "startswith" not in src and "rd.density_jump" in src


def test_indicator_warnings_have_codes():
    import pandas as pd

    from toolkit.indicators import spc

    with pytest.warns(ToolkitWarning) as rec:
        spc(pd.DataFrame({"t": range(5), "v": [1.0, 2, 3, 2, 1]}), "v", "t")
    assert [w.message.code for w in rec] == ["spc.short_series"]
