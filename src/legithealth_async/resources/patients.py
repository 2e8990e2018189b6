"""Patients: connect, fetch (one or any number), edit, and log-in tokens and links."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any, Unpack

from .. import _validation as check
from .. import _wire as wire
from .._generated import models as gen
from .._generated.models.patient_create import PatientCreateKwargs
from .._generated.models.patient_patch import PatientPatchKwargs
from ..errors import UnexpectedResponseError, ValidationError
from ..models import Patient
from ..pagination import Lookup, chunk_ids, in_order, unique
from ._base import TokenResource


class Patients(TokenResource):
    """``client.patients``: createPatient, getPatients, patchPatient, getPatientsAuthTokens."""

    __slots__ = ()
    _tokens_op = wire.GET_PATIENTS_AUTH_TOKENS

    async def create(self, **fields: Unpack[PatientCreateKwargs]) -> Patient:
        """Connect a patient; each condition gets an active episode of care.

        The keyword arguments are the spec's ``PatientCreate`` fields (``external_id``, ``email``,
        ``phone``, ``first_name``, ``last_name``, ``birth_date``, ``gender``, ``language``,
        ``conditions``...; ``model_extra`` sends fields the spec does not know yet). At least one
        of ``email`` (verification email) or ``phone`` (SMS) is required. Never duplicated: after
        an ambiguous failure the patient is looked up by ``external_id``. Raises
        :class:`~legithealth_async.errors.PatientAlreadyExistsError` if it exists already.
        """
        check.require(gen.PatientCreate, fields)
        check.patient_fields(fields)
        external_id = fields["external_id"]
        if fields.get("email") is None and fields.get("phone") is None:
            raise ValidationError("email/phone", "a patient needs an email or a phone to confirm")
        body = wire.patient_create_body(fields)

        async def existing() -> Patient:
            patient = await self.get(external_id)
            if patient is None:  # 409 yet absent: the contract is broken; say so, do not guess
                raise UnexpectedResponseError(
                    wire.CREATE_PATIENT.name, 409, "conflict reported, but no such patient found"
                )
            return patient

        return await self._call(
            wire.CREATE_PATIENT,
            body=body,
            reconcile=lambda: self.get(external_id),
            on_conflict=existing,
        )

    async def get(self, external_id: str) -> Patient | None:
        """The patient with this external id, or None when Legit.Health does not know it."""
        check.external_id(external_id)
        patients = await self._call(wire.GET_PATIENTS, external_ids=[external_id])
        return next((p for p in patients if p.external_id == external_id), None)

    async def iter_many(
        self, external_ids: Iterable[str]
    ) -> AsyncIterator[tuple[str, Patient | None]]:
        """``(external_id, patient or None)`` for each distinct id, in the order asked.

        Any number of ids (duplicates are asked once), in requests of at most 100 ids with a
        bounded URL, run concurrently within the client's in-flight limit.
        """
        ids = unique(check.external_ids(external_ids))

        async def fetch(chunk: list[str]) -> list[Patient]:
            return await self._call(wire.GET_PATIENTS, external_ids=chunk)

        window = self._client.max_in_flight
        async for chunk, patients in in_order(chunk_ids(ids), fetch, window=window):
            by_id = {p.external_id: p for p in patients}
            for ext_id in chunk:
                yield ext_id, by_id.get(ext_id)

    async def get_many(self, external_ids: Iterable[str]) -> Lookup[Patient]:
        """The patients found, in the order asked, and the ids not found."""
        found: list[Patient] = []
        missing: list[str] = []
        async for ext_id, patient in self.iter_many(external_ids):
            if patient is None:
                missing.append(ext_id)
            else:
                found.append(patient)
        return Lookup(found, missing)

    async def patch(self, external_id: str, **fields: Unpack[PatientPatchKwargs]) -> Patient:
        """Edit a patient: only the fields given are sent.

        ``conditions`` says what each listed condition becomes: a new pathology/body-site pair
        is added (new active episode), ``is_tracked=False`` pauses it (its active episode is
        finished), ``is_tracked=True`` with a ``frequency`` tracks it.
        """
        check.external_id(external_id)
        check.require(gen.PatientPatch, fields)
        check.patient_fields(fields)
        body = wire.patient_patch_body(fields)
        if not body.to_dict():
            raise ValidationError("patch", "nothing to change: give at least one field")
        return await self._call(wire.PATCH_PATIENT, external_id, body=body)

    def _tokens_body(self, external_ids: list[str], send_link_by_email: bool) -> Any:
        return wire.patient_tokens_body(external_ids, send_link_by_email)
