"""The board pack: one PDF of an evaluation's latest successful run, printed by headless Chromium.

Order: a cover with the verdict (taken from the top of the run's summary page), the summary,
each stage report's plain-English part, then the technical appendices (each stage's methods
and "About this report" sections). Every page carries a running footer (evaluation, run date,
charter sign-off) and "Page N of M"; the PDF has bookmarks built from the headings.

How: the run's HTML pages are combined into one HTML document (ids prefixed per part so links
and bookmarks stay unique, links between pages rewritten to the part inside the pack), and
Debian's Chromium prints it (``--print-to-pdf`` with ``--generate-pdf-document-outline``;
the footer and page numbers are CSS page-margin boxes). No Python PDF library is needed.

The pack is written as ``board-pack.pdf`` inside the run folder; nothing else in the run, or in
any earlier run, is touched. A failure leaves the run as it was and raises :class:`PackError`.
"""

from __future__ import annotations

import html
import json
import os
import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from toolkit.errors import InputError, Problem, RunError
from toolkit.rendering.exporter import CSS
from toolkit.reporting.formatting import fmt_datetime

__all__ = ["build_pack", "latest_run", "pack_html", "find_chromium", "PackError", "PACK_NAME", "Part"]

PACK_NAME = "board-pack.pdf"
PRINT_CSS = (Path(__file__).parent / "templates" / "pack.css").read_text(encoding="utf-8")
#: an h2 starting one of these opens the technical appendix of a stage report
APPENDIX_HEADINGS = re.compile(r"^\s*(methods?\b|technical\b|appendix\b|glossary\b|for comparison\b)", re.I)
_MAIN = re.compile(r'<main\b[^>]*>(.*)</main>', re.S | re.I)
_CELL = re.compile(r'(?=<div\s+class="jp-Cell\s)')
_ABOUT = re.compile(r'(?=<section\b[^>]*\bclass="about")')
_H2 = re.compile(r"<h2\b[^>]*>(.*?)</h2>", re.S | re.I)
_TAGS = re.compile(r"<[^>]+>")
_HEADING_ONLY = re.compile(r"<h[2-4]\b", re.I)
_HEADINGS_ANY = re.compile(r"<h([1-6])\b.*?</h\1>", re.S | re.I)
_ID = re.compile(r'\b(id|for|aria-labelledby|aria-describedby)="([^"]+)"')
_HREF = re.compile(r'\bhref="([^"]*)"')
_HEADING_TAG = re.compile(r"<(/?)h([1-6])\b", re.I)


class PackError(RunError):
    """The board pack could not be made (the run itself is untouched)."""


@dataclass(frozen=True)
class Part:
    """One page of the run as it goes into the pack."""

    key: str          # stage name or "summary"
    title: str        # "Evaluation summary", "Difference-in-differences", ...
    plain: str        # HTML of the plain-English part (inside <main>)
    technical: str    # HTML of the technical part ("" if none)


def latest_run(evaluation_dir: Path) -> Path:
    """The latest successful run folder of an evaluation (named in ``runs/LATEST``)."""
    from toolkit.runs import latest_successful

    if not (Path(evaluation_dir) / "evaluation.yaml").exists():
        raise InputError(f"No evaluation at {evaluation_dir}: it has no evaluation.yaml.",
                         [Problem("no evaluation.yaml", where=str(evaluation_dir), fix="run `hitk list` to see evaluations")])
    runs = Path(evaluation_dir) / "runs"
    named = (runs / "LATEST").read_text(encoding="utf-8").strip() if (runs / "LATEST").exists() else ""
    if named and (runs / named / "manifest.json").exists():
        return runs / named
    found = latest_successful(runs)
    if found is None:
        raise PackError(f"Evaluation '{Path(evaluation_dir).name}' has no successful run yet, so there is no "
                        f"board pack to print. Run it first: `hitk run {Path(evaluation_dir).name}`.")
    return found[0]


def find_chromium() -> str:
    """The Chromium to print with: ``HITK_CHROMIUM``, else ``chromium`` on PATH, else /usr/bin/chromium."""
    for candidate in (os.environ.get("HITK_CHROMIUM"), shutil.which("chromium"), shutil.which("chromium-browser"),
                      "/usr/bin/chromium"):
        if candidate and Path(candidate).exists():
            return candidate
    raise PackError("The board pack is printed by Chromium, which was not found. Install Debian's 'chromium' "
                    "package (`bash .ci/ensure-chromium` does) or set HITK_CHROMIUM to its path.")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(_TAGS.sub(" ", fragment)).replace("¶", "").split())


def _balanced(text: str, start: int, tag: str) -> str:
    """The element opening at ``start`` up to its matching close tag (same tag name nested inside)."""
    pattern = re.compile(rf"<(/?){tag}\b[^>]*>", re.I)
    depth = 0
    for m in pattern.finditer(text, start):
        depth += -1 if m.group(1) else 1
        if depth == 0:
            return text[start:m.end()]
    return text[start:]


def _main(page: str) -> str:
    found = _MAIN.search(page)
    return found.group(1) if found else ""


def _meta(page: str, label: str) -> str:
    found = re.search(rf"<dt>\s*{re.escape(label)}\s*</dt>\s*<dd>(.*?)</dd>", page, re.S | re.I)
    return _text(found.group(1)) if found else ""


def split_stage(page: str) -> tuple[str, str]:
    """A stage report's main content split into (plain-English part, technical part).

    Each notebook cell belongs to the section of the last level-2 heading before it; a section whose
    heading reads like a methods section (Methods, Technical ..., Appendix, Glossary, For comparison ...)
    goes to the technical part, as does "About this report". Order is kept within each part.
    """
    main = _main(page)
    about = _ABOUT.split(main, maxsplit=1)
    body, about_html = (about[0], about[1]) if len(about) == 2 else (main, "")
    plain, technical = [], []
    target = plain
    for cell in _keep_headings_with_next(_CELL.split(body)):
        heading = _H2.search(cell)
        if heading:
            target = technical if APPENDIX_HEADINGS.match(_text(heading.group(1))) else plain
        target.append(cell)
    return "".join(plain), "".join(technical) + about_html


def _keep_headings_with_next(cells: list[str]) -> list[str]:
    """A cell holding a heading and at most a short introduction is wrapped with the cell after it (the chart
    or table it introduces), so a printed heading is never left alone at the foot of a page (Chromium does not
    carry break-after: avoid across cells)."""
    out: list[str] = []
    i = 0
    while i < len(cells):
        cell = cells[i]
        short_intro = _HEADING_ONLY.search(cell) and len(_text(_HEADINGS_ANY.sub("", cell))) <= 600
        if short_intro and i + 1 < len(cells) and not _H2.search(cells[i + 1]):
            out.append(f'<div class="pack-keep">{cell}{cells[i + 1]}</div>')
            i += 2
            continue
        out.append(cell)
        i += 1
    return out


def _drop_section(fragment: str, ident: str) -> str:
    """Remove an h2 (by id) and what follows it up to the next h2 or section (the summary's link list)."""
    return re.sub(rf'<h2\b[^>]*\bid="{re.escape(ident)}"[^>]*>.*?(?=<h2\b|<section\b|$)', "", fragment,
                  count=1, flags=re.S | re.I)


def cover_fragment(summary_page: str) -> str:
    """The answer for the cover: the summary's top box (with its verdict strip), and a verdict strip kept
    outside that box, if the summary has one, before it."""
    return "".join(_cover_pieces(summary_page))


def _cover_pieces(summary_page: str) -> list[str]:
    main = _main(summary_page)
    found = re.search(r'<(section|div)\b[^>]*class="[^"]*\bsummary-box\b[^"]*"', main, re.I)
    box = _balanced(main, found.start(), found.group(1)) if found else ""
    strip = re.search(r'<(section|div|dl)\b[^>]*class="[^"]*\bverdict-strip\b[^"]*"', main, re.I)
    if strip and not (found and found.start() <= strip.start() < found.start() + len(box)):
        return [_balanced(main, strip.start(), strip.group(1))] + ([box] if box else [])
    return [box] if box else []


def _prefix_ids(fragment: str, prefix: str, targets: dict[str, str]) -> str:
    """Make ids unique in the pack and point links at the right part.

    ``targets`` maps a page file name (``impact.html``) to the id of its part in the pack.
    """
    def ids(m: re.Match) -> str:
        values = " ".join(f"{prefix}-{v}" for v in m.group(2).split())
        return f'{m.group(1)}="{values}"'

    def hrefs(m: re.Match) -> str:
        href = html.unescape(m.group(1))
        if href.startswith("#"):
            return f'href="#{prefix}-{href[1:]}"'
        page, _, anchor = href.partition("#")
        if page in targets:
            return f'href="#{targets[page]}-{anchor}"' if anchor else f'href="#{targets[page]}"'
        return m.group(0)

    return _HREF.sub(hrefs, _ID.sub(ids, fragment))


def _shift_headings(fragment: str, by: int) -> str:
    return _HEADING_TAG.sub(lambda m: f"<{m.group(1)}h{min(6, int(m.group(2)) + by)}", fragment)


def _open_details(fragment: str) -> str:
    return re.sub(r"<details(?![^>]*\bopen\b)", "<details open", fragment, flags=re.I)


_HEADING = re.compile(r"(<h[1-6]\b[^>]*>)(.*?)(</h[1-6]>)", re.S | re.I)


def _keep_spaces_in_bookmarks(document: str) -> str:
    """Chromium builds bookmark titles from the laid-out heading and drops the space where a heading
    wraps ("Core20neighbourhoods"); each space becomes a no-break space (kept at a line end, unlike a
    collapsible space) followed by a zero-width space (where the line may break), invisible on the page."""
    def text_only(m: re.Match) -> str:
        inner = re.sub(r"(^|>)([^<]+)", lambda t: t.group(1) + t.group(2).replace(" ", "\u00a0\u200b"), m.group(2))
        return m.group(1) + inner + m.group(3)

    return _HEADING.sub(text_only, document)


def _css_string(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"').replace("\n", " ") + '"'


def _signoff_line(page: str) -> str:
    found = re.search(r'<p class="signoff[^"]*">(.*?)</p>', page, re.S | re.I)
    if not found:
        return "Charter sign-off not recorded"
    text = _text(found.group(1))
    if "changed since" in text:
        text = text.split(" It has changed since", 1)[0] + " (changed since)"
    return text.rstrip(".")


def pack_html(run_dir: Path) -> str:
    """The whole board pack as one self-contained HTML document (what Chromium prints)."""
    run_dir = Path(run_dir)
    try:
        manifest = json.loads((run_dir / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise PackError(f"Cannot make a board pack from {run_dir}: its manifest.json cannot be read ({exc}).") from exc
    if manifest.get("status") != "succeeded":
        raise PackError(f"Run {run_dir.name} did not succeed (status '{manifest.get('status')}'): "
                        "there are no reports to put in a board pack.")
    reports: dict[str, str] = manifest.get("reports") or {}
    summary_file = manifest.get("summary") or "summary.html"
    pages = {}
    for name in [summary_file, *reports.values()]:
        path = run_dir / name
        if not path.exists():
            raise PackError(f"Cannot make a board pack: {path} is missing from the run folder.")
        pages[name] = path.read_text(encoding="utf-8")
    summary = pages[summary_file]
    targets = {summary_file: "summary", **{file: f"stage-{stage}" for stage, file in reports.items()}}

    title = _text(re.search(r"<h1\b[^>]*>(.*?)</h1>", summary, re.S).group(1)) if "<h1" in summary else manifest.get("evaluation", "")
    organisation = _text(m.group(1)) if (m := re.search(r'<p class="report-org">(.*?)</p>', summary, re.S)) else ""
    run_date = fmt_datetime(manifest.get("started_at") or run_dir.name)
    signoff = _signoff_line(summary)
    evaluation = manifest.get("evaluation") or run_dir.parent.parent.name

    pieces = _cover_pieces(summary)
    cover_html = "".join(pieces)
    summary_plain, summary_technical = split_stage(summary)
    for piece in pieces:  # on the cover already: not twice on facing pages
        summary_plain = summary_plain.replace(piece, "", 1)
    summary_plain = _drop_section(summary_plain, "reports")  # links to the pages: the pack holds them
    parts = [Part("summary", "Evaluation summary", summary_plain, summary_technical)]
    for stage, file in reports.items():
        page = pages[file]
        parts.append(Part(stage, _meta(page, "Report") or stage, *split_stage(page)))

    cover = _prefix_ids(cover_html, "cover", targets)
    contents = "".join(f'<li><a href="#{targets.get(reports.get(p.key, summary_file), p.key)}">{html.escape(p.title)}</a></li>'
                       for p in parts)
    contents += '<li><a href="#appendix">Technical appendices</a></li>'
    body = [
        '<section class="pack-cover" aria-labelledby="pack-title">',
        f'<p class="pack-org">{html.escape(organisation)}</p>',
        f'<h1 id="pack-title">{html.escape(title)}</h1>',
        '<p class="pack-kind">Board pack</p>',
        '<dl class="pack-facts">',
        f"<div><dt>Evaluation</dt><dd>{html.escape(evaluation)}</dd></div>",
        f"<div><dt>Run</dt><dd>{html.escape(run_date)} (UTC)</dd></div>",
        f"<div><dt>Charter</dt><dd>{html.escape(signoff)}</dd></div>",
        "</dl>",
        f'<div class="pack-verdict">{cover}</div>' if cover else "",
        f'<nav class="pack-contents" aria-label="Contents of this pack"><h2 id="pack-contents">In this pack</h2><ol>{contents}</ol></nav>',
        '<p class="pack-note">The data behind each chart are in the HTML reports of this run, '
        "which the analyst can send with this pack.</p>",
        "</section>",
    ]
    for part in parts:
        ident = targets.get(reports.get(part.key, summary_file), part.key)
        heading = "Evaluation summary" if part.key == "summary" else part.title
        body += [f'<section class="pack-part" id="{ident}" aria-labelledby="{ident}-title">',
                 f'<h1 class="pack-part-title" id="{ident}-title">{html.escape(heading)}</h1>',
                 _prefix_ids(part.plain, ident, targets), "</section>"]
    body += ['<section class="pack-part pack-appendix" id="appendix" aria-labelledby="appendix-title">',
             '<h1 class="pack-part-title" id="appendix-title">Technical appendices</h1>',
             "<p>Methods, parameters and data notes behind each report, for analysts and reviewers.</p>"]
    for part in parts:
        if not part.technical.strip():
            continue
        ident = targets.get(reports.get(part.key, summary_file), part.key) + "-appendix"
        body += [f'<section class="pack-appendix-part" id="{ident}" aria-labelledby="{ident}-title">',
                 f'<h2 id="{ident}-title">{html.escape(part.title)}: technical notes</h2>',
                 _open_details(_shift_headings(_prefix_ids(part.technical, ident, targets), 1)), "</section>"]
    body.append("</section>")

    footer_left = f"{title} · run {run_date} UTC"
    page_css = (
        "@page { size: A4; margin: 16mm 14mm 22mm 14mm;"
        f" @bottom-left {{ content: {_css_string(footer_left)} \"\\A\" {_css_string(signoff)};"
        " white-space: pre-wrap; font: 8pt Arial, sans-serif; color: #425563; vertical-align: top; padding-top: 3mm;"
        " width: 150mm; }"
        ' @bottom-right { content: "Page " counter(page) " of " counter(pages); font: bold 9pt Arial, sans-serif;'
        " color: #212B32; vertical-align: top; padding-top: 3mm; width: 30mm; text-align: right; } }"
    )
    return "\n".join([
        "<!DOCTYPE html>", '<html lang="en-GB">', "<head>", '<meta charset="utf-8">',
        f"<title>{html.escape(title)} — board pack, run {html.escape(run_date)}</title>",
        f"<style>\n{CSS}\n{PRINT_CSS}\n{page_css}\n</style>", "</head>",
        '<body class="pack">', '<main id="main">', _keep_spaces_in_bookmarks("\n".join(body)), "</main>", "</body>",
        "</html>",
    ])


def build_pack(run_dir: Path, *, output: Path | None = None, timeout: float = 180.0,
               chromium: str | None = None) -> Path:
    """Print the board pack of ``run_dir`` to ``run_dir/board-pack.pdf`` (or ``output``).

    Parameters
    ----------
    run_dir : Path
        A successful run folder (``evaluations/NAME/runs/<id>``).
    output : Path, optional
        Where to write the PDF; default ``board-pack.pdf`` inside the run folder.
    timeout : float
        Seconds Chromium may take before the pack is abandoned.
    chromium : str, optional
        The Chromium executable (default :func:`find_chromium`).

    Returns
    -------
    Path
        The PDF written.

    Raises
    ------
    PackError
        The run has no reports, Chromium is missing, or printing failed. The run folder is left as it
        was (a half-written PDF is never kept).
    """
    run_dir = Path(run_dir)
    output = Path(output) if output is not None else run_dir / PACK_NAME
    document = pack_html(run_dir)
    browser = chromium or find_chromium()
    with tempfile.TemporaryDirectory(prefix="hitk-pack-") as tmp:
        source = Path(tmp) / "pack.html"
        source.write_text(document, encoding="utf-8")
        printed = Path(tmp) / "pack.pdf"
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-sync",
                   "--disable-background-networking", "--disable-component-update", "--disable-extensions",
                   f"--user-data-dir={Path(tmp) / 'profile'}", "--no-pdf-header-footer",
                   "--generate-pdf-document-outline", f"--print-to-pdf={printed}", source.as_uri()]
        try:
            done = subprocess.run(command, capture_output=True, text=True, timeout=timeout, check=False)
        except subprocess.TimeoutExpired as exc:
            raise PackError(f"Printing the board pack of run {run_dir.name} took longer than {timeout:g} s and "
                            "was stopped. The run itself is unchanged.") from exc
        except OSError as exc:
            raise PackError(f"Could not start Chromium ({browser}) to print the board pack: {exc}.") from exc
        if not printed.exists() or printed.stat().st_size == 0 or not printed.read_bytes().startswith(b"%PDF"):
            detail = " ".join((done.stderr or "").strip().splitlines()[-2:])[:300]
            raise PackError(f"Chromium did not produce the board pack of run {run_dir.name} (exit {done.returncode}"
                            f"{': ' + detail if detail else ''}). The run itself is unchanged.")
        partial = output.with_name(output.name + ".part")
        shutil.copyfile(printed, partial)
        partial.replace(output)
    return output
