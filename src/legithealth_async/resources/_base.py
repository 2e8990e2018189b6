"""What every resource shares: the way into the one request path, and token lookups."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from .. import _validation as check
from .._wire import Operation
from ..models import AuthToken
from ..pagination import Lookup, chunk_ids, in_order, unique

if TYPE_CHECKING:
    from ..client import LegitHealth

T = TypeVar("T")


class Resource:
    """A group of operations bound to one client (and its options)."""

    __slots__ = ("_client",)

    def __init__(self, client: LegitHealth) -> None:
        self._client = client

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _call(self, op: Operation[T], *args: Any, **kwargs: Any) -> T:
        client = self._client
        return await client._requester.call(op, *args, options=client._options, **kwargs)


class TokenResource(Resource):
    """A resource whose people log in with tokens (patients, practitioners)."""

    __slots__ = ()
    _tokens_op: ClassVar[Operation[list[AuthToken]]]

    def _tokens_body(self, external_ids: list[str], send_link_by_email: bool) -> Any:
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
        op, body = self._tokens_op, self._tokens_body

        async def fetch(chunk: list[str]) -> list[AuthToken]:
            return await self._call(
                op, body=body(chunk, send_link_by_email), idempotent=not send_link_by_email
            )

        found: list[AuthToken] = []
        missing: list[str] = []
        chunks = chunk_ids(ids, max_query_bytes=None)
        async for chunk, tokens in in_order(chunks, fetch, window=self._client.max_in_flight):
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
