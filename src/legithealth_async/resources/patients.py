"""Patients: connect, fetch (one or any number), edit, and log-in tokens and links."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable
from typing import Any, Unpack, cast

from .. import _validation as check
from .. import _wire as wire
from .._generated.models.patient_create import PatientCreateKwargs
from .._generated.models.patient_patch import PatientPatchKwargs
from .._session import Find, raw
from .._tasks import in_order
from .._wire import Call
from ..errors import ValidationError
from ..models import AuthToken, Patient
from ..pagination import Lookup, chunk_ids, unique
from ._base import RequestExtras, TokenResource, checked, split_extras


class PatientCreateArgs(PatientCreateKwargs, RequestExtras, total=False):
    """The keyword arguments of ``create``: the spec's ``PatientCreate`` fields and the extras."""


class PatientPatchArgs(PatientPatchKwargs, RequestExtras, total=False):
    """The keyword arguments of ``patch``: the spec's ``PatientPatch`` fields and the extras."""


class Patients(TokenResource):
    """``client.patients``: createPatient, getPatients, patchPatient, getPatientsAuthTokens."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> PatientsWithRawResponse:
        """The same methods, each returning the raw answer (:class:`RawResponse`)."""
        return PatientsWithRawResponse(self)

    @checked
    async def create(self, **kwargs: Unpack[PatientCreateArgs]) -> Patient:
        """Connect a patient; each condition gets an active episode of care.

        The keyword arguments are the spec's ``PatientCreate`` fields (``external_id``, ``email``,
        ``phone``, ``first_name``, ``last_name``, ``birth_date``, ``gender``, ``language``,
        ``conditions``...; ``model_extra`` sends fields the spec does not know yet). At least one
        of ``email`` (verification email) or ``phone`` (SMS) is required. Never duplicated: after
        an ambiguous failure the patient is looked up by ``external_id``. Raises
        :class:`~legithealth_async.errors.PatientAlreadyExistsError` if it exists already.
        """
        fields: dict[str, Any] = dict(kwargs)
        extras = split_extras(fields)
        check.patient_fields(fields)
        external_id: str = fields["external_id"]
        if fields.get("email") is None and fields.get("phone") is None:
            raise ValidationError("email/phone", "a patient needs an email or a phone to confirm")
        body = wire.patient_create_body(cast(PatientCreateKwargs, fields))
        find = Find(self._lookup(external_id), _pick(external_id), "patient")
        return await self._call(wire.CREATE_PATIENT.bind(body=body), extras, find)

    @checked
    async def get(self, external_id: str, **extras: Unpack[RequestExtras]) -> Patient | None:
        """The patient with this external id, or None when Legit.Health does not know it."""
        check.external_id(external_id)
        patients = await self._call(self._lookup(external_id), extras)
        return _pick(external_id)(patients)

    @checked
    async def iter_many(
        self, external_ids: Iterable[str]
    ) -> AsyncIterator[tuple[str, Patient | None]]:
        """``(external_id, patient or None)`` for each distinct id, in the order asked.

        Any number of ids (duplicates are asked once), in requests of at most 100 ids with a
        bounded URL, run concurrently within the client's in-flight limit. An answer listing an
        id not asked raises :class:`~legithealth_async.errors.UnexpectedResponseError`.
        """
        ids = unique(check.external_ids(external_ids))

        async def fetch(chunk: list[str]) -> list[Patient]:
            return await self._call(wire.GET_PATIENTS.bind(external_ids=chunk), {})

        async for chunk, patients in in_order(chunk_ids(ids), fetch, window=self._window):
            by_id = {p.external_id: p for p in patients}
            for ext_id in chunk:
                yield ext_id, by_id.get(ext_id)

    @checked
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

    @checked
    async def patch(self, external_id: str, **kwargs: Unpack[PatientPatchArgs]) -> Patient:
        """Edit a patient: only the fields given are sent.

        ``conditions`` says what each listed condition becomes: a new pathology/body-site pair
        is added (new active episode), ``is_tracked=False`` pauses it (its active episode is
        finished), ``is_tracked=True`` with a ``frequency`` tracks it.
        """
        fields: dict[str, Any] = dict(kwargs)
        extras = split_extras(fields)
        check.external_id(external_id)
        check.patient_fields(fields)
        body = wire.patient_patch_body(cast(PatientPatchKwargs, fields))
        if not body.to_dict() and not extras.get("extra_body"):
            raise ValidationError("patch", "nothing to change: give at least one field")
        return await self._call(wire.PATCH_PATIENT.bind(external_id, body=body), extras)

    def _lookup(self, external_id: str) -> Call[list[Patient]]:
        return wire.GET_PATIENTS.bind(external_ids=[external_id])

    def _tokens_call(
        self, external_ids: list[str], send_link_by_email: bool
    ) -> Call[list[AuthToken]]:
        body = wire.patient_tokens_body(external_ids, send_link_by_email)
        return wire.GET_PATIENTS_AUTH_TOKENS.bind(body=body)


def _pick(external_id: str) -> Callable[[list[Patient]], Patient | None]:
    def pick(patients: list[Patient]) -> Patient | None:
        return next((p for p in patients if p.external_id == external_id), None)

    return pick


class PatientsWithRawResponse:
    """``client.patients.with_raw_response``: each method returns a :class:`RawResponse`."""

    __slots__ = ("create", "get", "patch")

    def __init__(self, patients: Patients) -> None:
        self.create = raw(patients.create)
        self.get = raw(patients.get)
        self.patch = raw(patients.patch)
