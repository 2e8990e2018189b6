"""The error tree. Every exception the client raises is a :class:`LegitHealthError`.

No message or ``repr`` carries a token, a name, an email, a phone number, a birth date or an
external id: errors name the operation, the field and the status, never the value. A server's
``errorCode`` and request id are kept (and shown) only if they look like a code or an id
(``[A-Za-z0-9._:-]{1,64}``; a request id also needs letters and digits, and no run of six
digits or more unless it is a hex id such as a UUID); anything else is dropped where the error is
built.
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

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
    "MissingArgumentError",
    "NotFoundError",
    "PatientAlreadyExistsError",
    "PermissionDeniedError",
    "PractitionerAlreadyExistsError",
    "RateLimitError",
    "UnexpectedResponseError",
    "UnknownKeywordError",
    "UnprocessableEntityError",
    "ValidationError",
]

#: The facade methods that send each operation of the contract, named in error messages beside
#: the operationId (a test keeps this table and the resources in step).
OPERATION_METHODS: Mapping[str, tuple[str, ...]] = {
    "createPatient": ("patients.create",),
    "getPatients": ("patients.get", "patients.get_many", "patients.iter_many"),
    "patchPatient": ("patients.patch",),
    "getPatientsAuthTokens": ("patients.auth_tokens", "patients.login_links"),
    "getEpisodesOfCare": ("episodes_of_care.list_for_condition",),
    "createEpisodeOfCare": ("episodes_of_care.create",),
    "patchEpisodeOfCare": ("episodes_of_care.patch",),
    "createEncounter": ("encounters.create",),
    "createPractitioner": ("practitioners.create",),
    "getPractitionerSpecialties": ("practitioners.specialties",),
    "getPractitionerAuthTokens": ("practitioners.auth_tokens", "practitioners.login_links"),
}


def described(operation: str) -> str:
    """``patients.create (createPatient)``: the method a user called, and the operationId.

    An operation sent by several methods names them all (``patients.get / get_many /
    iter_many (getPatients)``); one with no method (``call_generated``) is its operationId.
    """
    methods = OPERATION_METHODS.get(operation)
    if not methods:
        return operation
    first, *others = methods
    names = [first, *(m.rpartition(".")[2] for m in others)]
    return f"{' / '.join(names)} ({operation})"


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


class UnknownKeywordError(ValidationError, TypeError):
    """A keyword argument the method does not take (``patients.create(emial=...)``).

    ``field`` is the keyword, ``suggestion`` the closest one the method takes (or None). It is a
    ``TypeError`` too, as Python's own error for an unknown keyword is.
    """

    def __init__(self, method: str, keyword: str, suggestion: str | None) -> None:
        self.method = method
        self.suggestion = suggestion
        hint = f"; did you mean {suggestion}?" if suggestion else ""
        super().__init__(keyword, f"not a keyword argument of {method}(){hint}")


class MissingArgumentError(ValidationError, TypeError):
    """A required argument not given (``practitioners.create(external_id=...)``, no ``email``).

    ``field`` is the argument, ``method`` the method called. It is a ``TypeError`` too, as
    Python's own error for a missing argument is.
    """

    def __init__(self, method: str, argument: str) -> None:
        self.method = method
        super().__init__(argument, f"a required argument of {method}(), not given")


#: What each connection failure (httpx's exception names, and the attempt's own deadline) means.
_CONNECTION_FAILURES: Mapping[str, str] = {
    "ConnectTimeout": "timed out connecting to {host}",
    "ConnectError": "could not connect to {host}",
    "ReadTimeout": "timed out waiting for the answer of {host}",
    "WriteTimeout": "timed out sending the request to {host}",
    "PoolTimeout": "timed out waiting for a free connection to {host}",
    "AttemptDeadline": "the attempt's deadline passed before {host} answered in full",
    "ReadError": "the connection to {host} broke while reading the answer",
    "WriteError": "the connection to {host} broke while sending the request",
    "RemoteProtocolError": "{host} closed the connection or broke the HTTP protocol",
    "RefusedStream": "{host} ended the HTTP/2 connection (GOAWAY) before taking the request",
}


class APIConnectionError(LegitHealthError):
    """The server could not be reached, or the connection failed mid-request.

    ``reason`` is the failure's name (``ConnectError``, ``ReadTimeout``...), ``host`` the
    server's host (and port), ``attempts`` how many attempts were made; the message says all
    three in words.
    """

    def __init__(
        self, operation: str, reason: str, *, host: str | None = None, attempts: int = 0
    ) -> None:
        self.operation = operation
        self.reason = reason
        self.host = host
        self.attempts = attempts
        super().__init__(operation, reason)

    def __str__(self) -> str:
        what = _CONNECTION_FAILURES.get(self.reason, "the connection to {host} failed")
        text = f"{described(self.operation)}: {what.format(host=self.host or 'the server')}"
        text += f" ({self.reason})"
        if self.attempts:
            text += f", after {self.attempts} attempt{'s' if self.attempts > 1 else ''}"
        return text


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
            f"{described(operation)}: outcome unknown after {reason}; not retried, since a retry "
            "could duplicate the effect"
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
        super().__init__(
            f"{described(operation)}: unexpected response (HTTP {status_code}{rid}): {reason}"
        )


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
        self.hint: str | None = None
        """A likely cause the client can tell (e.g. a base URL without ``/integration/v1``)."""
        parts = [f"{described(operation)}: HTTP {status_code}"]
        if error_code:
            parts.append(error_code)
        text = " ".join(parts)
        if request_id:
            text += f" (request id {request_id})"
        super().__init__(text)

    def __str__(self) -> str:
        text = super().__str__()
        return f"{text}; {self.hint}" if self.hint else text


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


#: The path every base URL of the API ends with.
API_PATH = "/integration/v1"


def attempted(error: LegitHealthError, base_url: str, attempts: int) -> None:
    """Note on ``error`` where it happened and after how many attempts (host only: a path or
    query could carry an external id), and for a 404 from a base URL not ending in
    ``/integration/v1``, that the URL is the likely cause."""
    parts = urlsplit(base_url)
    if isinstance(error, APIConnectionError):
        host = parts.hostname or "?"
        host = f"[{host}]" if ":" in host else host
        try:
            port = parts.port
        except ValueError:
            port = None
        error.host = host if port is None else f"{host}:{port}"
        error.attempts = attempts
    elif isinstance(error, NotFoundError) and not parts.path.rstrip("/").endswith(API_PATH):
        error.hint = f"the base URL does not end with {API_PATH}: is it the API's?"
