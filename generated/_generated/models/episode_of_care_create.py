from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, Self, TypedDict

from ..types import (
    EMPTY,
    ParseError,
    extra_fields,
    no_extra,
)

_KNOWN = frozenset(("externalId",))


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeOfCareCreate:
    """A new (active) episode of care. Assumption: only the integrator's id can be given.

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    external_id: str | None = field(default=None, repr=False)
    """An id in the integrator's platform. Assumption: any non-empty string of at most 255
    characters."""
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        if self.external_id is not None:
            out["externalId"] = self.external_id
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        f_external_id = d.get("externalId")
        if f_external_id is not None:
            if type(f_external_id) is not str:
                raise ParseError("externalId", "expected a string")
        return cls(
            external_id=f_external_id,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class EpisodeOfCareCreateKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`EpisodeOfCareCreate` (for ``Unpack``)."""

    external_id: NotRequired[str | None]
    model_extra: NotRequired[Mapping[str, Any]]
