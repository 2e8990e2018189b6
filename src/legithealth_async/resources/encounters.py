"""Encounters."""

from __future__ import annotations

import datetime as dt

from .. import _validation as check
from .. import _wire as wire
from ..models import Encounter
from ._base import Resource


class Encounters(Resource):
    """``client.encounters``: createEncounter."""

    __slots__ = ()

    async def create(
        self, episode_of_care_id: str, *, planned_for: dt.datetime, external_id: str | None = None
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
        return await self._call(
            wire.CREATE_ENCOUNTER,
            episode_of_care_id,
            body=wire.encounter_create_body(planned_for, external_id),
        )
