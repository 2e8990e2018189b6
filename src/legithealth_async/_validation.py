"""Client-side checks: input the API would certainly refuse fails here, before anything is sent.

What is certain: types, formats, required-ness, documented rules (email or phone). What is assumed
is never a gate: codes are checked by format (ICD-11) or not at all (body sites, units, genders),
and the server decides; its refusal comes back as a typed error. Messages say where and what,
never the value (it may be personal data).
"""

from __future__ import annotations

import datetime as dt
import difflib
import re
import typing
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

from . import _constants as C
from .errors import UnknownKeywordError, ValidationError
from .models import ConditionInput

# Pragmatic, like the server's `format: email`: one @, no spaces, a dot in the domain.
_EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")
_PHONE_RE = re.compile(r"^\+[1-9][0-9]{6,14}$")
_LANGUAGE_RE = re.compile(r"^[a-z]{2}$")
# The spec's ConditionInput.pathologyCode pattern (a test keeps the two equal): an ICD-11 stem
# code, optionally with an extension; ICD-11 never uses the letters I and O.
ICD11_RE = re.compile(r"^[0-9A-HJ-NP-Z][A-HJ-NP-Z][0-9][0-9A-HJ-NP-Z](\.[0-9A-HJ-NP-Z]{1,4})?$")
_NAME_MAX = 255
_EMAIL_MAX = 254


def external_id(value: object, where: str = "external_id") -> str:
    """A non-empty string of at most 255 characters."""
    if not isinstance(value, str):
        raise ValidationError(where, "must be a string")
    if not value:
        raise ValidationError(where, "must not be empty")
    if len(value) > C.MAX_EXTERNAL_ID_LENGTH:
        raise ValidationError(where, f"longer than {C.MAX_EXTERNAL_ID_LENGTH} characters")
    return value


def external_ids(values: Iterable[str], where: str = "external_ids") -> list[str]:
    """Every id valid; a lone string is refused (it would be split into characters)."""
    if isinstance(values, str | bytes):
        raise ValidationError(where, "must be a collection of ids, not a single string")
    return [external_id(v, f"{where}[{i}]") for i, v in enumerate(values)]


def internal_id(value: object, where: str) -> str:
    """A Legit.Health id (condition, episode of care): a non-empty string."""
    if not isinstance(value, str) or not value:
        raise ValidationError(where, "must be a non-empty string")
    return value


def email(value: str | None, where: str = "email") -> str | None:
    """None, or a plausible email address."""
    if value is None:
        return None
    if not isinstance(value, str) or len(value) > _EMAIL_MAX or not _EMAIL_RE.match(value):
        raise ValidationError(where, "is not a valid email address")
    return value


def phone(value: str | None, where: str = "phone") -> str | None:
    """None, or an E.164 number (+ and 7 to 15 digits)."""
    if value is None:
        return None
    if not isinstance(value, str) or not _PHONE_RE.match(value):
        raise ValidationError(where, "is not an E.164 phone number (e.g. +34600111222)")
    return value


def name(value: str | None, where: str) -> str | None:
    """None, or a string of at most 255 characters."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise ValidationError(where, "must be a string")
    if len(value) > _NAME_MAX:
        raise ValidationError(where, f"longer than {_NAME_MAX} characters")
    return value


def birth_date(value: dt.date | None) -> dt.date | None:
    """None, or a date (a datetime is refused: it is not a birth date)."""
    if value is None:
        return None
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError("birth_date", "must be a datetime.date")
    return value


def keywords(method: str, given: Iterable[str], known: Iterable[str]) -> None:
    """Every keyword in ``given`` is one ``method`` takes; else the first unknown one, named
    with the closest known one (``externalId`` -> ``external_id``, ``emial`` -> ``email``)."""
    names = tuple(known)
    for keyword in given:
        if keyword in names:
            continue
        if not (keyword.isidentifier() and len(keyword) <= 64):  # never echo what is not a name
            raise UnknownKeywordError(method, "a keyword", None)
        snake = snake_case(keyword)
        close = [snake] if snake in names else difflib.get_close_matches(keyword, names, n=1)
        raise UnknownKeywordError(method, keyword, close[0] if close else None)


def snake_case(name: str) -> str:
    """``externalId`` -> ``external_id``, ``EpisodesOfCare`` -> ``episodes_of_care``."""
    return _CAMEL_HUMP.sub(r"_\1", name).lower()


_CAMEL_HUMP = re.compile(r"(?<=[a-z0-9])([A-Z])")


def required_keys(typed_dict: Any) -> frozenset[str]:
    """The keys ``typed_dict`` requires. A ``Required[...]``/``NotRequired[...]`` written as a
    string (``from __future__ import annotations``) is hidden from the TypedDict's own
    ``__required_keys__`` before Python 3.14: it is read from the annotation's text here."""
    required = set(typed_dict.__required_keys__)
    for key, hint in typed_dict.__annotations__.items():
        text = hint.__forward_arg__ if isinstance(hint, typing.ForwardRef) else str(hint)
        wrapper = _REQUIRED_WRAPPER.match(text)
        if wrapper is not None and wrapper[1]:
            required.discard(key)
        elif wrapper is not None:
            required.add(key)
    return frozenset(required)


_REQUIRED_WRAPPER = re.compile(r"^(?:typing(?:_extensions)?\.)?(Not)?Required\[")


def code(value: object, where: str) -> str:
    """A non-empty string (``Gender``, ``BodySiteCode``... list known values; the server
    decides)."""
    if not isinstance(value, str) or not value:
        raise ValidationError(where, "must be a non-empty string")
    return value


def gender(value: str | None) -> str | None:
    """None, or a non-empty string (``Gender`` lists the known values; the server decides)."""
    return None if value is None else code(value, "gender")


def language(value: str | None) -> str | None:
    """None, or an ISO 639-1 code."""
    if value is not None and (not isinstance(value, str) or not _LANGUAGE_RE.match(value)):
        raise ValidationError("language", "must be a two-letter ISO 639-1 code")
    return value


def conditions(values: Sequence[ConditionInput] | None) -> list[ConditionInput] | None:
    """ICD-11 pathology codes; a frequency only on a tracked condition; no pair twice."""
    if values is None:
        return None
    if isinstance(values, ConditionInput):
        raise ValidationError("conditions", "must be a list of ConditionInput")
    seen: set[tuple[str, str]] = set()
    out = []
    for i, c in enumerate(values):
        where = f"conditions[{i}]"
        if not isinstance(c, ConditionInput):
            raise ValidationError(where, "must be a ConditionInput")
        if not isinstance(c.pathology_code, str) or not ICD11_RE.match(c.pathology_code):
            raise ValidationError(
                f"{where}.pathology_code", "is not an ICD-11 code (e.g. EA90, 2C30, ED92.0)"
            )
        code(c.body_site_code, f"{where}.body_site_code")
        if c.frequency is not None:
            if c.is_tracked is not True:
                raise ValidationError(
                    f"{where}.frequency", "only a tracked condition (is_tracked=True) has one"
                )
            every = c.frequency.every
            if isinstance(every, bool) or not isinstance(every, int) or every < 1:
                raise ValidationError(f"{where}.frequency.every", "must be an integer >= 1")
            code(c.frequency.unit, f"{where}.frequency.unit")
        key = (str(c.pathology_code), str(c.body_site_code))
        if key in seen:
            raise ValidationError(where, "the same pathology and body site is listed twice")
        seen.add(key)
        out.append(c)
    return out


def aware(value: dt.datetime, where: str) -> dt.datetime:
    """A timezone-aware datetime (a naive one is ambiguous across the wire)."""
    if not isinstance(value, dt.datetime):
        raise ValidationError(where, "must be a datetime")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValidationError(where, "must be timezone-aware (e.g. datetime.now(timezone.utc))")
    return value


_PATIENT_CHECKS: dict[str, Callable[[Any], Any]] = {
    "external_id": external_id,
    "first_name": lambda v: name(v, "first_name"),
    "last_name": lambda v: name(v, "last_name"),
    "email": email,
    "phone": phone,
    "birth_date": birth_date,
    "gender": gender,
    "language": language,
    "conditions": conditions,
}


def patient_fields(fields: Mapping[str, Any]) -> None:
    """A patient's fields (create or patch), each one this module knows a rule for, checked.

    Fields without a rule here (e.g. one the spec added) go as given: their types are the
    generated model's, checked by mypy through the facade's keyword TypedDicts.
    """
    for key, value in fields.items():
        rule = _PATIENT_CHECKS.get(key)
        if rule is not None:
            rule(value)
