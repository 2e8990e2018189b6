"""The sandbox's world: patients, conditions, episodes, encounters, practitioners, outbox.

Every method here is synchronous and applies a whole rule at once, so on the single event loop
the app runs on, no request ever sees another half-applied. Methods take and return wire
dicts (already validated against the contract) and raise :class:`ApiError` for the documented
refusals.
"""

from __future__ import annotations

import base64
import datetime as dt
import heapq
import random
import uuid
from collections import Counter
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from .clock import SandboxClock, add_months, to_wire
from .errors import ApiError, not_found, unprocessable, validation_error
from .validation import parse_date_time

LOGIN_LINK = "https://app.legit.health/u/home?token={token}&refresh_token={refresh_token}"

SPECIALTIES: tuple[tuple[str, str], ...] = (
    ("dermatology", "Dermatology"),
    ("generalPractice", "General practice"),
    ("pediatrics", "Pediatrics"),
    ("plasticSurgery", "Plastic surgery"),
    ("oncology", "Oncology"),
    ("nursing", "Nursing"),
)

_BASIC_FIELDS = {
    "firstName": "first_name",
    "lastName": "last_name",
    "email": "email",
    "phone": "phone",
    "birthDate": "birth_date",
    "gender": "gender",
    "language": "language",
}


@dataclass
class ConditionRecord:
    """A pathology in a body site of a patient, and whether (and how often) it is tracked."""

    id: str
    patient_external_id: str
    pathology_code: str
    body_site_code: str
    is_tracked: bool = False
    frequency: dict[str, Any] | None = None
    schedule_anchor: dt.datetime | None = None
    schedule_step: int = 0
    schedule_version: int = 0

    def to_wire(self) -> dict[str, Any]:
        """The contract's Condition."""
        return {
            "id": self.id,
            "pathologyCode": self.pathology_code,
            "bodySiteCode": self.body_site_code,
            "isTracked": self.is_tracked,
            "frequency": dict(self.frequency) if self.frequency else None,
        }


@dataclass
class PatientRecord:
    """A connected patient."""

    id: str
    external_id: str
    first_name: str | None = None
    last_name: str | None = None
    email: str | None = None
    phone: str | None = None
    birth_date: str | None = None
    gender: str | None = None
    language: str | None = None
    conditions: list[ConditionRecord] = field(default_factory=list)

    def to_wire(self) -> dict[str, Any]:
        """The contract's Patient."""
        return {
            "id": self.id,
            "externalId": self.external_id,
            **{wire: getattr(self, attr) for wire, attr in _BASIC_FIELDS.items()},
            "conditions": [c.to_wire() for c in self.conditions],
        }


@dataclass
class EpisodeRecord:
    """An episode of care of a condition."""

    id: str
    condition_id: str
    external_id: str | None
    status: str
    started_at: dt.datetime
    finished_at: dt.datetime | None = None

    def to_wire(self) -> dict[str, Any]:
        """The contract's EpisodeOfCare."""
        return {
            "id": self.id,
            "externalId": self.external_id,
            "conditionId": self.condition_id,
            "status": self.status,
            "startedAt": to_wire(self.started_at),
            "finishedAt": to_wire(self.finished_at) if self.finished_at else None,
        }


@dataclass
class EncounterRecord:
    """An encounter of an episode; ``origin`` is ``integrator`` or ``tracking``."""

    id: str
    episode_id: str
    external_id: str | None
    planned_for: dt.datetime
    status: str
    origin: str

    def to_wire(self) -> dict[str, Any]:
        """The contract's Encounter."""
        return {
            "id": self.id,
            "episodeOfCareId": self.episode_id,
            "externalId": self.external_id,
            "planned_for": to_wire(self.planned_for),
            "status": self.status,
        }


@dataclass
class PractitionerRecord:
    """A connected practitioner."""

    id: str
    external_id: str
    email: str
    first_name: str | None = None
    last_name: str | None = None
    speciality: str | None = None

    def to_wire(self) -> dict[str, Any]:
        """The contract's Practitioner."""
        return {
            "id": self.id,
            "externalId": self.external_id,
            "email": self.email,
            "firstName": self.first_name,
            "lastName": self.last_name,
            "speciality": self.speciality,
        }


@dataclass(frozen=True)
class OutboxMessage:
    """An email or SMS the real service would have sent.

    ``kind`` is ``verification`` or ``login_link``; ``channel`` is ``email`` or ``sms``;
    ``recipient`` is ``patient`` or ``practitioner``; ``link`` is the login link, if any.
    """

    kind: str
    channel: str
    to: str
    recipient: str
    external_id: str
    at: dt.datetime
    link: str | None = None


def _later(moment: dt.datetime, steps: int, unit: str) -> dt.datetime:
    """``moment`` plus ``steps`` days, weeks or months (OverflowError past the calendar)."""
    if unit == "month":
        return add_months(moment, steps)
    return moment + dt.timedelta(days=steps * (7 if unit == "week" else 1))


def _b64url(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


class World:
    """All the sandbox's state and the documented rules that change it."""

    def __init__(self, clock: SandboxClock, seed: int | str | None) -> None:
        self.clock = clock
        self._rng = random.Random(None if seed is None else f"ids:{seed}")  # noqa: S311 - not crypto
        self.patients: dict[str, PatientRecord] = {}
        self.conditions: dict[str, ConditionRecord] = {}
        self.episodes: dict[str, EpisodeRecord] = {}
        self.episodes_by_condition: dict[str, list[EpisodeRecord]] = {}
        self.encounters: dict[str, EncounterRecord] = {}
        self.encounters_by_episode: dict[str, list[EncounterRecord]] = {}
        self.practitioners: dict[str, PractitionerRecord] = {}
        self.outbox: list[OutboxMessage] = []
        self.create_effects: Counter[tuple[str, str]] = Counter()
        self.create_attempts: Counter[tuple[str, str]] = Counter()
        self._tracking: list[tuple[dt.datetime, int, str, int]] = []
        self._scheduled: list[tuple[dt.datetime, int, str]] = []
        self._seq = 0

    # -- helpers ---------------------------------------------------------------------------

    def new_id(self) -> str:
        """A fresh UUID-shaped id (deterministic for a given seed and order of events)."""
        return str(uuid.UUID(int=self._rng.getrandbits(128), version=4))

    def _token_pair(self) -> tuple[str, str]:
        payload, signature = self._rng.randbytes(18), self._rng.randbytes(32)
        token = f"eyJhbGciOiJIUzI1NiJ9.{_b64url(payload)}.{_b64url(signature)}"
        refresh_token = "def50200" + base64.b64encode(self._rng.randbytes(30)).decode("ascii")
        return token, refresh_token

    def _next_seq(self) -> int:
        self._seq += 1
        return self._seq

    def _send(
        self, kind: str, channel: str, to: str, recipient: str, external_id: str, link: str | None
    ) -> None:
        self.outbox.append(
            OutboxMessage(kind, channel, to, recipient, external_id, self.clock.now(), link)
        )

    def active_episode(self, condition_id: str) -> EpisodeRecord | None:
        """The condition's active episode of care, if it has one."""
        for episode in self.episodes_by_condition.get(condition_id, ()):
            if episode.status == "active":
                return episode
        return None

    def _open_episode(self, condition_id: str, external_id: str | None) -> EpisodeRecord:
        episode = EpisodeRecord(
            self.new_id(), condition_id, external_id, "active", self.clock.now()
        )
        self.episodes[episode.id] = episode
        self.episodes_by_condition.setdefault(condition_id, []).append(episode)
        return episode

    def _add_encounter(
        self,
        episode: EpisodeRecord,
        planned_for: dt.datetime,
        external_id: str | None,
        origin: str,
    ) -> EncounterRecord:
        status = "scheduled" if planned_for > self.clock.now() else "ready"
        encounter = EncounterRecord(
            self.new_id(), episode.id, external_id, planned_for, status, origin
        )
        self.encounters[encounter.id] = encounter
        self.encounters_by_episode.setdefault(episode.id, []).append(encounter)
        if status == "scheduled":
            heapq.heappush(self._scheduled, (planned_for, self._next_seq(), encounter.id))
        return encounter

    # -- tracking --------------------------------------------------------------------------

    def _due(self, condition: ConditionRecord) -> dt.datetime:
        assert condition.schedule_anchor is not None and condition.frequency is not None
        steps = condition.schedule_step * int(condition.frequency["every"])
        return _later(condition.schedule_anchor, steps, condition.frequency["unit"])

    def _track(self, condition: ConditionRecord, frequency: dict[str, Any] | None) -> None:
        """Mark tracked; (re)start the automatic encounters when the frequency changes."""
        restart = frequency is not None and (
            not condition.is_tracked or frequency != condition.frequency
        )
        condition.is_tracked = True
        if frequency is not None:
            condition.frequency = {"every": frequency["every"], "unit": frequency["unit"]}
        if restart:
            condition.schedule_version += 1
            condition.schedule_anchor = self.clock.now()
            condition.schedule_step = 1
            self._push_due(condition)

    def _push_due(self, condition: ConditionRecord) -> None:
        heapq.heappush(
            self._tracking,
            (self._due(condition), self._next_seq(), condition.id, condition.schedule_version),
        )

    def _pause(self, condition: ConditionRecord) -> None:
        condition.is_tracked = False
        condition.frequency = None
        condition.schedule_anchor = None
        condition.schedule_version += 1
        episode = self.active_episode(condition.id)
        if episode is not None:
            episode.status = "finished"
            episode.finished_at = self.clock.now()

    def tick(self) -> int:
        """Create the tracked conditions' encounters that fell due; mark due ones ``ready``.

        Returns how many encounters were created.
        """
        now = self.clock.now()
        created = 0
        while self._tracking and self._tracking[0][0] <= now:
            due, _, condition_id, version = heapq.heappop(self._tracking)
            condition = self.conditions[condition_id]
            if version != condition.schedule_version or not condition.is_tracked:
                continue
            episode = self.active_episode(condition_id)
            if episode is not None:
                self._add_encounter(episode, due, None, "tracking")
                created += 1
            condition.schedule_step += 1
            self._push_due(condition)
        while self._scheduled and self._scheduled[0][0] <= now:
            _, _, encounter_id = heapq.heappop(self._scheduled)
            encounter = self.encounters[encounter_id]
            if encounter.status == "scheduled":
                encounter.status = "ready"
        return created

    # -- conditions ------------------------------------------------------------------------

    def _check_conditions(self, items: list[dict[str, Any]]) -> None:
        seen: set[tuple[str, str]] = set()
        for index, item in enumerate(items):
            if "frequency" in item and item.get("isTracked") is not True:
                raise unprocessable(
                    f"conditions[{index}].frequency is only allowed on a tracked condition"
                )
            frequency = item.get("frequency")
            if frequency is not None:
                try:  # the first automatic encounter must fall within the calendar
                    _later(self.clock.now(), int(frequency["every"]), frequency["unit"])
                except (OverflowError, ValueError):
                    raise unprocessable(
                        f"conditions[{index}].frequency.every is too large to schedule"
                    ) from None
            key = (item["pathologyCode"], item["bodySiteCode"])
            if key in seen:
                raise unprocessable(
                    f"conditions[{index}] repeats a pathologyCode/bodySiteCode pair"
                )
            seen.add(key)

    def _add_condition(self, patient: PatientRecord, item: dict[str, Any]) -> ConditionRecord:
        condition = ConditionRecord(
            self.new_id(), patient.external_id, item["pathologyCode"], item["bodySiteCode"]
        )
        patient.conditions.append(condition)
        self.conditions[condition.id] = condition
        self._open_episode(condition.id, None)
        if item.get("isTracked") is True:
            self._track(condition, item.get("frequency"))
        return condition

    # -- patients --------------------------------------------------------------------------

    def create_patient(self, body: dict[str, Any]) -> dict[str, Any]:
        """createPatient: needs email or phone; 409 on a known externalId."""
        external_id = body["externalId"]
        self.create_attempts[("createPatient", external_id)] += 1
        if not body.get("email") and not body.get("phone"):
            raise validation_error("body: at least one of email or phone is required")
        if external_id in self.patients:
            raise ApiError(
                409, "PATIENT_ALREADY_EXISTS", "A patient with this externalId exists already"
            )
        conditions = body.get("conditions", [])
        self._check_conditions(conditions)
        patient = PatientRecord(self.new_id(), external_id)
        for wire, attr in _BASIC_FIELDS.items():
            setattr(patient, attr, body.get(wire))
        self.patients[external_id] = patient
        for item in conditions:
            self._add_condition(patient, item)
        if patient.email:
            self._send("verification", "email", patient.email, "patient", external_id, None)
        if patient.phone:
            self._send("verification", "sms", patient.phone, "patient", external_id, None)
        self.create_effects[("createPatient", external_id)] += 1
        return patient.to_wire()

    def get_patients(self, external_ids: list[str]) -> list[dict[str, Any]]:
        """getPatients: in request order, each once; unknown ids are absent."""
        found = (self.patients.get(e) for e in dict.fromkeys(external_ids))
        return [p.to_wire() for p in found if p is not None]

    def patch_patient(self, external_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """patchPatient: basic info, and what each listed condition becomes."""
        patient = self.patients.get(external_id)
        if patient is None:
            raise not_found("Patient")
        items = body.get("conditions", [])
        self._check_conditions(items)
        for wire, attr in _BASIC_FIELDS.items():
            if wire in body:
                changed = body[wire] != getattr(patient, attr)
                setattr(patient, attr, body[wire])
                if changed and wire in ("email", "phone"):
                    channel = "email" if wire == "email" else "sms"
                    self._send("verification", channel, body[wire], "patient", external_id, None)
        by_pair = {(c.pathology_code, c.body_site_code): c for c in patient.conditions}
        for item in items:
            condition = by_pair.get((item["pathologyCode"], item["bodySiteCode"]))
            if condition is None:
                self._add_condition(patient, item)
            elif item.get("isTracked") is False:
                self._pause(condition)
            elif item.get("isTracked") is True:
                self._track(condition, item.get("frequency"))
                if self.active_episode(condition.id) is None:
                    self._open_episode(condition.id, None)
        return patient.to_wire()

    def _auth_tokens(
        self,
        recipient: str,
        emails: dict[str, str | None],
        external_ids: list[str],
        send_link: bool,
    ) -> list[dict[str, Any]]:
        answer = []
        for external_id in dict.fromkeys(external_ids):
            if external_id not in emails:
                continue
            token, refresh_token = self._token_pair()
            answer.append(
                {"externalId": external_id, "token": token, "refresh_token": refresh_token}
            )
            email = emails[external_id]
            if send_link and email:
                link = LOGIN_LINK.format(
                    token=quote(token, safe=""), refresh_token=quote(refresh_token, safe="")
                )
                self._send("login_link", "email", email, recipient, external_id, link)
        return answer

    def patients_auth_tokens(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """getPatientsAuthTokens: a token pair per known patient; the link by email if asked."""
        emails = {e: self.patients[e].email for e in body["externalIds"] if e in self.patients}
        return self._auth_tokens(
            "patient", emails, body["externalIds"], bool(body.get("sendLinkToPatientByEmail"))
        )

    # -- episodes and encounters -----------------------------------------------------------

    def get_episodes(self, condition_id: str) -> list[dict[str, Any]]:
        """getEpisodesOfCare: oldest first; 404 for an unknown condition."""
        if condition_id not in self.conditions:
            raise not_found("Condition")
        return [e.to_wire() for e in self.episodes_by_condition.get(condition_id, ())]

    def create_episode(self, condition_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """createEpisodeOfCare: a new active episode, refused when one is active (409)."""
        if condition_id not in self.conditions:
            raise not_found("Condition")
        if self.active_episode(condition_id) is not None:
            raise ApiError(
                409,
                "ACTIVE_EPISODE_OF_CARE_EXISTS",
                "The condition has an active episode of care already",
            )
        return self._open_episode(condition_id, body.get("externalId")).to_wire()

    def patch_episode(self, episode_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """patchEpisodeOfCare: set (or clear, with null) the integrator's id."""
        episode = self.episodes.get(episode_id)
        if episode is None:
            raise not_found("Episode of care")
        episode.external_id = body["externalId"]
        return episode.to_wire()

    def create_encounter(self, episode_id: str, body: dict[str, Any]) -> dict[str, Any]:
        """createEncounter: future ``planned_for`` → scheduled, else ready; active episodes only."""
        episode = self.episodes.get(episode_id)
        if episode is None:
            raise not_found("Episode of care")
        if episode.status != "active":
            raise unprocessable("encounters can only be created in an active episode of care")
        planned_for = parse_date_time(body["planned_for"])
        assert planned_for is not None  # the contract's date-time format was checked
        encounter = self._add_encounter(episode, planned_for, body.get("externalId"), "integrator")
        return encounter.to_wire()

    # -- practitioners ---------------------------------------------------------------------

    def create_practitioner(self, body: dict[str, Any]) -> dict[str, Any]:
        """createPractitioner: 409 on a known externalId, 422 on an unknown speciality."""
        external_id = body["externalId"]
        self.create_attempts[("createPractitioner", external_id)] += 1
        if external_id in self.practitioners:
            raise ApiError(
                409,
                "PRACTITIONER_ALREADY_EXISTS",
                "A practitioner with this externalId exists already",
            )
        speciality = body.get("speciality")
        if speciality is not None and speciality not in dict(SPECIALTIES):
            raise unprocessable("speciality is not one of getPractitionerSpecialties' codes")
        practitioner = PractitionerRecord(
            self.new_id(),
            external_id,
            body["email"],
            body.get("firstName"),
            body.get("lastName"),
            speciality,
        )
        self.practitioners[external_id] = practitioner
        self._send("verification", "email", practitioner.email, "practitioner", external_id, None)
        self.create_effects[("createPractitioner", external_id)] += 1
        return practitioner.to_wire()

    @staticmethod
    def specialties() -> list[dict[str, Any]]:
        """getPractitionerSpecialties."""
        return [{"code": code, "name": name} for code, name in SPECIALTIES]

    def practitioners_auth_tokens(self, body: dict[str, Any]) -> list[dict[str, Any]]:
        """getPractitionerAuthTokens: like the patients' version."""
        emails: dict[str, str | None] = {
            e: self.practitioners[e].email for e in body["externalIds"] if e in self.practitioners
        }
        return self._auth_tokens(
            "practitioner",
            emails,
            body["externalIds"],
            bool(body.get("sendLinkToPractitionerByEmail")),
        )
