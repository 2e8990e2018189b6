"""Encounters."""

from __future__ import annotations

import datetime as dt
from typing import Unpack

from .. import _validation as check
from .. import _wire as wire
from .._session import raw
from ..models import Encounter
from ._base import RequestExtras, Resource, checked


class Encounters(Resource):
    """``client.encounters``: createEncounter."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> EncountersWithRawResponse:
        """The same methods, each returning the raw answer (:class:`RawResponse`)."""
        return EncountersWithRawResponse(self)

    @checked
    async def create(
        self,
        episode_of_care_id: str,
        *,
        planned_for: dt.datetime,
        external_id: str | None = None,
        **extras: Unpack[RequestExtras],
    ) -> Encounter:
        """An encounter in an episode of care: ``scheduled`` if ``planned_for`` is in the future,
        else ``ready``.

        ``planned_for`` must be timezone-aware. No lookup can prove whether an encounter was
        made, so an ambiguous failure raises
        :class:`~legithealth_async.errors.AmbiguousOutcomeError` rather than risk a second one.
        """
        check.internal_id(episode_of_care_id, "episode_of_care_id")
        check.aware(planned_for, "planned_for")
        if external_id is not None:
            check.external_id(external_id)
        body = wire.encounter_create_body(planned_for, external_id)
        return await self._call(wire.CREATE_ENCOUNTER.bind(episode_of_care_id, body=body), extras)


class EncountersWithRawResponse:
    """``client.encounters.with_raw_response``: each method returns a :class:`RawResponse`."""

    __slots__ = ("create",)

    def __init__(self, encounters: Encounters) -> None:
        self.create = raw(encounters.create)
