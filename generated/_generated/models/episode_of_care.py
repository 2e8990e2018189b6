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
        "conditionId",
        "status",
        "startedAt",
        "externalId",
        "finishedAt",
    )
)


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeOfCare:
    """An episode of care of a condition.

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    id: str
    condition_id: str
    status: str
    """See EpisodeOfCareStatus for the known values (the set may grow)."""
    started_at: datetime.datetime
    external_id: str | None = field(default=None, repr=False)
    """The integrator's id, set by patchEpisodeOfCare."""
    finished_at: datetime.datetime | None = None
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["id"] = self.id
        out["conditionId"] = self.condition_id
        out["status"] = self.status
        out["startedAt"] = self.started_at.isoformat()
        out["externalId"] = self.external_id
        out["finishedAt"] = None if self.finished_at is None else self.finished_at.isoformat()
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
        if "conditionId" not in d:
            raise ParseError("conditionId", "required field missing")
        f_condition_id = d["conditionId"]
        if type(f_condition_id) is not str:
            raise ParseError("conditionId", "expected a string")
        if "status" not in d:
            raise ParseError("status", "required field missing")
        f_status = d["status"]
        if type(f_status) is not str:
            raise ParseError("status", "expected a string")
        if "startedAt" not in d:
            raise ParseError("startedAt", "required field missing")
        f_started_at = d["startedAt"]
        f_started_at = parse_datetime(f_started_at, "startedAt")
        f_external_id = d.get("externalId")
        if f_external_id is not None:
            if type(f_external_id) is not str:
                raise ParseError("externalId", "expected a string")
        f_finished_at = d.get("finishedAt")
        if f_finished_at is not None:
            f_finished_at = parse_datetime(f_finished_at, "finishedAt")
        return cls(
            id=f_id,
            condition_id=f_condition_id,
            status=f_status,
            started_at=f_started_at,
            external_id=f_external_id,
            finished_at=f_finished_at,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class EpisodeOfCareKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`EpisodeOfCare` (for ``Unpack``)."""

    id: Required[str]
    condition_id: Required[str]
    status: Required[str]
    started_at: Required[datetime.datetime]
    external_id: NotRequired[str | None]
    finished_at: NotRequired[datetime.datetime | None]
    model_extra: NotRequired[Mapping[str, Any]]
