"""The request path: every operation goes through :meth:`Requester.call`.

build (generated ``_get_kwargs``) → limit (in-flight cap) → send → read (bounded) → parse →
map errors → retry with backoff, reconciling creates after ambiguous failures → log (allow-list).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

import anyio
import httpx

from . import _constants as C
from ._logs import our_exchange
from ._privacy import redact_message, sent_values, shown_code
from ._retry import RetryPolicy, is_retryable_status, was_sent
from ._wire import Operation
from .errors import (
    AmbiguousOutcomeError,
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    LegitHealthError,
    UnexpectedResponseError,
    status_error_class,
)

T = TypeVar("T")

logger = logging.getLogger(C.LOGGER_NAME)

#: Statuses the contract describes; anything else is an unexpected response.
_CONTRACT_ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504})


def _default_sleep(seconds: float) -> Awaitable[None]:
    return anyio.sleep(seconds)


class Pacer(Protocol):
    """Spaces the attempts sent through a client view (e.g. the sync's ``RatePacer``)."""

    async def acquire(self) -> float:
        """Wait until this attempt may be sent; returns a ticket for :meth:`answered`."""
        ...

    def answered(self, ticket: float, throttled: bool) -> None:
        """The attempt sent with ``ticket`` was answered (``throttled``: with a 429)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class RequestOptions:
    """Per-client (or per ``with_options``) settings of the request path."""

    timeout: httpx.Timeout = field(default_factory=lambda: C.DEFAULT_TIMEOUT)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], Awaitable[None]] = field(default=_default_sleep, repr=False)
    pacer: Pacer | None = field(default=None, repr=False)


Reconcile = Callable[[], Awaitable[T | None]]
"""After an ambiguous failure of a create: the resource if the first attempt made it, else None."""


class Requester:
    """Owns the HTTP client, the token and the in-flight limit; sends every request."""

    __slots__ = (
        "_base",
        "_closed",
        "_headers",
        "_http",
        "_limiter",
        "_loop",
        "_owns_http",
        "_token",
    )

    def __init__(
        self,
        *,
        http: httpx.AsyncClient,
        owns_http: bool,
        base_url: str,
        token: str,
        max_in_flight: int,
    ) -> None:
        self._http = http
        self._owns_http = owns_http
        self._token = token
        # A semaphore with fast_acquire: a free slot costs no extra trip through the event loop
        # (a CapacityLimiter always yields once; measured at ~26 µs a call in `make bench`).
        self._limiter = anyio.Semaphore(max_in_flight, fast_acquire=True)
        self._closed = False
        self._loop: object = None
        # Requests are built here rather than by ``AsyncClient.build_request``, which merges
        # cookies, params and headers anew on every call (~20 µs of a ~130 µs call): the
        # client's headers are taken once, the token added, and paths joined to the base URL.
        self._base = base_url.rstrip("/")
        self._headers = httpx.Headers(http.headers)
        self._headers[C.API_TOKEN_HEADER] = token

    def __repr__(self) -> str:
        return f"<Requester base_url={self._base!r} closed={self._closed}>"

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    @property
    def base_url(self) -> str:
        """The base URL every path is joined to."""
        return self._base

    async def aclose(self) -> None:
        """Close the HTTP client (if this client made it). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    async def call(
        self,
        op: Operation[T],
        *args: Any,
        options: RequestOptions,
        idempotent: bool | None = None,
        reconcile: Reconcile[T] | None = None,
        on_conflict: Callable[[], Awaitable[T]] | None = None,
        **kwargs: Any,
    ) -> T:
        """Send one operation, with retries, and return its parsed answer.

        ``idempotent`` overrides the operation's own flag (e.g. tokens sent by email are not).
        For a non-idempotent operation, an ambiguous failure (the request may have arrived)
        calls ``reconcile``: what it finds is returned; None proves nothing was made, and the
        request is retried; with no ``reconcile``, :class:`AmbiguousOutcomeError` is raised.
        A 409 on a retry after such a failure is resolved by ``on_conflict``.
        """
        if self._closed:
            raise ClientClosedError("this LegitHealth client is closed; create a new one")
        self._check_loop()
        safe = op.idempotent if idempotent is None else idempotent
        policy = options.retry
        spec = op.build(*args, **kwargs)
        request = httpx.Request(
            spec["method"],
            self._base + _keep_dot_segments(spec["url"]),
            params=spec.get("params"),
            json=spec.get("json"),
            headers=self._headers,
            extensions={"timeout": options.timeout.as_dict()},
        )
        attempt = 0
        maybe_made = False  # an earlier attempt of this create may have taken effect
        while True:
            attempt += 1
            retries_left = attempt <= policy.max_retries
            ticket = 0.0 if options.pacer is None else await options.pacer.acquire()
            started = time.perf_counter()
            try:
                response, body = await self._send(op, request)
            except httpx.TransportError as exc:
                _log_attempt(op, request, type(exc).__name__, started, attempt, None)
                error_cls = (
                    APITimeoutError
                    if isinstance(exc, httpx.TimeoutException)
                    else APIConnectionError
                )
                reason = type(exc).__name__
                if was_sent(exc) and not safe:
                    if reconcile is None:
                        raise AmbiguousOutcomeError(op.name, reason) from exc
                    found = await self._reconcile(op, reconcile, reason)
                    if found is not None:
                        return found
                    maybe_made = True
                if not retries_left:  # (for a create: the lookup proved nothing was made)
                    raise error_cls(op.name, reason) from exc
                await options.sleep(policy.backoff(attempt))
                continue

            status = response.status_code
            if options.pacer is not None:
                options.pacer.answered(ticket, status == 429)
            if status == op.success:
                if logger.isEnabledFor(logging.DEBUG):
                    _log_attempt(op, request, status, started, attempt, _request_id(response))
                try:
                    return op.parse(json.loads(body))
                except (ValueError, TypeError, KeyError, AttributeError) as exc:
                    unreadable = UnexpectedResponseError(
                        op.name, status, _parse_failure(exc), _request_id(response)
                    )
                # The create succeeded but its answer is unreadable: fetch what it made.
                return await self._recover(op, safe, reconcile, unreadable)
            request_id = _request_id(response)
            _log_attempt(op, request, status, started, attempt, request_id)

            if status not in _CONTRACT_ERROR_STATUSES:
                unexpected = UnexpectedResponseError(
                    op.name, status, "status outside the contract", request_id
                )
                if status < 500:
                    raise unexpected
                return await self._recover(op, safe, reconcile, unexpected)
            delay = policy.retry_after(response.headers)
            error = _status_error(op, status, body, request_id, delay, spec, self._token)
            if status == 409 and maybe_made and on_conflict is not None:
                return await on_conflict()
            if not is_retryable_status(status, safe) or not retries_left:
                if status >= 500:
                    return await self._recover(op, safe, reconcile, error)
                raise error
            if delay is not None and delay > policy.retry_after_cap:
                raise error
            if not safe and status != 429:
                # A 5xx on a create: the server may have applied it before failing.
                if reconcile is None:
                    raise AmbiguousOutcomeError(op.name, f"HTTP {status}") from error
                found = await self._reconcile(op, reconcile, f"HTTP {status}")
                if found is not None:
                    return found
                maybe_made = True
            await options.sleep(delay if delay is not None else policy.backoff(attempt))

    def _check_loop(self) -> None:
        """Connections and limits belong to the event loop of the first call: refuse another."""
        try:
            loop: object = asyncio.get_running_loop()
        except RuntimeError:  # not asyncio (e.g. trio): nothing to compare
            return
        if self._loop is None:
            self._loop = loop
        elif loop is not self._loop:
            raise ConfigurationError(
                "this LegitHealth client was first used on another event loop (its connections "
                "belong to that loop): create one client per event loop"
            )

    async def _recover(
        self,
        op: Operation[T],
        safe: bool,
        reconcile: Reconcile[T] | None,
        error: LegitHealthError,
    ) -> T:
        """After a final failure that may hide an applied create: what it made, else ``error``."""
        if not safe and reconcile is not None:
            found = await self._reconcile(op, reconcile, type(error).__name__)
            if found is not None:
                return found
        raise error

    async def _reconcile(self, op: Operation[T], reconcile: Reconcile[T], reason: str) -> T | None:
        try:
            return await reconcile()
        except LegitHealthError as exc:
            raise AmbiguousOutcomeError(op.name, f"{reason}, and the lookup failed") from exc

    async def _send(
        self, op: Operation[Any], request: httpx.Request
    ) -> tuple[httpx.Response, bytes]:
        async with self._limiter:
            with our_exchange():  # httpcore's trace lines of this exchange lose their values
                response = await self._http.send(request, stream=True, follow_redirects=False)
                try:
                    body = await _read_bounded(op, response)
                finally:
                    await response.aclose()
        return response, body


def _keep_dot_segments(url: str) -> str:
    """Percent-encode a path segment that is only dots (an external id of ``.`` or ``..``).

    The generated code quotes path parameters, but a dot is unreserved, so ``/patients/..``
    would be resolved away by URL normalisation and address another resource.
    """
    if "/." not in url:
        return url
    return "/".join(
        "%2E" * len(seg) if seg and seg.strip(".") == "" else seg for seg in url.split("/")
    )


async def _read_bounded(op: Operation[Any], response: httpx.Response) -> bytes:
    declared = response.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > C.MAX_RESPONSE_BYTES:
        raise UnexpectedResponseError(
            op.name, response.status_code, f"body over {C.MAX_RESPONSE_BYTES} bytes"
        )
    chunks: list[bytes] = []
    total = 0
    async for chunk in response.aiter_bytes():
        total += len(chunk)
        if total > C.MAX_RESPONSE_BYTES:
            raise UnexpectedResponseError(
                op.name, response.status_code, f"body over {C.MAX_RESPONSE_BYTES} bytes"
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _request_id(response: httpx.Response) -> str | None:
    for name in C.REQUEST_ID_HEADERS:
        value: str | None = response.headers.get(name)
        if value:
            return shown_code(value)  # also logged: only what looks like an id
    return None


def _parse_failure(exc: Exception) -> str:
    # Never the exception's text: it can quote a value (a birth date, a name).
    if isinstance(exc, KeyError):
        return f"required field {exc.args[0]!r} missing" if exc.args else "required field missing"
    if isinstance(exc, json.JSONDecodeError):
        return "body is not JSON"
    return f"body does not match the contract ({type(exc).__name__})"


def _status_error(
    op: Operation[Any],
    status: int,
    body: bytes,
    request_id: str | None,
    retry_after: float | None,
    spec: Mapping[str, Any],
    token: str,
) -> APIStatusError:
    error_code: str | None = None
    message: str | None = None
    try:
        payload = json.loads(body)
    except ValueError:
        message = "error body is not JSON" if body else "empty error body"
    else:
        if isinstance(payload, dict):
            code = payload.get("errorCode")
            text = payload.get("message")
            error_code = code[:64] if isinstance(code, str) else None
            if isinstance(text, str):
                # The token too: it was sent (as a header), and a server may echo it.
                message = redact_message(text, sent_values(spec) | {token})
        else:
            message = "error body is not the documented object"
    cls = status_error_class(status, error_code)
    return cls(
        op.name,
        status,
        error_code=error_code,
        message=message,
        request_id=request_id,
        retry_after=retry_after,
    )


def _log_attempt(
    op: Operation[Any],
    request: httpx.Request,
    outcome: int | str,
    started: float,
    attempt: int,
    request_id: str | None,
) -> None:
    # Allow-list: method, path template, status, time, attempt, request id. Never a URL (it
    # carries external ids), a header, or a body.
    if logger.isEnabledFor(logging.DEBUG):
        logger.debug(
            "%s %s %s -> %s in %.1f ms (attempt %d, request id %s)",
            op.name,
            request.method,
            op.path,
            outcome,
            (time.perf_counter() - started) * 1000.0,
            attempt,
            request_id or "-",
        )
