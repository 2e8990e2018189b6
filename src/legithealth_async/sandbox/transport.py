"""In-process transport: httpx.ASGITransport, made to fail the way a network does.

``httpx.ASGITransport`` awaits the app inline and ignores httpx timeouts, and it re-raises the
app's exceptions as they are. This wrapper applies the request's *read* timeout to the whole
exchange (→ ``httpx.ReadTimeout``, e.g. on a stalled body) and turns the sandbox's dropped
connections into ``httpx.RemoteProtocolError``, so a client sees the same exception types
in-process as over loopback. The app runs in the caller's task: a timeout cancels it there, and
no task outlives the request.
"""

from __future__ import annotations

import anyio
import httpx
from starlette.types import ASGIApp

from .errors import DroppedConnection


class SandboxTransport(httpx.AsyncBaseTransport):
    """An ``httpx.AsyncBaseTransport`` that sends requests to a sandbox app in-process."""

    #: Opens no socket: a client may use plain http to any host name over it (the facade's rule).
    legithealth_in_process = True

    def __init__(self, app: ASGIApp) -> None:
        self._inner = httpx.ASGITransport(app=app, raise_app_exceptions=True)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        """Run the request through the app; raise httpx exceptions only."""
        timeouts = request.extensions.get("timeout") or {}
        read_timeout = timeouts.get("read")
        try:
            with anyio.fail_after(read_timeout):
                return await self._inner.handle_async_request(request)
        except TimeoutError:
            raise httpx.ReadTimeout(
                "The sandbox did not finish its answer within the read timeout",
                request=request,
            ) from None
        except DroppedConnection:
            raise httpx.RemoteProtocolError(
                "Server disconnected without sending a complete response", request=request
            ) from None

    async def aclose(self) -> None:
        """Close the wrapped transport."""
        await self._inner.aclose()
