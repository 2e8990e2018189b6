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
        "success",
        "message",
        "errorCode",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Error:
    """The error body of every non-2xx answer.

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    success: bool
    """Always false."""
    message: str = field(repr=False)
    error_code: str | None = None
    """Assumption: a stable machine-readable code (VALIDATION_ERROR, UNAUTHORIZED, NOT_FOUND,
    PATIENT_ALREADY_EXISTS, PRACTITIONER_ALREADY_EXISTS, ACTIVE_EPISODE_OF_CARE_EXISTS,
    UNPROCESSABLE, RATE_LIMITED, INTERNAL_ERROR, SERVICE_UNAVAILABLE)."""
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["success"] = self.success
        out["message"] = self.message
        if self.error_code is not None:
            out["errorCode"] = self.error_code
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "success" not in d:
            raise ParseError("success", "required field missing")
        f_success = d["success"]
        if type(f_success) is not bool:
            raise ParseError("success", "expected a boolean")
        if "message" not in d:
            raise ParseError("message", "required field missing")
        f_message = d["message"]
        if type(f_message) is not str:
            raise ParseError("message", "expected a string")
        f_error_code = d.get("errorCode")
        if f_error_code is not None:
            if type(f_error_code) is not str:
                raise ParseError("errorCode", "expected a string")
        return cls(
            success=f_success,
            message=f_message,
            error_code=f_error_code,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class ErrorKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`Error` (for ``Unpack``)."""

    success: Required[bool]
    message: Required[str]
    error_code: NotRequired[str | None]
    model_extra: NotRequired[Mapping[str, Any]]
