"""Keeps external ids out of httpx's own log lines.

httpx logs every request at INFO as ``HTTP Request: GET <full URL> "HTTP/1.1 200 OK"``; our
URLs carry external ids (in the path and in ``externalIds[]``). A filter on the ``httpx`` logger
rewrites, for the hosts our clients talk to only, that URL to its scheme, host and port.
"""

from __future__ import annotations

import logging
import threading

import httpx

_hosts: set[str] = set()
_lock = threading.Lock()
_installed = False


class _RedactOurUrls(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and _hosts:
            record.args = tuple(_redact(a) for a in args)
        return True


def _redact(value: object) -> object:
    if isinstance(value, httpx.URL) and value.host in _hosts:
        port = f":{value.port}" if value.port else ""
        return f"{value.scheme}://{value.host}{port}/[path and query redacted]"
    return value


def redact_httpx_logs_for(base_url: httpx.URL) -> None:
    """Redact this host's URLs in httpx's log records (idempotent, thread-safe)."""
    global _installed
    with _lock:
        _hosts.add(base_url.host)
        if not _installed:
            logging.getLogger("httpx").addFilter(_RedactOurUrls())
            _installed = True
