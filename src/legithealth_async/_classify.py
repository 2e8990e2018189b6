"""What one attempt's outcome means: a parsed :class:`Result`, or a :class:`Failure` with its
retry rules, the typed error mapped from the answer or from the transport's exception."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, TypeVar

import httpx

from ._answer import Answer, Result
from ._generated.types import ParseError
from ._privacy import redact_message, sent_values
from ._retry import RetryPolicy, is_retryable_status, was_sent
from ._wire import Call
from .errors import (
    APIConnectionError,
    APIStatusError,
    APITimeoutError,
    LegitHealthError,
    UnexpectedResponseError,
    status_error_class,
)

T = TypeVar("T")

#: Statuses the contract describes; anything else is an unexpected response.
_CONTRACT_ERROR_STATUSES = frozenset({400, 401, 403, 404, 409, 422, 429, 500, 502, 503, 504})


@dataclass(frozen=True, slots=True)
class Failure:
    """A failed attempt, classified."""

    error: LegitHealthError
    ambiguous: bool  # the request may have taken effect
    retryable: bool
    delay: float | None = None


def failure_of(call: Call[Any], exc: Exception) -> Failure:
    """What a transport's exception means (``TimeoutError``: the attempt's deadline fired;
    ``httpx.TransportError``; ``UnexpectedResponseError``: over the size bound, or an unknown
    encoding)."""
    if isinstance(exc, UnexpectedResponseError):
        return Failure(exc, ambiguous=True, retryable=False)
    if isinstance(exc, httpx.TransportError):
        cls = APITimeoutError if isinstance(exc, httpx.TimeoutException) else APIConnectionError
        error: LegitHealthError = cls(call.name, type(exc).__name__)
        error.__cause__ = exc
        return Failure(error, ambiguous=was_sent(exc), retryable=True)
    error = APITimeoutError(call.name, "AttemptDeadline")
    error.__cause__ = exc
    return Failure(error, ambiguous=True, retryable=True)


def classify(call: Call[T], answer: Answer, policy: RetryPolicy, token: str) -> Result[T] | Failure:
    """What one answer means: a parsed value, or a failure with its retry rules."""
    status = answer.status_code
    if status == call.success or (call.success is None and 200 <= status < 300):
        return _parsed(call, answer)
    if status not in _CONTRACT_ERROR_STATUSES:
        unexpected = UnexpectedResponseError(
            call.name, status, "status outside the contract", answer.request_id
        )
        return Failure(unexpected, ambiguous=status >= 500, retryable=False)
    delay = policy.retry_after(answer.headers)
    error = status_error(call, answer, delay, token)
    return Failure(
        error,
        ambiguous=status >= 500,
        retryable=is_retryable_status(status, call.idempotent),
        delay=delay,
    )


def _parsed(call: Call[T], answer: Answer) -> Result[T] | Failure:
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
    return Failure(error, ambiguous=True, retryable=False)


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
