"""Rendered reports in a real headless Chromium (Debian's package, driven by Playwright).

Asserts: no failed or network requests, no JavaScript errors, no visible code, real alt text on
every image, and zero axe-core violations for WCAG 2.2 AA. The board pages (summaries and the index)
are also opened at 1280 and 390 px and screenshotted into ``build/review/`` (or ``$HITK_REVIEW_DIR``).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import all_pages

pytestmark = pytest.mark.browser

CHROMIUM = os.environ.get("HITK_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
WCAG_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
PLACEHOLDERS = {"", "image", "chart", "figure", "plot", "graph", "picture"}


@pytest.fixture(scope="module")
def browser():
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"Chromium not found at {CHROMIUM}: run `bash .ci/ensure-chromium` (make test does)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(
            executable_path=CHROMIUM, headless=True,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield b
        b.close()


def test_reports_in_headless_chromium(browser, demo_runs):
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    reports = all_pages(demo_runs)
    assert reports
    for name, path in reports:
        page = browser.new_page()
        failed, remote, errors = [], [], []
        page.on("requestfailed", lambda r: failed.append(r.url))
        page.on("request", lambda r: remote.append(r.url) if not r.url.startswith(("file:", "data:")) else None)
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
        page.goto(path.as_uri(), wait_until="load")
        assert not failed, f"{name}: failed requests {failed[:3]}"
        assert not remote, f"{name}: network requests {remote[:3]}"
        assert not errors, f"{name}: JavaScript errors {errors[:3]}"
        visible_code = page.evaluate(
            "() => [...document.querySelectorAll('.jp-InputArea-editor, .jp-CodeCell .jp-InputArea, .highlight, pre')]"
            ".filter(e => e.offsetParent !== null).length")
        assert visible_code == 0, f"{name}: code is visible"
        alts = page.evaluate("() => [...document.images].map(i => i.getAttribute('alt'))")
        assert all(a is not None and a.strip().lower() not in PLACEHOLDERS and len(a) >= 15 for a in alts), name
        assert page.evaluate("() => [...document.images].every(i => i.complete && i.naturalWidth > 0)"), name
        assert page.locator("h1").count() == 1, f"{name}: one h1 expected"
        results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                         "resultTypes": ["violations"]})
        violations = results.response["violations"]
        assert not violations, f"{name}: axe violations:\n" + results.generate_report()
        page.close()


#: Where the board-page screenshots go for people to review (``build/`` is not committed).
REVIEW_DIR = Path(os.environ.get("HITK_REVIEW_DIR") or Path(__file__).resolve().parents[2] / "build" / "review")
WIDTHS = {"desktop": 1280, "mobile": 390}


def test_board_pages_at_desktop_and_mobile_widths(browser, demo_runs):
    """Summary pages and the index at 1280 and 390 px: screenshots for review, no sideways scrolling of the
    page itself (wide tables scroll inside their own region), zero axe violations at both widths."""
    from axe_playwright_python.sync_playwright import Axe

    axe = Axe()
    pages = [(name, path) for name, path in all_pages(demo_runs) if name == "index" or name.endswith("/summary")]
    assert any(name == "index" for name, _ in pages) and len(pages) > 1
    for label, width in WIDTHS.items():
        folder = REVIEW_DIR / label
        folder.mkdir(parents=True, exist_ok=True)
        context = browser.new_context(viewport={"width": width, "height": 900})
        for name, path in pages:
            page = context.new_page()
            page.goto(path.as_uri(), wait_until="load")
            shot = folder / f"{name.replace('/', '--')}.png"
            page.screenshot(path=str(shot), full_page=True)
            assert shot.stat().st_size > 5_000, f"{name} at {width} px: empty screenshot"
            scroll = page.evaluate("() => document.documentElement.scrollWidth")
            assert scroll <= width + 1, f"{name} at {width} px: the page scrolls sideways ({scroll} px wide)"
            first_screen = page.evaluate("() => document.querySelector('.summary-box').getBoundingClientRect().top")
            assert first_screen < 900, f"{name} at {width} px: the answer is not on the first screen"
            results = axe.run(page, options={"runOnly": {"type": "tag", "values": WCAG_TAGS},
                                             "resultTypes": ["violations"]})
            assert not results.response["violations"], f"{name} at {width} px:\n" + results.generate_report()
            page.close()
        context.close()
    print(f"\nBoard page screenshots for review: {REVIEW_DIR}")
