"""Contains some shared types for properties, and what the generated models parse with"""

import datetime
from collections.abc import Iterator, Mapping, MutableMapping
from http import HTTPStatus
from typing import IO, Any, BinaryIO, Generic, Literal, TypeVar

from attrs import define


class Unset:
    def __bool__(self) -> Literal[False]:
        return False


UNSET: Unset = Unset()

# The types that `httpx.Client(files=)` can accept, copied from that library.
FileContent = IO[bytes] | bytes | str
FileTypes = (
    # (filename, file (or bytes), content_type)
    tuple[str | None, FileContent, str | None]
    # (filename, file (or bytes), content_type, headers)
    | tuple[str | None, FileContent, str | None, Mapping[str, str]]
)
RequestFiles = list[tuple[str, FileTypes]]


@define
class File:
    """Contains information for file uploads"""

    payload: BinaryIO
    file_name: str | None = None
    mime_type: str | None = None

    def to_tuple(self) -> FileTypes:
        """Return a tuple representation that httpx will accept for multipart/form-data"""
        return self.file_name, self.payload, self.mime_type


T = TypeVar("T")


@define
class Response(Generic[T]):
    """A response from an endpoint"""

    status_code: HTTPStatus
    content: bytes
    headers: MutableMapping[str, str]
    parsed: T | None


class ParseError(ValueError):
    """An answer that does not match the spec. ``where`` names the field, never its value."""

    def __init__(self, where: str, reason: str) -> None:
        self.where = where
        self.reason = reason
        super().__init__(f"{where}: {reason}" if where else reason)

    def within(self, outer: str) -> "ParseError":
        """The same error, its path prefixed by the enclosing field."""
        return ParseError(f"{outer}.{self.where}" if self.where else outer, self.reason)


class ReadOnlyFields(Mapping[str, Any]):
    """A read-only view of the fields of an answer that the spec does not know (picklable)."""

    __slots__ = ("_data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self._data = data

    def __getitem__(self, key: str) -> Any:
        return self._data[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._data)

    def __len__(self) -> int:
        return len(self._data)

    def __repr__(self) -> str:
        # Values may be personal data: only the field names.
        return f"ReadOnlyFields(keys={sorted(self._data)!r})"

    def __reduce__(self) -> tuple[Any, ...]:
        return (ReadOnlyFields, (self._data,))


EMPTY: Mapping[str, Any] = ReadOnlyFields({})
"""The shared empty ``model_extra``."""


def no_extra() -> Mapping[str, Any]:
    """The default ``model_extra`` (the shared empty mapping)."""
    return EMPTY


def extra_fields(data: Mapping[str, Any], known: frozenset[str]) -> Mapping[str, Any]:
    """The fields of ``data`` the spec does not know, read-only."""
    return ReadOnlyFields({key: value for key, value in data.items() if key not in known})


def parse_date(value: object, where: str) -> datetime.date:
    """An ISO 8601 date (``YYYY-MM-DD``) from its JSON string."""
    if type(value) is not str:
        raise ParseError(where, "expected a date string")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise ParseError(where, "not a valid date") from None


def parse_datetime(value: object, where: str) -> datetime.datetime:
    """An ISO 8601 date-time from its JSON string."""
    if type(value) is not str:
        raise ParseError(where, "expected a date-time string")
    try:
        return datetime.datetime.fromisoformat(value)
    except ValueError:
        raise ParseError(where, "not a valid date-time") from None


__all__ = [
    "EMPTY",
    "UNSET",
    "File",
    "FileTypes",
    "ParseError",
    "ReadOnlyFields",
    "RequestFiles",
    "Response",
    "Unset",
    "extra_fields",
    "no_extra",
    "parse_date",
    "parse_datetime",
]
