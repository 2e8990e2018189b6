"""The error tree. Every exception the client raises is a :class:`LegitHealthError`.

No message or ``repr`` carries a token, a name, an email, a phone number, a birth date or an
external id: errors name the operation, the field and the status, never the value. A server's
``errorCode`` and request id are kept (and shown) only if they look like a code or an id
(``[A-Za-z0-9._:-]{1,64}``; a request id also needs letters and digits, and no long run of
digits unless it is hex: see ``_privacy.shown_request_id``); anything else is dropped where the
error is built.
"""

from __future__ import annotations

from collections.abc import Mapping

from ._privacy import shown_code, shown_request_id

__all__ = [
    "APIConnectionError",
    "APIStatusError",
    "APITimeoutError",
    "ActiveEpisodeExistsError",
    "AmbiguousOutcomeError",
    "AuthenticationError",
    "BadRequestError",
    "ClientClosedError",
    "ConfigurationError",
    "ConflictError",
    "InternalServerError",
    "LegitHealthError",
    "NotFoundError",
    "PatientAlreadyExistsError",
    "PermissionDeniedError",
    "PractitionerAlreadyExistsError",
    "RateLimitError",
    "UnexpectedResponseError",
    "UnprocessableEntityError",
    "ValidationError",
]


class LegitHealthError(Exception):
    """Base of every error this library raises."""

    def __repr__(self) -> str:
        return f"{type(self).__name__}({str(self)!r})"


class ConfigurationError(LegitHealthError):
    """The client was configured wrongly (no token, an insecure base URL, ...)."""


class ClientClosedError(LegitHealthError):
    """The client was used after ``aclose()`` / leaving ``async with``."""


class ValidationError(LegitHealthError, ValueError):
    """Input the API would refuse, caught before anything was sent.

    ``field`` is where (e.g. ``conditions[1].frequency``), ``reason`` what is wrong.
    """

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        self.reason = reason
        super().__init__(f"{field}: {reason}")


class APIConnectionError(LegitHealthError):
    """The server could not be reached, or the connection failed mid-request."""

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(f"{operation}: connection failed ({reason})")


class APITimeoutError(APIConnectionError):
    """A connect, read, write or pool timeout fired."""


class AmbiguousOutcomeError(LegitHealthError):
    """A write may or may not have taken effect, and no lookup can tell which.

    Raised instead of guessing (for example for an encounter, or for auth tokens sent by email,
    where a retry could make a second encounter or send a second email).
    """

    def __init__(self, operation: str, reason: str) -> None:
        self.operation = operation
        self.reason = reason
        super().__init__(
            f"{operation}: outcome unknown after {reason}; not retried, since a retry could "
            "duplicate the effect"
        )


class UnexpectedResponseError(LegitHealthError):
    """The server answered something the contract does not allow.

    A non-JSON body, a missing field, a wrong type, a status outside the contract (e.g. 599 or a
    redirect), or a body over the size bound. ``status_code`` is the HTTP status.
    """

    def __init__(
        self, operation: str, status_code: int, reason: str, request_id: str | None = None
    ) -> None:
        self.operation = operation
        self.status_code = status_code
        self.reason = reason
        self.request_id = request_id = shown_request_id(request_id)
        rid = f", request id {request_id}" if request_id else ""
        super().__init__(f"{operation}: unexpected response (HTTP {status_code}{rid}): {reason}")


class APIStatusError(LegitHealthError):
    """The server answered with an error status and (usually) the documented error body.

    ``str()`` names the operation, status, ``error_code`` and request id only. ``message`` is
    the server's own text, with every value the request carried, emails and phone numbers
    redacted; a server may still echo personal data the client cannot recognise, so it is kept
    out of ``str()`` and ``repr()``: read it, do not log it.
    """

    def __init__(
        self,
        operation: str,
        status_code: int,
        *,
        error_code: str | None = None,
        message: str | None = None,
        request_id: str | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.operation = operation
        self.status_code = status_code
        # The server's words: kept only if they look like a code / an id (see _privacy).
        self.error_code = error_code = shown_code(error_code)
        self.message = message
        self.request_id = request_id = shown_request_id(request_id)
        self.retry_after = retry_after
        parts = [f"{operation}: HTTP {status_code}"]
        if error_code:
            parts.append(error_code)
        text = " ".join(parts)
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)


class BadRequestError(APIStatusError):
    """400: the server refused the request as malformed."""


class AuthenticationError(APIStatusError):
    """401: the API token is missing or wrong."""


class PermissionDeniedError(APIStatusError):
    """403: the token may not do this."""


class NotFoundError(APIStatusError):
    """404: the addressed patient, condition or episode of care does not exist."""


class ConflictError(APIStatusError):
    """409: the resource exists already, or the state forbids the change."""


class PatientAlreadyExistsError(ConflictError):
    """409 ``PATIENT_ALREADY_EXISTS``: a patient with this external id is connected already."""


class PractitionerAlreadyExistsError(ConflictError):
    """409 ``PRACTITIONER_ALREADY_EXISTS``: a practitioner with this external id exists."""


class ActiveEpisodeExistsError(ConflictError):
    """409 ``ACTIVE_EPISODE_OF_CARE_EXISTS``: the condition already has an active episode."""


class UnprocessableEntityError(APIStatusError):
    """422: well-formed, but not acceptable (e.g. a frequency on an untracked condition)."""


class RateLimitError(APIStatusError):
    """429 (after retries, or with a Retry-After over the cap). ``retry_after`` is in seconds."""


class InternalServerError(APIStatusError):
    """5xx: the server failed (after retries where retrying was safe)."""


_BY_STATUS: Mapping[int, type[APIStatusError]] = {
    400: BadRequestError,
    401: AuthenticationError,
    403: PermissionDeniedError,
    404: NotFoundError,
    409: ConflictError,
    422: UnprocessableEntityError,
    429: RateLimitError,
}
_BY_CODE: Mapping[str, type[APIStatusError]] = {
    "PATIENT_ALREADY_EXISTS": PatientAlreadyExistsError,
    "PRACTITIONER_ALREADY_EXISTS": PractitionerAlreadyExistsError,
    "ACTIVE_EPISODE_OF_CARE_EXISTS": ActiveEpisodeExistsError,
}


def status_error_class(status_code: int, error_code: str | None) -> type[APIStatusError]:
    """The most specific error class for a status and the server's errorCode."""
    if status_code == 409 and error_code is not None and error_code in _BY_CODE:
        return _BY_CODE[error_code]
    if status_code >= 500:
        return InternalServerError
    return _BY_STATUS.get(status_code, APIStatusError)
