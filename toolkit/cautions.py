"""Structured warnings: every caution the toolkit raises carries a code.

Two kinds of caution reach a report:

- **Python warnings** raised by indicators and estimators while they compute
  (:class:`ToolkitWarning`, always with a ``code``), which a template collects with
  :func:`collect` instead of silencing them;
- **result warnings** that a design keeps in its result's ``warnings`` tuple: each is a
  :class:`Caution`, a ``str`` (so existing text consumers keep working) that also
  carries a ``code``.

Code that reacts to a particular caution compares its ``code`` — never its wording,
which is free to change.  Codes are dotted, ``<area>.<what>`` (``spc.short_series``,
``sii.many_quantiles``); :data:`CODES` lists every one the toolkit raises.
"""

from __future__ import annotations

import contextlib
import warnings
from typing import Iterator

__all__ = ["ToolkitWarning", "Caution", "warn", "collect", "code_of", "CODES", "GENERAL"]

#: Code of a caution raised without one (older call sites and third-party text).
GENERAL = "general"

#: Every code the toolkit raises, with what it means (a test checks raised codes are listed).
CODES: dict[str, str] = {
    GENERAL: "a caution without a more specific code",
    "spc.short_series": "an SPC chart has fewer than 12 points, so its limits are unreliable",
    "sii.many_quantiles": "SII asked for over more than 10 quantiles",
    "gaps.no_decile": "rows without an IMD decile are left out of the Core20 gap",
    "quantiles.no_score": "rows without a score get no quantile",
    "quantiles.small_group": "a group has fewer scored areas than quantiles",
    "standardised.missing_bands": "a group lacks some standard age bands (weights of the bands present only)",
    "baseline.single_period": "only one period, so the trend and SPC chart are skipped",
    "its.short_pre": "fewer than 12 periods before an interrupted time series' intervention",
    "its.short_post": "fewer than 12 periods after an interrupted time series' intervention",
    "its.autocorrelation": "the segmented regression's residuals are autocorrelated",
    "its.overdispersion": "Poisson counts are over-dispersed",
    "estimator.runtime": "a numerical routine warned while fitting (e.g. a division by zero or no convergence)",
    "rd.reference_routine": "rdrobust/rddensity printed or warned something",
    "rd.density_jump": "the running variable's density jumps at the cutoff (possible manipulation)",
}


class ToolkitWarning(UserWarning):
    """A condition the analyst should know about; reports show these in plain English.

    Parameters
    ----------
    message : str
        The caution in plain English.
    code : str
        Its machine code (see :data:`CODES`); ``"general"`` when not given.
    """

    def __init__(self, message: str = "", code: str = GENERAL):
        super().__init__(message)
        self.message = str(message)
        self.code = code

    def __str__(self) -> str:
        return self.message


class Caution(str):
    """A caution kept with a result: its text (a ``str``) and its ``code``.

    >>> c = Caution("Only 6 periods before the intervention", code="its.short_pre")
    >>> c.code, c.startswith("Only")
    ('its.short_pre', True)
    """

    code: str

    def __new__(cls, text: str, code: str = GENERAL) -> "Caution":
        obj = super().__new__(cls, text)
        obj.code = getattr(text, "code", code) if code == GENERAL else code
        return obj

    def __reduce__(self):
        return (Caution, (str(self), self.code))

    def as_dict(self) -> dict[str, str]:
        return {"code": self.code, "message": str(self)}


def code_of(item) -> str:
    """The code of a :class:`Caution`, a :class:`ToolkitWarning` or a recorded warning ("general" for text)."""
    msg = getattr(item, "message", item)
    return getattr(item, "code", None) or getattr(msg, "code", None) or GENERAL


def warn(message: str, code: str, *, stacklevel: int = 2) -> None:
    """Raise a :class:`ToolkitWarning` with ``code`` (``stacklevel`` as :func:`warnings.warn`)."""
    warnings.warn(ToolkitWarning(message, code=code), stacklevel=stacklevel + 1)


@contextlib.contextmanager
def collect(*, runtime: bool = True) -> Iterator[list[Caution]]:
    """Collect the cautions raised inside the block, instead of printing or silencing them.

    Yields a list that fills with one :class:`Caution` per distinct (code, text):
    every :class:`ToolkitWarning`, and — with ``runtime`` — every ``RuntimeWarning``
    (numpy's division by zero, an optimiser that did not converge), coded
    ``"estimator.runtime"``, so that it reaches the report instead of a log.
    Other warnings (deprecations of libraries) are left to the normal filters.
    """
    found: list[Caution] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", ToolkitWarning)
            if runtime:
                warnings.simplefilter("always", RuntimeWarning)
            yield found
    finally:
        seen = set()
        for w in caught:
            if issubclass(w.category, ToolkitWarning):
                c = Caution(str(w.message), code=code_of(w.message))
            elif runtime and issubclass(w.category, RuntimeWarning):
                c = Caution(f"A numerical routine warned: {w.message}", code="estimator.runtime")
            else:  # not ours: back to the normal filters
                warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
                continue
            if (c.code, str(c)) not in seen:
                seen.add((c.code, str(c)))
                found.append(c)
