from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, NotRequired, Required, Self, TypedDict

from ..types import (
    EMPTY,
    ParseError,
    extra_fields,
    no_extra,
)

if TYPE_CHECKING:
    from ..models.frequency import Frequency

_KNOWN = frozenset(
    (
        "id",
        "pathologyCode",
        "bodySiteCode",
        "isTracked",
        "frequency",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """A condition of a patient as the server returns it. Assumption: codes are open strings in
    answers (the server's lists may grow; clients must not crash on a new value).

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    id: str
    pathology_code: str
    body_site_code: str
    is_tracked: bool
    frequency: Frequency | None = None
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["id"] = self.id
        out["pathologyCode"] = self.pathology_code
        out["bodySiteCode"] = self.body_site_code
        out["isTracked"] = self.is_tracked
        out["frequency"] = None if self.frequency is None else self.frequency.to_dict()
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        from ..models.frequency import Frequency

        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "id" not in d:
            raise ParseError("id", "required field missing")
        f_id = d["id"]
        if type(f_id) is not str:
            raise ParseError("id", "expected a string")
        if "pathologyCode" not in d:
            raise ParseError("pathologyCode", "required field missing")
        f_pathology_code = d["pathologyCode"]
        if type(f_pathology_code) is not str:
            raise ParseError("pathologyCode", "expected a string")
        if "bodySiteCode" not in d:
            raise ParseError("bodySiteCode", "required field missing")
        f_body_site_code = d["bodySiteCode"]
        if type(f_body_site_code) is not str:
            raise ParseError("bodySiteCode", "expected a string")
        if "isTracked" not in d:
            raise ParseError("isTracked", "required field missing")
        f_is_tracked = d["isTracked"]
        if type(f_is_tracked) is not bool:
            raise ParseError("isTracked", "expected a boolean")
        f_frequency = d.get("frequency")
        if f_frequency is not None:
            try:
                f_frequency = Frequency.from_dict(f_frequency)
            except ParseError as exc:
                raise exc.within("frequency") from None
        return cls(
            id=f_id,
            pathology_code=f_pathology_code,
            body_site_code=f_body_site_code,
            is_tracked=f_is_tracked,
            frequency=f_frequency,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class ConditionKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`Condition` (for ``Unpack``)."""

    id: Required[str]
    pathology_code: Required[str]
    body_site_code: Required[str]
    is_tracked: Required[bool]
    frequency: NotRequired[Frequency | None]
    model_extra: NotRequired[Mapping[str, Any]]
