"""The one seam to the generated client.

Nothing else in the facade imports ``_generated.api``: requests are built with the generated
``_get_kwargs`` (method, path with encoded parameters, query, JSON body) from the generated
request models, and answers are parsed in one strict pass by the generated public models'
``from_dict`` (see ``models.py``). A regeneration needs no edit here unless an operation is added.
"""

from __future__ import annotations

import datetime as dt
import difflib
import importlib
import pkgutil
import re
from collections.abc import Callable, Collection, Iterable
from dataclasses import dataclass
from types import ModuleType
from typing import Any, Concatenate, Generic, ParamSpec, TypeVar

from ._generated import api as _api
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
from .errors import ValidationError
from .models import AuthToken, Encounter, EpisodeOfCare, Patient, Practitioner

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


# ------------------------------------------------------------------------------------- pins
# What a request pins that its answer must repeat: an answer about another resource (another
# patient's body, a list with an item not asked for) is an unexpected response, never accepted
# as ours. A lookup so refused proves nothing: a create it reconciles is ambiguous.


def _differs(field: str, got: object, sent: object) -> str | None:
    return field if got != sent else None


def _outside(field: str, got: Iterable[object], asked: Collection[object]) -> str | None:
    """``field`` if a listed item's value is not one asked (a list answering about others)."""
    return next((field for value in got if value not in asked), None)


def _pin_patient_create(p: Patient, *, body: gen.PatientCreate) -> str | None:
    return _differs("externalId", p.external_id, body.external_id)


def _pin_patient_patch(p: Patient, external_id: str, *, body: gen.PatientPatch) -> str | None:
    return _differs("externalId", p.external_id, external_id)


def _pin_patients(ps: list[Patient], *, external_ids: list[str]) -> str | None:
    listed = [p.external_id for p in ps]
    if len(set(listed)) != len(listed):  # one record listed twice: which is it? (ids are unique)
        return "externalId"
    return _outside("externalId", listed, frozenset(external_ids))


def _pin_tokens(
    ts: list[AuthToken],
    *,
    body: gen.PatientAuthTokensRequest | gen.PractitionerAuthTokensRequest,
) -> str | None:
    return _outside("externalId", (t.external_id for t in ts), frozenset(body.external_ids))


def _pin_episodes(es: list[EpisodeOfCare], condition_id: str) -> str | None:
    return _outside("conditionId", (e.condition_id for e in es), (condition_id,))


def _pin_episode_create(
    e: EpisodeOfCare, condition_id: str, *, body: gen.EpisodeOfCareCreate
) -> str | None:
    sent = body.external_id
    return _differs("conditionId", e.condition_id, condition_id) or (
        None if sent is None else _differs("externalId", e.external_id, sent)
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
    "getPatients",
    "/patients",
    get_patients._get_kwargs,
    200,
    parse_patients,
    True,
    pins=_pin_patients,
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
    pins=_pin_tokens,
)
GET_EPISODES_OF_CARE = Operation(
    "getEpisodesOfCare",
    "/conditions/{conditionId}/episodes-of-care",
    get_episodes_of_care._get_kwargs,
    200,
    parse_episodes,
    True,
    pins=_pin_episodes,
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
    pins=_pin_tokens,
)


def endpoint(operation_id: str) -> ModuleType:
    """The generated endpoint module of an operation, by its ``operationId`` (``getPatients``)
    or its module's name (``get_patients``), whatever tag the spec files it under: how
    ``call_generated`` reaches an operation that has no method yet."""
    name = re.sub(r"(?<!^)(?=[A-Z])", "_", operation_id).lower()
    known: list[str] = []
    for tag in pkgutil.iter_modules(_api.__path__, _api.__name__ + "."):
        package = importlib.import_module(tag.name)
        for module in pkgutil.iter_modules(package.__path__):
            if module.name == name:
                return importlib.import_module(f"{tag.name}.{name}")
            known.append(module.name)
    close = difflib.get_close_matches(name, known, n=1)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    raise ValidationError("endpoint", f"no operation {operation_id!r} in the contract{hint}")
