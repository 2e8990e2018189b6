"""``LegitHealth``: the one client object."""

from __future__ import annotations

import dataclasses
import importlib.util
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Self

import httpx

from . import _constants as C
from ._config import resolve_settings
from ._logs import redact_httpx_logs_for
from ._request import Pacer, Requester, RequestOptions
from ._retry import RetryPolicy
from ._transport import DefaultTransport, TransportName
from .errors import ConfigurationError
from .resources import Encounters, EpisodesOfCare, Patients, Practitioners

__all__ = ["LegitHealth"]


class LegitHealth:
    """The async client of the Legit.Health integration API.

    ::

        async with LegitHealth(api_token="...") as lh:
            patient = await lh.patients.create(external_id="a449666c710c", email="...")

    ``api_token`` and ``base_url`` default to ``LEGITHEALTH_API_TOKEN`` / ``LEGITHEALTH_BASE_URL``.
    One ``httpx.AsyncClient`` per client, closed by ``async with`` or :meth:`aclose`. At most
    ``max_in_flight`` requests are in flight at once, over as many connections.
    ``transport`` names the client's own transport (made at the first request, see
    ``_transport.py``): ``"auto"`` (aiohttp's pool on asyncio when the ``aiohttp`` extra is
    installed, else httpx's pool split into pools of 4), ``"httpx"`` or ``"aiohttp"``; or it is
    an ``httpx.AsyncBaseTransport`` of yours (e.g. the sandbox's). Or pass a whole
    ``http_client`` of your own (yours to close; give it room for ``max_in_flight`` connections,
    ideally no more than 32 in one pool). ``retry_policy`` and ``sleep`` let tests pin the backoff.
    """

    __slots__ = (
        "_options",
        "_requester",
        "encounters",
        "episodes_of_care",
        "max_in_flight",
        "patients",
        "practitioners",
    )

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
    ) -> None:
        settings = resolve_settings(
            api_token=api_token, base_url=base_url, transport=transport, http_client=http_client
        )
        url = settings.base_url
        if max_in_flight < 1:
            raise ConfigurationError("max_in_flight must be at least 1")
        if http2 and importlib.util.find_spec("h2") is None:
            raise ConfigurationError(
                "http2=True needs the h2 package: pip install 'legithealth-async[http2]'"
            )
        if http_client is None:
            if not isinstance(transport, httpx.AsyncBaseTransport):
                transport = _default_transport(
                    transport or C.DEFAULT_TRANSPORT, settings.proxy, max_in_flight, http2
                )
            http = httpx.AsyncClient(
                base_url=url,
                transport=transport,
                headers={"User-Agent": C.USER_AGENT},
                follow_redirects=False,
                # Proxies are the transport's: with trust_env, httpx would mount a pool of its
                # own (TLS context and all) for every proxy the environment names.
                trust_env=False,
            )
        else:
            http = http_client  # used as it is: its own base_url and settings are not touched
        redact_httpx_logs_for(httpx.URL(url))
        requester = Requester(
            http=http,
            owns_http=http_client is None,
            base_url=url,
            token=settings.token,
            max_in_flight=max_in_flight,
        )
        policy = retry_policy or RetryPolicy()
        if max_retries is not None:
            policy = _with_retries(policy, max_retries)
        options = RequestOptions(timeout=_timeout(timeout), retry=policy)
        if sleep is not None:
            options = dataclasses.replace(options, sleep=sleep)
        self._bind(requester, options, max_in_flight)

    def _bind(self, requester: Requester, options: RequestOptions, max_in_flight: int) -> None:
        self._requester = requester
        self._options = options
        self.max_in_flight = max_in_flight
        self.patients = Patients(self)
        self.episodes_of_care = EpisodesOfCare(self)
        self.encounters = Encounters(self)
        self.practitioners = Practitioners(self)

    def with_options(
        self,
        *,
        timeout: httpx.Timeout | float | None = None,
        max_retries: int | None = None,
        retry_policy: RetryPolicy | None = None,
        pacer: Pacer | None = None,
    ) -> LegitHealth:
        """A view of this client with other settings for the calls made through it.

        It shares the connection pool, the in-flight limit and the lifetime of this client::

            await lh.with_options(max_retries=0, timeout=5).patients.get("a449666c710c")

        ``pacer`` spaces every attempt sent through the view (the bulk sync's ``RatePacer``
        learns the server's rate limit this way).
        """
        options = self._options
        policy = retry_policy or options.retry
        if max_retries is not None:
            policy = _with_retries(policy, max_retries)
        view = object.__new__(LegitHealth)
        view._bind(
            self._requester,
            RequestOptions(
                timeout=options.timeout if timeout is None else _timeout(timeout),
                retry=policy,
                sleep=options.sleep,
                pacer=pacer if pacer is not None else options.pacer,
            ),
            self.max_in_flight,
        )
        return view

    @property
    def base_url(self) -> str:
        """The base URL every request goes to."""
        return self._requester.base_url

    @property
    def closed(self) -> bool:
        """Whether the client was closed."""
        return self._requester.closed

    async def aclose(self) -> None:
        """Close the connection pool (unless it is your own ``http_client``). Idempotent."""
        await self._requester.aclose()

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
            f"{self._options.retry.max_retries}, max_in_flight={self.max_in_flight})"
        )


def _default_transport(
    name: TransportName, proxy: str | None, max_in_flight: int, http2: bool
) -> DefaultTransport:
    try:
        return DefaultTransport(
            name,
            max_connections=max_in_flight,
            shard_size=C.POOL_SHARD_SIZE,
            keepalive_expiry=C.DEFAULT_KEEPALIVE_EXPIRY,
            http2=http2,
            proxy=proxy,
        )
    except ValueError as exc:
        raise ConfigurationError(str(exc)) from None


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
