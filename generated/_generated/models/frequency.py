from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, Required, Self, TypedDict

from ..types import EMPTY, ParseError, extra_fields, no_extra

_KNOWN = frozenset(
    (
        "every",
        "unit",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """How often an encounter is created automatically to track the condition. Assumption: {every,
    unit}.

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    every: int
    unit: str
    """One of FrequencyUnit's known values (the server decides)."""
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["every"] = self.every
        out["unit"] = self.unit
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "every" not in d:
            raise ParseError("every", "required field missing")
        f_every = d["every"]
        if type(f_every) is not int:
            raise ParseError("every", "expected an integer")
        if "unit" not in d:
            raise ParseError("unit", "required field missing")
        f_unit = d["unit"]
        if type(f_unit) is not str:
            raise ParseError("unit", "expected a string")
        return cls(
            every=f_every,
            unit=f_unit,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class FrequencyKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`Frequency` (for ``Unpack``)."""

    every: Required[int]
    unit: Required[str]
    model_extra: NotRequired[Mapping[str, Any]]
