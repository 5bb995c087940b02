"""Data contracts: what each template needs of its data, declared once, checked where the data live.

A :class:`Contract` lists, per *role* (what the analysis needs, e.g. ``numerator``),
the kind of value, the allowed range and what a missing value means, plus
cross-column rules (``numerator <= denominator``) and uniqueness keys
(``unit × time``).  The same contract is checked by ``hitk validate`` and at the
start of ``hitk run`` (:func:`toolkit.evaluations.checks.check_evaluation`), by
:func:`check_contract` in :mod:`toolkit.data.checking`, which runs each rule
(:mod:`toolkit.data.rules`, written once in Ibis) over the source files in DuckDB
(streaming: the files are never loaded into pandas) or over a table on a DuckDB
database, PostgreSQL or Spark, and reports every violation at once, each naming
the file (or table), the column, example rows (files only: header = row 1, so the
first data row is row 2), how many rows and the fix.

Where contracts come from
-------------------------
1. The template's notebook metadata, ``hitk.contract`` (a JSON mapping parsed by
   :meth:`Contract.from_dict`), when present;
2. otherwise :data:`REGISTRY`, keyed by template name (``baseline``, ``did``,
   ``its``, ``synth``, ``rd``);
3. otherwise no data rules beyond the column mapping.

Only rules whose roles are mapped in ``evaluation.yaml`` are checked: a template's
optional role that the analyst did not map is simply not there.

Kinds
-----
``numeric`` a number; ``count`` a number >= 0; ``text`` anything; ``date`` a
calendar day (``2024-03-31``, ``31/03/2024``); ``period`` months (``2024-03``),
quarters (``2024Q1``), days or period numbers, one granularity per column;
``lsoa`` an LSOA code (unknown codes are kept and audited, never rejected);
``imd_decile`` a whole number 1-10; ``binary`` 0/1 (or true/false).  A numeric value
written as ``NaN`` is refused (a missing value is a blank cell), and a role whose
``scale_parameter`` the stage sets (``outcome_scale: percentage``) must lie in that
scale's range.

Missing values
--------------
``missing="allow"`` (kept; the template shows them as their own group, or — for the
synthetic control's outcome — leaves out the donor that lacks them and says so),
``"exclude"`` (the row cannot count: it is left out, and the rows left out are
counted by reason and shown in the report) or ``"error"`` (a violation).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping

from toolkit.errors import Problem, TemplateError

__all__ = ["KINDS", "SCALES", "RoleSpec", "Compare", "Unique", "Contract", "REGISTRY", "contract_for"]

KINDS = ("numeric", "count", "text", "date", "period", "lsoa", "imd_decile", "binary")
_MISSING = ("allow", "exclude", "error")
_OPS = ("<=", "<", ">=", ">")

#: What an outcome can measure, and the values that are then possible: (min, max, whole numbers).
#: Given in a stage parameter (``outcome_scale``); empty or "any" means any number.
SCALES: dict[str, tuple[float | None, float | None, bool]] = {
    "proportion": (0.0, 1.0, False),
    "percentage": (0.0, 100.0, False),
    "rate": (0.0, None, False),
    "count": (0.0, None, True),
}


@dataclass(frozen=True)
class RoleSpec:
    """What one role's values must be.

    Parameters
    ----------
    kind : str
        One of :data:`KINDS`.
    missing : {"allow", "exclude", "error"}
        What a blank value means (see the module notes).
    min, max : float, optional
        Allowed range (inclusive unless ``min_exclusive``).
    min_exclusive : bool
        ``True`` makes ``min`` strict (a denominator must be above 0).
    whole : bool
        Values must be whole numbers.
    label : str, optional
        How messages name the values ("denominators (populations)").
    scale_parameter : str, optional
        The stage parameter in which the analyst says what the values measure
        (:data:`SCALES`: ``proportion`` 0-1, ``percentage`` 0-100, ``rate`` or
        ``count`` 0 or more); :meth:`Contract.with_parameters` turns it into a range,
        so that a proportion of 250% or −3% is refused by ``hitk validate``.
    """

    kind: str = "text"
    missing: str = "allow"
    min: float | None = None
    max: float | None = None
    min_exclusive: bool = False
    whole: bool = False
    label: str | None = None
    scale_parameter: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"unknown kind {self.kind!r}; use one of {', '.join(KINDS)}")
        if self.missing not in _MISSING:
            raise ValueError(f"missing must be one of {', '.join(_MISSING)}, not {self.missing!r}")

    @property
    def lower(self) -> float | None:
        """Effective lower bound (counts start at 0, deciles at 1)."""
        if self.min is not None:
            return self.min
        return {"count": 0.0, "imd_decile": 1.0, "binary": 0.0}.get(self.kind)

    @property
    def upper(self) -> float | None:
        if self.max is not None:
            return self.max
        return {"imd_decile": 10.0, "binary": 1.0}.get(self.kind)

    @property
    def numeric(self) -> bool:
        return self.kind in ("numeric", "count", "imd_decile", "binary")

    @property
    def integral(self) -> bool:
        return self.whole or self.kind in ("imd_decile", "binary")


@dataclass(frozen=True)
class Compare:
    """A rule across two columns, ``left op right`` (``right`` may be a number).

    Checked only on rows where both values are present, and only when ``left``
    (and ``right`` when it is a role) are mapped and none of ``unless_mapped`` is.
    """

    left: str
    op: str
    right: str | float
    message: str
    fix: str
    unless_mapped: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.op not in _OPS:
            raise ValueError(f"op must be one of {', '.join(_OPS)}, not {self.op!r}")

    @property
    def roles(self) -> tuple[str, ...]:
        return (self.left,) + ((self.right,) if isinstance(self.right, str) else ())


@dataclass(frozen=True)
class Unique:
    """No two rows may share these keys.

    ``keys`` must all be mapped; each of ``optional`` joins the key when mapped.
    The rule applies only when every role in ``when_mapped`` is mapped and none
    in ``unless_mapped`` is.
    """

    keys: tuple[str, ...] = ()
    optional: tuple[str, ...] = ()
    when_mapped: tuple[str, ...] = ()
    unless_mapped: tuple[str, ...] = ()
    fix: str = "keep one row per key, or map the column that tells the rows apart"

    def columns(self, mapped: Mapping[str, str]) -> tuple[str, ...] | None:
        """The key roles for this mapping, or ``None`` when the rule does not apply."""
        if any(r not in mapped for r in (*self.keys, *self.when_mapped)):
            return None
        if any(r in mapped for r in self.unless_mapped):
            return None
        out = self.keys + tuple(r for r in self.optional if r in mapped)
        return out or None


@dataclass(frozen=True)
class Contract:
    """The data rules of one template."""

    template: str
    roles: Mapping[str, RoleSpec] = field(default_factory=dict)
    compare: tuple[Compare, ...] = ()
    unique: tuple[Unique, ...] = ()

    @classmethod
    def from_dict(cls, template: str, data: Mapping[str, Any]) -> "Contract":
        """Build a contract from its JSON form (``hitk.contract`` in notebook metadata).

        ``{"roles": {"denominator": {"kind": "count", "min": 0, "min_exclusive": true}},
        "compare": [{"left": "numerator", "op": "<=", "right": "denominator", "message": "...",
        "fix": "..."}], "unique": [{"keys": ["unit", "time"]}]}``

        Raises
        ------
        TemplateError
            When the mapping does not describe a contract.
        """
        try:
            unknown = set(data) - {"roles", "compare", "unique"}
            if unknown:
                raise ValueError(f"unknown key(s) {', '.join(sorted(unknown))}")
            roles = {r: RoleSpec(**spec) for r, spec in dict(data.get("roles", {})).items()}
            compare = tuple(Compare(**{**c, "unless_mapped": tuple(c.get("unless_mapped", ()))})
                            for c in data.get("compare", ()))
            unique = tuple(Unique(**{k: (tuple(v) if isinstance(v, list) else v) for k, v in u.items()})
                           for u in data.get("unique", ()))
        except (TypeError, ValueError, AttributeError) as exc:
            raise TemplateError(
                f"Template {template!r} has an invalid data contract.",
                [Problem(str(exc), where=f"{template}.ipynb metadata hitk.contract",
                         fix="see toolkit/data/contracts.py for the contract format")],
            ) from None
        return cls(template, roles, compare, unique)

    def with_parameters(self, parameters: Mapping[str, Any] | None, *, where: str = "parameters") -> "Contract":
        """This contract with the ranges the stage's parameters declare (see ``RoleSpec.scale_parameter``).

        Raises
        ------
        ConfigError
            When a scale parameter holds something other than one of :data:`SCALES`.
        """
        from dataclasses import replace

        from toolkit.errors import ConfigError

        roles = dict(self.roles)
        for role, spec in self.roles.items():
            name = spec.scale_parameter
            value = (parameters or {}).get(name) if name else None
            if value in (None, "", "any"):
                continue
            if value not in SCALES:
                raise ConfigError("A stage parameter is not valid.", [Problem(
                    f"'{value}' is not a scale the toolkit knows", where=f"{where}.{name}",
                    fix=f"use one of {', '.join(SCALES)}, or leave it empty for any number")])
            lo, hi, whole = SCALES[value]
            label = f"{spec.label or role} (declared as {'an' if value[0] in 'aeiou' else 'a'} {value} by {name})"
            roles[role] = replace(spec, min=lo, max=hi, whole=spec.whole or whole, label=label)
        return replace(self, roles=roles)


# --------------------------------------------------------------------------- the registry

_NUM_LE_DEN = Compare(
    "numerator", "<=", "denominator", "the numerator is larger than the denominator",
    "check the two columns are not swapped and that both count the same people")
_RECORD_01 = Compare(
    "numerator", "<=", 1.0, "in person-level records the numerator must be 0 or 1 (each row is one person)",
    "map a 0/1 column, or map `denominator:` if the rows hold counts", unless_mapped=("denominator",))
_DEN = RoleSpec("count", missing="exclude", min=0, min_exclusive=True, label="denominators (populations)")

REGISTRY: dict[str, Contract] = {
    "baseline": Contract(
        "baseline",
        roles={
            "numerator": RoleSpec("count", missing="exclude", label="numerators"),
            "denominator": _DEN,
            "person_id": RoleSpec("text"),
            "lsoa": RoleSpec("lsoa"),
            "area": RoleSpec("text"),
            "imd_decile": RoleSpec("imd_decile", label="IMD deciles"),
            "imd_score": RoleSpec("numeric", min=0, label="IMD scores"),
            "period": RoleSpec("period", missing="exclude"),
            "age_band": RoleSpec("text"),
            "sex": RoleSpec("text"),
            "ethnicity": RoleSpec("text"),
            "practice": RoleSpec("text"),
        },
        compare=(_NUM_LE_DEN, _RECORD_01),
        unique=(
            Unique(("person_id",), optional=("period",),
                   fix="keep one row per person and period (or map `period:`)"),
            Unique((), optional=("lsoa", "area", "practice", "period", "imd_decile", "age_band", "sex", "ethnicity"),
                   when_mapped=("denominator",), unless_mapped=("person_id",),
                   fix="sum the duplicated rows into one, or map the column that tells them apart "
                       "(e.g. age_band, sex)"),
        ),
    ),
    "did": Contract(
        "did",
        roles={
            "unit": RoleSpec("text", missing="error"),
            "time": RoleSpec("period", missing="error"),
            "outcome": RoleSpec("numeric", missing="exclude", label="outcomes", scale_parameter="outcome_scale"),
            "treatment": RoleSpec("binary", label="treatment flags"),
            "first_treated": RoleSpec("text"),
            "quintile": RoleSpec("numeric", min=1, max=5, whole=True, label="deprivation quintiles"),
            "weight": RoleSpec("numeric", min=0, label="weights"),
            "cluster": RoleSpec("text"),
            "numerator": RoleSpec("count", missing="exclude", label="numerators"),
            "denominator": _DEN,
            "group": RoleSpec("text", missing="error"),
        },
        compare=(_NUM_LE_DEN,),
        unique=(Unique(("unit", "time"), optional=("group",),
                       fix="keep one row per unit and period (and group; sum or average duplicates first)"),),
    ),
    "its": Contract(
        "its",
        roles={
            "time": RoleSpec("period", missing="error"),
            "outcome": RoleSpec("numeric", missing="error", label="outcomes", scale_parameter="outcome_scale"),
            "denominator": RoleSpec("count", min=0, min_exclusive=True, label="denominators (populations)"),
            "comparison_outcome": RoleSpec("numeric", label="comparison outcomes"),
            "comparison_denominator": RoleSpec("count", min=0, min_exclusive=True,
                                               label="comparison denominators (populations)"),
            "group": RoleSpec("text"),
        },
        unique=(Unique(("time",), optional=("group",),
                       fix="keep one row per period (and group); sum duplicated periods first"),),
    ),
    "synth": Contract(
        "synth",
        roles={
            "unit": RoleSpec("text", missing="error"),
            "time": RoleSpec("period", missing="error"),
            "outcome": RoleSpec("numeric", label="outcomes", scale_parameter="outcome_scale"),
            "unit_name": RoleSpec("text"),
            "group": RoleSpec("text"),
        },
        unique=(Unique(("unit", "time"), optional=("group",),
                       fix="keep one row per area and period (and group)"),),
    ),
    "rd": Contract(
        "rd",
        roles={
            "running": RoleSpec("numeric", missing="exclude", label="running-variable values"),
            "outcome": RoleSpec("numeric", missing="exclude", label="outcomes", scale_parameter="outcome_scale"),
            "unit": RoleSpec("text"),
            "group": RoleSpec("text"),
        },
        unique=(Unique(("unit",), optional=("group",), fix="keep one row per unit"),),
    ),
}


def contract_for(template: str, metadata: Mapping[str, Any] | None = None) -> Contract | None:
    """The contract of a template: its notebook's ``hitk.contract``, else :data:`REGISTRY`.

    Parameters
    ----------
    template : str
        Template name (``baseline``).
    metadata : mapping, optional
        The template's ``hitk`` metadata entries other than title/description/roles
        (``TemplateInfo.extra``).
    """
    raw = (metadata or {}).get("contract")
    if raw:
        return Contract.from_dict(template, raw)
    return REGISTRY.get(template)
