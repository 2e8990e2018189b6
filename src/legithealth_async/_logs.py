"""Keeps external ids out of httpx's and httpcore's own log lines.

httpx logs every request at INFO as ``HTTP Request: GET <full URL> "HTTP/1.1 200 OK"``; our
URLs carry external ids (in the path and in ``externalIds[]``). A filter on the ``httpx`` logger
rewrites, for the hosts our clients talk to only, that URL to its scheme, host and port, and the
server's reason phrase to the standard one for the status.

httpcore logs, at DEBUG, a trace line per step of every exchange with its values: response
headers (a ``Location`` naming a patient), exceptions (which can quote a header). Those lines do
not say which request they belong to, so the requests of this library mark their own exchanges
(:func:`our_exchange`, a context variable) and, inside one, a filter on each ``httpcore`` logger
keeps a line's step name (``receive_response_headers.complete``) and drops its values. Other
requests in the process keep their httpcore lines untouched.
"""

from __future__ import annotations

import contextvars
import logging
import os
import threading
import warnings
from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import httpx

from . import _constants as C

__all__ = ["log_from_environment", "our_exchange", "redact_httpx_logs_for"]

_LEVELS = {"info": logging.INFO, "debug": logging.DEBUG}

#: httpcore's loggers (a filter on a logger does not apply to its children's records).
HTTPCORE_LOGGERS = (
    "httpcore",
    "httpcore.connection",
    "httpcore.http11",
    "httpcore.http2",
    "httpcore.proxy",
    "httpcore.socks",
)

_hosts: set[str] = set()
_lock = threading.Lock()
_installed = False
_ours: contextvars.ContextVar[bool] = contextvars.ContextVar("legithealth_exchange", default=False)


#: httpx's line for each request; its last value is the server's reason phrase, which can carry
#: anything but NUL and line breaks (personal data, terminal escape sequences).
_HTTPX_REQUEST_LINE = 'HTTP Request: %s %s "%s %d %s"'


class _RedactOurUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and _hosts:
            record.args = tuple(_redact(a) for a in args)
            if record.msg == _HTTPX_REQUEST_LINE and record.args != args:
                # Our request: the status's standard reason phrase, not the server's.
                status = args[3] if len(args) == 5 and isinstance(args[3], int) else 0
                record.args = (*record.args[:4], httpx.codes.get_reason_phrase(status) or "-")
        return True


class _StepNamesOnly(logging.Filter):
    """Inside one of our exchanges, an httpcore trace line keeps its step name only."""

    def filter(self, record: logging.LogRecord) -> bool:
        if _ours.get():
            step, _, values = record.getMessage().partition(" ")
            record.msg = f"{step} [values redacted by legithealth_async]" if values else step
            record.args = None
            record.exc_info = None
            record.exc_text = None
        return True


def _redact(value: object) -> object:
    if isinstance(value, httpx.URL) and value.host in _hosts:
        port = f":{value.port}" if value.port else ""
        return f"{value.scheme}://{value.host}{port}/[path and query redacted]"
    return value


def redact_httpx_logs_for(base_url: httpx.URL) -> None:
    """Redact this host's URLs in httpx's log records (idempotent, thread-safe).

    Also installs, once, the filter that empties httpcore's trace lines of our exchanges.
    """
    global _installed
    with _lock:
        _hosts.add(base_url.host)
        if not _installed:
            logging.getLogger("httpx").addFilter(_RedactOurUrls())
            step_names = _StepNamesOnly()
            for name in HTTPCORE_LOGGERS:
                logging.getLogger(name).addFilter(step_names)
            _installed = True


@contextmanager
def our_exchange() -> Iterator[None]:
    """Mark the request sent (and its answer read) inside this block as ours, for the filters."""
    token = _ours.set(True)
    try:
        yield
    finally:
        _ours.reset(token)


class _EnvHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The stderr handler ``LEGITHEALTH_LOG`` adds (marked, so it is added once)."""


def log_from_environment(environ: Mapping[str, str] = os.environ) -> int | None:
    """``LEGITHEALTH_LOG=info|debug``: the library's own log lines on stderr, no setup needed.

    As ``OPENAI_LOG`` and ``STRIPE_LOG`` do: a handler on the ``legithealth_async`` logger at
    that level (once, however often this runs). The lines are the library's own, already free of
    patient data; httpx's and httpcore's loggers are left alone. Returns the level set, or None.
    """
    value = environ.get(C.LOG_ENV, "").strip().lower()
    if not value:
        return None
    level = _LEVELS.get(value)
    if level is None:
        warnings.warn(f"{C.LOG_ENV} takes 'info' or 'debug'; its value is ignored", stacklevel=2)
        return None
    logger = logging.getLogger(C.LOGGER_NAME)
    if not any(isinstance(h, _EnvHandler) for h in logger.handlers):
        handler = _EnvHandler()
        handler.setFormatter(logging.Formatter(C.LOG_FORMAT))
        logger.addHandler(handler)
    logger.setLevel(level)
    return level
