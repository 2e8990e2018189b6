"""The sandbox on loopback: uvicorn, in the foreground (:func:`serve`) or a thread.

The socket is bound before uvicorn starts (port 0 picks a free port), so the URL is known
before serving and no other process can take the port in between. uvicorn's access log is off
(paths carry patients' ids); the sandbox logs its own lines without values.
"""

from __future__ import annotations

import logging
import socket
import threading
import time
from collections.abc import Callable
from types import TracebackType

import uvicorn

from .errors import DroppedConnection
from .sandbox import Sandbox

logger = logging.getLogger("legithealth_async.sandbox")


class _QuietDrops(logging.Filter):
    """Replace uvicorn's error traceback for an injected drop by an info line of ours."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and isinstance(record.exc_info[1], DroppedConnection):
            logger.info("connection closed mid-answer (injected drop)")
            return False
        return True


_QUIET = _QuietDrops()


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP explicitly: asyncio sets TCP_NODELAY on accepted sockets only for that proto
    # (with proto 0, Nagle + delayed ACKs add ~40 ms to every keep-alive request).
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def _url(sandbox: Sandbox, sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    host = f"[{host}]" if ":" in host else host
    return f"http://{host}:{port}{sandbox.contract.base_path}"


def _server(sandbox: Sandbox, log_level: str, graceful_s: int) -> uvicorn.Server:
    logging.getLogger("uvicorn.error").addFilter(_QUIET)
    config = uvicorn.Config(
        sandbox.app,
        lifespan="off",
        access_log=False,
        log_level=log_level,
        timeout_graceful_shutdown=graceful_s,
        backlog=2048,
        limit_concurrency=None,
    )
    return uvicorn.Server(config)


def serve(
    sandbox: Sandbox,
    host: str = "127.0.0.1",
    port: int = 8000,
    *,
    log_level: str = "warning",
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Serve ``sandbox`` with uvicorn until interrupted (blocks; Ctrl-C stops it).

    ``on_ready`` is called with the base URL once the port is bound (port 0: a free one).
    """
    sock = _bind(host, port)
    try:
        server = _server(sandbox, log_level, graceful_s=2)
        if on_ready is not None:
            on_ready(_url(sandbox, sock))
        server.run(sockets=[sock])
    finally:
        sock.close()


class SandboxServer:
    """A sandbox served by uvicorn on ``host`` in a background thread; a context manager.

    ``with SandboxServer(sandbox) as server: server.base_url`` — the server has started when
    the block begins and has stopped (thread joined, socket closed) when it ends.
    """

    def __init__(
        self,
        sandbox: Sandbox,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        log_level: str = "warning",
        startup_timeout_s: float = 10.0,
    ) -> None:
        self.sandbox = sandbox
        self._host, self._port = host, port
        self._log_level = log_level
        self._startup_timeout_s = startup_timeout_s
        self._sock: socket.socket | None = None
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None
        self.base_url = ""
        """``http://127.0.0.1:<port>/integration/v1`` once started."""

    @property
    def token(self) -> str:
        """The served sandbox's API token."""
        return self.sandbox.token

    @property
    def idle(self) -> bool:
        """True when no client connection is open and no request is being handled.

        Once a client has closed (or its process died), wait for this before reading the
        sandbox: no late request of that client can change it any more.
        """
        server = self._server
        if server is None:
            return True
        return not server.server_state.connections and not server.server_state.tasks

    def start(self) -> None:
        """Bind, start uvicorn in a thread and wait until it accepts connections."""
        self._sock = _bind(self._host, self._port)
        self.base_url = _url(self.sandbox, self._sock)
        self._server = _server(self.sandbox, self._log_level, graceful_s=1)
        server, sock = self._server, self._sock
        self._thread = threading.Thread(
            target=lambda: server.run(sockets=[sock]), name="legithealth-sandbox", daemon=True
        )
        self._thread.start()
        deadline = time.monotonic() + self._startup_timeout_s
        while not server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.005)

    def stop(self) -> None:
        """Ask uvicorn to exit, join its thread, close the socket (idempotent)."""
        if self._server is not None:
            self._server.should_exit = True
        if self._thread is not None:
            self._thread.join(timeout=10.0)
            if self._thread.is_alive():
                logger.warning("the sandbox server thread did not stop within 10s")
            self._thread = None
        if self._sock is not None:
            self._sock.close()
            self._sock = None
        self._server = None

    def __enter__(self) -> SandboxServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
