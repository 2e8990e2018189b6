"""The documented flow: fetch a condition's episodes of care, then patch each by its internal id.

The HRM knows its own episodes (its id, and the condition, status and start that identify each);
Legit.Health knows its episodes by internal id. :func:`match_episodes` pairs them and writes the
HRM's id onto each Legit.Health episode where it is missing or different. It is idempotent:
a second run finds every pair matched and patches nothing.
"""

from __future__ import annotations

import datetime as dt
import functools
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Condition, EpisodeOfCare
from ..pagination import run_all
from .protocols import FlowClient


@dataclass(frozen=True, slots=True, kw_only=True)
class HrmEpisode:
    """An episode of care as the HRM knows it.

    ``started_on`` is compared by calendar day (UTC); when None, the episode is matched by
    condition and status alone, and only if that leaves a single candidate.
    """

    external_id: str = field(repr=False)
    pathology_code: str
    body_site_code: str
    status: str
    started_on: dt.date | None = None


@dataclass(slots=True)
class EpisodeMatchReport:
    """What :func:`match_episodes` did: ``(hrm id, Legit.Health episode id)`` pairs.

    ``matched`` were already right, ``patched`` got the HRM's id now, ``unmatched`` lists the
    HRM ids with no Legit.Health episode to pair with.
    """

    matched: list[tuple[str, str]] = field(default_factory=list, repr=False)
    patched: list[tuple[str, str]] = field(default_factory=list, repr=False)
    unmatched: list[str] = field(default_factory=list, repr=False)

    def __repr__(self) -> str:
        return (
            f"EpisodeMatchReport(matched={len(self.matched)}, patched={len(self.patched)}, "
            f"unmatched={len(self.unmatched)})"
        )


def _day(value: dt.datetime) -> dt.date:
    if value.tzinfo is not None:
        value = value.astimezone(dt.UTC)
    return value.date()


async def match_episodes(
    client: FlowClient,
    conditions: Sequence[Condition],
    hrm_episodes: Sequence[HrmEpisode],
) -> EpisodeMatchReport:
    """Pair the HRM's episodes with Legit.Health's and patch the HRM id where it differs.

    ``client`` is a :class:`~legithealth_async.LegitHealth` (or anything with its episode calls,
    :class:`~legithealth_async.flows.protocols.FlowClient`). ``conditions`` are the patient's
    (``patient.conditions`` from getPatients). Episodes are fetched once per condition
    involved, concurrently.
    """
    by_pair = {(c.pathology_code, c.body_site_code): c for c in conditions}
    wanted = {
        by_pair[(e.pathology_code, e.body_site_code)].id
        for e in hrm_episodes
        if (e.pathology_code, e.body_site_code) in by_pair
    }
    episodes: dict[str, list[EpisodeOfCare]] = {}

    async def fetch(condition_id: str) -> None:
        episodes[condition_id] = await client.episodes_of_care.list_for_condition(condition_id)

    await run_all([functools.partial(fetch, cid) for cid in sorted(wanted)])

    report = EpisodeMatchReport()
    candidates_of = {
        (hrm.pathology_code, hrm.body_site_code): episodes.get(c.id, [])
        for hrm in hrm_episodes
        if (c := by_pair.get((hrm.pathology_code, hrm.body_site_code))) is not None
    }
    to_patch = _pair(hrm_episodes, candidates_of, report)

    async def patch(hrm: HrmEpisode, episode: EpisodeOfCare) -> None:
        await client.episodes_of_care.patch(episode.id, external_id=hrm.external_id)
        report.patched.append((hrm.external_id, episode.id))

    await run_all([functools.partial(patch, h, e) for h, e in to_patch])
    return report


def _pair(
    hrm_episodes: Sequence[HrmEpisode],
    candidates_of: dict[tuple[str, str], list[EpisodeOfCare]],
    report: EpisodeMatchReport,
) -> list[tuple[HrmEpisode, EpisodeOfCare]]:
    """Pair each HRM episode with one Legit.Health episode; the pairs whose id must be set.

    First the pairs that already carry the HRM id (noted as matched), so they are never claimed
    twice; then, for the rest, the one candidate of the same condition, status (and start day).
    """
    claimed: set[str] = set()
    pending: list[HrmEpisode] = []
    for hrm in hrm_episodes:
        candidates = candidates_of.get((hrm.pathology_code, hrm.body_site_code), [])
        exact = next((e for e in candidates if e.external_id == hrm.external_id), None)
        if exact is not None and exact.id not in claimed:
            claimed.add(exact.id)
            report.matched.append((hrm.external_id, exact.id))
        else:
            pending.append(hrm)
    to_patch: list[tuple[HrmEpisode, EpisodeOfCare]] = []
    for hrm in pending:
        candidates = [
            e
            for e in candidates_of.get((hrm.pathology_code, hrm.body_site_code), [])
            if e.id not in claimed and e.status == hrm.status
        ]
        if hrm.started_on is not None:
            candidates = [e for e in candidates if _day(e.started_at) == hrm.started_on]
        if len(candidates) != 1:
            report.unmatched.append(hrm.external_id)
            continue
        claimed.add(candidates[0].id)
        to_patch.append((hrm, candidates[0]))
    return to_patch
