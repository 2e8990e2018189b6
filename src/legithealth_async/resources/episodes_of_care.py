"""Episodes of care: list a condition's, create one, match one with the HRM's id."""

from __future__ import annotations

from .. import _validation as check
from .. import _wire as wire
from ..errors import UnexpectedResponseError
from ..models import EpisodeOfCare, EpisodeOfCareStatus
from ._base import Resource


class EpisodesOfCare(Resource):
    """``client.episodes_of_care``: getEpisodesOfCare, createEpisodeOfCare, patchEpisodeOfCare."""

    __slots__ = ()

    async def list_for_condition(self, condition_id: str) -> list[EpisodeOfCare]:
        """The episodes of care of one condition (by the condition's Legit.Health id)."""
        check.internal_id(condition_id, "condition_id")
        return await self._call(wire.GET_EPISODES_OF_CARE, condition_id)

    async def create(self, condition_id: str, *, external_id: str | None = None) -> EpisodeOfCare:
        """A new active episode of care for a condition.

        Raises :class:`~legithealth_async.errors.ActiveEpisodeExistsError` when the condition has
        an active one. Never duplicated: after an ambiguous failure the condition's episodes are
        listed, and its active episode (the one with this ``external_id`` when given) returned.
        """
        check.internal_id(condition_id, "condition_id")
        if external_id is not None:
            check.external_id(external_id)

        async def active() -> EpisodeOfCare | None:
            for episode in await self.list_for_condition(condition_id):
                if episode.status == EpisodeOfCareStatus.ACTIVE and (
                    external_id is None or episode.external_id == external_id
                ):
                    return episode
            return None

        async def existing() -> EpisodeOfCare:
            episode = await active()
            if episode is None:  # 409 yet no active episode: the contract is broken
                raise UnexpectedResponseError(
                    wire.CREATE_EPISODE_OF_CARE.name,
                    409,
                    "conflict reported, but no active episode",
                )
            return episode

        return await self._call(
            wire.CREATE_EPISODE_OF_CARE,
            condition_id,
            body=wire.episode_create_body(external_id),
            reconcile=active,
            on_conflict=existing,
        )

    async def patch(self, episode_of_care_id: str, *, external_id: str | None) -> EpisodeOfCare:
        """Match an episode (by Legit.Health's internal id) with the HRM's id; None clears it."""
        check.internal_id(episode_of_care_id, "episode_of_care_id")
        if external_id is not None:
            check.external_id(external_id)
        return await self._call(
            wire.PATCH_EPISODE_OF_CARE,
            episode_of_care_id,
            body=wire.episode_patch_body(external_id),
        )
