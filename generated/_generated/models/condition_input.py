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
        "pathologyCode",
        "bodySiteCode",
        "isTracked",
        "frequency",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionInput:
    """A condition as the integrator sends it: a pathology in a body site, with `isTracked` and
    an optional `frequency` (only with `isTracked: true`).

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    pathology_code: str
    """ICD-11 code of the pathology (PathologyCode lists known ones). Assumption: an ICD-11 stem
    code, optionally with an extension (e.g. EA90, 2C30, ED92.0): chapter character, a letter, a
    digit, a character, then up to four characters after a dot; ICD-11 never uses the letters I
    and O."""
    body_site_code: str
    """Body site, camelCase (BodySiteCode lists known ones; the server decides)."""
    is_tracked: bool | None = None
    """Assumption: defaults to false (not tracked)."""
    frequency: Frequency | None = None
    """How often an encounter is created automatically to track the condition. Assumption: {every,
    unit}."""
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["pathologyCode"] = self.pathology_code
        out["bodySiteCode"] = self.body_site_code
        if self.is_tracked is not None:
            out["isTracked"] = self.is_tracked
        if self.frequency is not None:
            out["frequency"] = self.frequency.to_dict()
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        from ..models.frequency import Frequency

        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
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
        f_is_tracked = d.get("isTracked")
        if f_is_tracked is not None:
            if type(f_is_tracked) is not bool:
                raise ParseError("isTracked", "expected a boolean")
        f_frequency = d.get("frequency")
        if f_frequency is not None:
            try:
                f_frequency = Frequency.from_dict(f_frequency)
            except ParseError as exc:
                raise exc.within("frequency") from None
        return cls(
            pathology_code=f_pathology_code,
            body_site_code=f_body_site_code,
            is_tracked=f_is_tracked,
            frequency=f_frequency,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class ConditionInputKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`ConditionInput` (for ``Unpack``)."""

    pathology_code: Required[str]
    body_site_code: Required[str]
    is_tracked: NotRequired[bool | None]
    frequency: NotRequired[Frequency | None]
    model_extra: NotRequired[Mapping[str, Any]]
