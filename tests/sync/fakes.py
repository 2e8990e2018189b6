"""An in-memory stand-in for the client: what the sync uses of it (``SyncClient``), no HTTP."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

from legithealth_async import Lookup
from legithealth_async.errors import PatientAlreadyExistsError
from legithealth_async.flows.protocols import EpisodesApi, PatientsApi, SyncClient
from legithealth_async.models import Condition, EpisodeOfCare, Patient


class FakePatients:
    """Patients in a dict; ``calls`` counts each call by name."""

    def __init__(self) -> None:
        self.by_id: dict[str, Patient] = {}
        self.calls: dict[str, int] = {}
        self._ids = itertools.count(1)

    def _count(self, name: str) -> None:
        self.calls[name] = self.calls.get(name, 0) + 1

    def _patient(self, external_id: str, fields: dict[str, Any], old: Patient | None) -> Patient:
        conditions = {
            (c.pathology_code, c.body_site_code): c for c in (old.conditions if old else ())
        }
        for c in fields.pop("conditions", None) or ():
            key = (str(c.pathology_code), str(c.body_site_code))
            conditions[key] = Condition(
                id=conditions[key].id if key in conditions else f"c{next(self._ids)}",
                pathology_code=str(c.pathology_code),
                body_site_code=str(c.body_site_code),
                is_tracked=bool(c.is_tracked),
                frequency=c.frequency if c.is_tracked else None,
            )
        base = {"id": old.id if old else f"p{next(self._ids)}", "external_id": external_id}
        if old is not None:
            kept = {
                k: getattr(old, k)
                for k in (
                    "email",
                    "phone",
                    "first_name",
                    "last_name",
                    "birth_date",
                    "gender",
                    "language",
                )
            }
            base.update(kept)
        base.update({k: v for k, v in fields.items() if v is not None})
        return Patient(**base, conditions=tuple(conditions.values()))

    async def create(self, *, external_id: str, **fields: Any) -> Patient:
        self._count("create")
        if external_id in self.by_id:
            raise PatientAlreadyExistsError("createPatient", 409)
        self.by_id[external_id] = self._patient(external_id, dict(fields), None)
        return self.by_id[external_id]

    async def get(self, external_id: str) -> Patient | None:
        self._count("get")
        return self.by_id.get(external_id)

    async def get_many(self, external_ids: Iterable[str]) -> Lookup[Patient]:
        self._count("get_many")
        ids = list(dict.fromkeys(external_ids))
        found = [self.by_id[i] for i in ids if i in self.by_id]
        return Lookup(found, [i for i in ids if i not in self.by_id])

    async def patch(self, external_id: str, **fields: Any) -> Patient:
        self._count("patch")
        old = self.by_id[external_id]
        self.by_id[external_id] = self._patient(external_id, dict(fields), old)
        return self.by_id[external_id]


class FakeEpisodes:
    """No episodes anywhere."""

    async def list_for_condition(self, condition_id: str) -> list[EpisodeOfCare]:
        return []

    async def patch(self, episode_of_care_id: str, *, external_id: str | None) -> EpisodeOfCare:
        raise NotImplementedError


class FakeClient:
    """A ``SyncClient`` held in memory."""

    base_url = "memory://legit.health"
    max_in_flight = 8

    def __init__(self) -> None:
        self.patients = FakePatients()
        self.episodes_of_care = FakeEpisodes()

    def with_options(self, *, pacer: Any, wrap_sleep: Any) -> FakeClient:
        return self  # no requests to pace


def _typed(client: FakeClient) -> SyncClient:
    """mypy checks here that the fake satisfies the protocols the sync is typed against."""
    patients: PatientsApi = client.patients
    episodes: EpisodesApi = client.episodes_of_care
    assert patients is not None and episodes is not None
    return client
