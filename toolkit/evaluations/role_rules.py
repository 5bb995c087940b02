"""Role combinations a template needs beyond its required roles ("outcome, or numerator and denominator").

A template's metadata lists required and optional roles; some templates also accept
alternatives, which a flat list cannot say.  The rules live here, one entry per
template, and ``hitk validate`` applies them before anything is read, so that a
stage with neither alternative is refused with the YAML path and the fix rather
than at run time.
"""

from __future__ import annotations

from typing import Iterable

from toolkit.errors import Problem

__all__ = ["ALTERNATIVES", "check_role_alternatives", "describe_alternatives"]

#: template -> (single role, (paired roles)): exactly one of the two must be mapped.
ALTERNATIVES: dict[str, tuple[str, tuple[str, ...]]] = {
    "did": ("outcome", ("numerator", "denominator")),
}

_EXAMPLES = {"numerator": "e.g. new diagnoses", "denominator": "e.g. list size"}


def check_role_alternatives(template: str, roles: Iterable[str], *, where: str,
                            parameters_where: str | None = None) -> list[Problem]:
    """Problems with a stage's mapped roles against the template's alternatives.

    Parameters
    ----------
    template : str
        Template name (e.g. ``"did"``).
    roles : iterable of str
        The roles mapped on the stage's data source.
    where : str
        YAML path of the source's ``columns`` (e.g. ``data.sources.panel.columns``).
    parameters_where : str, optional
        YAML path of the stage's parameters, named in the fix for the rate's scale.

    Returns
    -------
    list of Problem
        Empty when the mapping is complete and unambiguous.
    """
    rule = ALTERNATIVES.get(template)
    if rule is None:
        return []
    single, pair = rule
    mapped = set(roles)
    have_pair = [r for r in pair if r in mapped]
    scale = (f" and set `outcome_per` under {parameters_where} (1 proportion, 100 per cent, 1000 per 1,000)"
             if parameters_where else "")
    pair_text = " and ".join(f"`{r}:`" for r in pair)
    if single in mapped and have_pair:
        return [Problem(
            f"template '{template}' takes either `{single}:` or {pair_text}, and both are mapped",
            where=f"{where}.{have_pair[0]}",
            fix=f"keep `{single}:` (a ready-made value per unit and period) or {pair_text} "
                f"(the rate is computed), not both")]
    if have_pair and len(have_pair) < len(pair):
        missing = [r for r in pair if r not in mapped]
        return [Problem(
            f"`{have_pair[0]}:` is mapped without {' and '.join(f'`{m}:`' for m in missing)}: "
            f"a rate needs both",
            where=where,
            fix=" ".join(f"add `{m}: <your column name>` ({_EXAMPLES.get(m, 'its column')})." for m in missing)
                + f" Or map `{single}:` instead of `{have_pair[0]}:`.")]
    if single not in mapped and not have_pair:
        return [Problem(
            f"template '{template}' needs an outcome: neither `{single}:` nor {pair_text} is mapped",
            where=where,
            fix=f"add `{single}: <your column name>` (one value per unit and period), or "
                + " and ".join(f"`{r}: <your column name>` ({_EXAMPLES.get(r, '')})" for r in pair)
                + scale)]
    return []


def describe_alternatives(template: str) -> str:
    """The alternative roles in words, e.g. "outcome, or numerator and denominator" ("" when none)."""
    rule = ALTERNATIVES.get(template)
    if rule is None:
        return ""
    single, pair = rule
    return f"{single}, or {' and '.join(pair)}"
