from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.frequency_unit import FrequencyUnit

T = TypeVar("T", bound="Frequency")


@_attrs_define
class Frequency:
    """How often an encounter is created automatically to track the condition. Assumption: {every, unit}.

    Attributes:
        every (int):
        unit (FrequencyUnit): Assumption: the units of a tracking frequency.
    """

    every: int
    unit: FrequencyUnit
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        every = self.every

        unit = self.unit.value

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "every": every,
                "unit": unit,
            }
        )

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        d = dict(src_dict)
        every = d.pop("every")

        unit = FrequencyUnit(d.pop("unit"))

        frequency = cls(
            every=every,
            unit=unit,
        )

        frequency.additional_properties = d
        return frequency

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
