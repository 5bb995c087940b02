"""Guards for structured cautions (issue 11): every warning the toolkit raises has a code, and no
module reacts to a warning by its wording.

The scans read ``toolkit/`` with :mod:`ast`, so an uncoded ``warnings.warn`` or a new
``w.startswith("Treatment starts at")`` fails here, listing file and line.
"""

from __future__ import annotations

import ast
from pathlib import Path

import numpy as np
import pytest

from toolkit.cautions import CODES, Caution, code_of

ROOT = Path(__file__).resolve().parents[1]
TOOLKIT = ROOT / "toolkit"

#: Attribute names that hold a result's or analysis's cautions.
CAUTION_ATTRS = {"warnings", "raised", "cautions"}
#: String methods that compare text.
TEXT_METHODS = {"startswith", "endswith", "find", "index", "rfind", "count", "__contains__"}
#: ``re`` functions that match text.
RE_FUNCS = {"search", "match", "fullmatch", "findall", "finditer"}


def _modules():
    for path in sorted(TOOLKIT.rglob("*.py")):
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(encoding="utf-8"))


def _warnings_aliases(tree: ast.Module) -> tuple[set[str], set[str]]:
    """Names bound to the ``warnings`` module and to ``warnings.warn`` in a module."""
    mods, funcs = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            mods |= {a.asname or a.name for a in node.names if a.name == "warnings"}
        elif isinstance(node, ast.ImportFrom) and node.module == "warnings":
            funcs |= {a.asname or a.name for a in node.names if a.name == "warn"}
    return mods, funcs


def _is_coded_toolkit_warning(node: ast.AST) -> bool:
    """``ToolkitWarning(message, code=...)`` (or ``ToolkitWarning(message, "area.what")``)."""
    if not isinstance(node, ast.Call):
        return False
    name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
    return name == "ToolkitWarning" and (any(k.arg == "code" for k in node.keywords) or len(node.args) >= 2)


def uncoded_warnings() -> list[str]:
    """``warnings.warn`` calls whose warning is not a ``ToolkitWarning`` built with a code."""
    found = []
    for rel, tree in _modules():
        mods, funcs = _warnings_aliases(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            is_warn = (isinstance(f, ast.Attribute) and f.attr == "warn" and isinstance(f.value, ast.Name)
                       and f.value.id in mods) or (isinstance(f, ast.Name) and f.id in funcs)
            if is_warn and not (node.args and _is_coded_toolkit_warning(node.args[0])):
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:100]}")
    return found


def _recorded(tree: ast.AST) -> tuple[set[str], set[str]]:
    """Names holding recorded warnings (``catch_warnings(record=True) as caught``, ``pytest.warns() as rec``)
    and the loop variables over them."""
    lists, items = set(), set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.With, ast.AsyncWith)):
            for item in node.items:
                call = item.context_expr
                name = (call.func.attr if isinstance(call.func, ast.Attribute) else getattr(call.func, "id", "")) \
                    if isinstance(call, ast.Call) else ""
                if name in {"catch_warnings", "warns", "collect"} and isinstance(item.optional_vars, ast.Name):
                    lists.add(item.optional_vars.id)
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)) and isinstance(node.target, ast.Name):
            if any(isinstance(n, ast.Name) and n.id in lists for n in ast.walk(node.iter)):
                items.add(node.target.id)
    return lists, items


def _caution_loop_names(tree: ast.AST) -> set[str]:
    """Names bound by a ``for`` or comprehension over something's ``.warnings``/``.raised``/``.cautions``."""
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.For, ast.comprehension)):
            holds = any(isinstance(n, ast.Attribute) and n.attr in CAUTION_ATTRS for n in ast.walk(node.iter))
            if holds and isinstance(node.target, ast.Name):
                names.add(node.target.id)
    return names


def text_matching() -> list[str]:
    """Places that react to a warning or caution by its wording.

    Text is: a recorded warning's ``.message`` (or ``str()`` of it), and any item of a
    result's ``warnings``/``raised``/``cautions``.  Exceptions' messages are not warnings.
    """
    found = []
    for rel, tree in _modules():
        if rel == "toolkit/cautions.py":
            continue  # the infrastructure turns recorded warnings into coded cautions
        lists, items = _recorded(tree)
        loop = _caution_loop_names(tree) | items

        def is_message(n):
            if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "str" and len(n.args) == 1:
                n = n.args[0]
            if not (isinstance(n, ast.Attribute) and n.attr == "message"):
                return False
            base = n.value.value if isinstance(n.value, ast.Subscript) else n.value
            return isinstance(base, ast.Name) and (base.id in items or base.id in lists)

        def is_text(n):
            if isinstance(n, ast.Call) and getattr(n.func, "id", "") == "str" and len(n.args) == 1 \
                    and isinstance(n.args[0], ast.Name):
                n = n.args[0]
            return is_message(n) or (isinstance(n, ast.Name) and n.id in loop)

        for node in ast.walk(tree):
            bad = False
            if isinstance(node, ast.Compare):
                bad = any(isinstance(op, (ast.In, ast.NotIn)) and is_text(right)
                          for op, right in zip(node.ops, node.comparators))
            elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                f = node.func
                if f.attr in TEXT_METHODS and is_text(f.value):
                    bad = True
                elif f.attr in RE_FUNCS and getattr(f.value, "id", "") == "re":
                    bad = any(is_text(a) for a in node.args[1:2])
                elif f.attr == "filterwarnings":
                    bad = any(k.arg == "message" for k in node.keywords) or len(node.args) >= 2
            if bad:
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:100]}")
    return found


def _is_plain_text(node: ast.AST) -> bool:
    return isinstance(node, (ast.JoinedStr, ast.Constant)) or (
        isinstance(node, ast.BinOp) and (_is_plain_text(node.left) or _is_plain_text(node.right)))


def uncoded_result_cautions() -> list[str]:
    """Text appended to a list of warnings (``warns.append(f"...")``) instead of a coded ``Caution``."""
    found = []
    for rel, tree in _modules():
        for node in ast.walk(tree):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "append"
                    and isinstance(node.func.value, ast.Name) and "warn" in node.func.value.id.lower()
                    and node.args and _is_plain_text(node.args[0])):
                found.append(f"{rel}:{node.lineno}: {ast.unparse(node)[:100]}")
    return found


def test_result_cautions_are_coded():
    assert uncoded_result_cautions() == [], "wrap the text in cautions.Caution(text, code=...):"


def test_every_warning_raised_in_the_toolkit_has_a_code():
    assert uncoded_warnings() == [], ("warnings.warn without a coded ToolkitWarning (use "
                                      "cautions.warn(message, code) or ToolkitWarning(message, code=...)):")


def test_no_module_matches_warnings_by_their_text():
    assert text_matching() == [], "match cautions on cautions.code_of(w), not on their wording:"


def _scan_source(src: str, scan) -> list[str]:
    """Run a scan on a snippet, as if it were the only module of the toolkit."""
    global _modules
    saved = _modules
    _modules = lambda: iter([("snippet.py", ast.parse(src))])  # noqa: E731
    try:
        return scan()
    finally:
        _modules = saved


@pytest.mark.parametrize("src, n", [
    ("import warnings\nwarnings.warn('careful')", 1),
    ("import warnings\nwarnings.warn('careful', ToolkitWarning)", 1),
    ("import warnings as w\nw.warn(ToolkitWarning('careful'))", 1),
    ("from warnings import warn\nwarn('careful', RuntimeWarning)", 1),
    ("import warnings\nwarnings.warn(ToolkitWarning('careful', code='spc.short_series'))", 0),
    ("from toolkit import cautions\ncautions.warn('careful', 'spc.short_series')", 0),
])
def test_the_uncoded_warning_scan_can_fail(src, n):
    assert len(_scan_source(src, uncoded_warnings)) == n


@pytest.mark.parametrize("src, n", [
    ("warns = []\nwarns.append(f'Only {g} clusters')", 1),
    ("warnings = []\nwarnings.append('Only ' + str(g) + ' clusters')", 1),
    ("warns = []\nwarns.append(Caution(f'Only {g} clusters', code='did.few_clusters'))", 0),
])
def test_the_result_caution_scan_can_fail(src, n):
    assert len(_scan_source(src, uncoded_result_cautions)) == n


@pytest.mark.parametrize("src, n", [
    ("kept = [w for w in res.warnings if not w.startswith('Treatment starts at')]", 1),
    ("for w in (r.warnings if r is not None else ()):\n    if 'each group-time' in w:\n        pass", 1),
    ("with warnings.catch_warnings(record=True) as caught:\n    pass\n"
     "short = any('fewer than 12' in str(w.message) for w in caught)", 1),
    ("with pytest.warns(UserWarning) as rec:\n    pass\nok = rec[0].message.startswith('Only')", 1),
    ("import re\nwith warnings.catch_warnings(record=True) as caught:\n    pass\n"
     "hit = [w for w in caught if re.search('p =', str(w.message))]", 1),
    ("try:\n    pass\nexcept DesignError as exc:\n    colon = exc.message.endswith(':')", 0),
    ("import warnings\nwarnings.filterwarnings('ignore', message='divide by zero')", 1),
    ("kept = [w for w in res.warnings if code_of(w) != 'did.staggered_timing']", 0),
    ("notes = [str(w.message) for w in caught]", 0),
    ("import warnings\nwarnings.filterwarnings('ignore', category=ToolkitWarning)", 0),
])
def test_the_text_matching_scan_can_fail(src, n):
    assert len(_scan_source(src, text_matching)) == n


def test_did_and_synth_warnings_carry_their_codes():
    """Run the estimators on seeded data that trigger known cautions; each has its listed code."""
    import pandas as pd

    from tests.designs.did import simdata
    from toolkit.designs import did, synth

    df = simdata.panel(60, 8, seed=3, cohorts=(0, 4, 6))
    tw = did.twfe(df, "y", "unit", "time", "d", cluster="state")
    codes = [code_of(w) for w in tw.warnings]
    assert "did.staggered_timing" in codes and "did.few_clusters" in codes  # 6 states
    es = did.event_study(df, "y", "unit", "time", "first_treated", leads=3, lags=2)
    cs = did.staggered(df.sample(frac=0.95, random_state=1), "y", "unit", "time", "first_treated")
    assert "did.unbalanced_panel" in [code_of(w) for w in cs.warnings]
    for r in (tw, es, cs):
        assert all(isinstance(w, Caution) and w.code in CODES and w.code != "general" for w in r.warnings), \
            [(w, code_of(w)) for w in r.warnings]

    rng = np.random.default_rng(0)
    t = np.arange(2010, 2016)
    rows = [{"unit": u, "year": y, "y": 10 + rng.normal() + (u == "A") * (y >= 2014) * 2.0}
            for u in "ABCDEFG" for y in t]
    res = synth.fit(pd.DataFrame(rows), "y", "unit", "year", treated_unit="A", treatment_start=2014,
                    min_pre=3)
    codes = [code_of(w) for w in res.warnings]
    assert "synth.short_pre" in codes and "synth.few_donors" in codes
    assert "general" not in codes and set(codes) <= set(CODES)
