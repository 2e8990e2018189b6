"""The upsert decision: what to send so Legit.Health holds a record (and nothing more).

Only what differs is sent. A ``None`` field of the record is "not given" and never compared (the
API cannot clear a field). Conditions that Legit.Health has but the record does not list are left
alone. For a listed condition:

- not on Legit.Health: added (tracked with its frequency when the record says so);
- untracked in the record, tracked on Legit.Health: paused (``is_tracked=False``);
- tracked in the record, and untracked on Legit.Health or with another frequency: tracked
  (``is_tracked=True`` and the record's frequency; a record without a frequency accepts any).

An added untracked condition is sent without ``isTracked``, so a retried patch (after a dropped
answer) finds it and leaves it as is instead of reading a pause.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from ..models import ConditionInput, Frequency, Patient
from .records import PatientRecord

__all__ = ["PatchPlan", "condition_key", "create_kwargs", "plan_patch"]

_BASIC = ("first_name", "last_name", "email", "phone", "birth_date", "gender", "language")


def condition_key(pathology_code: object, body_site_code: object) -> str:
    """``"EA90@armLeft"``: how the journal names a condition."""
    return f"{getattr(pathology_code, 'value', pathology_code)}@" + str(
        getattr(body_site_code, "value", body_site_code)
    )


def _unit(frequency: Frequency | None) -> tuple[int, str] | None:
    if frequency is None:
        return None
    return frequency.every, str(getattr(frequency.unit, "value", frequency.unit))


def _wire_condition(c: ConditionInput, *, adding: bool) -> ConditionInput:
    if c.is_tracked:
        return ConditionInput(
            pathology_code=c.pathology_code,
            body_site_code=c.body_site_code,
            is_tracked=True,
            frequency=c.frequency,
        )
    return ConditionInput(
        pathology_code=c.pathology_code,
        body_site_code=c.body_site_code,
        is_tracked=None if adding else False,
    )


@dataclass(frozen=True, slots=True)
class PatchPlan:
    """What a patch would send: basic fields (keyword arguments of ``patients.patch``) and
    conditions. Empty when the patient already matches the record."""

    fields: dict[str, Any] = field(default_factory=dict, repr=False)
    conditions: tuple[ConditionInput, ...] = ()
    changes: tuple[str, ...] = ()

    def __bool__(self) -> bool:
        return bool(self.fields or self.conditions)

    def kwargs(self) -> dict[str, Any]:
        """Keyword arguments for :meth:`~legithealth_async.resources.Patients.patch`."""
        out = dict(self.fields)
        if self.conditions:
            out["conditions"] = list(self.conditions)
        return out


def _same(field_name: str, wanted: Any, have: Any) -> bool:
    if field_name == "birth_date" and isinstance(have, dt.date):
        return bool(wanted == have)
    return str(getattr(wanted, "value", wanted)) == (None if have is None else str(have))


def plan_patch(record: PatientRecord, patient: Patient) -> PatchPlan:
    """What to send so ``patient`` matches ``record`` (a validated record)."""
    fields: dict[str, Any] = {}
    changes: list[str] = []
    for name in _BASIC:
        wanted = getattr(record, name)
        if wanted is not None and not _same(name, wanted, getattr(patient, name)):
            fields[name] = wanted
            changes.append(name)
    by_key = {condition_key(c.pathology_code, c.body_site_code): c for c in patient.conditions}
    conditions: list[ConditionInput] = []
    for c in record.conditions:
        have = by_key.get(condition_key(c.pathology_code, c.body_site_code))
        if have is None:
            conditions.append(_wire_condition(c, adding=True))
            changes.append("conditions.add")
        elif c.is_tracked:
            if not have.is_tracked or (
                c.frequency is not None and _unit(c.frequency) != _unit(have.frequency)
            ):
                conditions.append(_wire_condition(c, adding=False))
                changes.append("conditions.track")
        elif have.is_tracked:
            conditions.append(_wire_condition(c, adding=False))
            changes.append("conditions.pause")
    return PatchPlan(fields, tuple(conditions), tuple(dict.fromkeys(changes)))


def create_kwargs(record: PatientRecord) -> tuple[dict[str, Any], tuple[str, ...]]:
    """Keyword arguments for :meth:`~legithealth_async.resources.Patients.create`, and the
    names of what is sent."""
    kwargs: dict[str, Any] = {"external_id": record.external_id}
    changes: list[str] = []
    for name in _BASIC:
        value = getattr(record, name)
        if value is not None:
            kwargs[name] = value
            changes.append(name)
    if record.conditions:
        kwargs["conditions"] = [_wire_condition(c, adding=True) for c in record.conditions]
        changes.append("conditions.add")
    return kwargs, tuple(changes)
