"""Practitioners: connect, specialties, log-in tokens and links."""

from __future__ import annotations

from typing import Unpack

from .. import _validation as check
from .. import _wire as wire
from .._session import Find, raw
from .._wire import Call
from ..errors import ValidationError
from ..models import AuthToken, Practitioner, Specialty
from ._base import RequestExtras, TokenResource, checked


class Practitioners(TokenResource):
    """``client.practitioners``: createPractitioner, getPractitionerSpecialties, auth tokens."""

    __slots__ = ()

    @property
    def with_raw_response(self) -> PractitionersWithRawResponse:
        """The same methods, each returning the raw answer (:class:`RawResponse`)."""
        return PractitionersWithRawResponse(self)

    @checked
    async def create(
        self,
        *,
        external_id: str,
        email: str,
        first_name: str | None = None,
        last_name: str | None = None,
        speciality: str | None = None,
        **extras: Unpack[RequestExtras],
    ) -> Practitioner:
        """Connect a practitioner (who gets a verification email).

        ``speciality`` is optional but recommended: one of :meth:`specialties`' codes. Never
        duplicated: after an ambiguous failure the practitioner is looked up through the token
        endpoint (without email). The API has no practitioner lookup, so a practitioner
        recovered that way comes back with an empty ``id`` (``""``).
        """
        check.external_id(external_id)
        if email is None:
            raise ValidationError("email", "a practitioner needs an email")
        body = wire.practitioner_create_body(
            external_id=external_id,
            email=check.email(email) or email,
            first_name=check.name(first_name, "first_name"),
            last_name=check.name(last_name, "last_name"),
            speciality=check.name(speciality, "speciality"),
        )
        recovered = Practitioner(
            id="",
            external_id=external_id,
            email=email,
            first_name=first_name,
            last_name=last_name,
            speciality=speciality,
        )

        def exists(tokens: list[AuthToken]) -> Practitioner | None:
            return recovered if any(t.external_id == external_id for t in tokens) else None

        find = Find(self._tokens_call([external_id], False), exists, "practitioner")
        return await self._call(wire.CREATE_PRACTITIONER.bind(body=body), extras, find)

    @checked
    async def specialties(self, **extras: Unpack[RequestExtras]) -> list[Specialty]:
        """The accepted values of ``speciality``."""
        return await self._call(wire.GET_PRACTITIONER_SPECIALTIES.bind(), extras)

    def _tokens_call(
        self, external_ids: list[str], send_link_by_email: bool
    ) -> Call[list[AuthToken]]:
        body = wire.practitioner_tokens_body(external_ids, send_link_by_email)
        return wire.GET_PRACTITIONER_AUTH_TOKENS.bind(body=body)


class PractitionersWithRawResponse:
    """``client.practitioners.with_raw_response``: methods return a :class:`RawResponse`."""

    __slots__ = ("create", "specialties")

    def __init__(self, practitioners: Practitioners) -> None:
        self.create = raw(practitioners.create)
        self.specialties = raw(practitioners.specialties)
