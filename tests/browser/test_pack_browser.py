"""The board pack printed by the real headless Chromium, checked as a PDF.

For every example evaluation: more than one page, "Page N of M" on every page, the running footer,
bookmarks for the parts, and no text placed outside the page box (a clipped table or an
over-wide chart would put text there). Each page is also turned into a PNG (poppler's pdftoppm)
under the pytest tmp folder for people to review: ``<tmp>/pack-screens/<evaluation>/page-NN.png``.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess

import pytest

from toolkit.rendering.pack import PACK_NAME, build_pack, find_chromium

pytestmark = pytest.mark.browser


def _outline_titles(reader) -> list[str]:
    titles = []

    def walk(items):
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                titles.append(str(item.title))

    walk(reader.outline)
    return titles


def _text_outside(page) -> list[tuple[str, float, float]]:
    """Text runs whose starting point lies outside the page's media box (in points)."""
    box = page.mediabox
    x0, y0, x1, y1 = float(box.left), float(box.bottom), float(box.right), float(box.top)
    outside = []

    def visit(text, cm, tm, font_dict, font_size):
        if not text.strip():
            return
        # position in device space: the text matrix times the current transformation matrix
        x = tm[4] * cm[0] + tm[5] * cm[2] + cm[4]
        y = tm[4] * cm[1] + tm[5] * cm[3] + cm[5]
        if not (x0 - 1 <= x <= x1 - 2 and y0 - 1 <= y <= y1 + 1):
            outside.append((text.strip()[:40], round(x), round(y)))

    page.extract_text(visitor_text=visit)
    return outside


@pytest.fixture(scope="module")
def packs(demo_runs):
    find_chromium()
    _, outcomes = demo_runs
    return {name: build_pack(out.run_dir) for name, out in outcomes.items()}


def test_pack_is_written_inside_the_run(packs, demo_runs):
    _, outcomes = demo_runs
    for name, path in packs.items():
        assert path == outcomes[name].run_dir / PACK_NAME and path.stat().st_size > 10_000
        assert path.read_bytes().startswith(b"%PDF")
        assert not list(outcomes[name].run_dir.glob("*.part"))


def test_pack_pages_numbers_footer_bookmarks_and_page_box(packs, demo_runs, tmp_path_factory):
    from pypdf import PdfReader

    _, outcomes = demo_runs
    screens = tmp_path_factory.mktemp("pack-screens")
    for name, path in packs.items():
        reader = PdfReader(path)
        n = len(reader.pages)
        assert n > 1, f"{name}: a pack of one page"
        for i, page in enumerate(reader.pages, start=1):
            text = page.extract_text()
            assert re.search(rf"Page\s+{i}\s+of\s+{n}", text), f"{name}: no page number on page {i}"
            assert "UTC" in text and "Charter" in text, f"{name}: running footer missing on page {i}"
            if i == 1:
                assert not re.search(r"\d{4}-\d{2}-\d{2}T\d{2}", text), f"{name}: an ISO timestamp on the cover"
            outside = _text_outside(page)
            assert not outside, f"{name}: text outside the page box on page {i}: {outside[:5]}"
        titles = [t.replace("\u200b", "").replace("\u00a0", " ") for t in _outline_titles(reader)]
        heading = re.search(r"<h1\b[^>]*>(.*?)</h1>", outcomes[name].summary.read_text(), re.S).group(1)
        assert titles[0] == " ".join(html.unescape(heading).split()), f"{name}: the first bookmark is {titles[0]!r}"
        for wanted in ("Evaluation summary", "Technical appendices"):
            assert any(wanted in t for t in titles), f"{name}: no bookmark '{wanted}' in {titles[:10]}"
        stages = outcomes[name].reports
        assert len([t for t in titles if t.endswith(": technical notes")]) >= len(stages), f"{name}: {titles}"
        if shutil.which("pdftoppm"):
            out = screens / name
            out.mkdir()
            subprocess.run(["pdftoppm", "-r", "60", "-png", str(path), str(out / "page")], check=True, timeout=300)
            assert len(list(out.glob("page-*.png"))) == n
    print(f"\nBoard pack screenshots for review: {screens}")


def test_pack_command(demo_runs, capsys):
    from toolkit.cli import main

    project, outcomes = demo_runs
    name = next(iter(outcomes))
    assert main(["--project", str(project.root), "pack", name]) == 0
    assert str(outcomes[name].run_dir / PACK_NAME) in capsys.readouterr().out
    assert main(["--project", str(project.root), "pack", "no-such-evaluation"]) == 2
