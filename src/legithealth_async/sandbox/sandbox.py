"""The public object: one in-memory Legit.Health, its clock, its faults and its inspection."""

from __future__ import annotations

import datetime as dt
import functools
import secrets
from collections import deque
from pathlib import Path
from typing import Any

import httpx

from .app import CreatePatientHook, RequestRecord, SandboxApp, build_app
from .clock import SandboxClock
from .faults import Faults
from .ratelimit import RateLimit
from .spec import SPEC_PATH, Contract, load_contract
from .state import OutboxMessage, World
from .transport import SandboxTransport
from .validation import OperationValidator, compile_validators

IN_PROCESS_HOST = "http://sandbox"
REQUEST_LOG_SIZE = 100_000


@functools.cache
def _validators(spec: Path) -> dict[str, OperationValidator]:
    return compile_validators(load_contract(spec))


class Sandbox:
    """A faithful, stateful, in-memory fake of the Legit.Health integration API.

    ``token`` is the ``X-API-TOKEN`` it accepts (random when not given); ``seed`` makes ids,
    tokens and fault draws reproducible (without one they differ on every run); ``start``
    freezes the clock at that instant (else it follows real time; ``frozen`` overrides either
    default). Use :attr:`app` with any ASGI server, :meth:`transport` (or :meth:`client`)
    in-process, or :func:`serve` on loopback.

    ``spec`` serves another OpenAPI document than the packaged contract (operations the sandbox
    has no rule for answer 501 naming the operation). ``validate_answers=True`` checks every
    answer of the rules against the spec: one that breaks it becomes a 500 naming the field,
    and is listed in :attr:`answer_violations` (tests should turn it on).

    Not thread-safe: all requests run on one event loop (each rule applies without awaiting,
    so concurrent requests never see half an effect). With :class:`SandboxServer` (another
    thread), call :meth:`advance`, ``faults.set`` and the inspection methods between requests,
    not while some are in flight.
    """

    def __init__(
        self,
        token: str | None = None,
        seed: int | str | None = None,
        start: dt.datetime | None = None,
        *,
        frozen: bool | None = None,
        spec: str | Path | None = None,
        validate_answers: bool = False,
    ) -> None:
        self.token: str = token if token is not None else "sbx_" + secrets.token_urlsafe(18)
        """The API token the sandbox accepts in ``X-API-TOKEN``."""
        self.seed: int | str = seed if seed is not None else secrets.randbits(64)
        """The seed of ids, tokens and fault draws (drawn at random when none was given: pass
        it back as ``seed`` to replay a run)."""
        self.clock = SandboxClock(start, frozen=frozen)
        """The sandbox's clock; move it with :meth:`advance`."""
        spec_path = Path(spec).resolve() if spec is not None else SPEC_PATH
        self.contract: Contract = load_contract(spec_path)
        self.faults = Faults(self.contract.operations, self.seed)
        """The fault plans: ``sandbox.faults.set("createPatient", error_rate=0.5)``."""
        self._world = World(self.clock, self.seed)
        self._log: deque[RequestRecord] = deque(maxlen=REQUEST_LOG_SIZE)
        self._inner = SandboxApp(
            self.contract,
            _validators(spec_path),
            self._world,
            self.faults,
            self.clock,
            self.token,
            self._log,
            validate_answers=validate_answers,
        )
        self.app = build_app(self._inner, self.contract.base_path)
        """The ASGI application (Starlette)."""

    @property
    def base_url(self) -> str:
        """The base URL to give a client that uses :meth:`transport`."""
        return IN_PROCESS_HOST + self.contract.base_path

    def transport(self) -> httpx.AsyncBaseTransport:
        """A new in-process transport to this sandbox (drops and stalls surface as httpx errors)."""
        return SandboxTransport(self.app)

    def client(self, **kwargs: Any) -> httpx.AsyncClient:
        """An ``httpx.AsyncClient`` on :meth:`transport`, with the base URL and the token set."""
        headers = {"X-API-TOKEN": self.token, **kwargs.pop("headers", {})}
        kwargs.setdefault("base_url", self.base_url)
        return httpx.AsyncClient(transport=self.transport(), headers=headers, **kwargs)

    def set_rate_limit(
        self, limit: RateLimit | float | None, *, burst: float | None = None
    ) -> None:
        """Answer 429 + Retry-After beyond ``limit`` requests a second (None: no limit).

        Give a :class:`~legithealth_async.sandbox.ratelimit.RateLimit` or a rate (with its
        ``burst``, by default a tenth of a second's worth); its counters say how many requests
        were allowed and refused.
        """
        if limit is not None and not isinstance(limit, RateLimit):
            limit = RateLimit(float(limit), burst)
        self._inner.rate_limit = limit

    @property
    def rate_limit(self) -> RateLimit | None:
        """The rate-limit mode in force, if any."""
        return self._inner.rate_limit

    @property
    def before_create_patient(self) -> CreatePatientHook | None:
        """An async callback awaited with each valid createPatient body (a dict, read only) just
        before the create is applied; None (the default): no hook.

        A test hook: it can hold creates at a chosen point (``sandbox.patient_count`` says how
        many patients exist when it is called) while the rest of the sandbox keeps answering,
        e.g. to signal or kill a client in a known state. It runs on the sandbox's event loop
        (with :class:`SandboxServer`, in the server's thread), so it must not block; an
        exception it raises answers 500 with nothing created.
        """
        return self._inner.before_create_patient

    @before_create_patient.setter
    def before_create_patient(self, hook: CreatePatientHook | None) -> None:
        self._inner.before_create_patient = hook

    def advance(
        self, *, days: float = 0, hours: float = 0, minutes: float = 0, seconds: float = 0
    ) -> int:
        """Move the clock forward and create the encounters that fall due; returns how many."""
        self.clock._advance(dt.timedelta(days=days, hours=hours, minutes=minutes, seconds=seconds))
        return self._world.tick()

    # -- inspection ------------------------------------------------------------------------

    def patient(self, external_id: str) -> dict[str, Any] | None:
        """The patient with this externalId, as getPatients would answer it; None if unknown."""
        record = self._world.patients.get(external_id)
        return record.to_wire() if record else None

    def patients(self) -> dict[str, dict[str, Any]]:
        """Every patient, by externalId."""
        return {key: p.to_wire() for key, p in self._world.patients.items()}

    @property
    def patient_count(self) -> int:
        """How many patients the sandbox holds (``len(patients())`` without building them)."""
        return len(self._world.patients)

    def practitioner(self, external_id: str) -> dict[str, Any] | None:
        """The practitioner with this externalId; None if unknown."""
        record = self._world.practitioners.get(external_id)
        return record.to_wire() if record else None

    def create_effects(self, external_id: str, operation: str = "createPatient") -> int:
        """How many ``operation`` requests for this externalId changed the state (0 or 1)."""
        return self._world.create_effects[(operation, external_id)]

    def create_attempts(self, external_id: str, operation: str = "createPatient") -> int:
        """How many ``operation`` requests for this externalId reached the rules (409s too).

        More than one means the client sent the create again, e.g. after a dropped answer.
        """
        return self._world.create_attempts[(operation, external_id)]

    def episodes(self, condition_id: str) -> list[dict[str, Any]]:
        """The condition's episodes of care, oldest first."""
        return [e.to_wire() for e in self._world.episodes_by_condition.get(condition_id, ())]

    def encounters(self, episode_id: str) -> list[dict[str, Any]]:
        """The episode's encounters, oldest first."""
        return [e.to_wire() for e in self._world.encounters_by_episode.get(episode_id, ())]

    @property
    def unimplemented_operations(self) -> list[str]:
        """Operations of the spec the sandbox has no rule for (each answers 501 naming itself)."""
        return list(self._inner.unimplemented)

    @property
    def answer_violations(self) -> list[str]:
        """With ``validate_answers=True``: each answer that broke the spec (empty is good)."""
        return list(self._inner.answer_violations)

    @property
    def outbox(self) -> list[OutboxMessage]:
        """Every verification and login-link message the sandbox 'sent', oldest first."""
        return list(self._world.outbox)

    @property
    def requests(self) -> list[RequestRecord]:
        """The request log, oldest first (the last 100,000 requests)."""
        return list(self._log)
