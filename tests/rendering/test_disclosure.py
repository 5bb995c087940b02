"""Disclosure control: small counts are masked in what reports show, never in computations."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from tests.conftest import all_pages
from toolkit.reporting.disclosure import DisclosureRule, apply_disclosure, mask_count
from toolkit.reporting.display import table_html

COUNT_HEADER = re.compile(r"\b(n|count|counts|number|events|records|people|patients|admissions|numerator|"
                          r"denominator|deaths|cases|observations|rows|registered)\b", re.I)


@pytest.mark.parametrize("value,shown", [(0, "0"), (1, "*"), (7, "*"), (8, "8"), (1234, "1,234"), (None, "–")])
def test_default_rule(value, shown):
    assert mask_count(value) == shown


def test_rounding_rule_and_custom_range():
    rule = DisclosureRule(suppress_from=1, suppress_to=9, symbol="~", round_to=5)
    assert [mask_count(v, rule) for v in (0, 5, 9, 10, 12, 13)] == ["0", "~", "~", "10", "10", "15"]
    assert "rounded to the nearest 5" in rule.describe()


def test_tables_mask_counts_but_leave_data_untouched():
    df = pd.DataFrame({"Group": ["a", "b"], "Events": [3, 40], "Rate": [3.0, 40.0]})
    html = table_html(df, caption="Events by group", count_columns=["Events"])
    assert "<td class=\"num\">*</td>" in html and ">40<" in html and ">3.00<" in html
    assert df["Events"].tolist() == [3, 40]
    assert apply_disclosure(df, ["Events"])["Events"].tolist() == ["*", "40"]


def _count_cells(page_html: str):
    """Yield (header, cell text) for every cell under a count-like column header."""
    for table in re.findall(r"<table.*?</table>", page_html, re.S):
        headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*scope=\"col\"[^>]*>(.*?)</th>", table, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", table, re.S):
            cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<t[hd][^>]*>(.*?)</t[hd]>", row, re.S)]
            if len(cells) != len(headers):
                continue
            for header, cell in zip(headers, cells):
                if COUNT_HEADER.search(header):
                    yield header, cell


def test_rendered_reports_show_no_count_in_the_suppressed_range(demo_runs):
    checked = 0
    for name, path in all_pages(demo_runs):
        for header, cell in _count_cells(path.read_text(encoding="utf-8")):
            checked += 1
            assert not re.fullmatch(r"[1-7]", cell), f"{name}: column '{header}' shows the count {cell}"
    assert checked > 0, "no count columns found: the scan would be vacuous"
