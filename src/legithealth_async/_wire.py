"""The one seam to the generated client.

Nothing else in the facade imports ``_generated.api``: requests are built with the
generated ``_get_kwargs`` (method, path with encoded parameters, query, JSON body), and answers are
parsed with the generated ``from_dict`` and turned into the public models. A regeneration touches
this file and ``models.py`` at most.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from ._generated import models as gen
from ._generated.api.encounters import create_encounter
from ._generated.api.episodes_of_care import (
    create_episode_of_care,
    get_episodes_of_care,
    patch_episode_of_care,
)
from ._generated.api.patients import (
    create_patient,
    get_patients,
    get_patients_auth_tokens,
    patch_patient,
)
from ._generated.api.practitioners import (
    create_practitioner,
    get_practitioner_auth_tokens,
    get_practitioner_specialties,
)
from ._generated.types import UNSET, Unset
from .models import (
    AuthToken,
    Condition,
    ConditionInput,
    Encounter,
    EpisodeOfCare,
    Frequency,
    Patient,
    Practitioner,
    Specialty,
)

T = TypeVar("T")
P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Call(Generic[T]):
    """One operation with its arguments: what to send, and how to read and check the answer."""

    name: str
    path: str
    spec: dict[str, Any]
    """The generated ``_get_kwargs`` result: method, url, params, json."""
    success: int | None
    """The status of success (None: any 2xx)."""
    parse: Callable[[Any], T]
    idempotent: bool
    check: Callable[[T], str | None] | None = None
    """What the request pinned that the answer must repeat: the field that differs, else None."""


@dataclass(frozen=True, slots=True)
class Operation(Generic[P, T]):
    """What the request path needs to know of one operation.

    ``build`` is the generated ``_get_kwargs``: :meth:`bind` takes exactly its parameters, so a
    change of a generated signature is a type error wherever the facade calls it.
    """

    name: str
    """The documented operationId (used in logs and errors)."""
    path: str
    """The path template, safe to log: it names parameters, never their values."""
    build: Callable[P, dict[str, Any]]
    """The generated request builder (``_get_kwargs``)."""
    success: int
    parse: Callable[[Any], T]
    idempotent: bool
    """Safe to repeat after an ambiguous failure (reads and state-setting patches)."""
    pins: Callable[Concatenate[T, P], str | None] | None = None
    """Given the parsed answer and the arguments: the pinned field the answer contradicts."""

    def bind(self, *args: P.args, **kwargs: P.kwargs) -> Call[T]:
        """This operation with its (type-checked) arguments."""
        pins = self.pins
        check: Callable[[T], str | None] | None = None
        if pins is not None:

            def check(value: T) -> str | None:
                return pins(value, *args, **kwargs)

        return Call(
            self.name,
            self.path,
            self.build(*args, **kwargs),
            self.success,
            self.parse,
            self.idempotent,
            check,
        )


# ---------------------------------------------------------------------------------- parsing


def _strs(*values: object) -> None:
    """Required strings are strings (the generated parser does not check types)."""
    for value in values:
        if type(value) is not str:
            raise TypeError("expected a string")


def _opt(value: Any) -> Any:
    """UNSET or None → None; anything else must be a string."""
    if value is None or value is UNSET:
        return None
    if type(value) is not str:
        raise TypeError("expected a string or null")
    return value


def _opt_time(value: object, kind: type[dt.date]) -> Any:
    # The generated parser keeps an unparsable nullable date as the raw string: refuse it.
    if value is None or value is UNSET:
        return None
    if not isinstance(value, kind):
        raise TypeError("not a valid date or date-time")
    return value


def _list(value: object) -> list[Any]:
    if type(value) is not list:
        raise TypeError("expected a JSON array")
    return value


def _condition(g: gen.Condition) -> Condition:
    _strs(g.id, g.pathology_code, g.body_site_code)
    if type(g.is_tracked) is not bool:
        raise TypeError("isTracked is not a boolean")
    f = g.frequency
    if f is None or f is UNSET:
        frequency = None
    elif type(f) is gen.Frequency and type(f.every) is int:
        frequency = Frequency(every=f.every, unit=f.unit.value)
    else:
        raise TypeError("frequency is not a valid object")
    return Condition(
        id=g.id,
        pathology_code=g.pathology_code,
        body_site_code=g.body_site_code,
        is_tracked=g.is_tracked,
        frequency=frequency,
    )


def parse_patient(data: Any) -> Patient:
    """A ``Patient`` from its JSON."""
    g = gen.Patient.from_dict(data)
    _strs(g.id, g.external_id)
    return Patient(
        id=g.id,
        external_id=g.external_id,
        first_name=_opt(g.first_name),
        last_name=_opt(g.last_name),
        email=_opt(g.email),
        phone=_opt(g.phone),
        birth_date=_opt_time(g.birth_date, dt.date),
        gender=_opt(g.gender),
        language=_opt(g.language),
        conditions=tuple([_condition(c) for c in _list(g.conditions)]),
    )


def parse_patients(data: Any) -> list[Patient]:
    """A list of ``Patient`` from a JSON array."""
    return [parse_patient(item) for item in _list(data)]


def parse_episode(data: Any) -> EpisodeOfCare:
    """An ``EpisodeOfCare`` from its JSON."""
    g = gen.EpisodeOfCare.from_dict(data)
    _strs(g.id, g.condition_id, g.status)
    return EpisodeOfCare(
        id=g.id,
        condition_id=g.condition_id,
        status=g.status,
        started_at=g.started_at,
        finished_at=_opt_time(g.finished_at, dt.datetime),
        external_id=_opt(g.external_id),
    )


def parse_episodes(data: Any) -> list[EpisodeOfCare]:
    """A list of ``EpisodeOfCare`` from a JSON array."""
    return [parse_episode(item) for item in _list(data)]


def parse_encounter(data: Any) -> Encounter:
    """An ``Encounter`` from its JSON."""
    g = gen.Encounter.from_dict(data)
    _strs(g.id, g.episode_of_care_id, g.status)
    return Encounter(
        id=g.id,
        episode_of_care_id=g.episode_of_care_id,
        planned_for=g.planned_for,
        status=g.status,
        external_id=_opt(g.external_id),
    )


def parse_practitioner(data: Any) -> Practitioner:
    """A ``Practitioner`` from its JSON."""
    g = gen.Practitioner.from_dict(data)
    _strs(g.id, g.external_id, g.email)
    return Practitioner(
        id=g.id,
        external_id=g.external_id,
        email=g.email,
        first_name=_opt(g.first_name),
        last_name=_opt(g.last_name),
        speciality=_opt(g.speciality),
    )


def parse_specialties(data: Any) -> list[Specialty]:
    """A list of ``Specialty`` from a JSON array."""
    out = []
    for item in _list(data):
        g = gen.Specialty.from_dict(item)
        _strs(g.code, g.name)
        out.append(Specialty(code=g.code, name=g.name))
    return out


def parse_auth_tokens(data: Any) -> list[AuthToken]:
    """A list of ``AuthToken`` from a JSON array."""
    out = []
    for item in _list(data):
        g = gen.AuthToken.from_dict(item)
        _strs(g.external_id, g.token, g.refresh_token)
        out.append(
            AuthToken(external_id=g.external_id, token=g.token, refresh_token=g.refresh_token)
        )
    return out


# --------------------------------------------------------------------------------- building


def _unset(value: Any) -> Any:
    return UNSET if value is None else value


def _gen_frequency(f: Frequency | None) -> gen.Frequency | Unset:
    if f is None:
        return UNSET
    return gen.Frequency(every=f.every, unit=gen.FrequencyUnit(f.unit))


def _gen_conditions(
    conditions: Sequence[ConditionInput] | None,
) -> list[gen.ConditionInput] | Unset:
    if conditions is None:
        return UNSET
    return [
        gen.ConditionInput(
            pathology_code=gen.PathologyCode(c.pathology_code),
            body_site_code=gen.BodySiteCode(c.body_site_code),
            is_tracked=_unset(c.is_tracked),
            frequency=_gen_frequency(c.frequency),
        )
        for c in conditions
    ]


def _patient_kwargs(fields: Mapping[str, Any]) -> dict[str, Any]:
    gender = fields.get("gender")
    return {
        "first_name": _unset(fields.get("first_name")),
        "last_name": _unset(fields.get("last_name")),
        "email": _unset(fields.get("email")),
        "phone": _unset(fields.get("phone")),
        "birth_date": _unset(fields.get("birth_date")),
        "gender": UNSET if gender is None else gen.Gender(gender),
        "language": _unset(fields.get("language")),
        "conditions": _gen_conditions(fields.get("conditions")),
    }


def patient_create_body(external_id: str, fields: Mapping[str, Any]) -> gen.PatientCreate:
    """The generated body of createPatient from validated fields (see ``patient_fields``)."""
    return gen.PatientCreate(external_id=external_id, **_patient_kwargs(fields))


def patient_patch_body(fields: Mapping[str, Any]) -> gen.PatientPatch:
    """The generated body of patchPatient: only what is given is sent."""
    return gen.PatientPatch(**_patient_kwargs(fields))


def patient_tokens_body(external_ids: list[str], send_link: bool) -> gen.PatientAuthTokensRequest:
    """The generated body of getPatientsAuthTokens."""
    return gen.PatientAuthTokensRequest(
        external_ids=external_ids, send_link_to_patient_by_email=send_link
    )


def practitioner_tokens_body(
    external_ids: list[str], send_link: bool
) -> gen.PractitionerAuthTokensRequest:
    """The generated body of getPractitionerAuthTokens."""
    return gen.PractitionerAuthTokensRequest(
        external_ids=external_ids, send_link_to_practitioner_by_email=send_link
    )


def episode_create_body(external_id: str | None) -> gen.EpisodeOfCareCreate:
    """The generated body of createEpisodeOfCare."""
    return gen.EpisodeOfCareCreate(external_id=_unset(external_id))


def episode_patch_body(external_id: str | None) -> gen.EpisodeOfCarePatch:
    """The generated body of patchEpisodeOfCare (None clears the external id)."""
    return gen.EpisodeOfCarePatch(external_id=external_id)


def encounter_create_body(planned_for: dt.datetime, external_id: str | None) -> gen.EncounterCreate:
    """The generated body of createEncounter."""
    return gen.EncounterCreate(planned_for=planned_for, external_id=_unset(external_id))


def practitioner_create_body(
    *,
    external_id: str,
    email: str,
    first_name: str | None,
    last_name: str | None,
    speciality: str | None,
) -> gen.PractitionerCreate:
    """The generated body of createPractitioner."""
    return gen.PractitionerCreate(
        external_id=external_id,
        email=email,
        first_name=_unset(first_name),
        last_name=_unset(last_name),
        speciality=_unset(speciality),
    )


# ------------------------------------------------------------------------------------- pins
# What a request pins that its answer must repeat: an answer about another resource (another
# patient's body) is an unexpected response, never accepted as ours.


def _differs(field: str, got: object, sent: object) -> str | None:
    return field if got != sent else None


def _pin_patient_create(p: Patient, *, body: gen.PatientCreate) -> str | None:
    return _differs("externalId", p.external_id, body.external_id)


def _pin_patient_patch(p: Patient, external_id: str, *, body: gen.PatientPatch) -> str | None:
    return _differs("externalId", p.external_id, external_id)


def _pin_episode_create(
    e: EpisodeOfCare, condition_id: str, *, body: gen.EpisodeOfCareCreate
) -> str | None:
    sent = body.external_id
    return _differs("conditionId", e.condition_id, condition_id) or (
        None if isinstance(sent, Unset) else _differs("externalId", e.external_id, sent)
    )


def _pin_episode_patch(
    e: EpisodeOfCare, episode_of_care_id: str, *, body: gen.EpisodeOfCarePatch
) -> str | None:
    return _differs("id", e.id, episode_of_care_id)


def _pin_encounter(
    e: Encounter, episode_of_care_id: str, *, body: gen.EncounterCreate
) -> str | None:
    return _differs("episodeOfCareId", e.episode_of_care_id, episode_of_care_id)


def _pin_practitioner(p: Practitioner, *, body: gen.PractitionerCreate) -> str | None:
    return _differs("externalId", p.external_id, body.external_id)


# ------------------------------------------------------------------------------- operations

CREATE_PATIENT = Operation(
    "createPatient",
    "/patients",
    create_patient._get_kwargs,
    201,
    parse_patient,
    False,
    pins=_pin_patient_create,
)
GET_PATIENTS = Operation(
    "getPatients", "/patients", get_patients._get_kwargs, 200, parse_patients, True
)
PATCH_PATIENT = Operation(
    "patchPatient",
    "/patients/{externalId}",
    patch_patient._get_kwargs,
    200,
    parse_patient,
    True,
    pins=_pin_patient_patch,
)
#: Token generation is repeatable; with the email link it is not (see the resources).
GET_PATIENTS_AUTH_TOKENS = Operation(
    "getPatientsAuthTokens",
    "/patients/auth-tokens",
    get_patients_auth_tokens._get_kwargs,
    200,
    parse_auth_tokens,
    True,
)
GET_EPISODES_OF_CARE = Operation(
    "getEpisodesOfCare",
    "/conditions/{conditionId}/episodes-of-care",
    get_episodes_of_care._get_kwargs,
    200,
    parse_episodes,
    True,
)
CREATE_EPISODE_OF_CARE = Operation(
    "createEpisodeOfCare",
    "/conditions/{conditionId}/episodes-of-care",
    create_episode_of_care._get_kwargs,
    201,
    parse_episode,
    False,
    pins=_pin_episode_create,
)
PATCH_EPISODE_OF_CARE = Operation(
    "patchEpisodeOfCare",
    "/episodes-of-care/{episodeOfCareId}",
    patch_episode_of_care._get_kwargs,
    200,
    parse_episode,
    True,
    pins=_pin_episode_patch,
)
CREATE_ENCOUNTER = Operation(
    "createEncounter",
    "/episodes-of-care/{episodeOfCareId}/encounters",
    create_encounter._get_kwargs,
    201,
    parse_encounter,
    False,
    pins=_pin_encounter,
)
CREATE_PRACTITIONER = Operation(
    "createPractitioner",
    "/practitioners",
    create_practitioner._get_kwargs,
    201,
    parse_practitioner,
    False,
    pins=_pin_practitioner,
)
GET_PRACTITIONER_SPECIALTIES = Operation(
    "getPractitionerSpecialties",
    "/practitioners/specialties",
    get_practitioner_specialties._get_kwargs,
    200,
    parse_specialties,
    True,
)
GET_PRACTITIONER_AUTH_TOKENS = Operation(
    "getPractitionerAuthTokens",
    "/practitioners/auth-tokens",
    get_practitioner_auth_tokens._get_kwargs,
    200,
    parse_auth_tokens,
    True,
)

#: The generated code's enums, for validation: the spec is the one list of known codes.
PATHOLOGY_CODES = frozenset(m.value for m in gen.PathologyCode)
BODY_SITE_CODES = frozenset(m.value for m in gen.BodySiteCode)
FREQUENCY_UNITS = frozenset(m.value for m in gen.FrequencyUnit)
GENDERS = frozenset(m.value for m in gen.Gender)
