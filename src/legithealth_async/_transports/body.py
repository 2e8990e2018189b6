"""Reading an answer's body within a bound on its DECODED size.

httpx inflates each compressed chunk whole before anyone can count it, so a gzip bomb (6 MB on
the wire, 1 GiB inflated) grows the process by gigabytes. Here the raw bytes are read and inflated
with ``max_length``: memory never exceeds the bound (plus one wire chunk), whatever the ratio.
"""

from __future__ import annotations

import zlib
from collections.abc import AsyncIterable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import httpx

from .._budget import DECODED
from ..errors import UnexpectedResponseError


@dataclass(frozen=True, slots=True, repr=False)
class Reply:
    """One answer, read whole and decoded."""

    status: int
    headers: Mapping[str, str]
    """httpx's ``Headers`` (case-insensitive) or a dict whose names are lower case: look names
    up in lower case."""
    raw_headers: Sequence[tuple[bytes, bytes]]
    content: bytes


#: Inflated at most this much per zlib call: the peak stays near the bound, not twice it.
_PIECE = 1024 * 1024
#: A body's first bytes are not counted against the budget of bytes in flight (``_budget``):
#: answers are small, and the lock is then never taken; a bomb passes this in its first piece.
_UNCOUNTED = 256 * 1024


class _Inflater:
    """gzip / deflate (zlib or raw, as servers send both) / identity, bounded per call."""

    __slots__ = ("_d", "_deflate", "_first")

    def __init__(self, encoding: str) -> None:
        self._deflate = encoding == "deflate"
        self._first = True
        if encoding == "gzip":
            self._d: zlib._Decompress | None = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif self._deflate:
            self._d = zlib.decompressobj()
        else:
            self._d = None

    def feed(self, data: bytes, room: int) -> Iterator[bytes]:
        """The decoded pieces of ``data`` (each at most ``_PIECE``), stopping past ``room``."""
        if self._d is None:
            yield data
            return
        if self._deflate and self._first:
            self._first = False
            try:
                zlib.decompressobj().decompress(data[:2])
            except zlib.error:  # a raw deflate stream (no zlib header)
                self._d = zlib.decompressobj(-zlib.MAX_WBITS)
        while data and room >= 0:
            piece = self._d.decompress(data, min(room + 1, _PIECE))
            data = self._d.unconsumed_tail
            room -= len(piece)
            yield piece

    def flush(self, room: int) -> bytes:
        if self._d is None:
            return b""
        return self._d.flush(room + 1)


def checked_encoding(operation: str, status: int, headers: Mapping[str, str], limit: int) -> str:
    """The answer's content encoding, once its headers pass the checks made before reading.

    Refused: a declared length over ``limit``, an encoding other than gzip/deflate/identity.
    ``headers``: names looked up in lower case (httpx's ``Headers``, or a lower-cased dict).
    """
    declared = headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise UnexpectedResponseError(operation, status, f"body over {limit} bytes")
    encoding = headers.get("content-encoding", "identity").strip().lower()
    if encoding not in ("gzip", "deflate", "identity", ""):
        raise UnexpectedResponseError(operation, status, "unsupported content encoding")
    return encoding


async def read_bounded(
    operation: str,
    response: httpx.Response,
    limit: int,
    timed: Callable[[AsyncIterable[bytes]], AsyncIterable[bytes]] | None = None,
) -> bytes:
    """The whole decoded body of an httpx response, or :class:`UnexpectedResponseError` past
    ``limit`` bytes (see :func:`checked_encoding` and :func:`inflate_bounded`); ``timed`` wraps
    the raw chunks (each awaited within the read timeout)."""
    status = response.status_code
    encoding = checked_encoding(operation, status, response.headers, limit)
    try:
        content = response.content  # read already (an in-memory answer, e.g. a mock transport)
    except httpx.ResponseNotRead:
        chunks: AsyncIterable[bytes] = response.aiter_raw()
        if timed is not None:
            chunks = timed(chunks)
        return await inflate_bounded(operation, status, encoding, chunks, limit)
    if len(content) > limit:
        raise UnexpectedResponseError(operation, status, f"body over {limit} bytes (decoded)")
    return content


class BoundedBody:
    """A body fed chunk by chunk as it arrives, decoded, never holding more than ``limit`` bytes.

    :meth:`feed` and :meth:`finish` raise :class:`UnexpectedResponseError` past the bound, or on
    a corrupt compressed stream.
    """

    __slots__ = ("_held", "_inflater", "_limit", "_operation", "_pieces", "_size", "_status")

    def __init__(self, operation: str, status: int, encoding: str, limit: int) -> None:
        self._operation = operation
        self._status = status
        self._limit = limit
        self._inflater = _Inflater(encoding)
        # A list of pieces, joined once at the end: growing one buffer would copy it on every
        # resize and double the peak.
        self._pieces: list[bytes] = []
        self._size = 0
        self._held = 0  # taken from the process's budget of decoded bytes (_budget)

    def feed(self, chunk: bytes) -> None:
        """Decode and keep one raw chunk."""
        try:
            for piece in self._inflater.feed(chunk, self._limit - self._size):
                size = self._size + len(piece)
                if size > _UNCOUNTED:
                    self._hold(size - self._held)
                self._pieces.append(piece)
                self._size = size
        except zlib.error:
            self.release()
            raise self._error("corrupt compressed body") from None
        if self._size > self._limit:
            self.release()
            raise self._error(f"body over {self._limit} bytes (decoded)")

    def _hold(self, size: int) -> None:
        if not DECODED.take(size, self._held):
            self.release()
            raise self._error(f"decoded answers in flight over {DECODED.capacity} bytes")
        self._held += size

    def release(self) -> None:
        """Give this body's bytes back to the budget (it is handed over, or abandoned)."""
        held, self._held = self._held, 0
        self._pieces = []
        if held:
            DECODED.give(held)

    def finish(self) -> bytes:
        """The whole decoded body (the raw body has ended); its bytes leave the budget."""
        try:
            piece = self._inflater.flush(self._limit - self._size)
            self._size += len(piece)
            if self._size > self._limit:
                raise self._error(f"body over {self._limit} bytes (decoded)")
            self._pieces.append(piece)
            return b"".join(self._pieces)
        except zlib.error:
            raise self._error("corrupt compressed body") from None
        finally:
            self.release()

    def _error(self, reason: str) -> UnexpectedResponseError:
        return UnexpectedResponseError(self._operation, self._status, reason)


async def inflate_bounded(
    operation: str, status: int, encoding: str, chunks: AsyncIterable[bytes], limit: int
) -> bytes:
    """The raw ``chunks`` of a body decoded, never holding more than ``limit`` bytes of it.

    Refused: more than ``limit`` decoded bytes, and a corrupt compressed stream.
    """
    body = BoundedBody(operation, status, encoding, limit)
    try:
        async for chunk in chunks:
            body.feed(chunk)
        return body.finish()
    finally:
        body.release()  # abandoned (cancelled, cut short): its bytes leave the budget
