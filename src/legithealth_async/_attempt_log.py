"""What each attempt reports, from an allow-list: operation, method, path template, outcome
(status or failure name), time, attempt number, request id. Never a URL (it carries external
ids), a header, or a body. To the DEBUG log, and to an observer (``_observe``) when one is
installed."""

from __future__ import annotations

import logging
import time
from typing import Any

from . import _constants as C
from . import _observe
from ._answer import Result
from ._classify import Failure
from ._wire import Call
from .errors import APIConnectionError, APIStatusError, LegitHealthError, UnexpectedResponseError

logger = logging.getLogger(C.LOGGER_NAME)


def log_attempt(
    call: Call[Any], method: str, outcome: Result[Any] | Failure, started: float, attempt: int
) -> None:
    """Log one attempt (``started``: its ``time.perf_counter()``) if DEBUG is on."""
    if not logger.isEnabledFor(logging.DEBUG):
        return
    if isinstance(outcome, Result):
        shown: int | str = outcome.answer.status_code
        request_id = outcome.answer.request_id
    else:
        error = outcome.error
        shown = _outcome_name(error)
        request_id = error.request_id if isinstance(error, _WITH_REQUEST_ID) else None
    logger.debug(
        "%s %s %s -> %s in %.1f ms (attempt %d, request id %s)",
        call.name,
        method,
        call.path,
        shown,
        (time.perf_counter() - started) * 1000.0,
        attempt,
        request_id or "-",
    )


_WITH_REQUEST_ID = (APIStatusError, UnexpectedResponseError)


def observe_attempt(
    observed: _observe.CallScope,
    call: Call[Any],
    method: str,
    outcome: Result[Any] | Failure,
    started: float,
) -> None:
    """Hand one attempt to the observer: status (None: no answer), error type, request id."""
    if isinstance(outcome, Result):
        status: int | None = outcome.answer.status_code
        error_type = None
        request_id = outcome.answer.request_id
    else:
        error = outcome.error
        status, request_id = None, None
        if isinstance(error, _WITH_REQUEST_ID):
            status, request_id = error.status_code, error.request_id
        error_type = _error_type(error)
    observed.attempt(
        call.name,
        method,
        call.path,
        started=started,
        ended=time.perf_counter(),
        status=status,
        error_type=error_type,
        request_id=request_id,
    )


def _error_type(error: LegitHealthError) -> str:
    """``error.type``: the status of an error answer, or the failure's class name."""
    if isinstance(error, APIStatusError):
        return str(error.status_code)
    if isinstance(error, APIConnectionError):
        return error.reason
    return type(error).__name__


def _outcome_name(error: LegitHealthError) -> int | str:
    if isinstance(error, APIStatusError | UnexpectedResponseError):
        return error.status_code
    if isinstance(error, APIConnectionError):
        return error.reason
    return type(error).__name__
