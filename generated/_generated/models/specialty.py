from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, Required, Self, TypedDict

from ..types import EMPTY, ParseError, extra_fields, no_extra

_KNOWN = frozenset(
    (
        "code",
        "name",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Specialty:
    """Specialty

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    code: str
    name: str
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["code"] = self.code
        out["name"] = self.name
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "code" not in d:
            raise ParseError("code", "required field missing")
        f_code = d["code"]
        if type(f_code) is not str:
            raise ParseError("code", "expected a string")
        if "name" not in d:
            raise ParseError("name", "required field missing")
        f_name = d["name"]
        if type(f_name) is not str:
            raise ParseError("name", "expected a string")
        return cls(
            code=f_code,
            name=f_name,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class SpecialtyKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`Specialty` (for ``Unpack``)."""

    code: Required[str]
    name: Required[str]
    model_extra: NotRequired[Mapping[str, Any]]
