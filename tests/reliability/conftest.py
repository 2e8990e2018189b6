"""Helpers shared by the reliability tests: checks on the end state (the rest is in _toolkit)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from _toolkit import held_conditions, make_records, state

from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import PatientRecord, SyncOutcome

__all__ = [
    "check_created_as_recorded",
    "faults_by_kind",
    "held_conditions",
    "make_records",
    "outcome_counts",
    "state",
    "wanted_conditions",
]


def _frequency(frequency: Any) -> tuple[int, str] | None:
    """A record's condition frequency as (every, unit), like ``held_conditions`` gives it."""
    if frequency is None:
        return None
    return int(frequency.every), str(getattr(frequency.unit, "value", frequency.unit))


def wanted_conditions(record: PatientRecord) -> list[tuple[str, str, bool, Any]]:
    """The conditions a freshly created patient must have, as the record says."""
    return sorted(
        (
            str(c.pathology_code),
            str(c.body_site_code),
            bool(c.is_tracked),
            _frequency(c.frequency) if c.is_tracked else None,
        )
        for c in record.conditions
    )


def check_created_as_recorded(sandbox: Sandbox, records: Iterable[PatientRecord]) -> dict[str, int]:
    """Every record's patient exists once, with the record's conditions, each condition with
    exactly one episode of care, active (a created condition is never paused). Returns counts
    of what was checked (patients, conditions, episodes)."""
    checked: Counter[str] = Counter()
    for record in records:
        patient = sandbox.patient(record.external_id)
        assert patient is not None, f"line {record.line}: lost"
        assert sandbox.create_effects(record.external_id) == 1, f"line {record.line}: duplicated"
        assert held_conditions(patient) == wanted_conditions(record), f"line {record.line}"
        for key, value in (
            ("email", record.email),
            ("phone", record.phone),
            ("firstName", record.first_name),
            ("lastName", record.last_name),
        ):
            if value is not None:
                assert patient[key] == value, f"line {record.line}: {key}"
        checked["patients"] += 1
        for condition in patient["conditions"]:
            episodes = sandbox.episodes(condition["id"])
            active = [e for e in episodes if e["status"] == "active"]
            assert len(active) == 1, f"line {record.line}: {len(active)} active episodes"
            assert len(episodes) == 1, f"line {record.line}: {len(episodes)} episodes"
            checked["conditions"] += 1
            checked["episodes"] += len(episodes)
    return dict(checked)


def outcome_counts(outcomes: Iterable[SyncOutcome]) -> dict[str, int]:
    return dict(Counter(o.outcome.value for o in outcomes))


def faults_by_kind(fired: Counter[tuple[str, str]]) -> dict[str, int]:
    """``sandbox.faults.fired`` summed by fault kind."""
    kinds: Counter[str] = Counter()
    for (_operation, kind), n in fired.items():
        kinds[kind] += n
    return dict(sorted(kinds.items()))
