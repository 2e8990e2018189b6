"""The lower layer of the request path: one call, sent with retries.

build → limit (in-flight cap) → send → read (bounded, under a total deadline) → classify → back
off. It never calls back into resources. Every outcome of a non-idempotent call that may hide an
applied effect (sent but unanswered, a 5xx, an unreadable or contradicting 2xx) becomes one
signal, :class:`MaybeApplied`, which the exactly-once layer (``_exactly_once.py``) resolves.
"""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, Protocol, TypeVar

import anyio
import httpx

from . import _constants as C
from . import _observe
from ._body import Reply
from ._exchange import Exchanger, Outgoing, encode_json, encode_query
from ._generated.types import ParseError
from ._privacy import redact_message, sent_values, shown_code
from ._retry import RetryPolicy, is_retryable_status, was_sent
from ._wire import Call
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    ClientClosedError,
    ConfigurationError,
    LegitHealthError,
    UnexpectedResponseError,
    ValidationError,
    status_error_class,
)

T = TypeVar("T")

logger = logging.getLogger(C.LOGGER_NAME)

_WITH_REQUEST_ID = (APIStatusError, UnexpectedResponseError)

_JSON = ("Content-Type", "application/json")
#: RFC 9110 field names (tokens) and values (visible ASCII, spaces and tabs inside).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?|")

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
    """Per-client (or per ``with_options``) settings of the request path.

    ``attempt_deadline`` bounds one attempt end to end (sending, waiting, reading the whole
    answer); None derives it from ``timeout`` (see :meth:`deadline`). ``max_response_bytes``
    bounds an answer's size after decompression.
    """

    timeout: httpx.Timeout = field(default_factory=lambda: C.DEFAULT_TIMEOUT)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    sleep: Callable[[float], Awaitable[None]] = field(default=_default_sleep, repr=False)
    attempt_deadline: float | None = None
    max_response_bytes: int = C.MAX_RESPONSE_BYTES
    pacer: Pacer | None = field(default=None, repr=False)

    def deadline(self) -> float:
        """Seconds one attempt may take in all: given, or connect + write + k x read."""
        if self.attempt_deadline is not None:
            return self.attempt_deadline
        t = self.timeout
        return (t.connect or 0.0) + (t.write or 0.0) + C.ATTEMPT_DEADLINE_READS * (t.read or 0.0)


@dataclass(frozen=True, slots=True, kw_only=True)
class Extras:
    """Per-call additions: headers, query parameters, top-level JSON body fields."""

    headers: Mapping[str, str] | None = None
    query: Mapping[str, Any] | None = None
    body: Mapping[str, Any] | None = None


class Answer:
    """One HTTP answer, read whole. Its repr shows no header value and no body."""

    __slots__ = ("_headers", "_reply", "method", "path", "request_id")

    def __init__(self, method: str, path: str, reply: Reply) -> None:
        self.method = method
        self.path = path
        self._reply = reply
        self._headers: httpx.Headers | None = None
        self.request_id = _request_id(reply.headers)

    @property
    def status_code(self) -> int:
        """The HTTP status."""
        return self._reply.status

    @property
    def content(self) -> bytes:
        """The decoded body."""
        return self._reply.content

    @property
    def headers(self) -> httpx.Headers:
        """The answer's headers (made on first use: most answers never need them)."""
        if self._headers is None:
            given = self._reply.headers
            raw = self._reply.raw_headers
            self._headers = given if isinstance(given, httpx.Headers) else httpx.Headers(raw)
        return self._headers

    def __repr__(self) -> str:
        return f"<Answer {self.method} {self.path} -> {self.status_code}>"


@dataclass(frozen=True, slots=True)
class Result(Generic[T]):
    """A call's parsed value and the answer it came from."""

    value: T
    answer: Answer


class MaybeApplied(Exception):
    """A non-idempotent request may have taken effect; ``error`` is what was seen.

    ``retryable``: a retry is allowed once a lookup proves nothing was made; ``delay`` is the
    server's Retry-After, if any.
    """

    def __init__(self, error: LegitHealthError, *, retryable: bool, delay: float | None) -> None:
        super().__init__(type(error).__name__)
        self.error = error
        self.retryable = retryable
        self.delay = delay

    @property
    def reason(self) -> str:
        """A short, PHI-free name of what happened (``HTTP 503``, ``ReadTimeout``)."""
        error = self.error
        if isinstance(error, APIStatusError | UnexpectedResponseError):
            return f"HTTP {error.status_code}"
        if isinstance(error, APIConnectionError):
            return error.reason
        return type(error).__name__


class Attempts:
    """The retry budget of one call, shared by every layer that sends for it.

    A create and the lookups that reconcile it draw on the same ``max_retries``: one call never
    makes more than ``2 x (1 + max_retries)`` requests (each lookup's first attempt is free).
    """

    __slots__ = ("_policy", "_sleep", "used")

    def __init__(self, options: RequestOptions) -> None:
        self._policy = options.retry
        self._sleep = options.sleep
        self.used = 0

    async def wait(self, delay: float | None) -> bool:
        """Take one retry and wait before it; False (no wait) when none may be taken.

        None is left, or the server asked for longer than the cap (the error carries the delay).
        """
        policy = self._policy
        if self.used >= policy.max_retries:
            return False
        if delay is not None and delay > policy.retry_after_cap:
            return False
        self.used += 1
        await self._sleep(delay if delay is not None else policy.backoff(self.used))
        return True


@dataclass(frozen=True, slots=True)
class _Failure:
    """A failed attempt, classified."""

    error: LegitHealthError
    ambiguous: bool  # the request may have taken effect
    retryable: bool
    delay: float | None = None


class Sender:
    """Owns the HTTP client, the token and the in-flight limit; sends every request."""

    __slots__ = (
        "_base",
        "_closed",
        "_exchanger",
        "_headers",
        "_http",
        "_limiter",
        "_loop",
        "_max",
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
        self._exchanger = Exchanger(http, direct=owns_http)
        # A semaphore with fast_acquire: a free slot costs no extra trip through the event loop
        # (a CapacityLimiter always yields once; measured at ~26 µs a call in `make bench`).
        self._limiter = anyio.Semaphore(max_in_flight, fast_acquire=True)
        self._max = max_in_flight
        self._closed = False
        self._loop: object = None
        # Requests are built here, not by httpx: the client's headers taken once with the token
        # added, paths joined to the base URL, queries and JSON bodies encoded as httpx would.
        self._base = base_url.rstrip("/")
        headers = httpx.Headers(http.headers)
        # Only the encodings read_bounded can inflate under its bound.
        headers["Accept-Encoding"] = "gzip, deflate"
        headers[C.API_TOKEN_HEADER] = token
        self._headers: tuple[tuple[str, str], ...] = tuple(headers.multi_items())
        self._token = token

    def __repr__(self) -> str:
        return f"<Sender base_url={self._base!r} closed={self._closed}>"

    @property
    def closed(self) -> bool:
        """Whether :meth:`aclose` was called."""
        return self._closed

    @property
    def base_url(self) -> str:
        """The base URL every path is joined to."""
        return self._base

    @property
    def token(self) -> str:
        """The API token (for redaction of server messages; never shown)."""
        return self._token

    @property
    def max_in_flight(self) -> int:
        """The most requests in flight at once."""
        return self._max

    @property
    def in_flight(self) -> int:
        """Requests in flight now."""
        return self._max - self._limiter.value

    async def aclose(self) -> None:
        """Close the HTTP client (if this client made it). Idempotent."""
        if self._closed:
            return
        self._closed = True
        if self._owns_http:
            await self._http.aclose()

    def check_usable(self) -> None:
        """Refuse a closed client, and a call from another event loop than the first one's."""
        if self._closed:
            raise ClientClosedError("this LegitHealth client is closed; create a new one")
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

    def build(self, call: Call[Any], extras: Extras | None) -> Outgoing:
        """The HTTP request of ``call``, with the per-call extras."""
        spec = call.spec
        headers, params, body = self._headers, spec.get("params"), spec.get("json")
        if extras is not None:
            headers, params, body = _with_extras(headers, params, body, extras)
        url = self._base + _keep_dot_segments(spec["url"])
        if params:
            url += "?" + encode_query(params)
        content = None
        if body is not None:
            content = encode_json(body)
            headers = (*headers, _JSON)
        return Outgoing(spec["method"].upper(), url, headers, content)

    async def exchange(self, call: Call[Any], out: Outgoing, options: RequestOptions) -> Answer:
        """One attempt: wait for a slot, then send and read the whole answer under the deadline.

        Raises ``httpx.TransportError``, or ``TimeoutError`` when the deadline fired.
        """
        async with self._limiter:
            reply = await self._exchanger.exchange(
                out, options.timeout, options.max_response_bytes, call.name, options.deadline()
            )
        return Answer(out.method, call.path, reply)


async def send(
    sender: Sender,
    call: Call[T],
    options: RequestOptions,
    attempts: Attempts,
    extras: Extras | None = None,
) -> Result[T]:
    """Send ``call`` until it succeeds, fails for good, or (non-idempotent) may have applied.

    Raises the typed error of the last attempt, or :class:`MaybeApplied` for a non-idempotent
    call whose outcome is unknown (never retried here: only a lookup can make that safe).
    """
    sender.check_usable()
    request = sender.build(call, extras)
    observed = None if _observe.observer is None else _observe.current_call.get()
    if observed is not None and (propagated := observed.headers()):
        request = dataclasses.replace(request, headers=(*request.headers, *propagated))
    attempt = 0
    while True:
        attempt += 1
        started = time.perf_counter()
        outcome = await _attempt(sender, call, request, options)
        if isinstance(outcome, Result):
            answer = outcome.answer
            _log_attempt(call, request, answer.status_code, started, attempt, answer.request_id)
            if observed is not None:
                _observe_attempt(
                    observed, call, request, started, answer.status_code, None, answer.request_id
                )
            return outcome
        error = outcome.error
        rid = error.request_id if isinstance(error, _WITH_REQUEST_ID) else None
        _log_attempt(call, request, _outcome_name(error), started, attempt, rid)
        if observed is not None:
            status = error.status_code if isinstance(error, _WITH_REQUEST_ID) else None
            _observe_attempt(observed, call, request, started, status, _error_type(error), rid)
        if outcome.ambiguous and not call.idempotent:
            raise MaybeApplied(outcome.error, retryable=outcome.retryable, delay=outcome.delay)
        if not (outcome.retryable and await attempts.wait(outcome.delay)):
            raise outcome.error


async def _attempt(
    sender: Sender, call: Call[T], request: Outgoing, options: RequestOptions
) -> Result[T] | _Failure:
    pacer = options.pacer
    ticket = 0.0 if pacer is None else await pacer.acquire()
    try:
        answer = await sender.exchange(call, request, options)
    except TimeoutError as exc:  # the attempt's total deadline
        error: LegitHealthError = APITimeoutError(call.name, "AttemptDeadline")
        error.__cause__ = exc
        return _Failure(error, ambiguous=True, retryable=True)
    except httpx.TransportError as exc:
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        error = cls(call.name, type(exc).__name__)
        error.__cause__ = exc
        return _Failure(error, ambiguous=was_sent(exc), retryable=True)
    except UnexpectedResponseError as exc:  # over the size bound, or an unknown encoding
        return _Failure(exc, ambiguous=True, retryable=False)
    if pacer is not None:
        pacer.answered(ticket, answer.status_code == 429)
    return classify(call, answer, options.retry, sender.token)


def classify(
    call: Call[T], answer: Answer, policy: RetryPolicy, token: str
) -> Result[T] | _Failure:
    """What one answer means: a parsed value, or a failure with its retry rules."""
    status = answer.status_code
    if status == call.success or (call.success is None and 200 <= status < 300):
        return _parsed(call, answer)
    if status not in _CONTRACT_ERROR_STATUSES:
        unexpected = UnexpectedResponseError(
            call.name, status, "status outside the contract", answer.request_id
        )
        return _Failure(unexpected, ambiguous=status >= 500, retryable=False)
    delay = policy.retry_after(answer.headers)
    error = status_error(call, answer, delay, token)
    return _Failure(
        error,
        ambiguous=status >= 500,
        retryable=is_retryable_status(status, call.idempotent),
        delay=delay,
    )


def _parsed(call: Call[T], answer: Answer) -> Result[T] | _Failure:
    try:
        value = call.parse(json.loads(answer.content))
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        reason = _parse_failure(exc)
    else:
        differs = call.check(value) if call.check is not None else None
        if differs is None:
            return Result(value, answer)
        reason = f"the answer is about another resource ({differs} differs from the request)"
    error = UnexpectedResponseError(call.name, answer.status_code, reason, answer.request_id)
    # A create answered unreadably may still have made something: ambiguous, never retried blind.
    return _Failure(error, ambiguous=True, retryable=False)


def _with_extras(
    headers: tuple[tuple[str, str], ...], params: Any, body: Any, extras: Extras
) -> tuple[tuple[tuple[str, str], ...], Any, Any]:
    if extras.headers:
        given = {_checked_header(name, value): value for name, value in extras.headers.items()}
        replaced = {name.lower() for name in given}
        headers = (*((k, v) for k, v in headers if k.lower() not in replaced), *given.items())
    if extras.query:
        params = {**(params or {}), **extras.query}
    if extras.body:
        if body is not None and not isinstance(body, dict):
            raise ValidationError("extra_body", "this operation's body is not a JSON object")
        body = {**(body or {}), **extras.body}
    return headers, params, body


def _checked_header(name: object, value: object) -> str:
    """``name``, once it and its value are a header that can be sent (never quoting them)."""
    if not isinstance(name, str) or not _HEADER_NAME.fullmatch(name):
        raise ValidationError("extra_headers", "a header name is not an HTTP token")
    if name.lower() == C.API_TOKEN_HEADER.lower():
        raise ValidationError("extra_headers", f"{C.API_TOKEN_HEADER} is set by the client")
    if not isinstance(value, str) or not _HEADER_VALUE.fullmatch(value):
        raise ValidationError(
            "extra_headers", f"the value of {name} is not a string of visible ASCII and spaces"
        )
    return name


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


def _request_id(headers: Mapping[str, str]) -> str | None:
    for name in C.REQUEST_ID_HEADERS:
        value = headers.get(name)
        if value:
            return shown_code(value)  # also logged: only what looks like an id
    return None


def _parse_failure(exc: Exception) -> str:
    # Never the exception's text: it can quote a value (a birth date, a name).
    if isinstance(exc, KeyError):
        return f"required field {exc.args[0]!r} missing" if exc.args else "required field missing"
    if isinstance(exc, json.JSONDecodeError | UnicodeDecodeError):
        return "body is not JSON"
    if isinstance(exc, ParseError):  # names the field (a path of spec names), never the value
        return f"body does not match the contract at {exc.where or 'the top level'}: {exc.reason}"
    return f"body does not match the contract ({type(exc).__name__})"


def status_error(
    call: Call[Any], answer: Answer, retry_after: float | None, token: str
) -> APIStatusError:
    """The typed error of an error answer; the server's message redacted of what we sent."""
    error_code: str | None = None
    message: str | None = None
    body = answer.content
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
                message = redact_message(text, sent_values(call.spec) | {token})
        else:
            message = "error body is not the documented object"
    cls = status_error_class(answer.status_code, error_code)
    return cls(
        call.name,
        answer.status_code,
        error_code=error_code,
        message=message,
        request_id=answer.request_id,
        retry_after=retry_after,
    )


def _outcome_name(error: LegitHealthError) -> int | str:
    if isinstance(error, APIStatusError | UnexpectedResponseError):
        return error.status_code
    if isinstance(error, APIConnectionError):
        return error.reason
    return type(error).__name__


def _log_attempt(
    call: Call[Any],
    request: Outgoing,
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
            call.name,
            request.method,
            call.path,
            outcome,
            (time.perf_counter() - started) * 1000.0,
            attempt,
            request_id or "-",
        )


def _error_type(error: LegitHealthError) -> str:
    """``error.type`` of a failed attempt: the status, or the transport error's class name."""
    if isinstance(error, APIStatusError):
        return str(error.status_code)
    if isinstance(error, APIConnectionError):
        return error.reason
    return type(error).__name__


def _observe_attempt(
    observed: _observe.CallScope,
    call: Call[Any],
    request: Outgoing,
    started: float,
    status: int | None,
    error_type: str | None,
    request_id: str | None,
) -> None:
    observed.attempt(
        call.name,
        request.method,
        call.path,
        started=started,
        ended=time.perf_counter(),
        status=status,
        error_type=error_type,
        request_id=request_id,
    )
