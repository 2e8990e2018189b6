from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NotRequired, Required, Self, TypedDict

from ..types import EMPTY, ParseError, extra_fields, no_extra

_KNOWN = frozenset(("externalId",))


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeOfCarePatch:
    """EpisodeOfCarePatch

    Fields the spec does not know are kept, read-only, in ``model_extra``.

    """

    external_id: str | None = field(repr=False)
    model_extra: Mapping[str, Any] = field(default_factory=no_extra, repr=False, compare=False)
    """Fields of the answer that the spec does not know (raw JSON values), read-only."""

    def to_dict(self) -> dict[str, Any]:
        """The JSON object (``model_extra`` first; None is null where the spec allows null,
        else the optional field is left out)."""
        out: dict[str, Any] = dict(self.model_extra)
        out["externalId"] = self.external_id
        return out

    @classmethod
    def from_dict(cls, src_dict: object) -> Self:
        """One strict pass from decoded JSON; raises ``ParseError`` naming the field."""
        if type(src_dict) is not dict:
            raise ParseError("", "expected a JSON object")
        d: dict[str, Any] = src_dict
        if "externalId" not in d:
            raise ParseError("externalId", "required field missing")
        f_external_id = d["externalId"]
        if f_external_id is not None:
            if type(f_external_id) is not str:
                raise ParseError("externalId", "expected a string")
        return cls(
            external_id=f_external_id,
            model_extra=EMPTY if _KNOWN.issuperset(d) else extra_fields(d, _KNOWN),
        )


class EpisodeOfCarePatchKwargs(TypedDict, total=False):
    """The keyword arguments of :class:`EpisodeOfCarePatch` (for ``Unpack``)."""

    external_id: Required[str | None]
    model_extra: NotRequired[Mapping[str, Any]]
