"""What every resource shares: its session, per-call extras, and token lookups."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import re
import typing
from collections.abc import Callable, Iterable, Mapping
from typing import Any, TypedDict, TypeVar, cast

from .. import _validation as check
from .._session import Find, Session, extras_of
from .._tasks import in_order
from .._wire import Call
from ..errors import MissingArgumentError
from ..models import AuthToken
from ..pagination import Lookup, chunk_ids, unique

T = TypeVar("T")
F = TypeVar("F", bound=Callable[..., Any])


class RequestExtras(TypedDict, total=False):
    """Per-call additions, as keyword arguments of every method that sends one request.

    ``extra_headers`` (never ``X-API-TOKEN``: a :class:`~legithealth_async.ValidationError`),
    ``extra_query`` (query parameters) and ``extra_body`` (top-level JSON fields), for what the
    contract does not know yet. Never shown in a ``repr`` or a log line.
    """

    extra_headers: Mapping[str, str]
    extra_query: Mapping[str, Any]
    extra_body: Mapping[str, Any]


def checked(method: F) -> F:
    """A resource's public ``method``, its arguments checked before anything is sent.

    A keyword it does not take raises :class:`~legithealth_async.errors.UnknownKeywordError`
    naming the closest one (``externalId=`` -> ``external_id``), even where Python would only
    say that a required argument is missing; a required argument not given raises
    :class:`~legithealth_async.errors.MissingArgumentError` naming it. What the method takes is
    read once, here, from its signature (``**kwargs: Unpack[TD]``: the TypedDict's keys), so a
    call costs a set lookup per keyword. The signature seen by type checkers is unchanged.
    """
    arguments = _Arguments(method)
    if inspect.isasyncgenfunction(method):  # checked when called, as Python checks its own

        @functools.wraps(method)
        def iterate(self: Resource, /, *args: Any, **kwargs: Any) -> Any:
            arguments.check(self, args, kwargs)
            return method(self, *args, **kwargs)

        return cast(F, iterate)

    @functools.wraps(method)
    async def call(self: Resource, /, *args: Any, **kwargs: Any) -> Any:
        arguments.check(self, args, kwargs)
        return await method(self, *args, **kwargs)

    return cast(F, call)


class _Arguments:
    """The keywords a method takes (in order, for the suggestion) and the required ones, each
    with its position when it may be given positionally."""

    __slots__ = ("known", "method", "names", "required")

    def __init__(self, method: Callable[..., Any]) -> None:
        self.method = method.__name__
        names: list[str] = []
        required: list[tuple[str, int | None]] = []
        parameters = list(inspect.signature(method).parameters.values())[1:]  # after self
        for position, parameter in enumerate(parameters):
            if parameter.kind is parameter.VAR_KEYWORD:
                typed_dict = _unpacked(method, parameter.annotation)
                must = check.required_keys(typed_dict)
                names.extend(typed_dict.__annotations__)
                required.extend((key, None) for key in typed_dict.__annotations__ if key in must)
            elif parameter.kind in (parameter.POSITIONAL_OR_KEYWORD, parameter.KEYWORD_ONLY):
                names.append(parameter.name)
                if parameter.default is parameter.empty:
                    by_position = parameter.kind is parameter.POSITIONAL_OR_KEYWORD
                    required.append((parameter.name, position if by_position else None))
            else:
                raise TypeError(f"{method.__qualname__}: *{parameter.name} is not checkable")
        self.names = tuple(names)
        self.known = frozenset(names)
        self.required = tuple(required)

    def check(self, resource: Resource, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        """Raise on the first unknown keyword, then on the first required argument missing."""
        if not self.known.issuperset(kwargs):
            check.keywords(self._label(resource), kwargs, self.names)
        for name, position in self.required:
            if name not in kwargs and (position is None or position >= len(args)):
                raise MissingArgumentError(self._label(resource), name)

    def _label(self, resource: Resource) -> str:
        """``patients.create``: the method as a user reaches it on the client."""
        return f"{check.snake_case(type(resource).__name__)}.{self.method}"


_UNPACK = re.compile(r"^(?:typing\.)?Unpack\[(\w+)\]$")


def _unpacked(method: Callable[..., Any], annotation: object) -> Any:
    """The TypedDict of ``**kwargs: Unpack[TD]`` (an annotation written as a string is looked up
    in the method's module); any other ``**kwargs`` could not be checked, so is refused."""
    if isinstance(annotation, str):
        match = _UNPACK.match(annotation)
        if match is not None:
            return method.__globals__[match[1]]
    elif typing.get_origin(annotation) is typing.Unpack:
        return typing.get_args(annotation)[0]
    raise TypeError(f"{method.__qualname__}: **kwargs must be Unpack[a TypedDict]")


def split_extras(kwargs: dict[str, Any]) -> RequestExtras:
    """Take the extras out of a method's keyword arguments (the rest are its fields)."""
    extras = RequestExtras()
    if "extra_headers" in kwargs:
        extras["extra_headers"] = kwargs.pop("extra_headers")
    if "extra_query" in kwargs:
        extras["extra_query"] = kwargs.pop("extra_query")
    if "extra_body" in kwargs:
        extras["extra_body"] = kwargs.pop("extra_body")
    return extras


class Resource:
    """A group of operations on one session (the client's sender and options)."""

    __slots__ = ("_session",)

    def __init__(self, session: Session) -> None:
        self._session = session

    def __repr__(self) -> str:
        return f"<{type(self).__name__}>"

    async def _call(
        self, call: Call[T], extras: RequestExtras, find: Find[Any, T] | None = None
    ) -> T:
        return await self._session.call(
            call,
            find=find,
            extras=extras_of(
                extras.get("extra_headers"), extras.get("extra_query"), extras.get("extra_body")
            ),
        )

    @property
    def _window(self) -> int:
        return self._session.sender.max_in_flight


class TokenResource(Resource):
    """A resource whose people log in with tokens (patients, practitioners)."""

    __slots__ = ()

    def _tokens_call(
        self, external_ids: list[str], send_link_by_email: bool
    ) -> Call[list[AuthToken]]:
        raise NotImplementedError

    @checked
    async def auth_tokens(
        self, external_ids: Iterable[str], *, send_link_by_email: bool = False
    ) -> Lookup[AuthToken]:
        """Log-in tokens for any number of ids, in the order asked, with the ids not found.

        ``send_link_by_email`` also emails each person their login link; a retry could then
        send a second email, so an ambiguous failure raises
        :class:`~legithealth_async.errors.AmbiguousOutcomeError` instead.
        """
        ids = unique(check.external_ids(external_ids))

        async def fetch(chunk: list[str]) -> list[AuthToken]:
            call = self._tokens_call(chunk, send_link_by_email)
            if send_link_by_email:  # a second email is an effect: never repeated blind
                call = dataclasses.replace(call, idempotent=False)
            return await self._call(call, {})

        found: list[AuthToken] = []
        missing: list[str] = []
        chunks = chunk_ids(ids, max_query_bytes=None)
        async for chunk, tokens in in_order(chunks, fetch, window=self._window):
            by_id = {t.external_id: t for t in tokens}
            for ext_id in chunk:
                token = by_id.get(ext_id)
                if token is None:
                    missing.append(ext_id)
                else:
                    found.append(token)
        return Lookup(found, missing)

    @checked
    async def login_links(self, external_ids: Iterable[str]) -> dict[str, str]:
        """``external_id -> login link`` for each one found (both tokens URL-encoded)."""
        tokens = await self.auth_tokens(external_ids)
        return {t.external_id: t.login_link for t in tokens.found}
