"""Helpers shared by the reliability tests: records, the expected end state, checks on it."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from typing import Any

from legithealth_async.demo import synthetic_patients
from legithealth_async.sandbox import Sandbox
from legithealth_async.sync import PatientRecord, SyncOutcome, parse_record


def make_records(count: int, seed: int) -> list[PatientRecord]:
    """``count`` synthetic records (the demo's generator), each with its line number."""
    out = []
    for i, raw in enumerate(synthetic_patients(count, seed=seed)):
        record = parse_record(raw, line=i + 1)
        assert isinstance(record, PatientRecord)
        out.append(record)
    return out


def _freq(frequency: Any) -> tuple[int, str] | None:
    if frequency is None:
        return None
    if isinstance(frequency, dict):
        return int(frequency["every"]), str(frequency["unit"])
    return int(frequency.every), str(getattr(frequency.unit, "value", frequency.unit))


def wanted_conditions(record: PatientRecord) -> list[tuple[str, str, bool, Any]]:
    """The conditions a freshly created patient must have, as the record says."""
    return sorted(
        (
            str(c.pathology_code),
            str(c.body_site_code),
            bool(c.is_tracked),
            _freq(c.frequency) if c.is_tracked else None,
        )
        for c in record.conditions
    )


def held_conditions(patient: dict[str, Any]) -> list[tuple[str, str, bool, Any]]:
    """The conditions the sandbox holds for a patient, in the same shape."""
    return sorted(
        (c["pathologyCode"], c["bodySiteCode"], c["isTracked"], _freq(c["frequency"]))
        for c in patient["conditions"]
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


def state(sandbox: Sandbox) -> dict[str, Any]:
    """The sandbox's patients without Legit.Health's ids: what a sync is supposed to produce."""
    out = {}
    for ext, p in sandbox.patients().items():
        basic = {k: v for k, v in p.items() if k not in ("id", "conditions")}
        out[ext] = (basic, held_conditions(p))
    return out


def outcome_counts(outcomes: Iterable[SyncOutcome]) -> dict[str, int]:
    return dict(Counter(o.outcome.value for o in outcomes))


def faults_by_kind(fired: Counter[tuple[str, str]]) -> dict[str, int]:
    """``sandbox.faults.fired`` summed by fault kind."""
    kinds: Counter[str] = Counter()
    for (_operation, kind), n in fired.items():
        kinds[kind] += n
    return dict(sorted(kinds.items()))
