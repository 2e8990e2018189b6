from __future__ import annotations

import datetime
from collections.abc import Mapping
from typing import Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

T = TypeVar("T", bound="Encounter")


@_attrs_define
class Encounter:
    """
    Attributes:
        id (str):
        episode_of_care_id (str):
        planned_for (datetime.datetime):
        status (str): See EncounterStatus for the known values (the set may grow).
        external_id (None | str | Unset):
    """

    id: str
    episode_of_care_id: str
    planned_for: datetime.datetime
    status: str
    external_id: None | str | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        id = self.id

        episode_of_care_id = self.episode_of_care_id

        planned_for = self.planned_for.isoformat()

        status = self.status

        external_id: None | str | Unset
        if isinstance(self.external_id, Unset):
            external_id = UNSET
        else:
            external_id = self.external_id

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "episodeOfCareId": episode_of_care_id,
                "planned_for": planned_for,
                "status": status,
            }
        )
        if external_id is not UNSET:
            field_dict["externalId"] = external_id

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        id = d.pop("id")

        episode_of_care_id = d.pop("episodeOfCareId")

        planned_for = datetime.datetime.fromisoformat(d.pop("planned_for"))

        status = d.pop("status")

        def _parse_external_id(data: object) -> None | str | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            return cast(None | str | Unset, data)

        external_id = _parse_external_id(d.pop("externalId", UNSET))

        encounter = cls(
            id=id,
            episode_of_care_id=episode_of_care_id,
            planned_for=planned_for,
            status=status,
            external_id=external_id,
        )

        encounter.additional_properties = d
        return encounter

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
