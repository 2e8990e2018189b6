"""Building the request of a call: built here once per call, not by httpx.

The client's headers are taken once with the token added; paths are joined to the base URL;
queries and JSON bodies are encoded byte for byte as httpx's ``params=``/``json=`` encode them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

import httpx

from . import _constants as C
from ._options import Extras
from ._transports.base import Outgoing
from ._wire import Call
from .errors import ValidationError
from .pagination import query_quote

_JSON = ("Content-Type", "application/json")
#: RFC 9110 field names (tokens) and values (visible ASCII, spaces and tabs inside).
_HEADER_NAME = re.compile(r"[!#$%&'*+.^_`|~0-9A-Za-z-]+")
_HEADER_VALUE = re.compile(r"[\x21-\x7e]([\x20-\x7e\t]*[\x21-\x7e])?|")

#: What ``httpx.AsyncClient`` sends by default, with this client's User-Agent.
_DEFAULT_HEADERS = {
    "Accept": "*/*",
    "Accept-Encoding": "gzip, deflate",
    "Connection": "keep-alive",
    "User-Agent": C.USER_AGENT,
}


def client_headers(given: httpx.Headers | None, token: str) -> tuple[tuple[str, str], ...]:
    """The headers of every request: ``given`` (a user's ``http_client``'s) or the defaults,
    with the token and the only encodings the body reader inflates under its bound."""
    headers = httpx.Headers(_DEFAULT_HEADERS if given is None else given)
    headers["Accept-Encoding"] = "gzip, deflate"
    headers[C.API_TOKEN_HEADER] = token
    return tuple(headers.multi_items())


def build(
    base: str, headers: tuple[tuple[str, str], ...], call: Call[Any], extras: Extras | None
) -> Outgoing:
    """The HTTP request of ``call`` (``base``: the base URL, without a final slash)."""
    spec = call.spec
    params, body = spec.get("params"), spec.get("json")
    if extras is not None:
        headers, params, body = _with_extras(headers, params, body, extras)
    url = base + _keep_dot_segments(spec["url"])
    if params:
        url += "?" + encode_query(params)
    content = None
    if body is not None:
        content = encode_json(body)
        headers = (*headers, _JSON)
    return Outgoing(spec["method"].upper(), url, headers, content, call.name)


def encode_query(params: Mapping[str, Any]) -> str:
    """``params`` as a query string, encoded as httpx encodes ``params=`` (lists repeat the
    key; ``True``/``False`` as ``true``/``false``; ``None`` as empty)."""
    parts = []
    for key, value in params.items():
        name = query_quote(key)
        for item in value if isinstance(value, list | tuple) else (value,):
            parts.append(f"{name}={query_quote(_primitive(item))}")
    return "&".join(parts)


def _primitive(value: object) -> str:
    if value is True:
        return "true"
    if value is False:
        return "false"
    return "" if value is None else str(value)


def encode_json(body: Any) -> bytes:
    """``body`` as httpx's ``json=`` encodes it: compact UTF-8, no NaN or infinity."""
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"), allow_nan=False).encode()


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
