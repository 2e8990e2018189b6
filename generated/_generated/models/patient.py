from __future__ import annotations

import datetime
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NotRequired, Required, Self, TypedDict

from ..types import (
    EMPTY,
    ParseError,
    extra_fields,
    no_extra,
    parse_date,
)

if TYPE_CHECKING:
    from ..models.condition import Condition

_KNOWN = frozenset(
    (
        "id",
        "externalId",
        "conditions",
        "firstName",
        "lastName",
        "email",
        "phone",
        "birthDate",
        "gender",
        "language",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Patient:
    """A connected patient as the server returns it.

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    id: str
    external_id: str = field(repr=False)
    conditions: Sequence[Condition]
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    birth_date: datetime.date | None = field(default=None, repr=False)
    gender: str | None = field(default=None, repr=False)
    """Assumption: an open string in answers (see Gender for the known values)."""
    language: str | None = field(default=None, repr=False)
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["id"] = self.id
        out["externalId"] = self.external_id
        out["conditions"] = [item.to_dict() for item in self.conditions]
        out["firstName"] = self.first_name
        out["lastName"] = self.last_name
        out["email"] = self.email
        out["phone"] = self.phone
        out["birthDate"] = None if self.birth_date is None else self.birth_date.isoformat()
        out["gender"] = self.gender
        out["language"] = self.language
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        from ..models.condition import Condition

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
        if "conditions" not in d:
            raise ParseError("conditions", "required field missing")
        f_conditions = d["conditions"]
        if type(f_conditions) is not list:
            raise ParseError("conditions", "expected a JSON array")
        try:
            f_conditions = tuple([Condition.from_dict(item) for item in f_conditions])
        except ParseError as exc:
            raise exc.within("conditions" + "[]") from None
        f_first_name = d.get("firstName")
        if f_first_name is not None:
            if type(f_first_name) is not str:
                raise ParseError("firstName", "expected a string")
        f_last_name = d.get("lastName")
        if f_last_name is not None:
            if type(f_last_name) is not str:
                raise ParseError("lastName", "expected a string")
        f_email = d.get("email")
        if f_email is not None:
            if type(f_email) is not str:
                raise ParseError("email", "expected a string")
        f_phone = d.get("phone")
        if f_phone is not None:
            if type(f_phone) is not str:
                raise ParseError("phone", "expected a string")
        f_birth_date = d.get("birthDate")
        if f_birth_date is not None:
            f_birth_date = parse_date(f_birth_date, "birthDate")
        f_gender = d.get("gender")
        if f_gender is not None:
            if type(f_gender) is not str:
                raise ParseError("gender", "expected a string")
        f_language = d.get("language")
        if f_language is not None:
            if type(f_language) is not str:
                raise ParseError("language", "expected a string")
        return cls(
            id=f_id,
            external_id=f_external_id,
            conditions=f_conditions,
            first_name=f_first_name,
            last_name=f_last_name,
            email=f_email,
            phone=f_phone,
            birth_date=f_birth_date,
            gender=f_gender,
            language=f_language,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class PatientKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`Patient` (for ``Unpack``)."""

    id: Required[str]
    external_id: Required[str]
    conditions: Required[Sequence[Condition]]
    first_name: NotRequired[str | None]
    last_name: NotRequired[str | None]
    email: NotRequired[str | None]
    phone: NotRequired[str | None]
    birth_date: NotRequired[datetime.date | None]
    gender: NotRequired[str | None]
    language: NotRequired[str | None]
    model_extra: NotRequired[Mapping[str, Any]]
