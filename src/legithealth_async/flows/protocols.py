"""What the flows and the bulk sync use of a client: small protocols, not the client itself.

:class:`~legithealth_async.LegitHealth` satisfies them (mypy checks it where the sync and the
flows are called), and so can an in-memory fake in a unit test: the jobs above the client never
import it, and never need HTTP to be tested.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol, Unpack

from .._generated.models.patient_create import PatientCreateKwargs
from .._generated.models.patient_patch import PatientPatchKwargs
from .._options import Pacer
from ..models import EpisodeOfCare, Patient
from ..pagination import Lookup

__all__ = ["EpisodesApi", "FlowClient", "PatientsApi", "SyncClient"]


class PatientsApi(Protocol):
    """The patient calls of the sync (see :class:`~legithealth_async.resources.Patients`)."""

    async def create(self, **fields: Unpack[PatientCreateKwargs]) -> Patient:
        """Connect a patient; after an ambiguous failure, what a lookup found."""
        ...

    async def get(self, external_id: str) -> Patient | None:
        """The patient with this external id, or None."""
        ...

    async def get_many(self, external_ids: Iterable[str]) -> Lookup[Patient]:
        """The patients with these external ids, and the ids not found."""
        ...

    async def patch(self, external_id: str, **fields: Unpack[PatientPatchKwargs]) -> Patient:
        """Change a patient's basic information or conditions."""
        ...


class EpisodesApi(Protocol):
    """The episode-of-care calls (see :class:`~legithealth_async.resources.EpisodesOfCare`)."""

    async def list_for_condition(self, condition_id: str) -> list[EpisodeOfCare]:
        """The episodes of care of one condition."""
        ...

    async def patch(self, episode_of_care_id: str, *, external_id: str | None) -> EpisodeOfCare:
        """Set (or clear) the HRM's id on an episode."""
        ...


class FlowClient(Protocol):
    """What :func:`~legithealth_async.flows.match_episodes` needs of a client."""

    @property
    def episodes_of_care(self) -> EpisodesApi:
        """The episode-of-care calls."""
        ...


class SyncClient(FlowClient, Protocol):
    """What :func:`~legithealth_async.sync.sync_patients` needs of a client."""

    @property
    def patients(self) -> PatientsApi:
        """The patient calls."""
        ...

    @property
    def base_url(self) -> str:
        """Where the calls go (a journal belongs to one base URL)."""
        ...

    @property
    def max_in_flight(self) -> int:
        """How many requests the client sends at once (the sync never asks for more)."""
        ...

    def with_options(self, *, pacer: Pacer) -> SyncClient:
        """A view whose every attempt is spaced by ``pacer`` (how the sync finds a rate limit)."""
        ...
