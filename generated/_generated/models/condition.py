from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar, cast

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.frequency import Frequency


T = TypeVar("T", bound="Condition")


@_attrs_define
class Condition:
    """A condition of a patient as the server returns it. Assumption: codes are open strings in
    answers (the server's lists may grow; clients must not crash on a new value).

        Attributes:
            id (str):
            pathology_code (str):
            body_site_code (str):
            is_tracked (bool):
            frequency (Frequency | None | Unset):
    """

    id: str
    pathology_code: str
    body_site_code: str
    is_tracked: bool
    frequency: Frequency | None | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        from ..models.frequency import Frequency

        id = self.id

        pathology_code = self.pathology_code

        body_site_code = self.body_site_code

        is_tracked = self.is_tracked

        frequency: dict[str, Any] | None | Unset
        if isinstance(self.frequency, Unset):
            frequency = UNSET
        elif isinstance(self.frequency, Frequency):
            frequency = self.frequency.to_dict()
        else:
            frequency = self.frequency

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "id": id,
                "pathologyCode": pathology_code,
                "bodySiteCode": body_site_code,
                "isTracked": is_tracked,
            }
        )
        if frequency is not UNSET:
            field_dict["frequency"] = frequency

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.frequency import Frequency

        d = dict(src_dict)
        id = d.pop("id")

        pathology_code = d.pop("pathologyCode")

        body_site_code = d.pop("bodySiteCode")

        is_tracked = d.pop("isTracked")

        def _parse_frequency(data: object) -> Frequency | None | Unset:
            if data is None:
                return data
            if isinstance(data, Unset):
                return data
            try:
                if not isinstance(data, dict):
                    raise TypeError()
                frequency_type_1 = Frequency.from_dict(data)

                return frequency_type_1
            except (TypeError, ValueError, AttributeError, KeyError):
                pass
            return cast(Frequency | None | Unset, data)

        frequency = _parse_frequency(d.pop("frequency", UNSET))

        condition = cls(
            id=id,
            pathology_code=pathology_code,
            body_site_code=body_site_code,
            is_tracked=is_tracked,
            frequency=frequency,
        )

        condition.additional_properties = d
        return condition

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
