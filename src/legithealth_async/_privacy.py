"""Privacy: what of a server's words and our own requests may be shown.

Patient data is health data: no token, name, email, phone or birth date may reach a log line,
an exception message or a ``repr``. Everything that cleans text for showing lives here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

#: What a server's ``errorCode`` or request id must look like to be shown (anything else is
#: dropped: it could carry personal data, or terminal escape sequences).
_CODE_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
#: C0 and C1 control characters and DEL: escape sequences that would act on a terminal.
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_EMAIL_RE = re.compile(r"[^\s@\"'<>]+@[^\s@\"'<>]+")
_DIGITS_RE = re.compile(r"\+?\d[\d\s().-]{5,}\d")
_REDACTED = "[REDACTED]"


def shown_code(value: object) -> str | None:
    """``value`` if it looks like a code or an id (``[A-Za-z0-9._:-]{1,64}``), else None.

    Applied to a server's ``errorCode`` and request id where errors are built, so nothing that
    shows an error (``str()``, the CLI, the sync report) can show anything else.
    """
    if isinstance(value, str) and _CODE_RE.fullmatch(value):
        return value
    return None


#: A hex id (a UUID, nginx's ``$request_id``, a trace id): hex digits in groups.
_HEX_ID_RE = re.compile(r"[0-9A-Fa-f]{4,}(?:[-:.][0-9A-Fa-f]+)*")
#: Six digits or more in a row: a phone number, a date, a national or health id number.
_DIGIT_RUN_RE = re.compile(r"\d{6,}")


def shown_request_id(value: object) -> str | None:
    """``value`` if it looks like a request id, else None.

    A code (:func:`shown_code`) with letters and digits both (``req-42``, a UUID), and no run
    of six digits or more unless it is a hex id: a name (letters only), a date or a phone number
    (digits and separators only), a national id number (a long run of digits) is not shown. A
    server may put anything in a request id header; a name with a year can still pass.
    """
    code = shown_code(value)
    if code is None or not (any(c.isalpha() for c in code) and any(c.isdigit() for c in code)):
        return None
    if _DIGIT_RUN_RE.search(code) and not _HEX_ID_RE.fullmatch(code):
        return None
    return code


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
    """The server's message with every sent value, email and phone-like number replaced, and
    control characters (terminal escape sequences) escaped."""
    for value in sorted(sent, key=len, reverse=True):
        if len(value) >= 2:
            message = message.replace(value, _REDACTED)
    message = _EMAIL_RE.sub(_REDACTED, message)
    message = _DIGITS_RE.sub(_REDACTED, message)
    return _CONTROL_RE.sub(lambda m: f"\\x{ord(m.group()):02x}", message)[:500]
