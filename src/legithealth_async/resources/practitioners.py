"""Practitioners: connect, specialties, log-in tokens and links."""

from __future__ import annotations

from typing import Any

from .. import _validation as check
from .. import _wire as wire
from ..errors import ValidationError
from ..models import Practitioner, Specialty
from ._base import TokenResource


class Practitioners(TokenResource):
    """``client.practitioners``: createPractitioner, getPractitionerSpecialties, auth tokens."""

    __slots__ = ()
    _tokens_op = wire.GET_PRACTITIONER_AUTH_TOKENS

    async def create(
        self,
        *,
        external_id: str,
        email: str,
        first_name: str | None = None,
        last_name: str | None = None,
        speciality: str | None = None,
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

        async def exists() -> Practitioner | None:
            tokens = await self.auth_tokens([external_id])
            return recovered if tokens.found else None

        async def conflict() -> Practitioner:
            return recovered

        return await self._call(
            wire.CREATE_PRACTITIONER, body=body, reconcile=exists, on_conflict=conflict
        )

    async def specialties(self) -> list[Specialty]:
        """The accepted values of ``speciality``."""
        return await self._call(wire.GET_PRACTITIONER_SPECIALTIES)

    def _tokens_body(self, external_ids: list[str], send_link_by_email: bool) -> Any:
        return wire.practitioner_tokens_body(external_ids, send_link_by_email)
