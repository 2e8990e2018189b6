from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, Required, Self, TypedDict

from ..types import (
    EMPTY,
    ParseError,
    extra_fields,
    no_extra,
)

_KNOWN = frozenset(
    (
        "id",
        "externalId",
        "email",
        "firstName",
        "lastName",
        "speciality",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Practitioner:
    """Practitioner

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    id: str
    external_id: str = field(repr=False)
    email: str = field(repr=False)
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    speciality: str | None = None
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["id"] = self.id
        out["externalId"] = self.external_id
        out["email"] = self.email
        out["firstName"] = self.first_name
        out["lastName"] = self.last_name
        out["speciality"] = self.speciality
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "id" not in d:
            raise ParseError("id", "required field missing")
        f_id = d["id"]
        if type(f_id) is not str:
            raise ParseError("id", "expected a string")
        if "externalId" not in d:
            raise ParseError("externalId", "required field missing")
        f_external_id = d["externalId"]
        if type(f_external_id) is not str:
            raise ParseError("externalId", "expected a string")
        if "email" not in d:
            raise ParseError("email", "required field missing")
        f_email = d["email"]
        if type(f_email) is not str:
            raise ParseError("email", "expected a string")
        f_first_name = d.get("firstName")
        if f_first_name is not None:
            if type(f_first_name) is not str:
                raise ParseError("firstName", "expected a string")
        f_last_name = d.get("lastName")
        if f_last_name is not None:
            if type(f_last_name) is not str:
                raise ParseError("lastName", "expected a string")
        f_speciality = d.get("speciality")
        if f_speciality is not None:
            if type(f_speciality) is not str:
                raise ParseError("speciality", "expected a string")
        return cls(
            id=f_id,
            external_id=f_external_id,
            email=f_email,
            first_name=f_first_name,
            last_name=f_last_name,
            speciality=f_speciality,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class PractitionerKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`Practitioner` (for ``Unpack``)."""

    id: Required[str]
    external_id: Required[str]
    email: Required[str]
    first_name: NotRequired[str | None]
    last_name: NotRequired[str | None]
    speciality: NotRequired[str | None]
    model_extra: NotRequired[Mapping[str, Any]]
