"""``LegitHealth``: the one client object."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, Self, TypeVar, overload

import httpx

from . import _constants as C
from ._config import Settings, resolve_settings
from ._generated_call import Endpoint, generated_call
from ._logs import redact_httpx_logs_for
from ._options import Pacer, RequestOptions
from ._request import client_headers
from ._retry import RetryPolicy
from ._sender import Sender
from ._session import Session
from ._transports.base import Transport
from ._transports.choice import TransportName, open_transport
from .errors import ConfigurationError
from .resources import Encounters, EpisodesOfCare, Patients, Practitioners

#: A wait of some seconds (the client's sleep before a retry).
_Sleep = Callable[[float], Awaitable[None]]

__all__ = ["LegitHealth", "LegitHealthView"]

T = TypeVar("T")


class LegitHealthView:
    """The resources and settings of a client: :class:`LegitHealth` itself, or a view of it made
    by :meth:`with_options` (same connections, limit and lifetime; other settings).

    Resources are made on first use, each on this view's frozen session.
    """

    __slots__ = ("_encounters", "_episodes_of_care", "_patients", "_practitioners", "_session")

    def __init__(self, session: Session) -> None:
        self._session = session
        self._patients: Patients | None = None
        self._episodes_of_care: EpisodesOfCare | None = None
        self._encounters: Encounters | None = None
        self._practitioners: Practitioners | None = None

    @property
    def patients(self) -> Patients:
        """createPatient, getPatients, patchPatient, getPatientsAuthTokens."""
        if self._patients is None:
            self._patients = Patients(self._session)
        return self._patients

    @property
    def episodes_of_care(self) -> EpisodesOfCare:
        """getEpisodesOfCare, createEpisodeOfCare, patchEpisodeOfCare."""
        if self._episodes_of_care is None:
            self._episodes_of_care = EpisodesOfCare(self._session)
        return self._episodes_of_care

    @property
    def encounters(self) -> Encounters:
        """createEncounter."""
        if self._encounters is None:
            self._encounters = Encounters(self._session)
        return self._encounters

    @property
    def practitioners(self) -> Practitioners:
        """createPractitioner, getPractitionerSpecialties, getPractitionerAuthTokens."""
        if self._practitioners is None:
            self._practitioners = Practitioners(self._session)
        return self._practitioners

    @property
    def max_in_flight(self) -> int:
        """The most requests in flight at once (fixed when the client is made)."""
        return self._session.sender.max_in_flight

    @property
    def in_flight(self) -> int:
        """Requests in flight now (0 when the client is idle)."""
        return self._session.sender.in_flight

    @property
    def base_url(self) -> str:
        """The base URL every request goes to."""
        return self._session.sender.base_url

    @property
    def closed(self) -> bool:
        """Whether the client was closed."""
        return self._session.sender.closed

    def with_options(
        self,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        attempt_deadline: float | None = None,
        pacer: Pacer | None = None,
        wrap_sleep: Callable[[_Sleep], _Sleep] | None = None,
    ) -> LegitHealthView:
        """A view of this client with other settings for the calls made through it.

        It shares the connection pool, the in-flight limit and the lifetime of this client::

            await lh.with_options(max_retries=0, timeout=5).patients.get("a449666c710c")

        ``pacer`` spaces every attempt sent through the view (the bulk sync's ``RatePacer``
        learns the server's rate limit this way); ``wrap_sleep`` wraps the client's wait before
        each retry (the sync gives the record's slot to another record meanwhile).
        """
        options = self._session.options
        policy = retry_policy or options.retry
        if max_retries is not None:
            policy = _with_retries(policy, max_retries)
        changed = dataclasses.replace(
            options,
            timeout=options.timeout if timeout is None else _timeout(timeout),
            retry=policy,
            attempt_deadline=_deadline(attempt_deadline, options.attempt_deadline),
            pacer=pacer if pacer is not None else options.pacer,
            sleep=options.sleep if wrap_sleep is None else wrap_sleep(options.sleep),
        )
        return LegitHealthView(Session(self._session.sender, changed))

    @overload
    async def call_generated(
        self, endpoint: Endpoint, /, *args: Any, parse: Callable[[Any], T], **kwargs: Any
    ) -> T: ...
    @overload
    async def call_generated(self, endpoint: Endpoint, /, *args: Any, **kwargs: Any) -> Any: ...
    async def call_generated(
        self,
        endpoint: Endpoint,
        /,
        *args: Any,
        parse: Callable[[Any], Any] | None = None,
        idempotent: bool | None = None,
        **kwargs: Any,
    ) -> Any:
        """Call an operation that has no method here yet, through this client's request path.

        ``endpoint`` is the operation's ``operationId`` as the spec names it (or a generated
        endpoint module, or its ``_get_kwargs``); ``args`` and ``kwargs`` are its parameters
        (snake_case, as the generated module takes them). Retries, the in-flight limit, the
        deadline, the size bound and the error mapping apply as to any call. Any 2xx succeeds;
        ``parse`` turns the JSON answer (None when empty) into a value (default: the JSON
        itself). Reads (GET/HEAD) are retried after an ambiguous failure; anything else raises
        :class:`~legithealth_async.errors.AmbiguousOutcomeError` unless ``idempotent=True``::

            status = await lh.call_generated("getServiceStatus")
            value = await lh.call_generated("<operationId>", ..., parse=<Model>.from_dict)
        """
        call = generated_call(endpoint, args, kwargs, parse=parse, idempotent=idempotent)
        return await self._session.call(call)


class LegitHealth(LegitHealthView):
    """The async client of the Legit.Health integration API.

    ::

        async with LegitHealth(api_token="...") as lh:
            patient = await lh.patients.create(external_id="a449666c710c", email="...")

    ``api_token`` and ``base_url`` default to ``LEGITHEALTH_API_TOKEN`` / ``LEGITHEALTH_BASE_URL``
    (without either, the real Legit.Health, ``https://api.legit.health/integration/v1``).
    One connection pool per client, closed by ``async with`` or :meth:`aclose`. At most
    ``max_in_flight`` requests are in flight at once, over as many connections.

    ``timeout`` is seconds for each phase, or an ``httpx.Timeout``; by default connect 5 s,
    read 30 s, write 30 s, pool 60 s (read bounds the wait for each chunk of an answer).
    ``max_retries`` (default 4) is the retries after the first attempt.
    ``transport`` names the client's own transport, made at the first request: ``"auto"``
    (``"asyncio"`` on asyncio, ``"httpx"`` on trio or with ``http2``), ``"asyncio"`` (a lean
    HTTP/1.1 keep-alive pool on asyncio's own sockets, answers parsed by llhttp) or ``"httpx"``
    (httpx's pool, split into pools of 4 connections); or it is an
    ``httpx.AsyncBaseTransport`` of yours (e.g. the sandbox's). Or pass a whole ``http_client``
    of your own (yours to close; give it room for ``max_in_flight`` connections, ideally no
    more than 32 in one pool).
    ``retry_policy`` and ``sleep`` let tests pin the backoff.
    ``attempt_deadline`` bounds one attempt end to end (default: connect + write + 2 x read,
    95 s with the default timeouts), ``max_response_bytes`` an answer's decoded size.
    """

    __slots__ = ()

    def __init__(
        self,
        api_token: str | None = None,
        *,
        base_url: str | None = None,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        max_in_flight: int = C.DEFAULT_MAX_IN_FLIGHT,
        transport: httpx.AsyncBaseTransport | TransportName | None = None,
        http_client: httpx.AsyncClient | None = None,
        http2: bool = False,
        retry_policy: RetryPolicy | None = None,
        sleep: Callable[[float], Awaitable[None]] | None = None,
        attempt_deadline: float | None = None,
        max_response_bytes: int = C.MAX_RESPONSE_BYTES,
    ) -> None:
        settings = resolve_settings(
            api_token=api_token, base_url=base_url, transport=transport, http_client=http_client
        )
        url = settings.base_url
        if max_in_flight < 1:
            raise ConfigurationError("max_in_flight must be at least 1")
        if max_response_bytes < 1:
            raise ConfigurationError("max_response_bytes must be at least 1")
        redact_httpx_logs_for(httpx.URL(url))
        sender = Sender(
            transport=_transport(settings, max_in_flight, transport, http_client, http2),
            headers=client_headers(
                None if http_client is None else http_client.headers, settings.token
            ),
            base_url=url,
            token=settings.token,
            max_in_flight=max_in_flight,
        )
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = _with_retries(policy, max_retries)
        options = RequestOptions(
            timeout=_timeout(timeout),
            retry=policy,
            attempt_deadline=_deadline(attempt_deadline, None),
            max_response_bytes=max_response_bytes,
        )
        if sleep is not None:
            options = dataclasses.replace(options, sleep=sleep)
        super().__init__(Session(sender, options))

    async def aclose(self) -> None:
        """Close the connection pool (unless it is your own ``http_client``). Idempotent."""
        await self._session.sender.aclose()

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def __repr__(self) -> str:
        return (
            f"LegitHealth(base_url={self.base_url!r}, max_retries="
            f"{self._session.options.retry.max_retries}, max_in_flight={self.max_in_flight})"
        )


def _transport(
    settings: Settings,
    max_in_flight: int,
    transport: httpx.AsyncBaseTransport | TransportName | None,
    http_client: httpx.AsyncClient | None,
    http2: bool,
) -> Transport:
    if http2 and importlib.util.find_spec("h2") is None:
        raise ConfigurationError(
            "http2=True needs the h2 package: pip install 'legithealth-async[http2]'"
        )
    try:
        return open_transport(
            transport or C.DEFAULT_TRANSPORT,
            http_client,
            base_url=settings.base_url,
            max_connections=max_in_flight,
            shard_size=C.POOL_SHARD_SIZE,
            keepalive_expiry=C.DEFAULT_KEEPALIVE_EXPIRY,
            http2=http2,
            proxy=settings.proxy,
        )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


def _deadline(value: float | None, default: float | None) -> float | None:
    if value is None:
        return default
    if not value > 0:
        raise ConfigurationError("attempt_deadline must be positive")
    return value


def _timeout(value: httpx.Timeout | float | None) -> httpx.Timeout:
    if value is None:
        return C.DEFAULT_TIMEOUT
    if isinstance(value, httpx.Timeout):
        if None in (value.connect, value.read, value.write, value.pool):
            raise ConfigurationError("every timeout needs a bound (connect, read, write, pool)")
        return value
    if value <= 0:
        raise ConfigurationError("timeout must be positive")
    return httpx.Timeout(value)


def _with_retries(policy: RetryPolicy, max_retries: int) -> RetryPolicy:
    if max_retries < 0:
        raise ConfigurationError("max_retries must be 0 or more")
    return dataclasses.replace(policy, max_retries=max_retries)
