"""Episodes of care: list a condition's, create one, match one with the HRM's id."""

from __future__ import annotations

from typing import Unpack

from .. import _validation as check
from .. import _wire as wire
from .._session import Find, raw
from ..models import EpisodeOfCare, EpisodeOfCareStatus
from ._base import RequestExtras, Resource, checked


class EpisodesOfCare(Resource):
    """``client.episodes_of_care``: getEpisodesOfCare, createEpisodeOfCare, patchEpisodeOfCare."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> EpisodesOfCareWithRawResponse:
        """The same methods, each returning the raw answer (:class:`RawResponse`)."""
        return EpisodesOfCareWithRawResponse(self)

    @checked
    async def list_for_condition(
        self, condition_id: str, **extras: Unpack[RequestExtras]
    ) -> list[EpisodeOfCare]:
        """The episodes of care of one condition (by the condition's Legit.Health id).

        An answer that lists an episode of another condition raises
        :class:`~legithealth_async.errors.UnexpectedResponseError` (naming ``conditionId``):
        patching its episodes by internal id must never touch another condition's.
        """
        check.internal_id(condition_id, "condition_id")
        return await self._call(wire.GET_EPISODES_OF_CARE.bind(condition_id), extras)

    @checked
    async def create(
        self,
        condition_id: str,
        *,
        external_id: str | None = None,
        **extras: Unpack[RequestExtras],
    ) -> EpisodeOfCare:
        """A new active episode of care for a condition.

        Raises :class:`~legithealth_async.errors.ActiveEpisodeExistsError` when the condition has
        an active one. Never duplicated: after an ambiguous failure the condition's episodes are
        listed, and its active episode (the one with this ``external_id`` when given) returned.
        """
        check.internal_id(condition_id, "condition_id")
        if external_id is not None:
            check.external_id(external_id)

        def active(episodes: list[EpisodeOfCare]) -> EpisodeOfCare | None:
            # The listing is pinned to the condition (another's episode: unexpected response).
            for episode in episodes:
                if episode.status == EpisodeOfCareStatus.ACTIVE and (
                    external_id is None or episode.external_id == external_id
                ):
                    return episode
            return None

        body = wire.episode_create_body(external_id)
        find = Find(wire.GET_EPISODES_OF_CARE.bind(condition_id), active, "active episode")
        return await self._call(
            wire.CREATE_EPISODE_OF_CARE.bind(condition_id, body=body), extras, find
        )

    @checked
    async def patch(
        self,
        episode_of_care_id: str,
        *,
        external_id: str | None,
        **extras: Unpack[RequestExtras],
    ) -> EpisodeOfCare:
        """Match an episode (by Legit.Health's internal id) with the HRM's id; None clears it."""
        check.internal_id(episode_of_care_id, "episode_of_care_id")
        if external_id is not None:
            check.external_id(external_id)
        body = wire.episode_patch_body(external_id)
        return await self._call(
            wire.PATCH_EPISODE_OF_CARE.bind(episode_of_care_id, body=body), extras
        )


class EpisodesOfCareWithRawResponse:
    """``client.episodes_of_care.with_raw_response``: methods return a :class:`RawResponse`."""

    __slots__ = ("create", "list_for_condition", "patch")

    def __init__(self, episodes: EpisodesOfCare) -> None:
        self.list_for_condition = raw(episodes.list_for_condition)
        self.create = raw(episodes.create)
        self.patch = raw(episodes.patch)
