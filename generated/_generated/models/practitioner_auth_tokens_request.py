from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PractitionerAuthTokensRequest")


@_attrs_define
class PractitionerAuthTokensRequest:
    """
    Attributes:
        external_ids (list[str]):
        send_link_to_practitioner_by_email (bool | Unset): The practitioner also receives an email with the login link.
    """

    external_ids: list[str]
    send_link_to_practitioner_by_email: bool | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        external_ids = self.external_ids

        send_link_to_practitioner_by_email = self.send_link_to_practitioner_by_email

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "externalIds": external_ids,
            }
        )
        if send_link_to_practitioner_by_email is not UNSET:
            field_dict["sendLinkToPractitionerByEmail"] = send_link_to_practitioner_by_email

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        external_ids = cast(list[str], d.pop("externalIds"))

        send_link_to_practitioner_by_email = d.pop("sendLinkToPractitionerByEmail", UNSET)

        practitioner_auth_tokens_request = cls(
            external_ids=external_ids,
            send_link_to_practitioner_by_email=send_link_to_practitioner_by_email,
        )

        practitioner_auth_tokens_request.additional_properties = d
        return practitioner_auth_tokens_request

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
