"""The one seam to the generated client.

Nothing else in the facade imports ``_generated.api``: requests are built with the generated
``_get_kwargs`` (method, path with encoded parameters, query, JSON body) from the generated
request models, and answers are parsed in one strict pass by the generated public models'
``from_dict`` (see ``models.py``). A regeneration needs no edit here unless an operation is added.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
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
from ._generated.models.patient_create import PatientCreateKwargs
from ._generated.models.patient_patch import PatientPatchKwargs
from ._generated.types import ParseError
from .models import AuthToken

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
# One pass: decoded JSON → public model (types checked by the generated ``from_dict``, which
# raises ``ParseError``, a ValueError naming the field and never its value).


def _list_of(parse: Callable[[object], T]) -> Callable[[object], list[T]]:
    """A parser of a JSON array whose items ``parse`` reads."""

    def parse_list(data: object) -> list[T]:
        if type(data) is not list:
            raise ParseError("", "expected a JSON array")
        try:
            return [parse(item) for item in data]
        except ParseError as exc:
            raise exc.within("[]") from None

    return parse_list


parse_patient = gen.Patient.from_dict
parse_patients = _list_of(gen.Patient.from_dict)
parse_episode = gen.EpisodeOfCare.from_dict
parse_episodes = _list_of(gen.EpisodeOfCare.from_dict)
parse_encounter = gen.Encounter.from_dict
parse_practitioner = gen.Practitioner.from_dict
parse_specialties = _list_of(gen.Specialty.from_dict)
parse_auth_tokens = _list_of(AuthToken.from_dict)


# --------------------------------------------------------------------------------- building
# The body builders take the generated request models' own keyword TypedDicts: a field the spec
# makes required is a type error for callers (and ``_validation.require`` names it at run time).


def patient_create_body(fields: PatientCreateKwargs) -> gen.PatientCreate:
    """The generated body of createPatient from checked fields (see ``_validation``)."""
    return gen.PatientCreate(**fields)


def patient_patch_body(fields: PatientPatchKwargs) -> gen.PatientPatch:
    """The generated body of patchPatient: only what is given is sent."""
    return gen.PatientPatch(**fields)


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
    return gen.EpisodeOfCareCreate(external_id=external_id)


def episode_patch_body(external_id: str | None) -> gen.EpisodeOfCarePatch:
    """The generated body of patchEpisodeOfCare (None clears the external id)."""
    return gen.EpisodeOfCarePatch(external_id=external_id)


def encounter_create_body(planned_for: dt.datetime, external_id: str | None) -> gen.EncounterCreate:
    """The generated body of createEncounter."""
    return gen.EncounterCreate(planned_for=planned_for, external_id=external_id)


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
        first_name=first_name,
        last_name=last_name,
        speciality=speciality,
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
