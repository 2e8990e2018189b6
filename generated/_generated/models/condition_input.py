from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, Self, TypeVar

from attrs import define as _attrs_define
from attrs import field as _attrs_field

from ..models.body_site_code import BodySiteCode
from ..models.pathology_code import PathologyCode
from ..types import UNSET, Unset

if TYPE_CHECKING:
    from ..models.frequency import Frequency


T = TypeVar("T", bound="ConditionInput")


@_attrs_define
class ConditionInput:
    """A condition as the integrator sends it: a pathology in a body site, with `isTracked` and
    an optional `frequency` (only with `isTracked: true`).

        Attributes:
            pathology_code (PathologyCode): ICD-11 code of the pathology. Assumption: this subset of dermatology codes; the
                full list is in the real Swagger.
            body_site_code (BodySiteCode): Body site, camelCase. Assumption: this list.
            is_tracked (bool | Unset): Assumption: defaults to false (not tracked).
            frequency (Frequency | Unset): How often an encounter is created automatically to track the condition.
                Assumption: {every, unit}.
    """

    pathology_code: PathologyCode
    body_site_code: BodySiteCode
    is_tracked: bool | Unset = UNSET
    frequency: Frequency | Unset = UNSET
    additional_properties: dict[str, Any] = _attrs_field(init=False, factory=dict)

    def to_dict(self) -> dict[str, Any]:
        pathology_code = self.pathology_code.value

        body_site_code = self.body_site_code.value

        is_tracked = self.is_tracked

        frequency: dict[str, Any] | Unset = UNSET
        if not isinstance(self.frequency, Unset):
            frequency = self.frequency.to_dict()

        field_dict: dict[str, Any] = {}
        field_dict.update(self.additional_properties)
        field_dict.update(
            {
                "pathologyCode": pathology_code,
                "bodySiteCode": body_site_code,
            }
        )
        if is_tracked is not UNSET:
            field_dict["isTracked"] = is_tracked
        if frequency is not UNSET:
            field_dict["frequency"] = frequency

        return field_dict

    @classmethod
    def from_dict(cls, src_dict: Mapping[str, Any]) -> Self:
        from ..models.frequency import Frequency

        d = dict(src_dict)
        pathology_code = PathologyCode(d.pop("pathologyCode"))

        body_site_code = BodySiteCode(d.pop("bodySiteCode"))

        is_tracked = d.pop("isTracked", UNSET)

        _frequency = d.pop("frequency", UNSET)
        frequency: Frequency | Unset
        if isinstance(_frequency, Unset):
            frequency = UNSET
        else:
            frequency = Frequency.from_dict(_frequency)

        condition_input = cls(
            pathology_code=pathology_code,
            body_site_code=body_site_code,
            is_tracked=is_tracked,
            frequency=frequency,
        )

        condition_input.additional_properties = d
        return condition_input

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
