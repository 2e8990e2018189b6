from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Error")


@_attrs_define
class Error:
    """The error body of every non-2xx answer.

    Attributes:
        success (bool): Always false.
        message (str):
        error_code (str | Unset): Assumption: a stable machine-readable code (VALIDATION_ERROR, UNAUTHORIZED, NOT_FOUND,
            PATIENT_ALREADY_EXISTS, PRACTITIONER_ALREADY_EXISTS, ACTIVE_EPISODE_OF_CARE_EXISTS, UNPROCESSABLE, RATE_LIMITED,
            INTERNAL_ERROR, SERVICE_UNAVAILABLE).
    """

    success: bool
    message: str
    error_code: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        success = self.success

        message = self.message

        error_code = self.error_code

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "success": success,
                "message": message,
            }
        )
        if error_code is not UNSET:
            field_dict["errorCode"] = error_code

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        success = d.pop("success")

        message = d.pop("message")

        error_code = d.pop("errorCode", UNSET)

        error = cls(
            success=success,
            message=message,
            error_code=error_code,
        )

        error.additional_properties = d
        return error

    @property
    def additional_keys(self) -> list[str]:
        return list(self.additional_properties.keys())

    def __getitem__(self, key: str) -> Any:
        return self.additional_properties[key]

    def __setitem__(self, key: str, value: Any) -> None:
        self.additional_properties[key] = value

    def __delitem__(self, key: str) -> None:
        del self.additional_properties[key]

    def __contains__(self, key: str) -> bool:
        return key in self.additional_properties
