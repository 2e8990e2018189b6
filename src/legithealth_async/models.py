"""The models users pass and get back: plain, frozen, keyword-only, and safe to print.

Fields holding personal data (names, email, phone, birth date, external ids, tokens) are left
out of ``repr``: logging or printing a model never leaks patient data. Known code lists come from
the spec through the generated enums; values the server sends are kept as plain strings, so a
value the server adds tomorrow never crashes a parse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from urllib.parse import urlencode

from ._constants import LOGIN_LINK_BASE
from ._generated.models import (
    BodySiteCode,
    EncounterStatus,
    EpisodeOfCareStatus,
    FrequencyUnit,
    Gender,
    PathologyCode,
)

__all__ = [
    "AuthToken",
    "BodySiteCode",
    "Condition",
    "ConditionInput",
    "Encounter",
    "EncounterStatus",
    "EpisodeOfCare",
    "EpisodeOfCareStatus",
    "Frequency",
    "FrequencyUnit",
    "Gender",
    "PathologyCode",
    "Patient",
    "Practitioner",
    "Specialty",
    "login_link",
]


@dataclass(frozen=True, slots=True, kw_only=True)
class Frequency:
    """How often an encounter is created automatically for a tracked condition."""

    every: int
    unit: FrequencyUnit | str


@dataclass(frozen=True, slots=True, kw_only=True)
class ConditionInput:
    """A condition as you send it: a pathology (ICD-11) in a body site.

    ``is_tracked=True`` with a ``frequency`` tracks it; ``is_tracked=False`` pauses it.
    """

    pathology_code: PathologyCode | str
    body_site_code: BodySiteCode | str
    is_tracked: bool | None = None
    frequency: Frequency | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Condition:
    """A patient's condition as Legit.Health returns it, with its id."""

    id: str
    pathology_code: str
    body_site_code: str
    is_tracked: bool
    frequency: Frequency | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Patient:
    """A connected patient. Personal fields are hidden from ``repr``."""

    id: str
    external_id: str = field(repr=False)
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    email: str | None = field(default=None, repr=False)
    phone: str | None = field(default=None, repr=False)
    birth_date: dt.date | None = field(default=None, repr=False)
    gender: str | None = None
    language: str | None = None
    conditions: tuple[Condition, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class EpisodeOfCare:
    """An episode of care of a condition; ``status`` is one of :class:`EpisodeOfCareStatus`."""

    id: str
    condition_id: str
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None
    external_id: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Encounter:
    """An encounter; ``status`` is one of :class:`EncounterStatus`."""

    id: str
    episode_of_care_id: str
    planned_for: dt.datetime
    status: str
    external_id: str | None = field(default=None, repr=False)


@dataclass(frozen=True, slots=True, kw_only=True)
class Practitioner:
    """A connected practitioner.

    ``id`` is None only when the practitioner was recovered after an ambiguous create: the API
    has no practitioner lookup, so the client proves existence but cannot learn the id.
    """

    id: str | None
    external_id: str = field(repr=False)
    email: str = field(repr=False)
    first_name: str | None = field(default=None, repr=False)
    last_name: str | None = field(default=None, repr=False)
    speciality: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Specialty:
    """An accepted value of a practitioner's ``speciality``."""

    code: str
    name: str


@dataclass(frozen=True, slots=True, kw_only=True)
class AuthToken:
    """Login tokens for one patient or practitioner (hidden from ``repr``)."""

    external_id: str = field(repr=False)
    token: str = field(repr=False)
    refresh_token: str = field(repr=False)

    @property
    def login_link(self) -> str:
        """The documented login link, with both tokens URL-encoded."""
        return login_link(self.token, self.refresh_token)


def login_link(token: str, refresh_token: str) -> str:
    """``https://app.legit.health/u/home?token=…&refresh_token=…``, each value percent-encoded.

    A token containing ``&``, ``=`` or ``#`` cannot add or cut a parameter.
    """
    query = urlencode({"token": token, "refresh_token": refresh_token}, safe="")
    return f"{LOGIN_LINK_BASE}?{query}"
