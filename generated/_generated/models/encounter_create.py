from __future__ import annotations

import datetime
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, Required, Self, TypedDict

from ..types import (
    EMPTY,
    ParseError,
    extra_fields,
    no_extra,
    parse_datetime,
)

_KNOWN = frozenset(
    (
        "planned_for",
        "externalId",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EncounterCreate:
    """EncounterCreate

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    planned_for: datetime.datetime = field(repr=False)
    """In the future → `scheduled`; now or in the past → `ready`."""
    external_id: str | None = field(default=None, repr=False)
    """An id in the integrator's platform. Assumption: any non-empty string of at most 255
    characters."""
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["planned_for"] = self.planned_for.isoformat()
        if self.external_id is not None:
            out["externalId"] = self.external_id
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "planned_for" not in d:
            raise ParseError("planned_for", "required field missing")
        f_planned_for = d["planned_for"]
        f_planned_for = parse_datetime(f_planned_for, "planned_for")
        f_external_id = d.get("externalId")
        if f_external_id is not None:
            if type(f_external_id) is not str:
                raise ParseError("externalId", "expected a string")
        return cls(
            planned_for=f_planned_for,
            external_id=f_external_id,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class EncounterCreateKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`EncounterCreate` (for ``Unpack``)."""

    planned_for: Required[datetime.datetime]
    external_id: NotRequired[str | None]
    model_extra: NotRequired[Mapping[str, Any]]
