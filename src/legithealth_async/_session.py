"""What resources stand on: a frozen session (the sender, the options) and raw answers.

A resource holds a :class:`Session` and nothing else of the client. ``with_options`` makes a new
session over the same sender (connections, in-flight limit, lifetime).
"""

from __future__ import annotations

import contextvars
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar

import httpx

from . import _observe
from ._answer import Answer, Result
from ._exactly_once import create_once
from ._options import Extras, RequestOptions
from ._send import Attempts, send
from ._sender import Sender
from ._wire import Call
from .errors import UnexpectedResponseError

T = TypeVar("T")
L = TypeVar("L")
P = ParamSpec("P")


@dataclass(frozen=True, slots=True)
class Find(Generic[L, T]):
    """How to find what a create may have made: a read, and what to pick from its answer."""

    lookup: Call[L]
    pick: Callable[[L], T | None]
    what: str
    """Named in the error when a 409 is answered yet nothing is found (e.g. ``patient``)."""


@dataclass(frozen=True, slots=True)
class Session:
    """The sender and the options of one client view (``with_options`` makes another)."""

    sender: Sender
    options: RequestOptions

    def __repr__(self) -> str:
        return f"<Session {self.sender!r}>"

    async def call(
        self,
        call: Call[T],
        *,
        find: Find[Any, T] | None = None,
        extras: Extras | None = None,
    ) -> T:
        """Send ``call``: retried if idempotent, else made at most once (found by ``find``)."""
        observer = _observe.observer
        if observer is None:
            return await self._call(call, find, extras)
        method = call.spec["method"].upper()
        with observer.call(call.name, method, call.path, self.sender.base_url) as scope:
            token = _observe.current_call.set(scope)
            try:
                return await self._call(call, find, extras)
            finally:
                _observe.current_call.reset(token)

    async def _call(self, call: Call[T], find: Find[Any, T] | None, extras: Extras | None) -> T:
        attempts = Attempts(self.options)
        if call.idempotent:
            result = await self._send(call, attempts, extras)
        else:
            result = await create_once(
                call.name,
                lambda: self._send(call, attempts, extras),
                lookup=None if find is None else lambda: self._reconcile(find, attempts),
                on_conflict=None if find is None else lambda: self._existing(call, find, attempts),
                attempts=attempts,
            )
        capture = _CAPTURE.get()
        if capture is not None:
            capture.append(result.answer)
        return result.value

    async def _send(self, call: Call[T], attempts: Attempts, extras: Extras | None) -> Result[T]:
        return await send(self.sender, call, self.options, attempts, extras)

    async def _reconcile(self, find: Find[L, T], attempts: Attempts) -> Result[T] | None:
        """``_find`` for a create whose outcome is unknown (a span of its own when observed)."""
        observed = None if _observe.observer is None else _observe.current_call.get()
        if observed is None:
            return await self._find(find, attempts)
        with observed.reconciling():
            return await self._find(find, attempts)

    async def _find(self, find: Find[L, T], attempts: Attempts) -> Result[T] | None:
        found = await self._send(find.lookup, attempts, None)
        value = find.pick(found.value)
        return None if value is None else Result(value, found.answer)

    async def _existing(self, call: Call[T], find: Find[L, T], attempts: Attempts) -> Result[T]:
        found = await self._find(find, attempts)
        if found is None:  # 409 yet absent: the contract is broken; say so, do not guess
            raise UnexpectedResponseError(
                call.name, 409, f"conflict reported, but no such {find.what} found"
            )
        return found


# ------------------------------------------------------------------------------ raw answers

_CAPTURE: contextvars.ContextVar[list[Answer] | None] = contextvars.ContextVar(
    "legithealth_raw_capture", default=None
)


class RawResponse(Generic[T]):
    """The HTTP answer behind a call's value: ``status_code``, ``headers``, ``request_id``.

    ``parse()`` gives the value the call returns. For a create resolved by a lookup (after an
    ambiguous failure) it is the lookup's answer. Its repr shows no header value and no body.
    """

    __slots__ = ("_answer", "_value")

    def __init__(self, answer: Answer, value: T) -> None:
        self._answer = answer
        self._value = value

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self._answer.status_code

    @property
    def headers(self) -> httpx.Headers:
        """The answer's headers (may carry ids: do not log them whole)."""
        return self._answer.headers

    @property
    def request_id(self) -> str | None:
        """The server's request id, if it sent one."""
        return self._answer.request_id

    @property
    def content(self) -> bytes:
        """The decoded body (patient data: never log it)."""
        return self._answer.content

    @property
    def method(self) -> str:
        """The HTTP method."""
        return self._answer.method

    def parse(self) -> T:
        """The parsed value (what the call without ``with_raw_response`` returns)."""
        return self._value

    def __repr__(self) -> str:
        a = self._answer
        return f"<RawResponse {a.method} {a.path} -> {a.status_code}>"


def raw(method: Callable[P, Awaitable[T]]) -> Callable[P, Awaitable[RawResponse[T]]]:
    """``method`` returning the raw answer behind its value (its last HTTP answer)."""

    async def wrapped(*args: P.args, **kwargs: P.kwargs) -> RawResponse[T]:
        answers: list[Answer] = []
        token = _CAPTURE.set(answers)
        try:
            value = await method(*args, **kwargs)
        finally:
            _CAPTURE.reset(token)
        return RawResponse(answers[-1], value)

    wrapped.__doc__ = method.__doc__
    return wrapped


def extras_of(
    extra_headers: Mapping[str, str] | None,
    extra_query: Mapping[str, Any] | None,
    extra_body: Mapping[str, Any] | None,
) -> Extras | None:
    """The per-call extras, or None when there are none."""
    if not (extra_headers or extra_query or extra_body):
        return None
    return Extras(headers=extra_headers, query=extra_query, body=extra_body)
