"""What every resource shares: its session, per-call extras, and token lookups."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import Any, TypedDict, TypeVar

from .. import _validation as check
from .._session import Find, Session, extras_of
from .._tasks import in_order
from .._wire import Call
from ..models import AuthToken
from ..pagination import Lookup, chunk_ids, unique

T = TypeVar("T")


class RequestExtras(TypedDict, total=False):
    """Per-call additions, as keyword arguments of every method that sends one request.

    ``extra_headers`` (never ``X-API-TOKEN``: a :class:`~legithealth_async.ValidationError`),
    ``extra_query`` (query parameters) and ``extra_body`` (top-level JSON fields), for what the
    contract does not know yet. Never shown in a ``repr`` or a log line.
    """

    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    extra_body: Mapping[str, Any]


#: The keyword arguments of :class:`RequestExtras`.
EXTRAS: tuple[str, ...] = tuple(RequestExtras.__annotations__)


def split_extras(kwargs: dict[str, Any]) -> RequestExtras:
    """Take the extras out of a method's keyword arguments (the rest are its fields)."""
    extras = RequestExtras()
    if "extra_headers" in kwargs:
        extras["extra_headers"] = kwargs.pop("extra_headers")
    if "extra_query" in kwargs:
        extras["extra_query"] = kwargs.pop("extra_query")
    if "extra_body" in kwargs:
        extras["extra_body"] = kwargs.pop("extra_body")
    return extras


class Resource:
    """A group of operations on one session (the client's sender and options)."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _call(
        self, call: Call[T], extras: RequestExtras, find: Find[Any, T] | None = None
    ) -> T:
        return await self._session.call(
            call,
            find=find,
            extras=extras_of(
                extras.get("extra_headers"), extras.get("extra_query"), extras.get("extra_body")
            ),
        )

    @property
    def _window(self) -> int:
        return self._session.sender.max_in_flight


class TokenResource(Resource):
    """A resource whose people log in with tokens (patients, practitioners)."""

    __slots__ = ()

    def _tokens_call(
        self, external_ids: list[str], send_link_by_email: bool
    ) -> Call[list[AuthToken]]:
        raise NotImplementedError

    async def auth_tokens(
        self, external_ids: Iterable[str], *, send_link_by_email: bool = False
    ) -> Lookup[AuthToken]:
        """Log-in tokens for any number of ids, in the order asked, with the ids not found.

        ``send_link_by_email`` also emails each person their login link; a retry could then
        send a second email, so an ambiguous failure raises
        :class:`~legithealth_async.errors.AmbiguousOutcomeError` instead.
        """
        ids = unique(check.external_ids(external_ids))

        async def fetch(chunk: list[str]) -> list[AuthToken]:
            call = self._tokens_call(chunk, send_link_by_email)
            if send_link_by_email:  # a second email is an effect: never repeated blind
                call = dataclasses.replace(call, idempotent=False)
            return await self._call(call, {})

        found: list[AuthToken] = []
        missing: list[str] = []
        chunks = chunk_ids(ids, max_query_bytes=None)
        async for chunk, tokens in in_order(chunks, fetch, window=self._window):
            by_id = {t.external_id: t for t in tokens}
            for ext_id in chunk:
                token = by_id.get(ext_id)
                if token is None:
                    missing.append(ext_id)
                else:
                    found.append(token)
        return Lookup(found, missing)

    async def login_links(self, external_ids: Iterable[str]) -> dict[str, str]:
        """``external_id -> login link`` for each one found (both tokens URL-encoded)."""
        tokens = await self.auth_tokens(external_ids)
        return {t.external_id: t.login_link for t in tokens.found}
