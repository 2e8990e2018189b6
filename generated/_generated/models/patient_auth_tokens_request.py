from __future__ import annotations

from collections.abc import Mapping, Sequence
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
        "externalIds",
        "sendLinkToPatientByEmail",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class PatientAuthTokensRequest:
    """PatientAuthTokensRequest

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    external_ids: Sequence[str] = field(repr=False)
    send_link_to_patient_by_email: bool | None = None
    """The patient also receives an email with the login link."""
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["externalIds"] = list(self.external_ids)
        if self.send_link_to_patient_by_email is not None:
            out["sendLinkToPatientByEmail"] = self.send_link_to_patient_by_email
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "externalIds" not in d:
            raise ParseError("externalIds", "required field missing")
        f_external_ids = d["externalIds"]
        if type(f_external_ids) is not list:
            raise ParseError("externalIds", "expected a JSON array")
        for item in f_external_ids:
            if type(item) is not str:
                raise ParseError("externalIds" + "[]", "expected a string")
        f_external_ids = tuple(f_external_ids)
        f_send_link_to_patient_by_email = d.get("sendLinkToPatientByEmail")
        if f_send_link_to_patient_by_email is not None:
            if type(f_send_link_to_patient_by_email) is not bool:
                raise ParseError("sendLinkToPatientByEmail", "expected a boolean")
        return cls(
            external_ids=f_external_ids,
            send_link_to_patient_by_email=f_send_link_to_patient_by_email,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class PatientAuthTokensRequestKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`PatientAuthTokensRequest` (for ``Unpack``)."""

    external_ids: Required[Sequence[str]]
    send_link_to_patient_by_email: NotRequired[bool | None]
    model_extra: NotRequired[Mapping[str, Any]]
