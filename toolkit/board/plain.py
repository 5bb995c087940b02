"""Plain words for board pages: what each recorded result measures, design names, and the glossary.

Board pages (the summary and the portfolio index) never show a result key (``impact.att``),
a column name or a method's initials above their technical appendix; they name a measure
by the label here, and the appendix lists label, key and method side by side.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["DESIGN_NAMES", "GLOSSARY", "JARGON", "result_label", "stage_label", "plain_text", "is_plain",
           "code_found", "code_columns"]

#: A stage template's plain name (the design it runs).
DESIGN_NAMES = {
    "charter": "project charter", "baseline": "baseline", "did": "difference-in-differences",
    "its": "interrupted time series", "synth": "synthetic control", "rd": "regression discontinuity",
    "sdid": "synthetic difference-in-differences", "augsynth": "augmented synthetic control",
}

# (pattern of a result name, label); the first match wins. ``{n}`` is filled with the horizon in months.
_LABELS: tuple[tuple[str, str], ...] = (
    (r"att", "the scheme's average effect"),
    (r"att_twfe", "the scheme's effect by a simpler before-and-after comparison with the comparison group"),
    (r"att_sdid", "the scheme's effect by synthetic difference-in-differences (a cross-check)"),
    (r"att_leave_one_out_(min|max)", "the scheme's effect with one comparison unit left out"),
    (r"att_(.+)", "the scheme's effect in {group}"),
    (r"gap_effect|effect_on_gap", "the effect on the gap"),
    (r"pretrend_p|pretrend_passed", "the check that the groups moved in parallel before the scheme"),
    (r"placebo_p", "the placebo test (how unusual our area's result is among areas without the scheme)"),
    (r"placebo.*", "a placebo check at a fake start date"),
    (r"rmspe_pre", "how closely the comparison matched our area before the scheme"),
    (r"level_change", "the change in level when the scheme started"),
    (r"level_change_(.+)", "the change in level in {group}"),
    (r"slope_change", "the change in trend after the scheme started"),
    (r"controlled_level_change", "the change in level, against the comparison area"),
    (r"controlled_slope_change", "the change in trend, against the comparison area"),
    (r"rate_ratio_h(\d+)", "the outcome against its expected trend, {n} months in"),
    (r"difference_h(\d+)", "the difference from the expected trend, {n} months in"),
    (r"cumulative_difference_h(\d+)", "the total difference from the expected trend over the first {n} months"),
    (r"effect", "{effect}"),
    (r"effect_bandwidth_(min|max)", "the jump at the threshold with a narrower or wider window"),
    (r"effect_(.+)", "the effect in {group}"),
    (r"density_p", "the check that neighbourhoods were not bunched either side of the threshold"),
    (r"core20_value", "the value in the most deprived 20% of neighbourhoods"),
    (r"core20_gap", "the gap between the most deprived 20% and the rest"),
    (r"core20_ratio", "the most deprived 20% against the rest, as a ratio"),
    (r"overall_value", "the value across everyone"),
    (r"rest_value", "the value outside the most deprived 20%"),
    (r"latest_value", "the latest value"),
    (r"quintile_gap", "the gap between the most and least deprived fifths"),
    (r"sii", "the slope index of inequality (the gap across all deprivation levels)"),
    (r"rii", "the relative index of inequality"),
    (r"goal\.(.+)\.mde", "the smallest change the study can detect for a goal"),
    (r"goal\.(.+)\.target", "a goal's forecast"),
)


def result_label(key_or_name: str | None, estimate: dict[str, Any] | None = None, *,
                 template: str | None = None) -> str:
    """The plain label of a recorded result: ``"impact.gap_effect"`` → ``"the effect on the gap"``.

    Unknown names give ``"a result of the <design> stage"`` (never the key itself). ``template`` (or
    the estimate's recorded cut-off) tells a regression discontinuity's jump from another ``effect``.
    """
    key = str(key_or_name or "")
    name = (estimate or {}).get("name") or key.split(".", 1)[-1]
    for pattern, label in _LABELS:
        found = re.fullmatch(pattern, name)
        if found:
            if "{n}" in label:
                return label.format(n=int(found.group(1)) + 1)
            if "{group}" in label:
                return label.format(group=found.group(1).replace("_", " "))
            if "{effect}" in label:
                threshold = "cutoff" in ((estimate or {}).get("extra") or {}) or template == "rd"
                return "the jump at the eligibility threshold" if threshold else "the estimated effect"
            return label
    stage = (estimate or {}).get("stage") or (key.split(".", 1)[0] if "." in key else "")
    return f"a result of the {stage} stage" if stage else "a recorded result"


def stage_label(template: str | None, name: str | None = None) -> str:
    """A stage's plain name from its template (``did`` → ``difference-in-differences``)."""
    return DESIGN_NAMES.get(template or "", f"the {name or template} stage")


#: Terms a board page may only use in its technical appendix (tests check the text above it).
JARGON = ("ATT", "ATT(g,t)", "CRV1", "TWFE", "MSE-optimal", "rddensity", "RMSPE", "running variable")

#: Words a reader may meet on the page or in the stage reports, with their meaning.
GLOSSARY: tuple[tuple[str, str], ...] = (
    ("Confidence interval (range)", "The range of values the data are consistent with; here a 95% interval: if the "
     "evaluation were repeated many times, 95 in 100 such ranges would contain the true value."),
    ("p-value", "How often a result at least this large would arise by chance if the scheme had no effect; "
     "'< 0.001' means less than 1 in 1,000."),
    ("Percentage points", "The difference between two percentages (60% against 55% is 5 percentage points, about "
     "9% more)."),
    ("Rate ratio", "The rate with the scheme divided by the rate expected without it: 0.95 means 5% fewer, 1.10 "
     "means 10% more."),
    ("Core20", "People living in the 20% most deprived neighbourhoods in England (Index of Multiple Deprivation "
     "deciles 1 and 2)."),
    ("ATT", "Average treatment effect on the treated: the scheme's average effect on the people or areas that "
     "received it."),
    ("ATT(g,t)", "The effect for the practices that joined in wave g, measured at time t; averaged to give the "
     "overall effect."),
    ("TWFE", "Two-way fixed effects: a regression with one term per unit and one per period, the older way of "
     "comparing groups before and after."),
    ("CRV1", "Cluster-robust standard errors: uncertainty that allows outcomes within the same practice or area to "
     "be related."),
    ("MSE-optimal", "The window of neighbourhoods either side of a threshold chosen to balance bias and noise "
     "(mean squared error)."),
    ("rddensity", "A test that units are not bunched just on one side of the threshold (which would suggest the "
     "ranking was manipulated)."),
    ("RMSPE", "Root mean squared prediction error: how far the synthetic comparison was from our area, on average, "
     "before the scheme."),
    ("Running variable", "The score that decides eligibility (for example a neighbourhood's deprivation rank); the "
     "threshold on it separates those who get the scheme from those who do not."),
    ("Placebo test", "The same analysis repeated where nothing happened (another area or a fake start date); a real "
     "effect should stand out from these."),
    ("Regression to the mean", "Areas picked because of an unusually bad year tend to look better the next year "
     "even without a scheme."),
    ("Age-standardised rate", "A rate adjusted so that groups with older or younger populations can be compared "
     "fairly; a crude rate is not adjusted."),
)

_KEY = re.compile(r"\b[a-z][a-z0-9_-]*\.[a-z][a-z0-9_]*\b")


def plain_text(text: str, results: dict[str, Any] | None = None) -> str:
    """Replace result keys written into a sentence (``"impact.att"``) with their plain labels."""
    keys = {e.get("key") for e in (results or {}).get("estimates", []) if e.get("key")}
    if not keys:
        return text
    return _KEY.sub(lambda m: result_label(m.group(0)) if m.group(0) in keys else m.group(0), text)


_ACRONYM = re.compile(r"\b(?:ATT|CRV1|TWFE|RMSPE)\b|ATT\(g,\s*t\)|MSE-optimal|rddensity|running[ -]variable", re.I)
_SCIENTIFIC = re.compile(r"\b\d(?:\.\d+)?e[-+]?\d+\b", re.I)
_ISO_TIME = re.compile(r"\b\d{4}-\d{2}-\d{2}T\d{2}[:-]\d{2}")
_CLI = re.compile(r"\bhitk\s+[a-z]+")
_QUOTED = re.compile(r"(?<![A-Za-z])'[a-z][a-z0-9]*(?:_[a-z0-9]+)*'")


def code_found(text: str, *, keys: tuple[str, ...] = (), columns: tuple[str, ...] = ()) -> list[str]:
    """Every piece of code in ``text`` a board page must not show above its technical appendix.

    Method initials and names (:data:`JARGON`), numbers in scientific notation, ISO timestamps, CLI
    commands, quoted identifiers (``'running'``), and any of the given result ``keys`` or column names
    (as whole words).
    """
    found = [m.group(0) for m in _ACRONYM.finditer(text)]
    found += [m.group(0) for m in _SCIENTIFIC.finditer(text)]
    found += [m.group(0) for m in _ISO_TIME.finditer(text)]
    found += [m.group(0) for m in _CLI.finditer(text)]
    found += [m.group(0) for m in _QUOTED.finditer(text)]
    for word in (*keys, *columns):
        if word and re.search(rf"(?<![\w.-]){re.escape(word)}(?![\w-])", text):
            found.append(word)
    return found


def is_plain(text: str, results: dict[str, Any] | None = None, *, columns: tuple[str, ...] = ()) -> bool:
    """True when ``text`` can stand above the technical appendix (no method initials, keys or codes)."""
    keys = tuple(e.get("key") for e in (results or {}).get("estimates", []) if e.get("key"))
    return not code_found(str(text), keys=keys, columns=columns)


def code_columns(config: Any) -> tuple[str, ...]:
    """The column names of an evaluation's data sources that read as code (``practice_code``, ``lsoa21_code``)."""
    names = {c for source in config.data.sources.values() for c in source.columns.values()}
    return tuple(sorted(c for c in names if re.search(r"[_\d]", c)))
