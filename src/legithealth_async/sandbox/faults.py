"""Fault injection: what can go wrong with a request, per operation, drawn from a seeded RNG.

A :class:`FaultPlan` says how often each fault happens to one operation (or to every operation,
under the key ``"*"``). On each request one uniform draw picks at most one fault among the rates
(in the order of :data:`FAULT_KINDS`); latency is added independently of that draw.

Faults that strike *before* the effect (the request never reaches the domain):
``drop_before`` (connection closed), ``error`` (a JSON 500/502/503/504), ``rate_limit``
(429 with ``Retry-After``), ``html_502`` (a proxy's HTML page). Faults that strike *after* the
effect was applied: ``drop_after`` (connection closed: the create happened but the client never
hears of it), ``stall`` (headers sent, the body held back), ``unknown_enum`` (open-string fields
carry values the client has never seen), ``missing_field`` (optional fields left out).
"""

from __future__ import annotations

import dataclasses
import difflib
import random
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

#: ``faults.set`` takes the client's method names too. The sandbox imports nothing of the client,
#: so it keeps its own copy of what each method sends; a test holds it equal to the client's
#: table (``legithealth_async.errors.OPERATION_METHODS``).
CLIENT_METHODS: dict[str, str] = {
    "patients.create": "createPatient",
    "patients.get": "getPatients",
    "patients.get_many": "getPatients",
    "patients.iter_many": "getPatients",
    "patients.patch": "patchPatient",
    "patients.auth_tokens": "getPatientsAuthTokens",
    "patients.login_links": "getPatientsAuthTokens",
    "episodes_of_care.list_for_condition": "getEpisodesOfCare",
    "episodes_of_care.create": "createEpisodeOfCare",
    "episodes_of_care.patch": "patchEpisodeOfCare",
    "encounters.create": "createEncounter",
    "practitioners.create": "createPractitioner",
    "practitioners.specialties": "getPractitionerSpecialties",
    "practitioners.auth_tokens": "getPractitionerAuthTokens",
    "practitioners.login_links": "getPractitionerAuthTokens",
}

ALL_OPERATIONS = "*"

FAULT_KINDS = (
    "drop_before",
    "drop_after",
    "error",
    "rate_limit",
    "html_502",
    "stall",
    "unknown_enum",
    "missing_field",
)
BEFORE_EFFECT = frozenset({"drop_before", "error", "rate_limit", "html_502"})
ERROR_STATUSES = frozenset({500, 502, 503, 504})


@dataclass(frozen=True)
class FaultPlan:
    """How one operation misbehaves. Rates are probabilities in [0, 1] summing to at most 1.

    ``latency_ms`` ± ``jitter_ms`` (uniform) is added to every request. ``limit`` caps how many
    faults (not latencies) this plan injects in total; ``None`` is no cap, so
    ``FaultPlan(error_rate=1, limit=2)`` fails the first two requests and then lets them pass.
    ``stall_seconds=None`` stalls until the client gives up.
    """

    latency_ms: float = 0.0
    jitter_ms: float = 0.0
    drop_before_rate: float = 0.0
    drop_after_rate: float = 0.0
    error_rate: float = 0.0
    error_status: int = 503
    rate_limit_rate: float = 0.0
    retry_after: str | None = "1"
    html_502_rate: float = 0.0
    stall_rate: float = 0.0
    stall_seconds: float | None = None
    unknown_enum_rate: float = 0.0
    missing_field_rate: float = 0.0
    limit: int | None = None

    def __post_init__(self) -> None:
        rates = self.rates()
        for kind, rate in rates.items():
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"{kind}_rate must be within [0, 1]")
        if sum(rates.values()) > 1.0 + 1e-9:
            raise ValueError("fault rates must add up to at most 1")
        if self.error_status not in ERROR_STATUSES:
            raise ValueError("error_status must be one of 500, 502, 503, 504")
        if self.latency_ms < 0 or self.jitter_ms < 0:
            raise ValueError("latency_ms and jitter_ms must not be negative")
        if self.stall_seconds is not None and self.stall_seconds < 0:
            raise ValueError("stall_seconds must not be negative")
        if self.limit is not None and self.limit < 0:
            raise ValueError("limit must not be negative")

    def rates(self) -> dict[str, float]:
        """The rate of each fault kind, in draw order."""
        return {kind: float(getattr(self, f"{kind}_rate")) for kind in FAULT_KINDS}

    @classmethod
    def parse(cls, text: str) -> FaultPlan:
        """A plan from ``key=value,key=value`` (field names, or the short aliases of the CLI).

        Aliases: ``status`` (error_status), ``latency`` (latency_ms), ``jitter`` (jitter_ms),
        ``stall_s`` (stall_seconds), and every ``<kind>`` for ``<kind>_rate``.
        """
        aliases = {
            "status": "error_status",
            "latency": "latency_ms",
            "jitter": "jitter_ms",
            "stall_s": "stall_seconds",
            **{kind: f"{kind}_rate" for kind in FAULT_KINDS},
        }
        fields = {f.name: f for f in dataclasses.fields(cls)}
        values: dict[str, Any] = {}
        for pair in filter(None, (p.strip() for p in text.split(","))):
            key, sep, raw = pair.partition("=")
            name = aliases.get(key.strip(), key.strip())
            if not sep or name not in fields:
                raise ValueError(f"unknown fault setting {key.strip()!r}")
            raw = raw.strip()
            if name == "retry_after":
                values[name] = None if raw in ("", "none") else raw
            elif name in ("error_status", "limit"):
                values[name] = None if raw == "none" else int(raw)
            elif name == "stall_seconds":
                values[name] = None if raw in ("", "none", "forever") else float(raw)
            else:
                values[name] = float(raw)
        return cls(**values)


def parse_fault_option(text: str) -> tuple[str, FaultPlan]:
    """``createPatient:error_rate=0.1,status=503`` → (operationId, plan); ``*`` or ``all`` = all."""
    operation, sep, settings = text.partition(":")
    if not sep:
        raise ValueError("a fault is OPERATION:key=value[,key=value...]")
    operation = operation.strip()
    return (ALL_OPERATIONS if operation in ("all", "") else operation), FaultPlan.parse(settings)


@dataclass(frozen=True)
class FaultDecision:
    """What happens to one request: added latency (seconds) and at most one fault."""

    latency_s: float
    kind: str | None
    plan: FaultPlan | None


NO_FAULT = FaultDecision(0.0, None, None)


class Faults:
    """The fault plans of a sandbox, settable at any time; draws come from a seeded RNG."""

    def __init__(self, operations: Iterable[str], seed: int | str | None = None) -> None:
        self._operations = frozenset(operations)
        self._plans: dict[str, FaultPlan] = {}
        self._used: Counter[str] = Counter()
        self._rng = random.Random(None if seed is None else f"faults:{seed}")  # noqa: S311 - not crypto
        self.fired: Counter[tuple[str, str]] = Counter()
        """How many times each (operationId, fault kind) was injected."""

    def set(
        self, operation: str = ALL_OPERATIONS, plan: FaultPlan | None = None, **fields: Any
    ) -> FaultPlan:
        """Give ``operation`` a plan; returns it.

        ``operation`` is an operationId (``"getPatients"``), the client method that sends it
        (``"patients.get"``), or ``"*"`` for all. Pass a :class:`FaultPlan`, or its fields as
        keywords. A per-operation plan replaces the ``"*"`` plan for that operation entirely
        (they are not merged).
        """
        operation = self.operation_id(operation)
        if plan is not None and fields:
            raise TypeError("give a FaultPlan or its fields, not both")
        plan = plan if plan is not None else FaultPlan(**fields)
        self._plans[operation] = plan
        self._used[operation] = 0
        return plan

    def operation_id(self, name: str) -> str:
        """The operationId ``name`` means (itself, or the one a client method sends); a
        ``ValueError`` listing the valid names when it is neither."""
        if name == ALL_OPERATIONS or name in self._operations:
            return name
        methods = {m: op for m, op in CLIENT_METHODS.items() if op in self._operations}
        operation = methods.get(name.removeprefix("lh."))
        if operation is not None:
            return operation
        known = sorted(self._operations)
        close = difflib.get_close_matches(name, [*known, *methods], n=1)
        hint = f" (did you mean {close[0]}?)" if close else ""
        raise ValueError(
            f"unknown operation {name!r}{hint}: give one of {', '.join(known)}, a client method "
            f"that sends one ({', '.join(methods)}), or '*' for all"
        )

    def clear(self, operation: str | None = None) -> None:
        """Remove the plan of ``operation`` (``None``: every plan)."""
        if operation is None:
            self._plans.clear()
            self._used.clear()
        else:
            self._plans.pop(operation, None)
            self._used.pop(operation, None)

    def get(self, operation: str) -> FaultPlan | None:
        """The plan that applies to ``operation``: its own, else the ``"*"`` plan, else None."""
        return self._plans.get(operation, self._plans.get(ALL_OPERATIONS))

    @property
    def plans(self) -> dict[str, FaultPlan]:
        """A copy of the plans by operation (``"*"`` included)."""
        return dict(self._plans)

    def decide(self, operation: str) -> FaultDecision:
        """Draw what happens to one request of ``operation``."""
        key = operation if operation in self._plans else ALL_OPERATIONS
        plan = self._plans.get(key)
        if plan is None:
            return NO_FAULT
        latency = plan.latency_ms
        if plan.jitter_ms:
            latency += self._rng.uniform(-plan.jitter_ms, plan.jitter_ms)
        kind = None
        if plan.limit is None or self._used[key] < plan.limit:
            draw, cumulative = self._rng.random(), 0.0
            for candidate, rate in plan.rates().items():
                cumulative += rate
                if rate and draw < cumulative:
                    kind = candidate
                    break
        if kind is not None:
            self._used[key] += 1
            self.fired[(operation, kind)] += 1
        return FaultDecision(max(latency, 0.0) / 1000.0, kind, plan)
