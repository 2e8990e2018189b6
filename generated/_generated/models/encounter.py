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
        "id",
        "episodeOfCareId",
        "planned_for",
        "status",
        "externalId",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class Encounter:
    """Encounter

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    id: str
    episode_of_care_id: str
    planned_for: datetime.datetime = field(repr=False)
    status: str
    """See EncounterStatus for the known values (the set may grow)."""
    external_id: str | None = field(default=None, repr=False)
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["id"] = self.id
        out["episodeOfCareId"] = self.episode_of_care_id
        out["planned_for"] = self.planned_for.isoformat()
        out["status"] = self.status
        out["externalId"] = self.external_id
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "id" not in d:
            raise ParseError("id", "required field missing")
        f_id = d["id"]
        if type(f_id) is not str:
            raise ParseError("id", "expected a string")
        if "episodeOfCareId" not in d:
            raise ParseError("episodeOfCareId", "required field missing")
        f_episode_of_care_id = d["episodeOfCareId"]
        if type(f_episode_of_care_id) is not str:
            raise ParseError("episodeOfCareId", "expected a string")
        if "planned_for" not in d:
            raise ParseError("planned_for", "required field missing")
        f_planned_for = d["planned_for"]
        f_planned_for = parse_datetime(f_planned_for, "planned_for")
        if "status" not in d:
            raise ParseError("status", "required field missing")
        f_status = d["status"]
        if type(f_status) is not str:
            raise ParseError("status", "expected a string")
        f_external_id = d.get("externalId")
        if f_external_id is not None:
            if type(f_external_id) is not str:
                raise ParseError("externalId", "expected a string")
        return cls(
            id=f_id,
            episode_of_care_id=f_episode_of_care_id,
            planned_for=f_planned_for,
            status=f_status,
            external_id=f_external_id,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class EncounterKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`Encounter` (for ``Unpack``)."""

    id: Required[str]
    episode_of_care_id: Required[str]
    planned_for: Required[datetime.datetime]
    status: Required[str]
    external_id: NotRequired[str | None]
    model_extra: NotRequired[Mapping[str, Any]]
