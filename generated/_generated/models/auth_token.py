from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, Required, Self, TypedDict

from ..types import EMPTY, ParseError, extra_fields, no_extra

_KNOWN = frozenset(
    (
        "externalId",
        "token",
        "refresh_token",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthToken:
    """A login token pair for one patient or practitioner.

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    external_id: str = field(repr=False)
    token: str = field(repr=False)
    refresh_token: str = field(repr=False)
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["externalId"] = self.external_id
        out["token"] = self.token
        out["refresh_token"] = self.refresh_token
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "externalId" not in d:
            raise ParseError("externalId", "required field missing")
        f_external_id = d["externalId"]
        if type(f_external_id) is not str:
            raise ParseError("externalId", "expected a string")
        if "token" not in d:
            raise ParseError("token", "required field missing")
        f_token = d["token"]
        if type(f_token) is not str:
            raise ParseError("token", "expected a string")
        if "refresh_token" not in d:
            raise ParseError("refresh_token", "required field missing")
        f_refresh_token = d["refresh_token"]
        if type(f_refresh_token) is not str:
            raise ParseError("refresh_token", "expected a string")
        return cls(
            external_id=f_external_id,
            token=f_token,
            refresh_token=f_refresh_token,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class AuthTokenKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`AuthToken` (for ``Unpack``)."""

    external_id: Required[str]
    token: Required[str]
    refresh_token: Required[str]
    model_extra: NotRequired[Mapping[str, Any]]
