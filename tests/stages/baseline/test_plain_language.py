"""No code above the technical appendix of the baseline report (issue 15).

The example baseline report is put together as a reader sees it, without papermill: the template's
markdown cells in order, and each ``show.section("key")`` cell replaced by that section rendered to HTML
from a build of the shipped example.  Everything above the "Technical appendix" heading must be free of
metric keys, column names, commands, ISO timestamps and method names a board member would not know; SII
and RII are allowed once explained in plain words.  The method names must still be there, in the appendix.
"""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest

from toolkit.reporting.display import block_html
from toolkit.stages import baseline

ROOT = Path(__file__).resolve().parents[3]
TEMPLATE = ROOT / "templates" / "baseline.ipynb"
APPENDIX_HEADING = "## Technical appendix"

#: Words that belong in the technical appendix, never above it.
JARGON = ("Byar", "Wilson", "DSR", "running variable", "Erreygers", "Wagstaff", "Spiegelhalter", "Katz", "Wald",
          "XmR", "ESP2013", "European Standard Population", "Dobson", "Arriaga", "Chiang", "LSOA",
          "PHEindicatormethods", "logit", "over-dispersion", "overdispersion", "seed", "simulations",
          "evaluation.yaml", "hitk", "toolkit.", "results.json")
#: Patterns of code: ISO timestamps, metric keys (``baseline.core20_gap``), snake_case names (``period_use``).
CODE = (re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}"), re.compile(r"\bbaseline\.[a-z0-9_]+"),
        re.compile(r"\b[a-z][a-z0-9]*_[a-z0-9_]+\b"), re.compile(r"`"))
#: Abbreviations allowed above the appendix once explained (the plain name nearby at first use).
EXPLAINED = {"SII": "slope index of inequality", "RII": "relative index of inequality"}


def _text(fragment: str) -> str:
    fragment = re.sub(r"<img\b[^>]*>", " ", fragment)
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", fragment)))


def _report(analysis) -> tuple[str, str]:
    """(text above the technical appendix, text of the appendix), in the order the report shows them."""
    nb = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    above, below, target = [], [], None
    target = above
    for cell in nb["cells"]:
        tags = cell.get("metadata", {}).get("tags", [])
        if "remove-cell" in tags or "parameters" in tags:
            continue
        source = "".join(cell["source"])
        if cell["cell_type"] == "markdown":
            if source.lstrip().startswith(APPENDIX_HEADING):
                target = below
            target.append(source)
            continue
        for key in re.findall(r"\.section\(\s*[\"']([a-z_0-9]+)[\"']\s*\)", source):
            target.append(" ".join(_text(block_html(b)) for b in analysis.section(key).blocks))
    return " ".join(above), " ".join(below)


@pytest.fixture(scope="module")
def report(analysis):
    return _report(analysis)


def test_template_has_a_technical_appendix_last():
    nb = json.loads(TEMPLATE.read_text(encoding="utf-8"))
    sources = ["".join(c["source"]) for c in nb["cells"]]
    start = next(i for i, s in enumerate(sources) if s.lstrip().startswith(APPENDIX_HEADING))
    after = " ".join(sources[start:])
    assert '.section("methods")' in after and '.section("appendix")' in after
    before = " ".join(sources[:start])
    assert '.section("methods")' not in before and '.section("appendix")' not in before
    assert not any(s.lstrip().startswith("## ") for s in sources[start + 1:]), "the appendix is the last part"


def test_no_code_or_jargon_above_the_appendix(report):
    above, _ = report
    found = [w for w in JARGON if w.lower() in above.lower()]
    found += [m.group(0) for pattern in CODE for m in [pattern.search(above)] if m]
    assert not found, f"above the technical appendix: {found}"


def test_abbreviations_are_explained_at_first_use(report):
    above, _ = report
    for short, name in EXPLAINED.items():
        first = re.search(rf"\b{short}\b", above)
        if first:
            window = above[max(0, first.start() - 300):first.end() + 300].lower()
            assert name in window, f"{short} is not explained at its first use: {window!r}"


def test_the_appendix_keeps_the_method_names_and_a_glossary(report):
    _, below = report
    for word in ("Wilson", "Katz", "Wald", "XmR", "Spiegelhalter", "Erreygers", "European Standard Population",
                 "Glossary", "slope index of inequality"):
        assert word in below, word


def test_jargon_check_catches_code(analysis):
    """The check itself: a metric key, a timestamp and a method name are caught."""
    sample = "See baseline.core20_gap (run 2026-11-28T04:23:32Z), Byar's limits and period_use."
    assert [w for w in JARGON if w.lower() in sample.lower()] == ["Byar"]
    assert all(pattern.search(sample) for pattern in CODE[:3])
    assert analysis.section(baseline.SECTIONS[-1]).blocks


def test_missing_breakdowns_are_plain_above_and_the_fix_is_in_the_appendix():
    from types import SimpleNamespace

    from toolkit.stages.baseline import quality, sections

    f = SimpleNamespace(groups={}, level=0.95, indicator="x", benchmark=50.0, improvement="increase", series=None,
                        trend_caution=None, agg=SimpleNamespace(dimensions=("sex",), has_period=False))
    above = " ".join(_text(block_html(b)) for b in sections.groups(f) + sections.trend(f))
    assert "cannot be shown" in above and not [p.pattern for p in CODE if p.search(above)]
    assert "evaluation.yaml" not in above
    assert [role for role, _ in quality.missing_roles(f)] == ["ethnicity", "age_band", "period"]
