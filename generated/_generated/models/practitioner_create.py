from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="PractitionerCreate")


@_attrs_define
class PractitionerCreate:
    """
    Attributes:
        external_id (str): An id in the integrator's platform. Assumption: any non-empty string of at most 255
            characters.
        email (str):
        first_name (str | Unset):
        last_name (str | Unset):
        speciality (str | Unset): Optional but recommended; one of getPractitionerSpecialties' codes.
    """

    external_id: str
    email: str
    first_name: str | Unset = UNSET
    last_name: str | Unset = UNSET
    speciality: str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        external_id = self.external_id

        email = self.email

        first_name = self.first_name

        last_name = self.last_name

        speciality = self.speciality

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "externalId": external_id,
                "email": email,
            }
        )
        if first_name is not UNSET:
            field_dict["firstName"] = first_name
        if last_name is not UNSET:
            field_dict["lastName"] = last_name
        if speciality is not UNSET:
            field_dict["speciality"] = speciality

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        external_id = d.pop("externalId")

        email = d.pop("email")

        first_name = d.pop("firstName", UNSET)

        last_name = d.pop("lastName", UNSET)

        speciality = d.pop("speciality", UNSET)

        practitioner_create = cls(
            external_id=external_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            speciality=speciality,
        )

        practitioner_create.additional_properties = d
        return practitioner_create

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
