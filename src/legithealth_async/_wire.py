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
from typing import Any, Generic, TypeVar

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


@dataclass(frozen=True, slots=True)
class Operation(Generic[T]):
    """What the request path needs to know of one operation."""

    name: str
    """The documented operationId (used in logs and errors)."""
    path: str
    """The path template, safe to log: it names parameters, never their values."""
    build: Callable[..., dict[str, Any]]
    """The generated request builder (``_get_kwargs``)."""
    success: int
    parse: Callable[[Any], T]
    idempotent: bool
    """Safe to repeat after an ambiguous failure (reads and state-setting patches)."""


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


# ------------------------------------------------------------------------------- operations

CREATE_PATIENT = Operation(
    "createPatient", "/patients", create_patient._get_kwargs, 201, parse_patient, False
)
GET_PATIENTS = Operation(
    "getPatients", "/patients", get_patients._get_kwargs, 200, parse_patients, True
)
PATCH_PATIENT = Operation(
    "patchPatient", "/patients/{externalId}", patch_patient._get_kwargs, 200, parse_patient, True
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
)
PATCH_EPISODE_OF_CARE = Operation(
    "patchEpisodeOfCare",
    "/episodes-of-care/{episodeOfCareId}",
    patch_episode_of_care._get_kwargs,
    200,
    parse_episode,
    True,
)
CREATE_ENCOUNTER = Operation(
    "createEncounter",
    "/episodes-of-care/{episodeOfCareId}/encounters",
    create_encounter._get_kwargs,
    201,
    parse_encounter,
    False,
)
CREATE_PRACTITIONER = Operation(
    "createPractitioner",
    "/practitioners",
    create_practitioner._get_kwargs,
    201,
    parse_practitioner,
    False,
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
