"""Privacy: what of a server's words and our own requests may be shown.

Patient data is health data: no token, name, email, phone or birth date may reach a log line,
an exception message or a ``repr``. Everything that cleans text for showing lives here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

_EMAIL_RE = re.compile(r"[^\s@\"'<>]+@[^\s@\"'<>]+")
_DIGITS_RE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_REDACTED = "[REDACTED]"


def sent_values(spec: Mapping[str, Any]) -> set[str]:
    """Every string the request carried (path, query, body), to redact from server messages."""
    found: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, str):
            if value:
                found.add(value)
        elif isinstance(value, Mapping):
            for v in value.values():
                walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                walk(v)

    walk(spec.get("json"))
    walk(spec.get("params"))
    for segment in str(spec.get("url", "")).split("/"):
        walk(segment)
    return found


def redact_message(message: str, sent: Iterable[str]) -> str:
    """The server's message with every sent value, email and phone-like number replaced."""
    for value in sorted(sent, key=len, reverse=True):
        if len(value) >= 2:
            message = message.replace(value, _REDACTED)
    message = _EMAIL_RE.sub(_REDACTED, message)
    return _DIGITS_RE.sub(_REDACTED, message)[:500]
