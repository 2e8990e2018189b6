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
    from ..models.condition_input import ConditionInput

_KNOWN = frozenset(
    (
        "externalId",
        "firstName",
        "lastName",
        "email",
        "phone",
        "birthDate",
        "gender",
        "language",
        "conditions",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientCreate:
    """A patient to connect. At least one of email / phone is required.

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    external_id: str = field(repr=False)
    """An id in the integrator's platform. Assumption: any non-empty string of at most 255
    characters."""
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    """Assumption: E.164."""
    birth_date: datetime.date | None = field(default=None, repr=False)
    gender: str | None = field(default=None, repr=False)
    """Gender lists the known values (the server decides)."""
    language: str | None = field(default=None, repr=False)
    """Assumption: an ISO 639-1 language code."""
    conditions: Sequence[ConditionInput] | None = None
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["externalId"] = self.external_id
        if self.first_name is not None:
            out["firstName"] = self.first_name
        if self.last_name is not None:
            out["lastName"] = self.last_name
        if self.email is not None:
            out["email"] = self.email
        if self.phone is not None:
            out["phone"] = self.phone
        if self.birth_date is not None:
            out["birthDate"] = self.birth_date.isoformat()
        if self.gender is not None:
            out["gender"] = self.gender
        if self.language is not None:
            out["language"] = self.language
        if self.conditions is not None:
            out["conditions"] = [item.to_dict() for item in self.conditions]
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        from ..models.condition_input import ConditionInput

        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "externalId" not in d:
            raise ParseError("externalId", "required field missing")
        f_external_id = d["externalId"]
        if type(f_external_id) is not str:
            raise ParseError("externalId", "expected a string")
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
        f_conditions = d.get("conditions")
        if f_conditions is not None:
            if type(f_conditions) is not list:
                raise ParseError("conditions", "expected a JSON array")
            try:
                f_conditions = tuple([ConditionInput.from_dict(item) for item in f_conditions])
            except ParseError as exc:
                raise exc.within("conditions" + "[]") from None
        return cls(
            external_id=f_external_id,
            first_name=f_first_name,
            last_name=f_last_name,
            email=f_email,
            phone=f_phone,
            birth_date=f_birth_date,
            gender=f_gender,
            language=f_language,
            conditions=f_conditions,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class PatientCreateKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`PatientCreate` (for ``Unpack``)."""

    external_id: Required[str]
    first_name: NotRequired[str | None]
    last_name: NotRequired[str | None]
    email: NotRequired[str | None]
    phone: NotRequired[str | None]
    birth_date: NotRequired[datetime.date | None]
    gender: NotRequired[str | None]
    language: NotRequired[str | None]
    conditions: NotRequired[Sequence[ConditionInput] | None]
    model_extra: NotRequired[Mapping[str, Any]]
