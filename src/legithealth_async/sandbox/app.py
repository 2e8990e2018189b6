"""The ASGI application: routing from the contract, auth, validation, faults, then the world.

The order of a request: route (404/405) → due tracking encounters → fault draw → latency →
faults that strike before the effect → ``X-API-TOKEN`` (401) → parameters and body (400) → a
create's hook (``Sandbox.before_create_patient``) → the rule in :mod:`.state` (the effect) →
faults that strike after it → the answer.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl, unquote_to_bytes

import anyio
from starlette.applications import Starlette
from starlette.types import Message, Receive, Scope, Send

from .clock import SandboxClock
from .errors import ApiError, DroppedConnection, not_implemented, validation_error
from .faults import BEFORE_EFFECT, FaultPlan, Faults
from .mutations import with_unknown_enums, without_optional_fields
from .ratelimit import RateLimit
from .spec import Contract, Operation
from .state import World
from .validation import AnswerInvalid, OperationValidator, RequestInvalid, to_json_schema

logger = logging.getLogger("legithealth_async.sandbox")

HTML_502 = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n</body>\r\n</html>\r\n"
)
_ERROR_CODES = {
    500: ("INTERNAL_ERROR", "Internal server error"),
    502: ("BAD_GATEWAY", "Bad gateway"),
    503: ("SERVICE_UNAVAILABLE", "Service unavailable"),
    504: ("GATEWAY_TIMEOUT", "Gateway timeout"),
}


@dataclass(frozen=True)
class RequestRecord:
    """One request the sandbox saw. It holds no request values (no ids, no personal data).

    ``status`` is None when the connection was dropped (for a stall it is the status of the
    answer held back, even when the client gave up before the body came); ``effect_applied``
    says whether the request changed the sandbox's state; ``fault`` is the injected fault kind.
    """

    operation_id: str | None
    method: str
    route: str
    status: int | None
    effect_applied: bool
    fault: str | None
    latency_s: float
    duration_s: float


Handler = Callable[[dict[str, Any], Any], Any]

#: Awaited with each valid createPatient body just before the create is applied.
CreatePatientHook = Callable[[dict[str, Any]], Awaitable[None]]


def _handlers(world: World) -> dict[str, Handler]:
    return {
        "createPatient": lambda p, b: world.create_patient(b),
        "getPatients": lambda p, b: world.get_patients(p["externalIds[]"]),
        "patchPatient": lambda p, b: world.patch_patient(p["externalId"], b),
        "getPatientsAuthTokens": lambda p, b: world.patients_auth_tokens(b),
        "getEpisodesOfCare": lambda p, b: world.get_episodes(p["conditionId"]),
        "createEpisodeOfCare": lambda p, b: world.create_episode(p["conditionId"], b),
        "patchEpisodeOfCare": lambda p, b: world.patch_episode(p["episodeOfCareId"], b),
        "createEncounter": lambda p, b: world.create_encounter(p["episodeOfCareId"], b),
        "createPractitioner": lambda p, b: world.create_practitioner(b),
        "getPractitionerSpecialties": lambda p, b: world.specialties(),
        "getPractitionerAuthTokens": lambda p, b: world.practitioners_auth_tokens(b),
    }


def _encode(payload: Any) -> bytes:
    return json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _headers(content_type: bytes, body: bytes, extra: dict[str, str] | None = None) -> list[Any]:
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    for name, value in (extra or {}).items():
        headers.append((name.lower().encode("latin-1"), value.encode("latin-1")))
    return headers


def _reject_constant(name: str) -> Any:
    raise ValueError(name)


class _Answer:
    """A status, a body and extra headers, before faults decide how (or whether) it is sent."""

    __slots__ = ("body", "content_type", "headers", "payload", "status")

    def __init__(
        self,
        status: int,
        payload: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
        content_type: bytes = b"application/json",
    ) -> None:
        self.status = status
        self.payload = payload
        self.headers = headers or {}
        self.body = raw if raw is not None else _encode(payload)
        self.content_type = content_type

    @classmethod
    def error(cls, error: ApiError, headers: dict[str, str] | None = None) -> _Answer:
        return cls(error.status, error.body(), headers=headers)


class SandboxApp:
    """The raw ASGI callable mounted at the contract's base path."""

    def __init__(
        self,
        contract: Contract,
        validators: dict[str, OperationValidator],
        world: World,
        faults: Faults,
        clock: SandboxClock,
        token: str,
        log: deque[RequestRecord],
        *,
        validate_answers: bool = False,
    ) -> None:
        self.contract = contract
        self.validators = validators
        self.world = world
        self.faults = faults
        self.clock = clock
        self._token = token.encode("utf-8")
        self.log = log
        self.rate_limit: RateLimit | None = None
        """The rate-limit mode (:meth:`Sandbox.set_rate_limit`); None: no limit."""
        self.validate_answers = validate_answers
        self.answer_violations: list[str] = []
        self.before_create_patient: CreatePatientHook | None = None
        """See :attr:`Sandbox.before_create_patient`."""
        # Operations of the contract the sandbox has no rule for answer 501 (see _answer).
        self._handlers = _handlers(world)
        self.unimplemented = sorted(set(contract.operations) - set(self._handlers))
        self._base = contract.base_path.encode("ascii")
        self._routes = sorted(
            contract.operations.values(), key=lambda op: op.literal_segments, reverse=True
        )
        self._answer_schemas = {
            op_id: to_json_schema(contract.document, op.success_schema)
            for op_id, op in contract.operations.items()
        }

    # -- routing ---------------------------------------------------------------------------

    def _segments(self, scope: Scope) -> list[str]:
        raw: bytes = scope.get("raw_path") or scope["path"].encode("utf-8")
        raw = raw.split(b"?", 1)[0]
        if raw != self._base and not raw.startswith(self._base + b"/"):
            return []  # outside the base path: no operation matches
        raw = raw[len(self._base) :]
        return [
            unquote_to_bytes(part).decode("utf-8", "replace")
            for part in raw.strip(b"/").split(b"/")
        ]

    def _match(
        self, method: str, segments: list[str]
    ) -> tuple[Operation | None, dict[str, str], list[str]]:
        allowed: list[str] = []
        for op in self._routes:
            if len(op.segments) != len(segments):
                continue
            params: dict[str, str] = {}
            for template, value in zip(op.segments, segments, strict=True):
                if template.startswith("{"):
                    params[template[1:-1]] = value
                elif template != value:
                    break
            else:
                if op.method == method:
                    return op, params, allowed
                allowed.append(op.method)
        return None, {}, allowed

    # -- the request -----------------------------------------------------------------------

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Serve one HTTP request."""
        if scope["type"] != "http":
            return
        started = time.perf_counter()
        method = scope["method"]
        op, path_params, allowed = self._match(method, self._segments(scope))
        if op is None:
            if allowed:
                error = ApiError(405, "METHOD_NOT_ALLOWED", "Method not allowed")
                answer = _Answer.error(error, {"Allow": ", ".join(sorted(set(allowed)))})
            else:
                answer = _Answer.error(ApiError(404, "NOT_FOUND", "Not found"))
            self._record(None, method, "?", answer.status, False, None, 0.0, started)
            await self._send(send, answer)
            return

        self.world.tick()
        decision = self.faults.decide(op.operation_id)
        kind = decision.kind
        status: int | None = None
        effect = recorded = False

        def record() -> None:
            nonlocal recorded
            recorded = True
            self._record(
                op.operation_id, method, op.path, status, effect, kind, decision.latency_s, started
            )

        # Each path records the request *before* the client can see the outcome, so that a
        # client on another thread (loopback) always finds it in the log.
        try:
            if decision.latency_s:
                await anyio.sleep(decision.latency_s)
            if kind in BEFORE_EFFECT:
                assert decision.plan is not None
                if op.body_schema is not None:
                    await self._read_body(receive)  # unread bytes would turn a close into a reset
                answer = self._before_effect(kind, decision.plan)
            else:
                answer = await self._answer(op, path_params, scope, receive)
                effect = 200 <= answer.status < 300 and op.method != "GET"
                answer = self._mutate(op, kind, answer)
            if kind in ("drop_before", "drop_after"):
                record()
                await self._drop(send, answer)
            status = answer.status
            record()
            if kind == "stall":
                assert decision.plan is not None
                await send(self._start(answer))
                if not await self._wait_for_disconnect(receive, decision.plan.stall_seconds):
                    await send({"type": "http.response.body", "body": answer.body})
            else:
                await self._send(send, answer)
        finally:
            if not recorded:  # cancelled (e.g. a client timeout during the latency)
                record()

    def _record(
        self,
        operation_id: str | None,
        method: str,
        route: str,
        status: int | None,
        effect: bool,
        fault: str | None,
        latency_s: float,
        started: float,
    ) -> None:
        duration = time.perf_counter() - started
        self.log.append(
            RequestRecord(operation_id, method, route, status, effect, fault, latency_s, duration)
        )
        logger.info(
            "%s %s -> %s effect=%s fault=%s %.1fms",
            method,
            route,
            "dropped" if status is None else status,
            effect,
            fault or "-",
            duration * 1000,
        )

    async def _answer(
        self, op: Operation, path_params: dict[str, str], scope: Scope, receive: Receive
    ) -> _Answer:
        try:
            self._authenticate(op, scope)
            wait = self._over_limit(op)
            if wait is not None:
                if op.body_schema is not None:
                    await self._read_body(receive)  # unread bytes would turn a close into a reset
                error = ApiError(429, "RATE_LIMITED", "Too many requests")
                return _Answer.error(error, RateLimit.headers(wait))
            validator = self.validators[op.operation_id]
            query: dict[str, list[str]] = {}
            for name, value in parse_qsl(
                scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True
            ):
                query.setdefault(name, []).append(value)
            params = validator.parameters(path_params, query)
            body: Any = None
            if op.body_schema is not None:
                raw = await self._read_body(receive)
                present = bool(raw.strip())
                if present:
                    self._check_content_type(scope)
                    body = self._parse_json(raw)
                body = validator.body(body, present)
            handler = self._handlers.get(op.operation_id)
            if handler is None:
                return _Answer.error(not_implemented(op.operation_id))
            if op.operation_id == "createPatient" and self.before_create_patient is not None:
                await self.before_create_patient(body)
            answer = _Answer(op.success_status, handler(params, body))
        except RequestInvalid as invalid:
            answer = _Answer.error(validation_error(str(invalid)))
        except ApiError as error:
            answer = _Answer.error(error)
        except Exception as exc:  # a sandbox bug: answer like a server would, log no values
            logger.error("%s failed: %s", op.operation_id, type(exc).__name__)
            return _Answer.error(ApiError(500, "INTERNAL_ERROR", "Internal server error"))
        return self._checked(op, answer) if self.validate_answers else answer

    def _checked(self, op: Operation, answer: _Answer) -> _Answer:
        """``answer`` when it keeps the contract; else a 500 naming the broken field (and the
        violation recorded in :attr:`answer_violations`, for a test to fail on)."""
        try:
            self.validators[op.operation_id].answer(answer.status, answer.payload)
        except AnswerInvalid as invalid:
            self.answer_violations.append(str(invalid))
            logger.error("sandbox answer breaks the contract: %s", invalid)
            return _Answer.error(ApiError(500, "SANDBOX_CONTRACT_VIOLATION", str(invalid)))
        return answer

    def _over_limit(self, op: Operation) -> float | None:
        """With a rate limit set: None if this (authenticated) request is within it, else the
        seconds until it would be."""
        if self.rate_limit is None or op.auth_header is None:
            return None
        return self.rate_limit.take(self._token.decode("utf-8"))

    def _authenticate(self, op: Operation, scope: Scope) -> None:
        if op.auth_header is None:
            return
        wanted = op.auth_header.lower().encode("latin-1")
        sent = next((v for k, v in scope["headers"] if k == wanted), None)
        if sent is None:
            raise ApiError(401, "UNAUTHORIZED", f"Missing {op.auth_header} header")
        if not hmac.compare_digest(sent, self._token):
            raise ApiError(401, "UNAUTHORIZED", "Invalid API token")

    @staticmethod
    def _check_content_type(scope: Scope) -> None:
        sent = next((v for k, v in scope["headers"] if k == b"content-type"), None)
        if sent is None:
            return
        media = sent.split(b";", 1)[0].strip().lower()
        if media != b"application/json" and not media.endswith(b"+json"):
            raise validation_error("body: the content type must be application/json")

    @staticmethod
    def _parse_json(raw: bytes) -> Any:
        try:
            return json.loads(raw.decode("utf-8"), parse_constant=_reject_constant)
        except ValueError:
            raise validation_error("body: is not valid JSON") from None

    @staticmethod
    async def _read_body(receive: Receive) -> bytes:
        chunks = []
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                break
        return b"".join(chunks)

    # -- faults ----------------------------------------------------------------------------

    @staticmethod
    def _before_effect(kind: str | None, plan: FaultPlan) -> _Answer:
        """The answer of a fault that strikes before the request reaches the rules."""
        retry = {"Retry-After": plan.retry_after} if plan.retry_after is not None else {}
        if kind == "drop_before":
            return _Answer(200, raw=b'{"success":true}')
        if kind == "rate_limit":
            return _Answer.error(ApiError(429, "RATE_LIMITED", "Too many requests"), retry)
        if kind == "html_502":
            return _Answer(502, raw=HTML_502, content_type=b"text/html; charset=utf-8")
        code, message = _ERROR_CODES[plan.error_status]
        headers = retry if plan.error_status == 503 else {}
        return _Answer.error(ApiError(plan.error_status, code, message), headers)

    def _mutate(self, op: Operation, kind: str | None, answer: _Answer) -> _Answer:
        """Apply the answer-changing faults (to successful answers only)."""
        if not 200 <= answer.status < 300 or kind not in ("unknown_enum", "missing_field"):
            return answer
        if kind == "unknown_enum":
            payload = with_unknown_enums(answer.payload)
        else:
            payload = without_optional_fields(answer.payload, self._answer_schemas[op.operation_id])
        return _Answer(answer.status, payload, headers=answer.headers)

    @staticmethod
    async def _wait_for_disconnect(receive: Receive, seconds: float | None) -> bool:
        """Hold the answer back; True when the client went away meanwhile."""
        with anyio.move_on_after(seconds):
            while True:
                message: Message = await receive()
                if message["type"] == "http.disconnect":
                    return True
        return False

    async def _drop(self, send: Send, answer: _Answer) -> None:
        """Start the answer, send half of its body, then make the server close the connection."""
        await send(self._start(answer))
        half = answer.body[: len(answer.body) // 2]
        await send({"type": "http.response.body", "body": half, "more_body": True})
        raise DroppedConnection

    @staticmethod
    def _start(answer: _Answer) -> Message:
        return {
            "type": "http.response.start",
            "status": answer.status,
            "headers": _headers(answer.content_type, answer.body, answer.headers),
        }

    async def _send(self, send: Send, answer: _Answer) -> None:
        await send(self._start(answer))
        await send({"type": "http.response.body", "body": answer.body})


def build_app(inner: SandboxApp, base_path: str) -> Starlette:
    """The Starlette application; every request goes to ``inner`` (through Starlette's
    error middleware), which routes on the raw path itself.

    Starlette's own routing is left out on purpose: it matches the *decoded* path with regular
    expressions, so a percent-encoded ``/`` or newline inside an externalId would miss.
    """
    app = Starlette()
    app.router.default = inner  # what Router calls when none of its (zero) routes matches
    return app
